#include "snapi/sn_api.h"

#include <thread>

#include "core/log.h"

namespace swarm::snapi {

Status WaitForSn(SnApi& sn, std::chrono::seconds wait, const std::function<void(const Status&)>& on_retry) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (true) {
    Status s = sn.Health();
    if (s.ok()) return s;
    // This node's certificate or role was refused: waiting does not change that.
    if (s.code() == StatusCode::kUnauthenticated || s.code() == StatusCode::kPermissionDenied) {
      return s.WithContext("refused by the SN at " + sn.target() + " (not retried)");
    }
    if (std::chrono::steady_clock::now() > deadline) return s.WithContext("waiting for the SN");
    on_retry(s);
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

void SayAliveWhile(SnApi& sn, const std::string& uid, std::chrono::milliseconds every,
                   const std::function<bool()>& keep_going, std::string_view log_component) {
  constexpr auto kStep = std::chrono::milliseconds(100);
  while (keep_going()) {
    if (Status s = sn.KeepAlive(uid); !s.ok()) LogWarning(log_component, "i-am-alive failed: " + s.message());
    for (std::chrono::milliseconds waited{0}; waited < every && keep_going(); waited += kStep) std::this_thread::sleep_for(kStep);
  }
}

}  // namespace swarm::snapi
