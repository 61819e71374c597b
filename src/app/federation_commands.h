// app/federation_commands: `ctihub node-key generate|show`, `ctihub sync [PEER…]`, `ctihub peers`
// and `ctihub transfer export|import`, plus the peer schedule `ctihub serve` runs — all driven
// by the node's config ([signing], [[peers]], [[agreements]]).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "app/node_config.h"
#include "common/status.h"
#include "store/release_gate.h"

namespace CLI {
class App;
}

namespace ctihub::app {

void AddFederationCommands(CLI::App& app, int& exit_code);

// Runs each peer's sync rounds on its own thread (own store connection), every
// `interval`, with exponential backoff and jitter after failures, until destroyed. One failing
// peer never delays the others. Logs each round to stderr.
class PeerScheduler {
 public:
  // `gate` must outlive the scheduler. Each peer's first round comes `first_round` after start
  // (plus up to a second of jitter), the next ones every interval.
  static Result<std::unique_ptr<PeerScheduler>> Start(const NodeConfig& config,
                                                      std::string store_uri,
                                                      const store::ReleaseGate& gate,
                                                      std::chrono::milliseconds first_round);
  ~PeerScheduler();
  size_t peers() const;

 private:
  struct Impl;
  explicit PeerScheduler(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ctihub::app
