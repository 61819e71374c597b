// app/node_config: the node's configuration file (TOML, read with toml++) — its name and STIX
// identity, the server's listen address, limits and TLS, API roots, collections, organisations,
// users and grants. Everything has a sane default, so `ctihub serve` runs without a file.
// See docs/configuration.md for an annotated example.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "auth/accounts.h"
#include "common/status.h"
#include "net/http_server.h"
#include "policy/policy_gate.h"
#include "store/store.h"
#include "sync/peer_sync.h"
#include "taxii/service.h"

namespace ctihub::app {

// A user as the file describes it. Only the settings written in the file are applied to a user
// that exists; the others keep what the CLI (`ctihub user set`) gave them.
struct ConfiguredUser {
  std::string name;
  std::string organisation;  // required when the user is created
  std::optional<bool> admin;
  std::optional<bool> disabled;  // true disables; false never re-enables a disabled user
  std::optional<std::string> certificate_sha256;
  std::string password_file;  // read when the user is created; the secret is never in the file
};

// [[organisations]]: made when missing; for one that exists, only the settings the entry writes
// are applied, the others keep what `ctihub org add/set` gave them.
struct ConfiguredOrganisation {
  auth::Organisation organisation;  // the name, and the settings as written
  bool title = false, identity = false, nation = false, communities = false;  // written?
};

struct ConfiguredGrant {
  std::string collection;  // alias or id
  std::string grantee;     // org:NAME, user:NAME, *
  auth::Permission permission = auth::Permission::kRead;
};

struct NodeConfig {
  std::string name = "ctihub";
  std::string identity;  // identity--… of the node, optional
  net::ServerOptions server;
  taxii::ServiceOptions taxii;
  std::vector<store::Collection> collections;
  std::vector<ConfiguredOrganisation> organisations;
  std::vector<ConfiguredUser> users;
  std::vector<ConfiguredGrant> grants;
  // [policy], [[agreements]], and the clearance/caveats of [[organisations]]; the organisations'
  // nation, communities and identity are filled from the accounts by MakePolicyGate.
  policy::PolicyOptions policy;
  // [signing] key_file: this node's Ed25519 key (`ctihub node-key generate`); empty = unsigned.
  std::string signing_key_file;
  // [[peers]]: the nodes this one federates with (sync over TAXII, transfer files).
  std::vector<sync::PeerConfig> peers;
  // The peer named `name` (or whose organisation is `name`), or null.
  const sync::PeerConfig* FindPeer(std::string_view name) const;
};

// InvalidArgument naming the file, the key and the problem (unknown keys are errors too, so a
// typo never silently leaves a default in force). Relative paths in the file are resolved
// against the file's folder.
Result<NodeConfig> LoadNodeConfig(const std::string& path);

// Creates what the config declares and the store or accounts lack (collections, organisations,
// users), updates organisations and the written settings of users that exist, and sets the
// grants. Grants are declarative: one the file set before and no longer lists is revoked
// (grants made with `ctihub collection grant` are left alone). Idempotent. Anything the
// operator should know (a user the file would re-enable) is appended to `notes`.
Status ApplyNodeConfig(const NodeConfig& config, store::Store& store, auth::Accounts& accounts,
                       std::vector<std::string>* notes = nullptr);

// What changed between two versions of an organisation, as audit entries say it: " nation
// FR→BE communities none→eu" (empty when nothing did).
std::string OrganisationChanges(const auth::Organisation& before, const auth::Organisation& after);

// ApplyNodeConfig, then `also` (serve's first administrator) when that worked, with each change
// to organisations, users, collections and grants recorded in the audit log (actor
// "config:FILE") — also when applying fails part-way. Refused before anything changes when the
// log cannot take entries (CheckAuditLog).
Status ApplyNodeConfigRecorded(const NodeConfig& config, store::Store& store,
                               auth::Accounts& accounts, const std::string& store_uri,
                               const std::string& config_path, std::vector<std::string>* notes,
                               const std::function<Status()>& also = {});

}  // namespace ctihub::app
