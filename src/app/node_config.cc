#include "app/node_config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <type_traits>

#include "app/audit_commands.h"
#include "audit/audit_log.h"

namespace ctihub::app {
namespace {

namespace fs = std::filesystem;

// Reads one table with a fixed set of keys; any other key is an error naming it, so that a
// misspelt setting fails loudly instead of leaving a default in force.
class Section {
 public:
  Section(const toml::table& table, std::string where, std::string file)
      : table_(table), where_(std::move(where)), file_(std::move(file)) {}

  Status Error(std::string_view key, std::string_view problem) const {
    return InvalidArgument(file_ + ": " + where_ + (key.empty() ? "" : "." + std::string(key)) +
                           ": " + std::string(problem));
  }
  Status String(std::string_view key, std::string* out) {
    known_.insert(std::string(key));
    const toml::node* n = table_.get(key);
    if (!n) return Status::Ok();
    if (!n->is_string()) return Error(key, "must be a string");
    *out = n->as_string()->get();
    return Status::Ok();
  }
  Status Bool(std::string_view key, bool* out) {
    known_.insert(std::string(key));
    const toml::node* n = table_.get(key);
    if (!n) return Status::Ok();
    if (!n->is_boolean()) return Error(key, "must be true or false");
    *out = n->as_boolean()->get();
    return Status::Ok();
  }
  template <typename T>
  Status Unsigned(std::string_view key, T* out) {
    known_.insert(std::string(key));
    const toml::node* n = table_.get(key);
    if (!n) return Status::Ok();
    if (!n->is_integer() || n->as_integer()->get() < 0) {
      return Error(key, "must be a non-negative integer");
    }
    *out = static_cast<T>(n->as_integer()->get());
    return Status::Ok();
  }
  Status Millis(std::string_view key, std::chrono::milliseconds* out) {
    int64_t ms = out->count();
    CTI_RETURN_IF_ERROR(Unsigned(key, &ms));
    *out = std::chrono::milliseconds(ms);
    return Status::Ok();
  }
  template <typename T>
  Status Optional(std::string_view key, std::optional<T>* out) {
    if (!table_.get(key)) {
      known_.insert(std::string(key));
      return Status::Ok();
    }
    T value{};
    if constexpr (std::is_same_v<T, bool>) {
      CTI_RETURN_IF_ERROR(Bool(key, &value));
    } else {
      CTI_RETURN_IF_ERROR(String(key, &value));
    }
    *out = std::move(value);
    return Status::Ok();
  }
  Status Strings(std::string_view key, std::vector<std::string>* out) {
    known_.insert(std::string(key));
    const toml::node* n = table_.get(key);
    if (!n) return Status::Ok();
    if (!n->is_array()) return Error(key, "must be a list of strings");
    out->clear();
    for (const toml::node& e : *n->as_array()) {
      if (!e.is_string()) return Error(key, "must be a list of strings");
      out->push_back(e.as_string()->get());
    }
    return Status::Ok();
  }
  bool Has(std::string_view key) const { return table_.get(key) != nullptr; }
  Status Done() const {
    for (const auto& [key, value] : table_) {
      if (!known_.count(std::string(key.str()))) {
        return Error(key.str(), "unknown setting (see docs/configuration.md)");
      }
    }
    return Status::Ok();
  }

 private:
  const toml::table& table_;
  std::string where_, file_;
  std::set<std::string> known_;
};

std::string Resolve(const fs::path& base, const std::string& path) {
  if (path.empty() || fs::path(path).is_absolute()) return path;
  return (base / path).lexically_normal().string();
}

Status ForEachTable(const toml::table& root, std::string_view key, const std::string& file,
                    const std::function<Status(Section&)>& each) {
  const toml::node* n = root.get(key);
  if (!n) return Status::Ok();
  if (!n->is_array_of_tables()) {
    return InvalidArgument(file + ": " + std::string(key) + " must be written as [[" +
                           std::string(key) + "]] tables");
  }
  size_t i = 0;
  for (const toml::node& e : *n->as_array()) {
    Section s(*e.as_table(), std::string(key) + "[" + std::to_string(i++) + "]", file);
    CTI_RETURN_IF_ERROR(each(s));
    CTI_RETURN_IF_ERROR(s.Done());
  }
  return Status::Ok();
}

}  // namespace

Result<NodeConfig> LoadNodeConfig(const std::string& path) {
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    return InvalidArgument(path + ":" + std::to_string(where.line) + ":" +
                           std::to_string(where.column) + ": " + std::string(e.description()));
  } catch (const std::exception& e) {
    return InvalidArgument(path + ": " + e.what());
  }
  fs::path base = fs::absolute(path).parent_path();
  NodeConfig config;
  for (const char* table : {"node", "server", "tls", "policy", "signing"}) {
    if (root.get(table) && !root.get(table)->is_table()) {
      return InvalidArgument(path + ": [" + std::string(table) + "] must be a table");
    }
  }
  for (const auto& [key, value] : root) {
    static const std::set<std::string_view> kTop{
        "node",   "server", "tls",        "api_roots",  "collections",          "organisations",
        "users",  "grants", "policy",     "agreements", "sanitization_profiles",
        "signing", "peers"};
    if (!kTop.count(key.str())) {
      return InvalidArgument(path + ": unknown section '" + std::string(key.str()) +
                             "' (see docs/configuration.md)");
    }
  }

  if (const toml::table* t = root["node"].as_table()) {
    Section s(*t, "node", path);
    CTI_RETURN_IF_ERROR(s.String("name", &config.name));
    CTI_RETURN_IF_ERROR(s.String("identity", &config.identity));
    CTI_RETURN_IF_ERROR(s.String("title", &config.taxii.title));
    CTI_RETURN_IF_ERROR(s.String("description", &config.taxii.description));
    CTI_RETURN_IF_ERROR(s.String("contact", &config.taxii.contact));
    CTI_RETURN_IF_ERROR(s.Done());
  }
  if (const toml::table* t = root["server"].as_table()) {
    Section s(*t, "server", path);
    net::ServerOptions& o = config.server;
    CTI_RETURN_IF_ERROR(s.String("listen", &o.listen));
    CTI_RETURN_IF_ERROR(s.Unsigned("threads", &o.threads));
    CTI_RETURN_IF_ERROR(s.Unsigned("handler_threads", &o.handler_threads));
    CTI_RETURN_IF_ERROR(s.Unsigned("max_buffered_body_bytes", &o.max_buffered_body_bytes));
    CTI_RETURN_IF_ERROR(s.String("public_base_url", &config.taxii.public_base_url));
    int64_t retention = config.taxii.status_retention.count();
    CTI_RETURN_IF_ERROR(s.Unsigned("status_retention_minutes", &retention));
    config.taxii.status_retention = std::chrono::minutes(retention);
    CTI_RETURN_IF_ERROR(s.Unsigned("max_body_bytes", &o.max_body_bytes));
    CTI_RETURN_IF_ERROR(s.Unsigned("max_header_bytes", &o.max_header_bytes));
    CTI_RETURN_IF_ERROR(s.Unsigned("max_connections", &o.max_connections));
    CTI_RETURN_IF_ERROR(s.Unsigned("max_connections_per_address", &o.max_connections_per_address));
    CTI_RETURN_IF_ERROR(s.Millis("header_timeout_ms", &o.header_timeout));
    CTI_RETURN_IF_ERROR(s.Millis("body_timeout_ms", &o.body_timeout));
    CTI_RETURN_IF_ERROR(s.Millis("idle_timeout_ms", &o.idle_timeout));
    CTI_RETURN_IF_ERROR(s.Millis("write_timeout_ms", &o.write_timeout));
    CTI_RETURN_IF_ERROR(s.Millis("shutdown_timeout_ms", &o.shutdown_timeout));
    CTI_RETURN_IF_ERROR(s.Bool("public_discovery", &config.taxii.public_discovery));
    CTI_RETURN_IF_ERROR(s.Unsigned("page_size", &config.taxii.limits.default_limit));
    CTI_RETURN_IF_ERROR(s.Unsigned("max_page_size", &config.taxii.limits.max_limit));
    CTI_RETURN_IF_ERROR(s.Unsigned("max_page_bytes", &config.taxii.limits.max_page_bytes));
    CTI_RETURN_IF_ERROR(s.Done());
    if (config.taxii.limits.default_limit == 0 || config.taxii.limits.max_limit == 0 ||
        config.taxii.limits.max_limit > 100000 ||
        config.taxii.limits.default_limit > config.taxii.limits.max_limit) {
      return s.Error("page_size", "page sizes must satisfy 1 <= page_size <= max_page_size "
                                  "<= 100000");
    }
    if (o.max_body_bytes == 0) return s.Error("max_body_bytes", "must be positive");
    if (o.max_connections == 0) {
      return s.Error("max_connections", "must be positive (0 would refuse every connection)");
    }
    if (o.max_buffered_body_bytes < o.max_body_bytes) {
      return s.Error("max_buffered_body_bytes", "must be at least max_body_bytes");
    }
    const std::string& url = config.taxii.public_base_url;
    if (!url.empty() && url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0) {
      return s.Error("public_base_url", "must start with https:// or http://");
    }
  }
  config.taxii.max_content_length = config.server.max_body_bytes;
  if (const toml::table* t = root["tls"].as_table()) {
    Section s(*t, "tls", path);
    net::TlsOptions tls;
    CTI_RETURN_IF_ERROR(s.String("certificate", &tls.certificate_file));
    CTI_RETURN_IF_ERROR(s.String("private_key", &tls.private_key_file));
    CTI_RETURN_IF_ERROR(s.String("client_ca", &tls.client_ca_file));
    CTI_RETURN_IF_ERROR(s.Bool("require_client_certificate", &tls.require_client_certificate));
    CTI_RETURN_IF_ERROR(s.Done());
    if (tls.certificate_file.empty() || tls.private_key_file.empty()) {
      return s.Error("", "needs both certificate and private_key");
    }
    if (tls.require_client_certificate && tls.client_ca_file.empty()) {
      return s.Error("require_client_certificate", "needs client_ca to verify them against");
    }
    tls.certificate_file = Resolve(base, tls.certificate_file);
    tls.private_key_file = Resolve(base, tls.private_key_file);
    tls.client_ca_file = Resolve(base, tls.client_ca_file);
    config.server.tls = tls;
  }

  if (root.get("api_roots")) config.taxii.api_roots.clear();
  std::string default_root;
  CTI_RETURN_IF_ERROR(ForEachTable(root, "api_roots", path, [&](Section& s) -> Status {
    taxii::ApiRootOptions r;
    bool is_default = false;
    CTI_RETURN_IF_ERROR(s.String("name", &r.name));
    CTI_RETURN_IF_ERROR(s.String("title", &r.title));
    CTI_RETURN_IF_ERROR(s.String("description", &r.description));
    CTI_RETURN_IF_ERROR(s.Strings("collections", &r.collections));
    CTI_RETURN_IF_ERROR(s.Bool("default", &is_default));
    if (r.name.empty() || r.name.find('/') != std::string::npos || r.name == "taxii2") {
      return s.Error("name", "must be a single URL segment other than 'taxii2'");
    }
    for (const taxii::ApiRootOptions& other : config.taxii.api_roots) {
      if (other.name == r.name) return s.Error("name", "'" + r.name + "' is used twice");
    }
    if (is_default && !default_root.empty()) {
      return s.Error("default", "'" + default_root + "' and '" + r.name +
                                    "' both say default = true; keep one");
    }
    if (is_default) default_root = r.name;
    config.taxii.api_roots.push_back(std::move(r));
    return Status::Ok();
  }));
  if (config.taxii.api_roots.empty()) {
    return InvalidArgument(path + ": api_roots is empty; declare at least one [[api_roots]]");
  }
  config.taxii.default_api_root =
      default_root.empty() ? config.taxii.api_roots.front().name : default_root;

  CTI_RETURN_IF_ERROR(ForEachTable(root, "collections", path, [&](Section& s) -> Status {
    store::Collection c;
    CTI_RETURN_IF_ERROR(s.String("alias", &c.alias));
    CTI_RETURN_IF_ERROR(s.String("id", &c.id));
    CTI_RETURN_IF_ERROR(s.String("title", &c.title));
    CTI_RETURN_IF_ERROR(s.String("description", &c.description));
    if (c.alias.empty()) return s.Error("alias", "is required");
    // Entries of one thing twice would leave the last one in force by accident (found in review).
    for (const store::Collection& other : config.collections) {
      if (other.alias == c.alias || (!c.id.empty() && other.id == c.id)) {
        return s.Error("alias", "'" + c.alias + "' is declared twice; keep one");
      }
    }
    if (c.title.empty()) c.title = c.alias;
    config.collections.push_back(std::move(c));
    return Status::Ok();
  }));
  CTI_RETURN_IF_ERROR(ForEachTable(root, "organisations", path, [&](Section& s) -> Status {
    auth::Organisation o;
    CTI_RETURN_IF_ERROR(s.String("name", &o.name));
    CTI_RETURN_IF_ERROR(s.String("title", &o.title));
    CTI_RETURN_IF_ERROR(s.String("identity", &o.identity_id));
    CTI_RETURN_IF_ERROR(s.String("nation", &o.nation));
    CTI_RETURN_IF_ERROR(s.Strings("communities", &o.communities));
    policy::OrganisationProfile profile;
    std::string clearance;
    CTI_RETURN_IF_ERROR(s.String("clearance", &clearance));
    CTI_RETURN_IF_ERROR(s.Strings("caveats", &profile.caveats));
    std::string relay = "green";
    CTI_RETURN_IF_ERROR(s.String("relay_tlp", &relay));
    Result<policy::TlpLevel> relay_level = policy::ParseTlp(relay);
    if (!relay_level.ok()) return s.Error("relay_tlp", relay_level.status().message());
    profile.relay_tlp = *relay_level;
    if (o.name.empty()) return s.Error("name", "is required");
    for (const ConfiguredOrganisation& other : config.organisations) {
      if (other.organisation.name == o.name) {
        return s.Error("name", "'" + o.name + "' is declared twice; keep one");
      }
    }
    if (!clearance.empty()) {
      Result<policy::Classification> level = policy::ParseClassification(clearance);
      if (!level.ok()) return s.Error("clearance", level.status().message());
      profile.clearance = *level;
    }
    profile.name = o.name;
    config.policy.organisations.push_back(std::move(profile));
    config.organisations.push_back(
        {std::move(o), s.Has("title"), s.Has("identity"), s.Has("nation"), s.Has("communities")});
    return Status::Ok();
  }));
  CTI_RETURN_IF_ERROR(ForEachTable(root, "users", path, [&](Section& s) -> Status {
    ConfiguredUser u;
    CTI_RETURN_IF_ERROR(s.String("name", &u.name));
    CTI_RETURN_IF_ERROR(s.String("organisation", &u.organisation));
    CTI_RETURN_IF_ERROR(s.Optional("admin", &u.admin));
    CTI_RETURN_IF_ERROR(s.Optional("disabled", &u.disabled));
    CTI_RETURN_IF_ERROR(s.Optional("certificate_sha256", &u.certificate_sha256));
    CTI_RETURN_IF_ERROR(s.String("password_file", &u.password_file));
    if (u.name.empty()) return s.Error("name", "is required");
    for (const ConfiguredUser& other : config.users) {
      if (other.name == u.name)
        return s.Error("name", "'" + u.name + "' is declared twice; keep one");
    }
    u.password_file = Resolve(base, u.password_file);
    config.users.push_back(std::move(u));
    return Status::Ok();
  }));
  CTI_RETURN_IF_ERROR(ForEachTable(root, "grants", path, [&](Section& s) -> Status {
    ConfiguredGrant g;
    std::string permission = "read";
    CTI_RETURN_IF_ERROR(s.String("collection", &g.collection));
    CTI_RETURN_IF_ERROR(s.String("grantee", &g.grantee));
    CTI_RETURN_IF_ERROR(s.String("permission", &permission));
    if (g.collection.empty() || g.grantee.empty()) {
      return s.Error("", "needs collection and grantee");
    }
    Result<auth::Permission> p = auth::ParsePermission(permission);
    if (!p.ok()) return s.Error("permission", p.status().message());
    g.permission = *p;
    for (const ConfiguredGrant& other : config.grants) {
      if (other.collection == g.collection && other.grantee == g.grantee) {
        return s.Error("", "collection '" + g.collection + "' is granted to " + g.grantee +
                               " twice; keep one");
      }
    }
    config.grants.push_back(std::move(g));
    return Status::Ok();
  }));
  if (const toml::table* t = root["policy"].as_table()) {
    Section s(*t, "policy", path);
    std::string accreditation, unmarked = "amber", observable_references = "follow-markings";
    CTI_RETURN_IF_ERROR(s.String("organisation", &config.policy.node_organisation));
    CTI_RETURN_IF_ERROR(s.String("accreditation", &accreditation));
    CTI_RETURN_IF_ERROR(s.String("unmarked_tlp", &unmarked));
    CTI_RETURN_IF_ERROR(s.String("observable_references", &observable_references));
    CTI_RETURN_IF_ERROR(s.Done());
    if (observable_references != "follow-markings" && observable_references != "as-written") {
      return s.Error("observable_references",
                     "is '" + observable_references +
                         "': give \"follow-markings\" (the default: a reference to an "
                         "observable goes only where the observable may) or \"as-written\"");
    }
    config.policy.observable_references_follow_markings =
        observable_references == "follow-markings";
    if (!accreditation.empty()) {
      Result<policy::Classification> level = policy::ParseClassification(accreditation);
      if (!level.ok()) return s.Error("accreditation", level.status().message());
      config.policy.accreditation = *level;
    }
    Result<policy::TlpLevel> tlp = policy::ParseTlp(unmarked);
    if (!tlp.ok()) return s.Error("unmarked_tlp", tlp.status().message());
    config.policy.unmarked_tlp = *tlp;
  }
  CTI_RETURN_IF_ERROR(ForEachTable(root, "sanitization_profiles", path, [&](Section& s) -> Status {
    sanitize::SanitizeProfile p;
    std::string key_file;
    CTI_RETURN_IF_ERROR(s.String("name", &p.name));
    CTI_RETURN_IF_ERROR(s.Bool("internal_addresses", &p.internal_addresses));
    CTI_RETURN_IF_ERROR(s.Bool("victims", &p.victims));
    CTI_RETURN_IF_ERROR(s.Bool("pseudonymise", &p.pseudonymise));
    CTI_RETURN_IF_ERROR(s.String("key_file", &key_file));
    CTI_RETURN_IF_ERROR(s.Bool("personal_data", &p.personal_data));
    CTI_RETURN_IF_ERROR(s.Bool("defang", &p.defang));
    CTI_RETURN_IF_ERROR(s.Bool("pseudonymise_sources", &p.pseudonymise_sources));
    CTI_RETURN_IF_ERROR(s.Strings("victim_domains", &p.victim_domains));
    if (p.name.empty()) return s.Error("name", "is required");
    for (const sanitize::SanitizeProfile& other : config.policy.profiles) {
      if (other.name == p.name) {
        return s.Error("name", "'" + p.name +
                                   "' names two profiles; an agreement would get one of "
                                   "them by chance: rename or remove one");
      }
    }
    if (!key_file.empty()) {
      std::ifstream in(Resolve(base, key_file));
      if (!in) return s.Error("key_file", "cannot read " + key_file);
      std::getline(in, p.key);  // an empty file leaves the key empty: refused as too short below
      while (!p.key.empty() && (p.key.back() == '\r' || p.key.back() == ' ')) p.key.pop_back();
    }
    if ((p.pseudonymise || !key_file.empty()) && p.key.size() < 16) {
      return s.Error(
          "key_file",
          key_file.empty()
              ? std::string("pseudonymise needs the community's key: a file holding at "
                            "least 16 characters")
              : "the community's key must be at least 16 characters; the first line of " +
                    key_file + " holds " + std::to_string(p.key.size()));
    }
    if (!p.victim_domains.empty() && !p.pseudonymise) {
      return s.Error("victim_domains", "victims' host names become keyed pseudonyms: set "
                                       "pseudonymise = true (and key_file)");
    }
    if (Status checked = sanitize::CheckVictimDomains(p.victim_domains); !checked.ok()) {
      return s.Error("victim_domains", checked.message());
    }
    config.policy.profiles.push_back(std::move(p));
    return Status::Ok();
  }));
  CTI_RETURN_IF_ERROR(ForEachTable(root, "agreements", path, [&](Section& s) -> Status {
    policy::Agreement a;
    std::string tlp = "green", classification = "unclassified", sanitization;
    int64_t embargo_hours = 0;
    int64_t min_confidence = -1;
    CTI_RETURN_IF_ERROR(s.String("partner", &a.partner));
    CTI_RETURN_IF_ERROR(s.Strings("collections", &a.collections));
    CTI_RETURN_IF_ERROR(s.Strings("types", &a.types));
    CTI_RETURN_IF_ERROR(s.String("tlp", &tlp));
    CTI_RETURN_IF_ERROR(s.String("classification", &classification));
    CTI_RETURN_IF_ERROR(s.Strings("require_rel_to", &a.required_releasability));
    CTI_RETURN_IF_ERROR(s.Unsigned("embargo_hours", &embargo_hours));
    CTI_RETURN_IF_ERROR(s.Unsigned("min_confidence", &min_confidence));
    CTI_RETURN_IF_ERROR(s.Bool("share_sightings", &a.share_sightings));
    CTI_RETURN_IF_ERROR(s.String("sanitization", &sanitization));
    CTI_RETURN_IF_ERROR(s.Bool("pseudonymise_sources", &a.pseudonymise_sources));
    CTI_RETURN_IF_ERROR(s.Bool("send_deletions", &a.send_deletions));
    CTI_RETURN_IF_ERROR(s.Bool("accept_deletions", &a.accept_deletions));
    CTI_RETURN_IF_ERROR(s.Bool("trust_marking_definitions", &a.trust_marking_definitions));
    std::string relay = "green";
    CTI_RETURN_IF_ERROR(s.String("relay_tlp", &relay));
    Result<policy::TlpLevel> relay_level = policy::ParseTlp(relay);
    if (!relay_level.ok()) return s.Error("relay_tlp", relay_level.status().message());
    a.relay_tlp = *relay_level;
    if (a.partner.empty()) return s.Error("partner", "is required (an organisation's name)");
    for (const policy::Agreement& other : config.policy.agreements) {
      if (other.partner == a.partner) {
        return s.Error("partner", "'" + a.partner + "' has two agreements; keep one");
      }
    }
    Result<policy::TlpLevel> level = policy::ParseTlp(tlp);
    if (!level.ok()) return s.Error("tlp", level.status().message());
    a.tlp_ceiling = *level;
    Result<policy::Classification> cls = policy::ParseClassification(classification);
    if (!cls.ok()) return s.Error("classification", cls.status().message());
    a.classification_ceiling = *cls;
    a.embargo = std::chrono::hours(embargo_hours);
    if (min_confidence > 100) return s.Error("min_confidence", "must be 0..100");
    if (min_confidence >= 0) a.min_confidence = static_cast<int>(min_confidence);
    // An empty name would read as "no profile": raw content to a partner whose operator meant
    // to name one.
    if (s.Has("sanitization") && sanitization.empty()) {
      return s.Error("sanitization",
                     "is empty: name one of the [[sanitization_profiles]], or "
                     "leave the setting out for none");
    }
    a.sanitization_profile = sanitization;
    config.policy.agreements.push_back(std::move(a));
    return Status::Ok();
  }));
  if (const toml::table* t = root["signing"].as_table()) {
    Section s(*t, "signing", path);
    CTI_RETURN_IF_ERROR(s.String("key_file", &config.signing_key_file));
    CTI_RETURN_IF_ERROR(s.Done());
    config.signing_key_file = Resolve(base, config.signing_key_file);
  }
  CTI_RETURN_IF_ERROR(ForEachTable(root, "peers", path, [&](Section& s) -> Status {
    sync::PeerConfig p;
    std::string direction, password_file, api_key_file;
    int64_t interval = p.interval.count(), status_timeout = p.status_timeout.count();
    int64_t connect_timeout =
        std::chrono::duration_cast<std::chrono::seconds>(p.client.connect_timeout).count();
    int64_t request_timeout =
        std::chrono::duration_cast<std::chrono::seconds>(p.client.request_timeout).count();
    std::optional<bool> require;
    CTI_RETURN_IF_ERROR(s.String("name", &p.name));
    CTI_RETURN_IF_ERROR(s.String("organisation", &p.organisation));
    CTI_RETURN_IF_ERROR(s.String("url", &p.url));
    CTI_RETURN_IF_ERROR(s.String("api_root", &p.api_root));
    CTI_RETURN_IF_ERROR(s.String("direction", &direction));
    CTI_RETURN_IF_ERROR(s.String("pull_from", &p.pull_from));
    CTI_RETURN_IF_ERROR(s.String("pull_into", &p.pull_into));
    CTI_RETURN_IF_ERROR(s.Strings("push_from", &p.push_from));
    CTI_RETURN_IF_ERROR(s.String("push_to", &p.push_to));
    CTI_RETURN_IF_ERROR(s.String("username", &p.username));
    CTI_RETURN_IF_ERROR(s.String("password_file", &password_file));
    CTI_RETURN_IF_ERROR(s.String("api_key_file", &api_key_file));
    CTI_RETURN_IF_ERROR(s.String("ca_file", &p.client.ca_file));
    CTI_RETURN_IF_ERROR(s.String("certificate_file", &p.client.certificate_file));
    CTI_RETURN_IF_ERROR(s.String("private_key_file", &p.client.private_key_file));
    CTI_RETURN_IF_ERROR(s.Strings("trusted_keys", &p.trusted_keys));
    CTI_RETURN_IF_ERROR(s.Optional("require_signatures", &require));
    CTI_RETURN_IF_ERROR(s.Unsigned("interval_seconds", &interval));
    CTI_RETURN_IF_ERROR(s.Unsigned("page_size", &p.page_size));
    CTI_RETURN_IF_ERROR(s.Unsigned("push_batch", &p.push_batch));
    CTI_RETURN_IF_ERROR(s.Unsigned("status_timeout_seconds", &status_timeout));
    CTI_RETURN_IF_ERROR(s.Unsigned("connect_timeout_seconds", &connect_timeout));
    CTI_RETURN_IF_ERROR(s.Unsigned("request_timeout_seconds", &request_timeout));
    if (connect_timeout <= 0 || connect_timeout > 3600) {
      return s.Error("connect_timeout_seconds", "must be 1..3600");
    }
    if (request_timeout <= 0 || request_timeout > 3600) {
      return s.Error("request_timeout_seconds", "must be 1..3600");
    }
    p.client.connect_timeout = std::chrono::seconds(connect_timeout);
    p.client.request_timeout = std::chrono::seconds(request_timeout);
    if (p.name.empty()) return s.Error("name", "is required");
    for (const sync::PeerConfig& other : config.peers) {
      if (other.name == p.name) return s.Error("name", "'" + p.name + "' is declared twice");
    }
    if (p.organisation.empty()) p.organisation = p.name;
    if (!p.url.empty() && p.url.rfind("https://", 0) != 0 && p.url.rfind("http://", 0) != 0) {
      return s.Error("url", "must start with https:// or http://");
    }
    if (direction.empty()) {
      direction = !p.pull_from.empty() && !p.push_from.empty() ? "both"
                  : !p.push_from.empty()                        ? "push"
                  : !p.pull_from.empty()                        ? "pull"
                                                                : "none";
    }
    if (direction != "pull" && direction != "push" && direction != "both" && direction != "none") {
      return s.Error("direction", "must be pull, push, both or none (none: a peer that only connects to us, or exchanges transfer files)");
    }
    p.pull = direction == "pull" || direction == "both";
    p.push = direction == "push" || direction == "both";
    if ((p.pull || p.push) && p.url.empty()) {
      return s.Error("url", "is required to " + direction + " (only transfer-file peers have none)");
    }
    if (p.pull && p.pull_from.empty()) {
      return s.Error("pull_from", "is required to pull (the peer's collection, id or title)");
    }
    if (p.pull_into.empty()) p.pull_into = "from-" + p.name;
    if (p.push && (p.push_from.empty() || p.push_to.empty())) {
      return s.Error(p.push_from.empty() ? "push_from" : "push_to",
                     "is required to push (push_from: local collections; push_to: the peer's "
                     "collection, id or title)");
    }
    const auto agreement =
        std::find_if(config.policy.agreements.begin(), config.policy.agreements.end(),
                     [&](const policy::Agreement& a) { return a.partner == p.organisation; });
    if (p.push && agreement == config.policy.agreements.end()) {
      return s.Error("push_from", "pushing to '" + p.name + "' needs a sharing agreement: add "
                                  "[[agreements]] partner = \"" + p.organisation + "\"");
    }
    p.send_deletions = agreement != config.policy.agreements.end() && agreement->send_deletions;
    p.accept_deletions = agreement == config.policy.agreements.end() || agreement->accept_deletions;
    if (!password_file.empty()) {
      std::ifstream in(Resolve(base, password_file));
      if (!in || !std::getline(in, p.password)) {
        return s.Error("password_file", "cannot read " + Resolve(base, password_file));
      }
      while (!p.password.empty() && (p.password.back() == '\r' || p.password.back() == ' ')) {
        p.password.pop_back();
      }
    }
    if (!api_key_file.empty()) {
      std::ifstream in(Resolve(base, api_key_file));
      if (!in || !std::getline(in, p.api_key)) {
        return s.Error("api_key_file", "cannot read " + Resolve(base, api_key_file));
      }
    }
    if (!p.username.empty() && password_file.empty()) {
      return s.Error("password_file", "is required with username (the secret is never in the "
                                      "file itself)");
    }
    for (std::string* f : {&p.client.ca_file, &p.client.certificate_file,
                           &p.client.private_key_file}) {
      *f = Resolve(base, *f);
    }
    for (std::string& k : p.trusted_keys) {
      // A key is either a base64url public key (43 characters, `ctihub node-key show`) or a PEM
      // file, relative to the config like every path in it — whatever the file is called
      // (guessing by a '/' or ".pem" in the name left "nato.pub" relative to the working
      // directory).
      const bool raw_key = k.size() == 43 && std::all_of(k.begin(), k.end(), [](char ch) {
        return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_';
      });
      if (!raw_key) k = Resolve(base, k);
    }
    p.require_signatures = require.value_or(!p.trusted_keys.empty());
    if (p.require_signatures && p.trusted_keys.empty()) {
      return s.Error("trusted_keys", "require_signatures needs at least one trusted key");
    }
    if (interval <= 0) return s.Error("interval_seconds", "must be positive");
    p.interval = std::chrono::seconds(interval);
    p.status_timeout = std::chrono::seconds(status_timeout);
    if (p.page_size == 0 || p.page_size > 100000) return s.Error("page_size", "must be 1..100000");
    if (p.push_batch == 0 || p.push_batch > 100000) {
      return s.Error("push_batch", "must be 1..100000");
    }
    // A peer that reads from us is told which of what it read was deleted, when our
    // agreement with it says so.
    if (p.send_deletions &&
        std::find(config.taxii.deletion_feed_organisations.begin(),
                  config.taxii.deletion_feed_organisations.end(),
                  p.organisation) == config.taxii.deletion_feed_organisations.end()) {
      config.taxii.deletion_feed_organisations.push_back(p.organisation);
    }
    config.policy.peer_organisations.push_back(p.organisation);
    config.peers.push_back(std::move(p));
    return Status::Ok();
  }));
  config.policy.node_identity = config.identity;
  return config;
}

const sync::PeerConfig* NodeConfig::FindPeer(std::string_view wanted) const {
  for (const sync::PeerConfig& p : peers) {
    if (p.name == wanted) return &p;
  }
  for (const sync::PeerConfig& p : peers) {
    if (p.organisation == wanted) return &p;
  }
  return nullptr;
}

namespace {

// The grants the file set at the last start, kept as "collection-id\tgrantee" lines, so that
// one removed from the file is revoked rather than left in force.
constexpr std::string_view kConfigRecordKind = "node-config";
constexpr std::string_view kConfigGrantsKey = "grants";

Status ApplyConfiguredGrants(const std::vector<ConfiguredGrant>& grants, store::Store& store,
                             auth::Accounts& accounts) {
  std::set<std::pair<std::string, std::string>> now;
  for (const ConfiguredGrant& g : grants) {
    Result<store::Collection> c = store.FindCollection(g.collection);
    if (!c.ok()) {
      return InvalidArgument("grant on collection '" + g.collection +
                             "': no such collection (declare it under [[collections]])");
    }
    CTI_RETURN_IF_ERROR(accounts.SetGrant({c->id, g.grantee, g.permission}));
    now.emplace(c->id, g.grantee);
  }
  CTI_ASSIGN_OR_RETURN(std::optional<std::string> before,
                       store.GetRecord(kConfigRecordKind, kConfigGrantsKey));
  std::istringstream lines(before.value_or(""));
  for (std::string line; std::getline(lines, line);) {
    size_t tab = line.find('\t');
    if (tab == std::string::npos) continue;
    std::pair<std::string, std::string> grant{line.substr(0, tab), line.substr(tab + 1)};
    if (now.count(grant)) continue;
    Status revoked = accounts.SetGrant({grant.first, grant.second, auth::Permission::kNone});
    // The grantee or the collection may be gone since: then so is the grant.
    if (!revoked.ok() && revoked.code() != StatusCode::kNotFound) return revoked;
  }
  std::string record;
  for (const auto& [collection, grantee] : now) record += collection + "\t" + grantee + "\n";
  return store.PutRecord(kConfigRecordKind, kConfigGrantsKey, record);
}

// What the node's accounts, grants and collections are, to tell what applying the config file
// (and making the first administrator) changed: each change is an audit entry, as the same change
// made with `ctihub org/user/collection` is.
struct AccountsState {
  std::map<std::string, auth::Organisation> organisations;
  std::map<std::string, auth::User> users;
  std::map<std::pair<std::string, std::string>, auth::Permission> grants;  // (collection, grantee)
  std::map<std::string, std::string> collections;                          // id → alias
};

Result<AccountsState> ReadAccountsState(auth::Accounts& accounts, store::Store& st) {
  AccountsState state;
  CTI_ASSIGN_OR_RETURN(std::vector<auth::Organisation> orgs, accounts.ListOrganisations());
  for (auth::Organisation& o : orgs) state.organisations[o.name] = std::move(o);
  CTI_ASSIGN_OR_RETURN(std::vector<auth::User> users, accounts.ListUsers());
  for (auth::User& u : users) state.users[u.name] = std::move(u);
  CTI_ASSIGN_OR_RETURN(std::vector<auth::Grant> grants, accounts.ListGrants());
  for (const auth::Grant& g : grants) state.grants[{g.collection_id, g.grantee}] = g.permission;
  CTI_ASSIGN_OR_RETURN(std::vector<store::Collection> collections, st.ListCollections());
  for (const store::Collection& c : collections) state.collections[c.id] = c.alias;
  return state;
}

std::vector<audit::AuditEvent> AccountChanges(const AccountsState& before,
                                              const AccountsState& after) {
  std::vector<audit::AuditEvent> out;
  auto event = [&](std::string kind, std::string subject, std::string outcome) {
    audit::AuditEvent e;
    e.kind = std::move(kind);
    e.subject = std::move(subject);
    e.outcome = std::move(outcome);
    out.push_back(std::move(e));
  };
  auto join = [](const std::vector<std::string>& items) {
    std::string text;
    for (const std::string& i : items) text += (text.empty() ? "" : ",") + i;
    return text.empty() ? std::string("none") : text;
  };
  auto or_none = [](const std::string& text) { return text.empty() ? std::string("none") : text; };
  for (const auto& [id, alias] : after.collections) {
    if (!before.collections.contains(id))
      event("policy-change", alias.empty() ? id : alias, "collection created");
  }
  for (const auto& [name, o] : after.organisations) {
    auto was = before.organisations.find(name);
    if (was == before.organisations.end()) {
      event("account-change", "org:" + name,
            "added (nation " + or_none(o.nation) + ", communities " + join(o.communities) + ")");
      continue;
    }
    const std::string changed = OrganisationChanges(was->second, o);
    if (!changed.empty()) event("account-change", "org:" + name, "updated:" + changed);
  }
  for (const auto& [name, u] : after.users) {
    auto was = before.users.find(name);
    if (was == before.users.end()) {
      event("account-change", "user:" + name,
            "added (org " + u.organisation + (u.admin ? ", admin" : "") + ")");
      continue;
    }
    std::string changed;
    const auth::User& b = was->second;
    if (b.organisation != u.organisation)
      changed += " org " + b.organisation + "→" + u.organisation;
    if (b.admin != u.admin) changed += u.admin ? " admin granted" : " admin removed";
    if (b.disabled != u.disabled) changed += u.disabled ? " disabled" : " enabled";
    if (b.certificate_sha256 != u.certificate_sha256) changed += " certificate bound";
    if (!changed.empty()) event("account-change", "user:" + name, "updated:" + changed);
  }
  auto collection_name = [&](const std::string& id) {
    auto it = after.collections.find(id);
    return it == after.collections.end() || it->second.empty() ? id : it->second;
  };
  std::set<std::pair<std::string, std::string>> keys;
  for (const auto& [k, p] : before.grants) keys.insert(k);
  for (const auto& [k, p] : after.grants) keys.insert(k);
  for (const auto& k : keys) {
    auto b = before.grants.find(k), a = after.grants.find(k);
    const auth::Permission was = b == before.grants.end() ? auth::Permission::kNone : b->second;
    const auth::Permission now = a == after.grants.end() ? auth::Permission::kNone : a->second;
    if (was == now) continue;
    event("policy-change", collection_name(k.first),
          "grant " + k.second + ": " + std::string(auth::PermissionName(was)) + "→" +
              std::string(auth::PermissionName(now)));
  }
  return out;
}

}  // namespace

Status ApplyNodeConfig(const NodeConfig& config, store::Store& store, auth::Accounts& accounts,
                       std::vector<std::string>* notes) {
  for (const store::Collection& c : config.collections) {
    Result<store::Collection> found = store.FindCollection(c.id.empty() ? c.alias : c.id);
    if (found.ok()) continue;
    if (found.status().code() != StatusCode::kNotFound) return found.status();
    CTI_ASSIGN_OR_RETURN(store::Collection created, store.CreateCollection(c));
    (void)created;
  }
  for (const ConfiguredOrganisation& c : config.organisations) {
    const auth::Organisation& o = c.organisation;
    Result<auth::Organisation> found = accounts.FindOrganisation(o.name);
    if (found.ok()) {
      // Only what the entry writes: an entry giving a clearance alone must not wipe the nation
      // and communities REL TO is decided on.
      auth::Organisation merged = std::move(*found);
      if (c.title) merged.title = o.title;
      if (c.identity) merged.identity_id = o.identity_id;
      if (c.nation) merged.nation = o.nation;
      if (c.communities) merged.communities = o.communities;
      CTI_RETURN_IF_ERROR(accounts.UpdateOrganisation(merged));
    } else if (found.status().code() == StatusCode::kNotFound) {
      CTI_RETURN_IF_ERROR(accounts.AddOrganisation(o));
    } else {
      return found.status();
    }
  }
  // The node's own organisation ([policy] organisation, "local" by default) is one users can
  // belong to, as the node's administrators do.
  if (Result<auth::Organisation> node = accounts.FindOrganisation(config.policy.node_organisation);
      !node.ok()) {
    if (node.status().code() != StatusCode::kNotFound) return node.status();
    auth::Organisation o;
    o.name = config.policy.node_organisation;
    o.title = "This node";
    CTI_RETURN_IF_ERROR(accounts.AddOrganisation(o));
  }
  for (const ConfiguredUser& u : config.users) {
    Result<auth::User> found = accounts.FindUser(u.name);
    if (found.ok()) {
      auth::User user = std::move(*found);
      if (!u.organisation.empty()) user.organisation = u.organisation;
      if (u.admin) user.admin = *u.admin;
      if (u.certificate_sha256) user.certificate_sha256 = *u.certificate_sha256;
      if (u.disabled && *u.disabled) user.disabled = true;
      if (u.disabled && !*u.disabled && user.disabled && notes) {
        notes->push_back("user '" + u.name + "' stays disabled although the config says " +
                         "disabled = false; re-enable it with `ctihub user set " + u.name +
                         " --disabled false`");
      }
      CTI_RETURN_IF_ERROR(accounts.UpdateUser(user));
      continue;
    }
    if (found.status().code() != StatusCode::kNotFound) return found.status();
    if (u.organisation.empty()) {
      return InvalidArgument("user '" + u.name + "' is new: give its organisation in the config");
    }
    if (u.password_file.empty()) {
      return InvalidArgument("user '" + u.name +
                             "' is new: give password_file in the config, or create it with "
                             "`ctihub user add`");
    }
    std::ifstream in(u.password_file);
    std::string password;
    if (!in || !std::getline(in, password)) {
      return InvalidArgument("cannot read password_file " + u.password_file + " of user '" +
                             u.name + "'");
    }
    while (!password.empty() && (password.back() == '\r' || password.back() == ' ')) {
      password.pop_back();  // a file written on Windows, or by `echo "pw "`
    }
    auth::User user;
    user.name = u.name;
    user.organisation = u.organisation;
    user.admin = u.admin.value_or(false);
    user.disabled = u.disabled.value_or(false);
    user.certificate_sha256 = u.certificate_sha256.value_or("");
    CTI_RETURN_IF_ERROR(accounts.AddUser(user, password));
  }
  return ApplyConfiguredGrants(config.grants, store, accounts);
}

namespace {

// What would make ApplyNodeConfig fail part-way, checked before it changes anything: a grant to
// an organisation, user or collection neither there nor declared, a new user without its
// organisation or a readable password file. (Found in review: a grant to a missing organisation
// failed after the users before it were made.)
Status CheckNodeConfigApplies(const NodeConfig& config, store::Store& store,
                              auth::Accounts& accounts) {
  std::set<std::string> organisations{config.policy.node_organisation}, users, collections;
  for (const ConfiguredOrganisation& o : config.organisations)
    organisations.insert(o.organisation.name);
  for (const store::Collection& c : config.collections) {
    collections.insert(c.alias);
    collections.insert(c.id);
  }
  auto organisation_exists = [&](const std::string& name) -> Result<bool> {
    if (organisations.contains(name)) return true;
    Result<auth::Organisation> found = accounts.FindOrganisation(name);
    if (found.ok()) return true;
    if (found.status().code() == StatusCode::kNotFound) return false;
    return found.status();
  };
  for (const ConfiguredUser& u : config.users) {
    users.insert(u.name);
    Result<auth::User> found = accounts.FindUser(u.name);
    if (found.ok()) continue;
    if (found.status().code() != StatusCode::kNotFound) return found.status();
    if (u.organisation.empty()) {
      return InvalidArgument("user '" + u.name + "' is new: give its organisation in the config");
    }
    CTI_ASSIGN_OR_RETURN(bool org, organisation_exists(u.organisation));
    if (!org) {
      return InvalidArgument("user '" + u.name + "': no organisation '" + u.organisation +
                             "' (declare it under [[organisations]])");
    }
    if (u.password_file.empty() || !std::ifstream(u.password_file)) {
      return InvalidArgument("user '" + u.name + "' is new: " +
                             (u.password_file.empty()
                                  ? std::string("give password_file in the config, or create it "
                                                "with `ctihub user add`")
                                  : "cannot read password_file " + u.password_file));
    }
  }
  for (const ConfiguredGrant& g : config.grants) {
    const std::string where = "grant on collection '" + g.collection + "' to " + g.grantee;
    if (!collections.contains(g.collection) && !store.FindCollection(g.collection).ok()) {
      return InvalidArgument(where + ": no such collection (declare it under [[collections]])");
    }
    if (g.grantee.rfind("org:", 0) == 0) {
      CTI_ASSIGN_OR_RETURN(bool org, organisation_exists(g.grantee.substr(4)));
      if (!org) {
        return InvalidArgument(where + ": no organisation '" + g.grantee.substr(4) +
                               "' (declare it under [[organisations]])");
      }
    } else if (g.grantee.rfind("user:", 0) == 0) {
      const std::string name = g.grantee.substr(5);
      if (!users.contains(name) && !accounts.FindUser(name).ok()) {
        return InvalidArgument(where + ": no user '" + name + "' (declare it under [[users]])");
      }
    }
  }
  return Status::Ok();
}

}  // namespace

std::string OrganisationChanges(const auth::Organisation& before, const auth::Organisation& after) {
  auto join = [](const std::vector<std::string>& items) {
    std::string text;
    for (const std::string& i : items) text += (text.empty() ? "" : ",") + i;
    return text.empty() ? std::string("none") : text;
  };
  auto or_none = [](const std::string& text) { return text.empty() ? std::string("none") : text; };
  std::string changed;
  if (before.title != after.title) changed += " title";
  if (before.identity_id != after.identity_id) {
    changed += " identity " + or_none(before.identity_id) + "→" + or_none(after.identity_id);
  }
  if (before.nation != after.nation) {
    changed += " nation " + or_none(before.nation) + "→" + or_none(after.nation);
  }
  if (before.communities != after.communities) {
    changed += " communities " + join(before.communities) + "→" + join(after.communities);
  }
  return changed;
}

Status ApplyNodeConfigRecorded(const NodeConfig& config, store::Store& store,
                               auth::Accounts& accounts, const std::string& store_uri,
                               const std::string& config_path, std::vector<std::string>* notes,
                               const std::function<Status()>& also) {
  CTI_RETURN_IF_ERROR(CheckAuditLog(store_uri));
  if (Status s = CheckNodeConfigApplies(config, store, accounts); !s.ok()) {
    return InvalidArgument((config_path.empty() ? "" : config_path + ": ") + s.message());
  }
  CTI_ASSIGN_OR_RETURN(AccountsState before, ReadAccountsState(accounts, store));
  Status applied = ApplyNodeConfig(config, store, accounts, notes);
  if (applied.ok() && also) applied = also();
  CTI_ASSIGN_OR_RETURN(AccountsState after, ReadAccountsState(accounts, store));
  for (audit::AuditEvent& e : AccountChanges(before, after)) {
    e.actor = "config:" + (config_path.empty() ? std::string("(none)") : config_path);
    CTI_RETURN_IF_ERROR(AppendCliEvent(store_uri, std::move(e)));
  }
  return applied;
}

}  // namespace ctihub::app
