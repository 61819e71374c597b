#include "app/policy_commands.h"

#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "app/audit_commands.h"
#include "app/exit_codes.h"
#include "app/import_command.h"
#include "app/output_file.h"
#include "app/store_commands.h"
#include "common/uuid.h"
#include "policy/marking_registry.h"
#include "sensors/sensor_lists.h"
#include "stix/canonical_json.h"
#include "store/release_gate.h"
#include "store/sqlite/sqlite_store.h"

namespace ctihub::app {

Result<std::vector<policy::OrganisationProfile>> OrganisationProfiles(const NodeConfig& config,
                                                                      auth::Accounts& accounts) {
  std::vector<policy::OrganisationProfile> profiles = config.policy.organisations;
  CTI_ASSIGN_OR_RETURN(std::vector<auth::Organisation> orgs, accounts.ListOrganisations());
  for (const auth::Organisation& o : orgs) {
    policy::OrganisationProfile* profile = nullptr;
    for (policy::OrganisationProfile& p : profiles) {
      if (p.name == o.name) profile = &p;
    }
    if (!profile) {
      profiles.push_back({});
      profile = &profiles.back();
      profile->name = o.name;
    }
    profile->nation = o.nation;
    profile->communities = o.communities;
    profile->identity = o.identity_id;
  }
  return profiles;
}

Result<std::unique_ptr<policy::PolicyGate>> MakePolicyGate(const NodeConfig& config,
                                                           store::Store& st,
                                                           auth::Accounts& accounts,
                                                           std::vector<std::string>* notes) {
  policy::PolicyOptions options = config.policy;
  CTI_ASSIGN_OR_RETURN(options.organisations, OrganisationProfiles(config, accounts));
  CTI_ASSIGN_OR_RETURN(std::vector<auth::Organisation> orgs, accounts.ListOrganisations());
  for (const policy::Agreement& a : options.agreements) {
    bool known = std::any_of(orgs.begin(), orgs.end(),
                             [&](const auth::Organisation& o) { return o.name == a.partner; });
    if (!known) {
      const bool declared = std::any_of(
          config.organisations.begin(), config.organisations.end(),
          [&](const ConfiguredOrganisation& o) { return o.organisation.name == a.partner; });
      return InvalidArgument(
          "agreement with '" + a.partner + "': no such organisation " +
          (declared ? "in the store yet: the config declares it, and `ctihub serve --config` "
                      "applies the config when it starts (or add it now with `ctihub org add " +
                          a.partner + "`)"
                    : "(declare it under [[organisations]] or with `ctihub org add`)"));
    }
  }
  CTI_ASSIGN_OR_RETURN(std::shared_ptr<policy::MarkingRegistry> registry,
                       policy::LoadMarkings(st, policy::MarkingDefinitionSources(options), notes));
  CTI_ASSIGN_OR_RETURN(std::unique_ptr<policy::PolicyGate> gate,
                       policy::PolicyGate::Make(std::move(options), std::move(registry)));
  // Which identities are victims, when some profile rewrites them (else nothing is read and
  // nothing waits); serve re-reads it. settle_first: what was stored before this command started
  // is released by it — a wait only when the newest import is less than the settling margin old.
  CTI_RETURN_IF_ERROR(gate->RefreshVictims(st, /*settle_first=*/true));
  return gate;
}

namespace {

struct PolicyFlags {
  std::string store = DefaultStoreUri();
  std::string config;
  std::string object_id, to, collection;
  std::string classification, marking_tlp;
  std::vector<std::string> rel_to, caveats;
  std::string as, output = "-";
  std::string format = "stix";
  bool strict = false;
  bool all_versions = false;
};

int Fail(std::string_view command, const Status& s) {
  fmt::print(stderr, "ctihub {}: {}\n", command, s.ToString());
  return kExitUsage;
}

// A recipient, collection or object named on the command line that the store does not hold.
int LookupFailed(std::string_view command, const Status& s) {
  Fail(command, s);
  return ExitCodeForLookup(s);
}

struct Setup {
  NodeConfig config;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<auth::Accounts> accounts;
  std::unique_ptr<policy::PolicyGate> gate;
  std::vector<std::string> notes;
};

Result<Setup> Prepare(const PolicyFlags& flags) {
  store::RegisterSqliteBackend();
  Setup s;
  if (!flags.config.empty()) {
    CTI_ASSIGN_OR_RETURN(s.config, LoadNodeConfig(flags.config));
  }
  // explain and export only read: a store that is not there is refused, not made.
  CTI_ASSIGN_OR_RETURN(s.store, OpenExistingStore(flags.store));
  CTI_ASSIGN_OR_RETURN(s.accounts, auth::Accounts::Open(flags.store));
  CTI_ASSIGN_OR_RETURN(s.gate, MakePolicyGate(s.config, *s.store, *s.accounts, &s.notes));
  return s;
}

// What a partner receives is decided by the node's config (its agreement, the organisations'
// clearances, the node's own organisation): without it every organisation would be judged as a
// local one, and `export --as` would write, as "what cert-fr receives", a file holding what only
// constituents may see. So naming a recipient needs the config.
Status NeedsConfig(const PolicyFlags& flags, std::string_view option) {
  if (!flags.config.empty()) return Status::Ok();
  return InvalidArgument(std::string(option) +
                         " needs --config: the agreements and clearances that decide what a "
                         "recipient receives are in the node's config (the one `ctihub serve` "
                         "runs with)");
}

// The recipient an organisation name stands for: any of its members.
constexpr std::string_view kAnyMember = "(any member)";

// "user:NAME", "org:NAME", or a bare name: an organisation if one has it, else a user.
Result<store::Recipient> ResolveRecipient(auth::Accounts& accounts, const std::string& who) {
  auto as_user = [&](std::string_view name) -> Result<store::Recipient> {
    CTI_ASSIGN_OR_RETURN(auth::User u, accounts.FindUser(name));
    return store::Recipient{u.name, u.organisation, u.admin};
  };
  auto as_org = [&](std::string_view name) -> Result<store::Recipient> {
    CTI_ASSIGN_OR_RETURN(auth::Organisation o, accounts.FindOrganisation(name));
    return store::Recipient{std::string(kAnyMember), o.name, false};
  };
  if (who.rfind("user:", 0) == 0) return as_user(who.substr(5));
  if (who.rfind("org:", 0) == 0) return as_org(who.substr(4));
  Result<store::Recipient> org = as_org(who);
  if (org.ok()) return org;
  Result<store::Recipient> user = as_user(who);
  if (user.ok()) return user;
  return NotFound("no organisation or user '" + who + "'");
}

int Explain(const PolicyFlags& flags) {
  if (Status s = NeedsConfig(flags, "--to"); !s.ok()) return Fail("policy explain", s);
  Result<Setup> setup = Prepare(flags);
  if (!setup.ok()) return Fail("policy explain", setup.status());
  Result<store::Recipient> who = ResolveRecipient(*setup->accounts, flags.to);
  if (!who.ok()) return LookupFailed("policy explain", who.status());
  Result<std::vector<store::Collection>> collections = setup->store->ListCollections();
  if (!collections.ok()) return Fail("policy explain", collections.status());
  // A disabled user is served nothing, whatever the labels.
  bool disabled = false;
  if (who->user != kAnyMember) {
    Result<auth::User> user = setup->accounts->FindUser(who->user);
    disabled = user.ok() && user->disabled;
  }
  auto verdict_of = [](store::ReleaseAction action) {
    return action == store::ReleaseAction::kRelease           ? "RELEASE"
           : action == store::ReleaseAction::kReleaseRedacted ? "RELEASE REDACTED"
                                                              : "WITHHOLD";
  };
  auto version_of = [](const store::StoredObject& o) {
    return o.version_text.empty() ? o.date_added.ToString() : o.version_text;
  };
  bool found = false;
  for (const store::Collection& c : *collections) {
    if (!flags.collection.empty() && c.id != flags.collection && c.alias != flags.collection) {
      continue;
    }
    const std::string collection = c.alias.empty() ? c.id : c.alias;
    store::Query q;
    q.ids = {flags.object_id};
    q.versions.all = true;
    q.versions.last = false;
    Result<store::Page> page = setup->store->List(c.id, q);
    if (!page.ok()) return Fail("policy explain", page.status());
    if (page->objects.empty()) continue;
    // The observables it names, as every path out knows them after its read.
    if (Status read = setup->gate->Refresh(*setup->store); !read.ok()) {
      return Fail("policy explain", read);
    }
    found = true;
    // The latest version is the one explained; the store lists versions oldest first.
    std::vector<store::StoredObject> versions = std::move(page->objects);
    std::stable_sort(versions.begin(), versions.end(), [](const auto& a, const auto& b) {
      return a.version != b.version ? a.version < b.version : a.date_added < b.date_added;
    });
    const store::StoredObject& o = versions.back();
    policy::Explanation e = setup->gate->Explain(*who, o);
    // What every path out checks before the labels: TAXII, export --as and sync serve nothing
    // of a collection the recipient may not read, or that its agreement leaves out.
    std::vector<std::pair<std::string, std::string>> access;
    auth::Principal principal;
    principal.user = who->user == kAnyMember ? std::string() : who->user;
    principal.organisation = who->organisation;
    principal.admin = who->admin;
    Result<auth::Permission> permission = setup->accounts->PermissionOn(principal, c.id);
    if (!permission.ok()) return Fail("policy explain", permission.status());
    if (disabled) {
      access.emplace_back("access.disabled",
                          "user " + who->user + " is disabled: it is served nothing");
    }
    if (!auth::CanRead(*permission)) {
      access.emplace_back(
          "access.grant",
          (who->user == kAnyMember ? "organisation " + who->organisation : "user " + who->user) +
              " has no read grant on collection " + collection +
              ", so nothing in it is served to it");
    }
    if (!setup->gate->CollectionVisible(*who, c)) {
      access.emplace_back("agreement.collection",
                          "the agreement does not cover collection " + collection +
                              ", so nothing in it is served to " + who->organisation);
    }
    fmt::print("{} (version {}) in collection {}\n", o.id, version_of(o), collection);
    fmt::print("  to: {} of organisation {}\n", who->user, who->organisation);
    fmt::print("  label: {}\n", e.label.ToString());
    fmt::print("  decision: {}\n", access.empty() ? verdict_of(e.action) : "WITHHOLD");
    for (const auto& [rule, reason] : access) fmt::print("  [{}] {}\n", rule, reason);
    if (!access.empty()) {
      fmt::print("  by its labels and the agreement alone: {}\n", verdict_of(e.action));
    }
    for (size_t i = 0; i < e.rules.size(); ++i) {
      fmt::print("  [{}] {}\n", e.rules[i], e.reasons[i]);
    }
    if (!e.removed.empty()) {
      std::string list;
      for (const std::string& r : e.removed) list += (list.empty() ? "" : ", ") + r;
      fmt::print("  removed: {}\n", list);
    }
    // A withheld latest version does not hide the object: the newest version the recipient may
    // have is what every path serves it, and it learns of no later one (not even a revocation).
    if (e.action == store::ReleaseAction::kWithhold && access.empty()) {
      for (size_t i = versions.size() - 1; i-- > 0;) {
        policy::Explanation older = setup->gate->Explain(*who, versions[i]);
        if (older.action == store::ReleaseAction::kWithhold) continue;
        fmt::print(
            "  served instead: version {} ({}), the newest this recipient may receive; "
            "it learns of no later version{}\n",
            version_of(versions[i]), verdict_of(older.action),
            o.revoked ? " (the latest revokes the object)" : "");
        for (size_t r = 0; r < older.rules.size(); ++r) {
          fmt::print("    [{}] {}\n", older.rules[r], older.reasons[r]);
        }
        break;
      }
    }
  }
  if (!found) {
    return LookupFailed("policy explain",
                        NotFound("no object " + flags.object_id + " in " +
                                 (flags.collection.empty() ? "any collection" : flags.collection)));
  }
  return kExitOk;
}

// Feeds one released object to the sensor lists when it is a current STIX-pattern indicator.
// Returns why it was not fed ("" when it was; "not an indicator" for other objects).
std::string SensorCandidate(const std::string& text, const std::string& now,
                            sensors::SensorLists* lists) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  if (ec || !v.is_object()) return "not an indicator";
  const boost::json::object& o = v.get_object();
  auto str = [&](const char* key) -> std::string {
    const boost::json::value* p = o.if_contains(key);
    return p != nullptr && p->is_string() ? std::string(p->get_string()) : std::string();
  };
  if (str("type") != "indicator") return "not an indicator";
  if (str("pattern_type") != "stix") return "pattern_type";
  if (const boost::json::value* r = o.if_contains("revoked"); r && r->is_bool() && r->get_bool()) {
    return "revoked";
  }
  // valid_until is compared as text: both are RFC 3339 UTC, which sorts chronologically once the
  // fraction digits line up, so normalise through Timestamp first.
  if (std::string until = str("valid_until"); !until.empty()) {
    Result<Timestamp> t = Timestamp::Parse(until);
    if (t.ok() && t->ToString() <= now) return "expired";
  }
  // Not valid yet: a sensor list is loaded as it is, so it would match before the indicator
  // does (`ctihub match` raises no alert then); a later export takes it in.
  if (Result<Timestamp> from = Timestamp::Parse(str("valid_from")); from.ok() && from->ToString() > now) {
    return "not valid yet";
  }
  Status added = lists->Add(str("id"), str("name"), str("pattern"));
  return added.ok() ? std::string() : added.message();
}

int Export(const PolicyFlags& flags) {
  if (flags.format != "suricata-dataset") {
    // A bundle written over the store or the node's config would replace what it is made of.
    Status s = RefuseOutputThatIsAnInput(flags.output, {StoreFile(flags.store), flags.config});
    if (!s.ok()) return Fail("export", s);
  }
  if (!flags.as.empty()) {
    if (Status s = NeedsConfig(flags, "--as"); !s.ok()) return Fail("export", s);
  }
  if (flags.all_versions && flags.format != "stix") {
    return Fail("export", InvalidArgument("--all-versions needs --format stix: a sensor list holds "
                                          "the current indicators"));
  }
  Result<Setup> setup = Prepare(flags);
  if (!setup.ok()) return Fail("export", setup.status());
  if (Status s = CheckAuditLog(flags.store); !s.ok()) return Fail("export", s);  // a release
  store::Recipient who{"export", setup->config.policy.node_organisation, true};
  if (!flags.as.empty()) {
    Result<store::Recipient> partner = ResolveRecipient(*setup->accounts, flags.as);
    if (!partner.ok()) return LookupFailed("export", partner.status());
    who = *partner;
  }
  Result<store::Collection> c = setup->store->FindCollection(flags.collection);
  if (!c.ok()) return LookupFailed("export", c.status());
  if (!setup->gate->CollectionVisible(who, *c)) {
    return Fail("export", PermissionDenied("the agreement with " + who.organisation +
                                           " does not cover collection " + flags.collection));
  }
  // What the partner would receive includes nothing of a collection it may not read over TAXII
  // (its user's, its organisation's and everyone's grants, as the server checks them).
  if (!who.admin && !flags.as.empty()) {
    Result<auth::Permission> may = setup->accounts->PermissionOn(
        auth::Principal{who.user, who.organisation, false, ""}, c->id);
    if (!may.ok()) return Fail("export", may.status());
    if (!auth::CanRead(*may)) {
      const bool declared = std::any_of(
          setup->config.grants.begin(), setup->config.grants.end(), [&](const ConfiguredGrant& g) {
            return (g.collection == c->alias || g.collection == c->id) &&
                   (g.grantee == "org:" + who.organisation || g.grantee == "*") &&
                   auth::CanRead(g.permission);
          });
      return Fail("export",
                  PermissionDenied(flags.as + " has no read grant on collection " +
                                   flags.collection + ": it would receive nothing" +
                                   (declared ? " (the config grants it, but this store has not "
                                               "been given the config yet: `ctihub serve "
                                               "--config` applies it when it starts)"
                                             : "")));
    }
  }
  std::optional<sensors::SensorLists> lists;
  if (flags.format == "zeek-intel") lists.emplace(sensors::SensorFormat::kZeekIntel);
  if (flags.format == "suricata-dataset") {
    if (flags.output == "-") {
      return Fail("export", InvalidArgument("--format suricata-dataset writes several files: "
                                            "give a directory with -o"));
    }
    // Made (or refused) before the export, not after it.
    std::error_code ec;
    std::filesystem::create_directories(flags.output, ec);
    if (ec || !std::filesystem::is_directory(flags.output)) {
      return Fail("export", InvalidArgument("-o " + flags.output + ": " +
                                            (ec ? "cannot create the directory: " + ec.message()
                                                : std::string("is not a directory"))));
    }
    lists.emplace(sensors::SensorFormat::kSuricata);
  }
  // Written aside and renamed over the previous file once complete: an export that fails or is
  // cut short leaves the last good one.
  OutputFile out;
  if (flags.format != "suricata-dataset") {
    if (Status s = out.Open(flags.output); !s.ok()) return Fail("export", s);
  }
  // One STIX 2.1 bundle of the latest versions (or, with --all-versions, of every version: a
  // copy that keeps the history), as TAXII would serve them to the same recipient; or, for
  // sensors, the values of the released indicators that reduce to exact values.
  if (!lists) {
    Status s = out.Write(R"({"type":"bundle","id":"bundle--)" + Uuid::RandomV4().ToString() +
                         R"(","objects":[)");
    if (!s.ok()) return Fail("export", s);
  }
  const std::string now = Timestamp::Now().ToString();
  size_t not_indicators = 0;
  std::map<std::string, size_t> unusable;
  store::OutboundReader reader(*setup->store, *setup->gate);
  // One point in time across all pages: an import running meanwhile must not add an id's new
  // version after its old one was exported (each id once).
  if (Status s = setup->store->BeginSnapshot(); !s.ok()) return Fail("export", s);
  store::Query q;
  q.limit = 10000;
  if (flags.all_versions) q.versions = store::VersionMatch::All();
  size_t count = 0;
  store::ReleaseTally tally;
  // A version released under another id (a victim's sector + country identity, shared by the
  // victims it stands for) goes into the bundle once, whichever page it comes back on.
  std::set<std::pair<std::string, std::string>> renamed;
  for (;;) {
    Result<store::Page> page = reader.List(c->id, q, who, &tally);
    if (!page.ok()) return Fail("export", page.status());
    for (const store::StoredObject& o : page->objects) {
      if (!o.stored_id.empty() && !renamed.emplace(o.id, o.version_text).second) continue;
      if (!lists) {
        Status s = out.Write(count++ ? ",\n" : "\n");
        if (s.ok()) s = out.Write(o.text);
        if (!s.ok()) return Fail("export", s);
        continue;
      }
      ++count;
      std::string skip = SensorCandidate(o.text, now, &*lists);
      if (skip == "not an indicator") {
        ++not_indicators;
      } else if (skip == "revoked" || skip == "expired" || skip == "pattern_type" ||
                 skip == "not valid yet") {
        ++unusable[skip];  // SensorLists never saw these
      }
    }
    if (!page->more) break;
    q.after = page->next;
  }
  if (Status s = setup->store->EndSnapshot(); !s.ok()) return Fail("export", s);
  if (flags.format == "suricata-dataset") {
    // Each file aside and renamed into place, the lists before the rules that load them: a
    // failed or interrupted export leaves every file whole (the old one, or the new).
    for (const sensors::SensorLists::File& f : lists->SuricataFiles()) {
      const std::string path = (std::filesystem::path(flags.output) / f.name).string();
      OutputFile file;
      Status s = file.Open(path);
      if (s.ok()) s = file.Write(f.content);
      if (s.ok()) s = file.Finish();
      if (!s.ok()) return Fail("export", s);
      fmt::print(stderr, "wrote {}\n", path);
    }
  } else {
    std::ostringstream intel;
    if (lists) lists->WriteZeekIntel(intel);
    Status s = out.Write(lists ? intel.str() : "\n]}\n");
    if (s.ok()) s = out.Finish();
    if (!s.ok()) return Fail("export", s);
  }
  std::string as_whom =
      flags.as.empty() ? std::string("this node (no release policy applied)") : who.organisation;
  if (!lists) {
    fmt::print(stderr, "exported {} {} of {} as {}\n", count,
               flags.all_versions
                   ? (count == 1 ? "object version" : "object versions")
                   : (count == 1 ? "object (latest version)" : "objects (latest versions)"),
               flags.collection, as_whom);
  } else {
    const sensors::ExportReport& r = lists->report();
    fmt::print(stderr,
               "{}: {} values from {} of {} current released indicators of {} as {} ({} other objects "
               "released)\n",
               flags.format, r.values_written, r.indicators_exported, r.indicators_seen,
               flags.collection, as_whom, not_indicators);
    for (const auto& [why, n] : unusable) {
      fmt::print(stderr, "  {:>8}  indicators left out: {}\n", n,
                 why == "pattern_type"    ? "pattern_type is not stix"
                 : why == "not valid yet" ? "not valid yet (valid_from in the future; a later "
                                            "export takes them in)"
                                          : why);
    }
    if (!r.skipped_by_reason.empty()) {
      fmt::print(stderr, "not exported, by reason (a sensor list holds exact values only):\n");
      for (const auto& [reason, n] : r.skipped_by_reason) fmt::print(stderr, "  {:>8}  {}\n", n, reason);
      fmt::print(stderr, "first skipped:\n");
      for (const auto& [id, reason] : r.first_skipped) fmt::print(stderr, "  {}: {}\n", id, reason);
    }
    if (r.indicators_partial > 0) {
      fmt::print(stderr,
                 "{} indicators exported in part (some of their OR-ed values could not go; the "
                 "sensor misses what only those match), first:\n",
                 r.indicators_partial);
      for (const auto& [id, reason] : r.first_partial) fmt::print(stderr, "  {}: {}\n", id, reason);
    }
  }
  audit::AuditEvent e;
  e.kind = "release";
  e.subject = c->alias.empty() ? c->id : c->alias;
  e.outcome = "exported " + std::to_string(count) + " released, " +
              std::to_string(tally.redacted) + " redacted, " + std::to_string(tally.withheld) +
              " withheld, to " + (flags.as.empty() ? std::string("(everything)") : "organisation " + who.organisation);
  stix::JsonWriter d;
  d.BeginObject().Key("output").String(flags.output).Key("format").String(flags.format);
  if (!tally.rules.empty()) {
    d.Key("rules").BeginObject();
    for (const auto& [rule, n] : tally.rules) d.Key(rule).Uint(n);
    d.EndObject();
  }
  d.EndObject();
  e.details = std::move(d).Take();
  for (const auto& [rule, n] : tally.rules) e.rules.push_back(rule);
  RecordCliEvent(flags.store, std::move(e));
  return kExitOk;
}

}  // namespace

void AddPolicyCommands(CLI::App& app, int& exit_code) {
  static PolicyFlags flags;
  CLI::App* policy = app.add_subcommand("policy", "Markings and release decisions");
  policy->require_subcommand(1);
  auto common = [](CLI::App* cmd, const char* config_help) {
    cmd->add_option("--store", flags.store, "Store URI; default $CTIHUB_STORE or sqlite:ctihub.db");
    cmd->add_option("--config", flags.config, config_help)->check(CLI::ExistingFile);
  };
  CLI::App* explain = policy->add_subcommand(
      "explain", "Say whether an object would be released to a recipient, and why");
  explain->add_option("object_id", flags.object_id, "The object's id")->required();
  explain->add_option("--to", flags.to, "Recipient: an organisation or user name (org:NAME, user:NAME)")
      ->required();
  explain->add_option("--collection", flags.collection, "Only this collection (id or alias)");
  common(explain, "Node configuration: agreements, clearances (required)");
  explain->callback([&exit_code] { exit_code = Explain(flags); });

  CLI::App* extension = policy->add_subcommand(
      "extension",
      "Print the extension-definition of ctihub's classification marking, with the identity "
      "that created it, as a STIX bundle");
  extension->callback([&exit_code] {
    fmt::print("{{\"type\":\"bundle\",\"id\":\"bundle--{}\",\"objects\":[{},{}]}}\n",
               Uuid::RandomV4().ToString(), policy::CtihubIdentity(),
               policy::ClassificationExtensionDefinition());
    exit_code = kExitOk;
  });

  CLI::App* marking = policy->add_subcommand(
      "marking", "Print a classification/releasability marking-definition to use in objects");
  marking->add_option("--classification", flags.classification,
                      "e.g. 'NATO SECRET', 'RESTREINT UE', restricted")
      ->required();
  marking->add_option("--rel-to", flags.rel_to, "Community, organisation or nation (repeatable)");
  marking->add_option("--caveat", flags.caveats, "Handling caveat (repeatable)");
  marking->add_option("--tlp", flags.marking_tlp,
                      "Mark the definition itself with this TLP (clear, green, …): it is then "
                      "released like other content of that TLP, rather than only to those "
                      "cleared for the marking it defines");
  marking->callback([&exit_code] {
    Result<policy::Classification> level = policy::ParseClassification(flags.classification);
    if (!level.ok()) {
      exit_code = Fail("policy marking", level.status());
      return;
    }
    std::optional<policy::TlpLevel> own_tlp;
    if (!flags.marking_tlp.empty()) {
      Result<policy::TlpLevel> tlp = policy::ParseTlp(flags.marking_tlp);
      if (!tlp.ok()) {
        exit_code = Fail("policy marking --tlp", tlp.status());
        return;
      }
      own_tlp = *tlp;
    }
    fmt::print("{}\n", policy::ClassificationMarking(*level, flags.rel_to, flags.caveats, own_tlp));
    exit_code = kExitOk;
  });

  CLI::App* exp = app.add_subcommand(
      "export", "Write a collection as one STIX bundle — all of it, or what a partner would receive");
  exp->add_option("--collection", flags.collection, "Collection (id or alias)")->required();
  exp->add_option("--as", flags.as,
                  "Write only what this organisation (or user) would receive: the same release "
                  "decision as TAXII");
  exp->add_option("-o,--output", flags.output,
                  "Output file (default: standard output); a directory for suricata-dataset");
  exp->add_flag("--all-versions", flags.all_versions,
                "Every version of each object (as TAXII match[version]=all), not only the latest: "
                "a copy that keeps the history when imported elsewhere");
  exp->add_option("--format", flags.format,
                  "stix (a bundle), zeek-intel (Intel framework file) or suricata-dataset "
                  "(datasets, hash lists and rules); sensor formats carry the released indicators "
                  "that reduce to exact values, and say why the others could not")
      ->check(CLI::IsMember({"stix", "zeek-intel", "suricata-dataset"}));
  common(exp, "Node configuration: agreements, clearances (required with --as)");
  exp->callback([&exit_code] { exit_code = Export(flags); });
}

}  // namespace ctihub::app
