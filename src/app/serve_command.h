// app/serve_command: `ctihub serve` — the TAXII 2.1 server on the node's store.
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace ctihub::app {

struct ServeFlags {
  std::string store;
  std::string listen;
  std::string config;
  std::string admin_password_file;
  unsigned threads = 0;
  bool dev_tls = false;
  bool access_log = true;
  unsigned first_sync_after = 2;  // seconds after start of each peer's first sync round
};

void AddServeCommand(CLI::App& app, ServeFlags& flags, int& exit_code);

}  // namespace ctihub::app
