#pragma once

// The one client of the SN API (proto/swarm/v1/sn.proto), as SL, SWCI, SWOP and the UI see
// it. Every call has a deadline; a call that finds its SN unreachable moves on to the next
// SN of the endpoint list; transactions are signed with the caller's key and timestamped
// in one place (ledger/transaction.h). Tests use a fake behind this interface.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/listen_check.h"
#include "core/status.h"
#include "swarm/v1/sn.pb.h"

namespace swarm::snapi {

class SnApi {
 public:
  virtual ~SnApi() = default;

  // The SN endpoint ("host:port") calls go to now.
  virtual std::string target() const = 0;

  // OK when an SN answers its health check.
  virtual Status Health() = 0;
  // Signs and submits `txs` as one submission: all are applied in one block, or none.
  // Returns the block's height. A refusal by the contract code keeps its code and words.
  virtual StatusOr<uint64_t> Submit(std::vector<swarm::v1::Transaction> txs) = 0;
  StatusOr<uint64_t> Submit(swarm::v1::Transaction tx) {
    std::vector<swarm::v1::Transaction> one;
    one.push_back(std::move(tx));
    return Submit(std::move(one));
  }

  virtual Status KeepAlive(const std::string& uid) = 0;
  virtual StatusOr<swarm::v1::ListNodesResponse> ListNodes() = 0;
  virtual StatusOr<swarm::v1::VersionInfo> GetVersion() = 0;

  virtual StatusOr<swarm::v1::ListContractsResponse> ListContracts() = 0;
  virtual StatusOr<swarm::v1::ContractInfo> GetContract(const std::string& name) = 0;
  virtual StatusOr<swarm::v1::TrainingInfo> GetTraining(const std::string& contract) = 0;
  // GetTraining as a long poll: the SN answers once the training's version is no longer
  // `unchanged_since`, or after `wait`. A caller must not rely on the wait: this default (and
  // an SN that cannot wait) answers at once, and then the version may be empty.
  virtual StatusOr<swarm::v1::TrainingInfo> WaitTraining(const std::string& contract,
                                                         const std::string& unchanged_since,
                                                         std::chrono::milliseconds wait) {
    (void)unchanged_since, (void)wait;
    return GetTraining(contract);
  }
  virtual Status ReportProgress(const swarm::v1::Progress& progress) = 0;
  // `contract` empty: every contract's.
  virtual StatusOr<swarm::v1::ListProgressResponse> ListProgress(const std::string& contract) = 0;

  virtual StatusOr<swarm::v1::TaskInfo> GetTask(const std::string& name) = 0;
  virtual StatusOr<swarm::v1::ListTasksResponse> ListTasks() = 0;
  virtual StatusOr<swarm::v1::TaskRunnerInfo> GetTaskRunner(const std::string& name) = 0;
  virtual StatusOr<swarm::v1::ListTaskRunnersResponse> ListTaskRunners() = 0;

  virtual StatusOr<swarm::v1::JoinResponse> Join(const swarm::v1::JoinRequest& request) = 0;
  virtual StatusOr<swarm::v1::VerifyResponse> Verify() = 0;
  // The newest `limit` blocks below `below_height` (0: the head), summarised; limit 0: the height only.
  virtual StatusOr<swarm::v1::ListBlocksResponse> ListBlocks(uint32_t limit, uint64_t below_height) = 0;
};

// Whether a call failed on the way (no SN reached, or none answered in time): worth trying
// again later, unlike a refusal, which an SN gives for good reasons.
inline bool IsTransient(const Status& s) {
  return s.code() == StatusCode::kUnavailable || s.code() == StatusCode::kDeadlineExceeded;
}

// Asks `sn` for its health once a second until it answers or `wait` has passed (then the
// last failure, "waiting for the SN: ..."); `on_retry` hears each failure, for a log line.
// A refusal of this node (UNAUTHENTICATED, PERMISSION_DENIED) ends the wait at once.
Status WaitForSn(SnApi& sn, std::chrono::seconds wait, const std::function<void(const Status&)>& on_retry);

// Says i-am-alive for `uid` every `every` while `keep_going()` (asked every 100 ms, so a
// stop takes effect at once); a failed i-am-alive is logged as `log_component`'s warning.
// For a node's liveness thread.
void SayAliveWhile(SnApi& sn, const std::string& uid, std::chrono::milliseconds every,
                   const std::function<bool()>& keep_going, std::string_view log_component);

// HPE's SN API port, where every part looks for an SN unless told otherwise.
inline constexpr int kDefaultSnApiPort = 30304;

// An SN API endpoint.
struct Endpoint {
  std::string host;
  int port = kDefaultSnApiPort;
  std::string ToString() const {
    return HostPort(host, port);
  }
};

// "host", "host:port" or a comma-separated list of them (ports default to
// `default_port`); an IPv6 address is written in brackets, "[::1]:30304".
StatusOr<std::vector<Endpoint>> ParseEndpoints(std::string_view text, int default_port);

// `hosts` (each "host" or "host:port") with `default_port` where none is given: what the
// --sn-ip/--sn-api-port flags of every part make.
StatusOr<std::vector<Endpoint>> EndpointsFromFlags(const std::vector<std::string>& hosts, int default_port);

// Checks a port number given by a user: 1..65535, named in the error as `what`.
Status CheckPort(long port, std::string_view what);

// HPE's default ports of a service (an FQDN a reverse proxy routes by TLS server name, or
// a DNS name of the host): 443 for the SN API and SL file server services, 30303 for the SN
// P2P service.
inline constexpr int kDefaultServicePort = 443;
inline constexpr int kDefaultP2pServicePort = 30303;

// A service flag's value, "fqdn" or "fqdn:port" (`flag` names it in errors, e.g.
// "--sn-api-service"). The name must be a DNS name (labels of letters, digits and '-', at
// most 253 characters); an IP address is refused, as it cannot be a TLS server name: say it
// with the flags for addresses (--sn-ip, --host-ip) instead.
StatusOr<Endpoint> ParseService(std::string_view text, int default_port, std::string_view flag);

}  // namespace swarm::snapi
