// app/store_commands: `ctihub collection create|list` and `ctihub store check|stats`.
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace ctihub::app {

struct StoreFlags {
  std::string store;
  std::string name, title, description;  // collection create
  std::string format = "text";
};

void AddStoreCommands(CLI::App& app, StoreFlags& flags, int& exit_code);

}  // namespace ctihub::app
