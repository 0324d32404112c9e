#pragma once

// What the web UI shows, gathered from the SN API: the nodes and SNs (with each SN's ledger
// height), every training contract with its SL-ML pairs' progress, their loss and metric over
// time, the rounds as they were merged, and the tasks and taskrunners. The SN keeps only the
// present (the latest progress of each node, the current and last round); the monitor
// remembers what it saw, so curves and the rounds timeline grow while it runs, and nodes that
// finished or left stay on the page, marked so, for MonitorOptions::keep_gone.
//
// Poll() reads the SN once and folds what it read into the view; View() is the view as JSON,
// with a version that changes exactly when the view does (the page's ETag).

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/mutex.h"
#include "snapi/sn_api.h"

namespace swarm::ui {

struct MonitorOptions {
  // How long a node that finished or stopped being alive stays on the page.
  std::chrono::milliseconds keep_gone{std::chrono::minutes(10)};
  size_t max_points = 2000;  // loss/metric points kept per node
  size_t max_rounds = 500;   // rounds kept per contract
};

class Monitor {
 public:
  // `sn`: the UI's own client (failover over its SN list). `connect` makes a client for
  // another SN of the network (to ask for its ledger height and to verify its chain);
  // `now_ms`: wall time in Unix milliseconds (tests pass a fake).
  using Connect = std::function<StatusOr<std::unique_ptr<snapi::SnApi>>(const snapi::Endpoint&)>;
  Monitor(snapi::SnApi* sn, Connect connect, std::function<int64_t()> now_ms, MonitorOptions options = {});

  // Reads the swarm from the SN and folds it into the view. A failure is kept in the view
  // (the page says the SN cannot be reached) and returned.
  Status Poll();
  // Between polls: waits up to `wait` for the training of `contract` to change (the SN's long
  // poll) and folds it in, so that the rounds timeline sees rounds that come and go within
  // a poll's interval.
  Status Watch(const std::string& contract, std::chrono::milliseconds wait);
  // The contracts seen so far.
  std::vector<std::string> Contracts() const;
  // Replays the chain of SN `uid` (the UI's own SN when empty); the result shows in the view.
  StatusOr<swarm::v1::VerifyResponse> Verify(const std::string& uid);
  // The newest `limit` blocks of the UI's SN, below `below_height` (0: from the head).
  StatusOr<nlohmann::ordered_json> Blocks(uint32_t limit, uint64_t below_height);

  // The view, and its version: the same version means the same view.
  nlohmann::ordered_json View() const;
  uint64_t version() const;

 private:
  struct Point {
    int64_t at_ms;
    double loss, metric;
    uint32_t epochs;
  };
  struct NodeRow {  // one SL-ML pair of a contract
    swarm::v1::Progress last;
    std::vector<Point> points;
  };
  struct ContractView {
    swarm::v1::TrainingInfo training;
    std::map<std::string, NodeRow> rows;         // by SL uid
    std::vector<nlohmann::ordered_json> rounds;  // oldest first
    std::map<uint64_t, int64_t> opened_ms;       // when each round was first seen open
    uint64_t last_recorded = 0;
  };
  struct SnView {
    std::string name, endpoint;
    uint64_t height = 0;
    std::string error;              // why its height could not be read
    nlohmann::ordered_json verify;  // the last Verify, if any
  };
  struct NodeSeen {
    swarm::v1::NodeInfo info;
    int64_t last_alive_ms = 0;  // when the monitor last saw it alive
  };

  struct Read;  // one Poll's answers from the SNs, folded in under the lock
  Status ReadSwarm(Read& r);
  void Fold(Read& r, int64_t now) SWARM_REQUIRES(mu_);
  void FoldTraining(ContractView& c, const swarm::v1::TrainingInfo& t, int64_t now) SWARM_REQUIRES(mu_);
  // A client of SN `uid` at `endpoint`, made once (the SN's own when it is the UI's target).
  StatusOr<snapi::SnApi*> ClientOf(const std::string& uid, const std::string& endpoint);
  void Publish() SWARM_REQUIRES(mu_);

  snapi::SnApi* sn_;
  Connect connect_;
  std::function<int64_t()> now_ms_;
  MonitorOptions o_;

  Mutex clients_mu_;  // apart from mu_: a slow SN holds up only the poll, not the page
  std::map<std::string, std::unique_ptr<snapi::SnApi>> sn_clients_ SWARM_GUARDED_BY(clients_mu_);

  mutable Mutex mu_;
  std::string sn_error_ SWARM_GUARDED_BY(mu_);
  std::string sn_version_ SWARM_GUARDED_BY(mu_);
  std::map<std::string, NodeSeen> nodes_ SWARM_GUARDED_BY(mu_);
  std::map<std::string, ContractView> contracts_ SWARM_GUARDED_BY(mu_);
  std::map<std::string, SnView> sns_ SWARM_GUARDED_BY(mu_);  // by uid
  nlohmann::ordered_json tasks_ SWARM_GUARDED_BY(mu_) = nlohmann::ordered_json::array();
  nlohmann::ordered_json task_runners_ SWARM_GUARDED_BY(mu_) = nlohmann::ordered_json::array();
  nlohmann::ordered_json view_ SWARM_GUARDED_BY(mu_);
  std::string view_text_ SWARM_GUARDED_BY(mu_);
  uint64_t version_ SWARM_GUARDED_BY(mu_) = 0;
};

// The bytes of a model of `schema` (its tensors' elements times their sizes).
uint64_t ModelBytes(const swarm::v1::ModelSchema& schema);

}  // namespace swarm::ui
