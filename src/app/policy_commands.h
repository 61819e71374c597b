// app/policy_commands: the node's release gate built from its config, store and accounts, and
// the commands that use it outside the server — `ctihub policy explain|extension|marking` and
// `ctihub export [--as PARTNER]`.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "app/node_config.h"
#include "auth/accounts.h"
#include "common/status.h"
#include "policy/policy_gate.h"
#include "store/store.h"

namespace CLI {
class App;
}

namespace ctihub::app {

// The config's organisations with each one's nation, communities and identity from the accounts
// (what MakePolicyGate starts with, and what `serve` re-reads while it runs).
Result<std::vector<policy::OrganisationProfile>> OrganisationProfiles(const NodeConfig& config,
                                                                      auth::Accounts& accounts);

// The config's policy, with each organisation's nation, communities and identity from the
// accounts, over the markings in the store. Marking-definitions it cannot interpret are noted.
Result<std::unique_ptr<policy::PolicyGate>> MakePolicyGate(const NodeConfig& config,
                                                           store::Store& st,
                                                           auth::Accounts& accounts,
                                                           std::vector<std::string>* notes);

void AddPolicyCommands(CLI::App& app, int& exit_code);

}  // namespace ctihub::app
