// app/signals: how a command takes over the signals that would end it (Ctrl-C, SIGTERM, …) to
// finish cleanly — an import summarising what it committed, a file written aside removing its
// partial copy.
#pragma once

#include <initializer_list>

namespace ctihub::app {

// Installs `handler` for each of `signals` still at its default action. Signals the process
// ignores (nohup's SIGHUP, a background job's SIGINT) or already handles stay as they are.
// One-shot (SA_RESETHAND): the same signal again takes its default action, so a second Ctrl-C
// ends the process at once.
void CatchSignalsAtDefault(std::initializer_list<int> signals, void (*handler)(int));

}  // namespace ctihub::app
