#pragma once

// An in-memory stand-in for one SN's API, for SWCI's unit tests: contracts, tasks and
// taskrunners with the ledger's main rules (enough to drive every command), submissions
// applied all-or-nothing as the SN does, and hooks to change state while a command waits.
// Messages are this fake's own; the real SN's words are checked by tests/swci/*.test.

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "snapi/sn_api.h"
#include "swci/clock.h"

namespace swarm::swci::testing {

struct FakeSn {
  Status health;  // what Health answers
  swarm::v1::VersionInfo version;
  std::map<std::string, swarm::v1::ContractInfo> contracts;
  std::map<std::string, swarm::v1::TrainingInfo> trainings;
  std::vector<swarm::v1::Progress> progress;
  std::vector<swarm::v1::NodeInfo> nodes;
  std::map<std::string, swarm::v1::TaskInfo> tasks;
  std::map<std::string, swarm::v1::TaskRunnerInfo> task_runners;
  std::vector<std::vector<swarm::v1::Transaction>> submissions;  // accepted ones, as sent
  std::vector<swarm::v1::BlockSummary> blocks;                   // what ListBlocks shows, oldest first
  swarm::v1::VerifyResponse verify;                              // what Verify answers
  int verify_calls = 0;
  int get_task_runner_calls = 0;
  // Called at each GetTaskRunner, before it answers: tests move a task along here.
  std::function<void(FakeSn&)> on_get_task_runner;
  // When set, GetTaskRunner answers this (e.g. UNAVAILABLE) and clears it.
  Status next_get_task_runner_error;

  FakeSn();
};

// A client of `sn` (which must outlive it), as reached at `target`.
std::unique_ptr<snapi::SnApi> MakeFakeSnApi(FakeSn& sn, std::string target);

// Time that passes only when slept; sleeping stops at once when the flag is set.
class FakeClock final : public Clock {
 public:
  TimePoint Now() override { return now_; }
  bool Sleep(std::chrono::milliseconds d, const StopFlag& stop) override {
    if (stop.requested()) return false;
    now_ += d;
    slept_ += d;
    if (on_sleep) on_sleep();
    return !stop.requested();
  }
  std::chrono::milliseconds slept() const { return slept_; }
  std::function<void()> on_sleep;  // e.g. to raise the stop flag mid-wait

 private:
  TimePoint now_{};
  std::chrono::milliseconds slept_{0};
};

}  // namespace swarm::swci::testing
