#include <thread>

#include "snapi/sn_api.h"

namespace swarm::snapi {

Status WaitForSn(SnApi& sn, std::chrono::seconds wait, const std::function<void(const Status&)>& on_retry) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (true) {
    Status s = sn.Health();
    if (s.ok()) return s;
    if (std::chrono::steady_clock::now() > deadline) return s.WithContext("waiting for the SN");
    on_retry(s);
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

}  // namespace swarm::snapi
