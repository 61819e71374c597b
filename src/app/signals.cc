#include "app/signals.h"

#include <signal.h>

namespace ctihub::app {

void CatchSignalsAtDefault(std::initializer_list<int> signals, void (*handler)(int)) {
  for (int sig : signals) {
    struct sigaction previous {};
    if (::sigaction(sig, nullptr, &previous) != 0 || previous.sa_handler != SIG_DFL) continue;
    struct sigaction action {};
    action.sa_handler = handler;
    action.sa_flags = SA_RESETHAND;
    sigemptyset(&action.sa_mask);
    ::sigaction(sig, &action, nullptr);
  }
}

}  // namespace ctihub::app
