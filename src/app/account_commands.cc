#include "app/account_commands.h"

#include <fmt/core.h>
#include <openssl/rand.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>

#include "app/audit_commands.h"
#include "app/cli_checks.h"
#include "app/exit_codes.h"
#include "app/import_command.h"
#include "app/node_config.h"
#include "app/store_commands.h"
#include "auth/accounts.h"
#include "common/time.h"
#include "stix/canonical_json.h"

namespace ctihub::app {
namespace {

// One set of flags for every account subcommand; a run parses exactly one of them.
struct AccountFlags {
  std::string store;
  std::string format = "text";
  std::string name;  // the positional NAME (organisation or user)
  // org add / set
  std::string title, identity, nation;
  std::vector<std::string> communities;
  std::optional<std::string> set_title, set_identity, set_nation;  // org set: unset = unchanged
  bool clear_communities = false;
  // user add / passwd / set
  std::string organisation;
  bool admin = false;
  std::string password_file;
  bool password_stdin = false;
  std::string set_admin, set_disabled;  // "true" / "false"; empty: unchanged
  std::optional<std::string> set_certificate;
  // key
  std::string user, description, expires, key_id;
};

Result<std::unique_ptr<auth::Accounts>> OpenAccounts(const AccountFlags& flags) {
  return auth::Accounts::Open(flags.store);
}

// Seconds precision for people; the JSON form keeps the stored microseconds.
std::string HumanTime(const Timestamp& t) { return t.ToString().substr(0, 19) + "Z"; }

std::string GeneratePassword() {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";  // no look-alikes
  // Bytes past the largest multiple of the alphabet's size are drawn again, so that every
  // character is equally likely.
  constexpr unsigned kLimit = 256 / kAlphabet.size() * kAlphabet.size();
  std::string out;
  while (out.size() < 24) {
    unsigned char b;
    if (RAND_bytes(&b, 1) != 1) std::abort();  // no entropy: refuse to hand out a password
    if (b < kLimit) out += kAlphabet[b % kAlphabet.size()];
  }
  return out;
}

// The first line of a file or of standard input, without its line ending; or a generated
// password (`*generated` set) when neither source was given. Passwords never come from argv,
// where other users of the host can read them.
Result<std::string> ReadPassword(const AccountFlags& flags, bool* generated) {
  std::string line;
  if (!flags.password_file.empty()) {
    std::error_code ec;
    if (std::filesystem::is_directory(flags.password_file, ec)) {
      return InvalidArgument("password file '" + flags.password_file + "' is a directory");
    }
    std::ifstream in(flags.password_file);
    if (!in) return InvalidArgument("cannot read password file '" + flags.password_file + "'");
    if (!std::getline(in, line)) {
      return InvalidArgument("password file '" + flags.password_file + "' is empty");
    }
  } else if (flags.password_stdin) {
    if (!std::getline(std::cin, line)) {
      return InvalidArgument("--password-stdin: no password on standard input");
    }
  } else {
    *generated = true;
    return GeneratePassword();
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

// A duration from now ("90d", "12h", "2w"), a date (midnight UTC) or an RFC 3339 UTC time.
Result<Timestamp> ParseExpiry(std::string_view text) {
  constexpr std::string_view kHelp =
      "': use a duration such as 90d, 12h or 2w, a date such as 2027-01-01, or a UTC time such as "
      "2027-01-01T00:00:00Z";
  if (!text.empty() && std::string_view("smhdw").find(text.back()) != std::string_view::npos &&
      text.find('-') == std::string_view::npos) {
    CTI_ASSIGN_OR_RETURN(int64_t seconds, ParseDurationSeconds(text, "--expires"));
    return Timestamp(Timestamp::Now().micros() + seconds * 1'000'000);
  }
  const bool date_only = text.size() == 10 && text[4] == '-' && text[7] == '-';
  Result<Timestamp> t =
      Timestamp::Parse(date_only ? std::string(text) + "T00:00:00Z" : std::string(text));
  if (!t.ok()) return InvalidArgument("--expires '" + std::string(text) + std::string(kHelp));
  return t;
}

// Account changes go to the audit log: they change who may receive what.
void Changed(const AccountFlags& flags, std::string subject, std::string outcome) {
  audit::AuditEvent e;
  e.kind = "account-change";
  e.subject = std::move(subject);
  e.outcome = std::move(outcome);
  RecordCliEvent(flags.store, std::move(e));
}

int AddOrganisation(const AccountFlags& flags) {
  auto accounts = OpenAccounts(flags);
  if (!accounts.ok()) return AccountCommandFailed(accounts.status());
  auth::Organisation org;
  org.name = flags.name;
  org.title = flags.title.empty() ? flags.name : flags.title;
  org.identity_id = flags.identity;
  org.nation = flags.nation;
  org.communities = flags.communities;
  if (Status s = (*accounts)->AddOrganisation(org); !s.ok()) return AccountCommandFailed(s);
  fmt::print("created organisation '{}'\n", org.name);
  Changed(flags, "org:" + org.name, "created");
  return kExitOk;
}

// Changes only what is given; --community replaces the list, --no-community empties it. A
// running `serve` applies the change to what it releases within seconds.
int SetOrganisation(const AccountFlags& flags) {
  if (!flags.set_title && !flags.set_identity && !flags.set_nation && !flags.clear_communities &&
      flags.communities.empty()) {
    return AccountCommandFailed(InvalidArgument(
        "org set: nothing to change; give --title, --identity, --nation, --community or "
        "--no-community"));
  }
  auto accounts = OpenAccounts(flags);
  if (!accounts.ok()) return AccountCommandFailed(accounts.status());
  auto found = (*accounts)->FindOrganisation(flags.name);
  if (!found.ok()) return AccountCommandFailed(found.status());
  auth::Organisation org = *found;
  const auth::Organisation before = org;
  if (flags.set_title) org.title = *flags.set_title;
  if (flags.set_identity) org.identity_id = *flags.set_identity;
  if (flags.set_nation) org.nation = *flags.set_nation;
  if (flags.clear_communities && !flags.communities.empty()) {
    return AccountCommandFailed(InvalidArgument("--community and --no-community together"));
  }
  if (flags.clear_communities) org.communities.clear();
  if (!flags.communities.empty()) org.communities = flags.communities;
  if (Status s = (*accounts)->UpdateOrganisation(org); !s.ok()) return AccountCommandFailed(s);
  fmt::print("updated organisation '{}'\n", org.name);
  // What changed, from and to: nation and communities decide REL TO releases.
  const std::string what = OrganisationChanges(before, org);
  Changed(flags, "org:" + org.name, what.empty() ? "updated: nothing changed" : "updated:" + what);
  return kExitOk;
}

int ListOrganisations(const AccountFlags& flags) {
  auto accounts = OpenAccounts(flags);
  if (!accounts.ok()) return AccountCommandFailed(accounts.status());
  auto list = (*accounts)->ListOrganisations();
  if (!list.ok()) return AccountCommandFailed(list.status());
  if (flags.format == "json") {
    stix::JsonWriter w;
    w.BeginArray();
    for (const auth::Organisation& o : *list) {
      w.BeginObject().Key("name").String(o.name).Key("title").String(o.title);
      w.Key("identity").String(o.identity_id).Key("nation").String(o.nation);
      w.Key("communities").BeginArray();
      for (const std::string& c : o.communities) w.String(c);
      w.EndArray().EndObject();
    }
    w.EndArray();
    fmt::print("{}\n", w.str());
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auth::Organisation& o : *list) {
    std::string communities;
    for (const std::string& c : o.communities) communities += (communities.empty() ? "" : ",") + c;
    rows.push_back({o.name, o.title, o.nation, communities, o.identity_id});
  }
  PrintTable({"NAME", "TITLE", "NATION", "COMMUNITIES", "IDENTITY"}, rows);
  return kExitOk;
}

int AddUser(const AccountFlags& flags) {
  auto accounts = OpenAccounts(flags);
  if (!accounts.ok()) return AccountCommandFailed(accounts.status());
  bool generated = false;
  Result<std::string> password = ReadPassword(flags, &generated);
  if (!password.ok()) return AccountCommandFailed(password.status());
  auth::User user;
  user.name = flags.name;
  user.organisation = flags.organisation;
  user.admin = flags.admin;
  if (Status s = (*accounts)->AddUser(user, *password); !s.ok()) return AccountCommandFailed(s);
  fmt::print("created {}user '{}' in organisation '{}'\n", user.admin ? "admin " : "", user.name,
             user.organisation);
  Changed(flags, "user:" + user.name,
          std::string("created") + (user.admin ? " (admin)" : "") + " in " + user.organisation);
  if (generated) {
    fmt::print("password: {}\n(shown once; change it with `ctihub user passwd {}`)\n", *password,
               user.name);
  }
  return kExitOk;
}

int ListUsers(const AccountFlags& flags) {
  auto accounts = OpenAccounts(flags);
  if (!accounts.ok()) return AccountCommandFailed(accounts.status());
  auto list = (*accounts)->ListUsers();
  if (!list.ok()) return AccountCommandFailed(list.status());
  if (flags.format == "json") {
    stix::JsonWriter w;
    w.BeginArray();
    for (const auth::User& u : *list) {
      w.BeginObject().Key("name").String(u.name).Key("organisation").String(u.organisation);
      w.Key("admin").Bool(u.admin).Key("disabled").Bool(u.disabled);
      w.Key("certificate_sha256").String(u.certificate_sha256).EndObject();
    }
    w.EndArray();
    fmt::print("{}\n", w.str());
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auth::User& u : *list) {
    rows.push_back({u.name, u.organisation, u.admin ? "yes" : "no", u.disabled ? "yes" : "no",
                    u.certificate_sha256.empty() ? "-" : u.certificate_sha256});
  }
  PrintTable({"NAME", "ORGANISATION", "ADMIN", "DISABLED", "CERTIFICATE SHA-256"}, rows);
  return kExitOk;
}

int SetPassword(const AccountFlags& flags) {
  auto accounts = OpenAccounts(flags);
  if (!accounts.ok()) return AccountCommandFailed(accounts.status());
  // Refuse an unknown user before a password is generated and shown for nothing.
  if (auto user = (*accounts)->FindUser(flags.name); !user.ok()) {
    return AccountCommandFailed(user.status());
  }
  bool generated = false;
  Result<std::string> password = ReadPassword(flags, &generated);
  if (!password.ok()) return AccountCommandFailed(password.status());
  if (Status s = (*accounts)->SetPassword(flags.name, *password); !s.ok()) {
    return AccountCommandFailed(s);
  }
  fmt::print("changed the password of user '{}'\n", flags.name);
  Changed(flags, "user:" + flags.name, "password changed");
  if (generated) fmt::print("password: {}\n(shown once)\n", *password);
  return kExitOk;
}

int RemoveUser(const AccountFlags& flags) {
  auto accounts = OpenAccounts(flags);
  if (!accounts.ok()) return AccountCommandFailed(accounts.status());
  if (Status s = (*accounts)->RemoveUser(flags.name); !s.ok()) return AccountCommandFailed(s);
  fmt::print("removed user '{}'; their API keys are revoked and their grants removed\n",
             flags.name);
  Changed(flags, "user:" + flags.name, "removed");
  return kExitOk;
}

int UpdateUser(const AccountFlags& flags) {
  if (flags.set_admin.empty() && flags.set_disabled.empty() && !flags.set_certificate &&
      flags.organisation.empty()) {
    return AccountCommandFailed(InvalidArgument(
        "user set: nothing to change; give --admin, --disabled, --certificate or --org"));
  }
  auto accounts = OpenAccounts(flags);
  if (!accounts.ok()) return AccountCommandFailed(accounts.status());
  Result<auth::User> user = (*accounts)->FindUser(flags.name);
  if (!user.ok()) return AccountCommandFailed(user.status());
  if (!flags.set_admin.empty()) user->admin = flags.set_admin == "true";
  if (!flags.set_disabled.empty()) user->disabled = flags.set_disabled == "true";
  if (flags.set_certificate) {
    user->certificate_sha256 = *flags.set_certificate == "none" ? "" : *flags.set_certificate;
  }
  if (!flags.organisation.empty()) user->organisation = flags.organisation;
  if (Status s = (*accounts)->UpdateUser(*user); !s.ok()) return AccountCommandFailed(s);
  user = (*accounts)->FindUser(flags.name);  // as stored (the certificate digest lower-case)
  if (!user.ok()) return AccountCommandFailed(user.status());
  Changed(flags, "user:" + user->name,
          "updated: organisation " + user->organisation + ", admin " +
              (user->admin ? "yes" : "no") + ", disabled " + (user->disabled ? "yes" : "no") +
              ", certificate " +
              (user->certificate_sha256.empty() ? "none" : user->certificate_sha256));
  fmt::print("updated user '{}': organisation {}, admin {}, disabled {}, certificate {}\n",
             user->name, user->organisation, user->admin ? "yes" : "no",
             user->disabled ? "yes" : "no",
             user->certificate_sha256.empty() ? "none" : user->certificate_sha256);
  return kExitOk;
}

int CreateKey(const AccountFlags& flags) {
  std::optional<Timestamp> expires;
  if (!flags.expires.empty()) {
    Result<Timestamp> t = ParseExpiry(flags.expires);
    if (!t.ok()) return AccountCommandFailed(t.status());
    expires = *t;
  }
  auto accounts = OpenAccounts(flags);
  if (!accounts.ok()) return AccountCommandFailed(accounts.status());
  Result<auth::NewApiKey> key = (*accounts)->CreateKey(flags.user, flags.description, expires);
  if (!key.ok()) return AccountCommandFailed(key.status());
  if (flags.format == "json") {
    stix::JsonWriter w;
    w.BeginObject().Key("id").String(key->key.id).Key("user").String(key->key.user);
    w.Key("description").String(key->key.description);
    w.Key("created").String(key->key.created.ToString()).Key("expires");
    if (expires) {
      w.String(expires->ToString());
    } else {
      w.Null();
    }
    w.Key("token").String(key->token).EndObject();
    fmt::print("{}\n", w.str());
  } else {
    Changed(flags, "user:" + key->key.user, "API key " + key->key.id + " created");
    fmt::print("created API key {} for user '{}'{}\n", key->key.id, key->key.user,
               expires ? ", expires " + HumanTime(*expires) : std::string(", no expiry"));
    fmt::print("token: {}\n", key->token);
    fmt::print("This token will not be shown again: only a hash of it is stored. Keep it now.\n");
  }
  // A token nobody received must not stay usable: it was never delivered, so it can only have
  // leaked (a full disk may still have kept part of it).
  errno = 0;
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    const std::string reason = errno != 0 ? std::strerror(errno) : "a write failed";
    Status revoked = (*accounts)->RevokeKey(key->key.id);
    if (revoked.ok()) Changed(flags, "key:" + key->key.id, "revoked: its token was not delivered");
    fmt::print(stderr, "ctihub: could not write standard output ({}): {}\n", reason,
               revoked.ok() ? "the key is revoked; create another"
                            : "the key could not be revoked: " + revoked.ToString() +
                                  "; revoke it with `ctihub key revoke " + key->key.id + "`");
    return kExitUsage;
  }
  return kExitOk;
}

int ListKeys(const AccountFlags& flags) {
  auto accounts = OpenAccounts(flags);
  if (!accounts.ok()) return AccountCommandFailed(accounts.status());
  auto list = (*accounts)->ListKeys();
  if (!list.ok()) return AccountCommandFailed(list.status());
  Timestamp now = Timestamp::Now();
  auto state = [&](const auth::ApiKey& k) {
    return k.revoked ? "revoked" : k.expires && *k.expires <= now ? "expired" : "active";
  };
  if (flags.format == "json") {
    stix::JsonWriter w;
    w.BeginArray();
    for (const auth::ApiKey& k : *list) {
      w.BeginObject().Key("id").String(k.id).Key("user").String(k.user);
      w.Key("description").String(k.description).Key("created").String(k.created.ToString());
      w.Key("expires");
      if (k.expires) {
        w.String(k.expires->ToString());
      } else {
        w.Null();
      }
      w.Key("revoked").Bool(k.revoked).Key("state").String(state(k)).EndObject();
    }
    w.EndArray();
    fmt::print("{}\n", w.str());
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auth::ApiKey& k : *list) {
    rows.push_back({k.id, k.user, state(k), HumanTime(k.created),
                    k.expires ? HumanTime(*k.expires) : "never", k.description});
  }
  PrintTable({"ID", "USER", "STATE", "CREATED", "EXPIRES", "DESCRIPTION"}, rows);
  return kExitOk;
}

int RevokeKey(const AccountFlags& flags) {
  // A whole token names its key too ("cth_<id>_<secret>"); people paste what they have.
  std::string id = flags.key_id;
  if (id.rfind("cth_", 0) == 0 && id.size() > 20) id = id.substr(4, 16);
  for (char& c : id) {  // ids are lower-case hex; one copied in capitals is the same key
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  }
  auto accounts = OpenAccounts(flags);
  if (!accounts.ok()) return AccountCommandFailed(accounts.status());
  // Revoking twice changes nothing: say so, and record nothing.
  Result<std::vector<auth::ApiKey>> keys = (*accounts)->ListKeys();
  if (keys.ok()) {
    for (const auth::ApiKey& k : *keys) {
      if (k.id == id && k.revoked) {
        fmt::print("API key {} was already revoked\n", id);
        return kExitOk;
      }
    }
  }
  if (Status s = (*accounts)->RevokeKey(id); !s.ok()) return AccountCommandFailed(s);
  fmt::print("revoked API key {}\n", id);
  Changed(flags, "key:" + id, "revoked");
  return kExitOk;
}

void AddStoreOption(CLI::App* cmd, AccountFlags& flags) {
  cmd->add_option("--store", flags.store,
                  "Store URI (sqlite:PATH); default $CTIHUB_STORE or sqlite:ctihub.db");
}

void AddFormatOption(CLI::App* cmd, AccountFlags& flags) {
  cmd->add_option("--format", flags.format, "text or json")->check(CLI::IsMember({"text", "json"}));
}

void AddPasswordOptions(CLI::App* cmd, AccountFlags& flags) {
  CLI::Option* file = cmd->add_option("--password-file", flags.password_file,
                                      "Read the password from the first line of this file");
  CLI::Option* in = cmd->add_flag("--password-stdin", flags.password_stdin,
                                  "Read the password from the first line of standard input");
  file->excludes(in);
}

}  // namespace

int AccountCommandFailed(const Status& status) {
  fmt::print(stderr, "ctihub: {}\n", status.ToString());
  switch (status.code()) {
    case StatusCode::kNotFound:
    case StatusCode::kAlreadyExists:
    case StatusCode::kFailedPrecondition:
    case StatusCode::kPermissionDenied:
    case StatusCode::kDataLoss:
      return kExitFindings;
    default:
      return kExitUsage;
  }
}

void PrintTable(const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(header.size());
  for (size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size() && i < width.size(); ++i) {
      width[i] = std::max(width[i], row[i].size());
    }
  }
  auto print = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line.append(width[i] - row[i].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    fmt::print("{}\n", line);
  };
  print(header);
  for (const auto& row : rows) print(row);
}

void AddAccountCommands(CLI::App& app, int& exit_code) {
  // Owned by the callbacks, which live as long as `app`.
  auto flags = std::make_shared<AccountFlags>();
  flags->store = DefaultStoreUri();
  AccountFlags& f = *flags;
  // A store that is not there, or one whose audit log cannot record a change (its key is
  // missing), is refused with exit 2 before anything is read or changed.
  auto refuse = [](const Status& s) {
    fmt::print(stderr, "ctihub: {}\n", s.ToString());
    return kExitUsage;
  };
  // Every change is audited.
  auto run = [flags, &exit_code, refuse](int (*command)(const AccountFlags&)) {
    return [flags, &exit_code, refuse, command] {
      Status s = CheckAuditLog(flags->store);
      exit_code = s.ok() ? command(*flags) : refuse(s);
    };
  };
  // Listing, and changing what must already be there, refuse a store that is not there (a
  // mistyped --store) rather than make an empty one.
  auto run_existing = [flags, &exit_code, refuse](int (*command)(const AccountFlags&),
                                                  bool changes) {
    return [flags, &exit_code, refuse, command, changes] {
      Status s = RequireExistingStore(
          flags->store, changes ? store::OpenMode::kMustExist : store::OpenMode::kReadOnly);
      if (s.ok() && changes) s = CheckAuditLog(flags->store);
      exit_code = s.ok() ? command(*flags) : refuse(s);
    };
  };

  CLI::App* org = app.add_subcommand("org", "Manage the organisations of a node");
  org->require_subcommand(1);
  CLI::App* org_add = org->add_subcommand("add", "Add an organisation");
  org_add->add_option("name", f.name, "Short name: lower-case letters, digits, '.', '_', '-'")
      ->required();
  org_add->add_option("--title", f.title, "Display name (default: the name)")->check(Utf8Text());
  org_add->add_option("--identity", f.identity, "Its STIX identity (identity--UUID)");
  org_add->add_option("--nation", f.nation, "ISO 3166-1 alpha-2 or alpha-3 code, e.g. FR");
  org_add->add_option(
      "--community", f.communities,
      "A community it belongs to (e.g. nato, eu-csirts; case does not matter); repeatable");
  AddStoreOption(org_add, f);
  org_add->callback(run(AddOrganisation));
  CLI::App* org_set = org->add_subcommand(
      "set", "Change an organisation's title, identity, nation or communities (only what is given)");
  org_set->add_option("name", f.name, "The organisation")->required();
  org_set->add_option("--title", f.set_title, "Display name")->check(Utf8Text());
  org_set->add_option("--identity", f.set_identity, "Its STIX identity (identity--UUID)");
  org_set->add_option("--nation", f.set_nation, "ISO 3166-1 alpha-2 or alpha-3 code; '' for none");
  org_set->add_option("--community", f.communities, "The communities it belongs to (replaces the list); repeatable");
  org_set->add_flag("--no-community", f.clear_communities, "It belongs to no community");
  AddStoreOption(org_set, f);
  org_set->callback(run_existing(SetOrganisation, true));
  CLI::App* org_list = org->add_subcommand("list", "List the organisations");
  AddStoreOption(org_list, f);
  AddFormatOption(org_list, f);
  org_list->callback(run_existing(ListOrganisations, false));

  CLI::App* user = app.add_subcommand("user", "Manage the users of a node");
  user->require_subcommand(1);
  CLI::App* user_add = user->add_subcommand(
      "add",
      "Add a user. The password is read from --password-file or --password-stdin (at least 12 "
      "characters); without either, one is generated and shown once.");
  user_add->add_option("name", f.name, "User name: letters, digits, '.', '_', '@', '-'")
      ->required();
  user_add->add_option("--org", f.organisation, "Organisation of the user")->required();
  user_add->add_flag("--admin", f.admin, "May read and write every collection");
  AddPasswordOptions(user_add, f);
  AddStoreOption(user_add, f);
  user_add->callback(run(AddUser));
  CLI::App* user_list = user->add_subcommand("list", "List the users");
  AddStoreOption(user_list, f);
  AddFormatOption(user_list, f);
  user_list->callback(run_existing(ListUsers, false));
  CLI::App* passwd = user->add_subcommand(
      "passwd", "Set a user's password (from --password-file or --password-stdin, else generated)");
  passwd->add_option("name", f.name, "User name")->required();
  AddPasswordOptions(passwd, f);
  AddStoreOption(passwd, f);
  passwd->callback(run_existing(SetPassword, true));
  CLI::App* remove = user->add_subcommand(
      "remove", "Remove a user; their API keys are revoked and their grants removed");
  remove->add_option("name", f.name, "User name")->required();
  AddStoreOption(remove, f);
  remove->callback(run_existing(RemoveUser, true));
  CLI::App* set = user->add_subcommand("set", "Change a user's organisation, role or state");
  set->add_option("name", f.name, "User name")->required();
  set->add_option("--admin", f.set_admin, "true or false")->check(CLI::IsMember({"true", "false"}));
  set->add_option("--disabled", f.set_disabled, "true or false (a disabled user cannot log in)")
      ->check(CLI::IsMember({"true", "false"}));
  set->add_option("--certificate", f.set_certificate,
                  "SHA-256 (hex) of the DER of the user's TLS client certificate; 'none' clears");
  set->add_option("--org", f.organisation, "Move the user to this organisation");
  AddStoreOption(set, f);
  set->callback(run_existing(UpdateUser, true));

  CLI::App* key = app.add_subcommand("key", "Manage API keys (Authorization: Bearer …)");
  key->require_subcommand(1);
  CLI::App* create = key->add_subcommand(
      "create", "Create an API key for a user; the token is shown once, only its hash is kept");
  create->add_option("--user", f.user, "The user the key acts as")->required();
  create->add_option("--description", f.description, "What the key is for")->check(Utf8Text());
  create->add_option("--expires", f.expires,
                     "Expiry: a duration (90d, 12h, 30m) or a UTC time (2027-01-01T00:00:00Z)");
  AddStoreOption(create, f);
  AddFormatOption(create, f);
  create->callback(run(CreateKey));
  CLI::App* key_list = key->add_subcommand("list", "List the API keys (never their secrets)");
  AddStoreOption(key_list, f);
  AddFormatOption(key_list, f);
  key_list->callback(run_existing(ListKeys, false));
  CLI::App* revoke = key->add_subcommand("revoke", "Revoke an API key");
  revoke->add_option("key_id", f.key_id, "The key's id (16 hex digits, see `ctihub key list`)")
      ->required();
  AddStoreOption(revoke, f);
  revoke->callback(run_existing(RevokeKey, true));
}

}  // namespace ctihub::app
