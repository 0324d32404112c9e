#pragma once

// How the long-running nodes sl and swop end the `swarm` process (the SN, whose start-up
// errors go to stderr as usage errors do, has its own): it starts, or exits 1
// with the reason in the node's log format; SIGINT and SIGTERM ask it to stop; the process
// exits with what its Run() returns.

#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string_view>

#include "core/log.h"
#include "core/status.h"

namespace swarm::cli {

namespace run_node_internal {
inline std::atomic<std::function<void()>*> g_stop{nullptr};
inline void OnSignal(int) {
  if (std::function<void()>* stop = g_stop.load()) (*stop)();  // Stop() only sets a flag
}
}  // namespace run_node_internal

// A node writes to sockets whose peer may be gone at any time (its etcd member killed
// mid-request: OpenSSL writes without MSG_NOSIGNAL). Ignoring SIGPIPE turns that into an
// EPIPE error the caller handles, instead of the process dying of the signal. Children
// get the default back (core/subprocess). Called before a node starts.
inline void IgnoreBrokenPipes() { signal(SIGPIPE, SIG_IGN); }

template <typename Node>
[[noreturn]] void RunUntilSignal(StatusOr<std::unique_ptr<Node>> node, std::string_view log_component) {
  if (!node.ok()) {
    LogError(log_component, node.status().message());
    std::exit(1);
  }
  std::function<void()> stop = [n = node->get()] { n->Stop(); };
  run_node_internal::g_stop = &stop;
  signal(SIGINT, run_node_internal::OnSignal);
  signal(SIGTERM, run_node_internal::OnSignal);
  const int code = (*node)->Run();
  run_node_internal::g_stop = nullptr;
  signal(SIGINT, SIG_DFL);  // while it shuts down, a second Ctrl-C ends the process
  signal(SIGTERM, SIG_DFL);
  node->reset();
  std::exit(code);
}

}  // namespace swarm::cli
