#include "snapi/grpc_sn_api.h"

#include <algorithm>
#include <cstdint>

#include "core/log.h"
#include "core/mutex.h"
#include "ledger/transaction.h"
#include "swarm/v1/health.grpc.pb.h"
#include "swarm/v1/sn.grpc.pb.h"

namespace swarm::snapi {
namespace {
using swarm::v1::SwarmNetwork;

class GrpcSnApi final : public SnApi {
 public:
  GrpcSnApi(const pki::TlsIdentity& identity, std::optional<pki::Signer> signer, GrpcSnApiOptions o)
      : signer_(std::move(signer)), o_(std::move(o)) {
    for (const Endpoint& e : o_.endpoints) {
      auto channel = pki::MakeSecureChannel(identity, e.ToString());
      channels_.push_back({e.ToString(), channel, SwarmNetwork::NewStub(channel)});
    }
  }

  std::string target() const override {
    MutexLock lock(mu_);
    return channels_[current_].target;
  }

  Status Health() override {
    return Call("Health/Check", kRepeatable, [&](Channel& c, grpc::ClientContext& ctx) {
      ctx.set_deadline(std::chrono::system_clock::now() + o_.health_deadline);
      auto stub = swarm::v1::Health::NewStub(c.channel);
      swarm::v1::HealthCheckResponse out;
      Status s = FromCall(stub->Check(&ctx, {}, &out), "Health/Check", c.target);
      if (s.ok() && out.status() != "OK") return Unavailable("SN at " + c.target + " is " + out.status());
      return s;
    });
  }

  StatusOr<uint64_t> Submit(std::vector<swarm::v1::Transaction> txs) override {
    if (!signer_) return FailedPrecondition("this client has no key to sign transactions with");
    swarm::v1::SubmitRequest req;
    for (auto& tx : txs) {
      ASSIGN_OR_RETURN(*req.add_transactions(), ledger::SignTransaction(std::move(tx), *signer_));
    }
    swarm::v1::SubmitResponse out;
    RETURN_IF_ERROR(Unary("SwarmNetwork/Submit", &SwarmNetwork::Stub::Submit, req, &out, kOnce));
    return out.height();
  }

  Status KeepAlive(const std::string& uid) override {
    swarm::v1::KeepAliveRequest req;
    req.set_uid(uid);
    swarm::v1::KeepAliveResponse out;
    return Unary("SwarmNetwork/KeepAlive", &SwarmNetwork::Stub::KeepAlive, req, &out);
  }

  StatusOr<swarm::v1::ListNodesResponse> ListNodes() override {
    return Get<swarm::v1::ListNodesResponse>("SwarmNetwork/ListNodes", &SwarmNetwork::Stub::ListNodes,
                                             swarm::v1::ListNodesRequest());
  }
  StatusOr<swarm::v1::VersionInfo> GetVersion() override {
    return Get<swarm::v1::VersionInfo>("SwarmNetwork/GetVersion", &SwarmNetwork::Stub::GetVersion,
                                       swarm::v1::GetVersionRequest());
  }
  StatusOr<swarm::v1::ListContractsResponse> ListContracts() override {
    return Get<swarm::v1::ListContractsResponse>(
        "SwarmNetwork/ListContracts", &SwarmNetwork::Stub::ListContracts, swarm::v1::ListContractsRequest());
  }
  StatusOr<swarm::v1::ContractInfo> GetContract(const std::string& name) override {
    swarm::v1::GetContractRequest req;
    req.set_name(name);
    return Get<swarm::v1::ContractInfo>("SwarmNetwork/GetContract", &SwarmNetwork::Stub::GetContract, req);
  }
  StatusOr<swarm::v1::TrainingInfo> GetTraining(const std::string& contract) override {
    swarm::v1::GetTrainingRequest req;
    req.set_contract(contract);
    return Get<swarm::v1::TrainingInfo>("SwarmNetwork/GetTraining", &SwarmNetwork::Stub::GetTraining, req);
  }

  StatusOr<swarm::v1::TrainingInfo> WaitTraining(const std::string& contract, const std::string& unchanged_since,
                                                 std::chrono::milliseconds wait) override {
    swarm::v1::GetTrainingRequest req;
    req.set_contract(contract);
    req.set_unchanged_since(unchanged_since);
    req.set_wait_ms(static_cast<uint32_t>(std::clamp<int64_t>(wait.count(), 0, UINT32_MAX)));
    swarm::v1::TrainingInfo out;
    RETURN_IF_ERROR(Call("SwarmNetwork/GetTraining", kRepeatable, [&](Channel& c, grpc::ClientContext& ctx) {
      ctx.set_deadline(std::chrono::system_clock::now() + o_.call_deadline + wait);  // the SN may hold it `wait`
      return FromCall(c.stub->GetTraining(&ctx, req, &out), "SwarmNetwork/GetTraining", c.target);
    }));
    return out;
  }
  Status ReportProgress(const swarm::v1::Progress& p) override {
    swarm::v1::ReportProgressResponse out;
    return Unary("SwarmNetwork/ReportProgress", &SwarmNetwork::Stub::ReportProgress, p, &out);
  }
  StatusOr<swarm::v1::ListProgressResponse> ListProgress(const std::string& contract) override {
    swarm::v1::ListProgressRequest req;
    req.set_contract(contract);
    return Get<swarm::v1::ListProgressResponse>("SwarmNetwork/ListProgress",
                                                &SwarmNetwork::Stub::ListProgress, req);
  }
  StatusOr<swarm::v1::TaskInfo> GetTask(const std::string& name) override {
    swarm::v1::GetTaskRequest req;
    req.set_name(name);
    return Get<swarm::v1::TaskInfo>("SwarmNetwork/GetTask", &SwarmNetwork::Stub::GetTask, req);
  }
  StatusOr<swarm::v1::ListTasksResponse> ListTasks() override {
    return Get<swarm::v1::ListTasksResponse>("SwarmNetwork/ListTasks", &SwarmNetwork::Stub::ListTasks,
                                             swarm::v1::ListTasksRequest());
  }
  StatusOr<swarm::v1::TaskRunnerInfo> GetTaskRunner(const std::string& name) override {
    swarm::v1::GetTaskRunnerRequest req;
    req.set_name(name);
    return Get<swarm::v1::TaskRunnerInfo>("SwarmNetwork/GetTaskRunner", &SwarmNetwork::Stub::GetTaskRunner,
                                          req);
  }
  StatusOr<swarm::v1::ListTaskRunnersResponse> ListTaskRunners() override {
    return Get<swarm::v1::ListTaskRunnersResponse>("SwarmNetwork/ListTaskRunners",
                                                   &SwarmNetwork::Stub::ListTaskRunners,
                                                   swarm::v1::ListTaskRunnersRequest());
  }
  StatusOr<swarm::v1::JoinResponse> Join(const swarm::v1::JoinRequest& req) override {
    swarm::v1::JoinResponse out;
    RETURN_IF_ERROR(Unary("SwarmNetwork/Join", &SwarmNetwork::Stub::Join, req, &out, kOnce));
    return out;
  }
  StatusOr<swarm::v1::VerifyResponse> Verify() override {
    return Get<swarm::v1::VerifyResponse>("SwarmNetwork/Verify", &SwarmNetwork::Stub::Verify,
                                          swarm::v1::VerifyRequest());
  }
  StatusOr<swarm::v1::ListBlocksResponse> ListBlocks(uint32_t limit, uint64_t below_height) override {
    swarm::v1::ListBlocksRequest req;
    req.set_limit(limit);
    req.set_below_height(below_height);
    return Get<swarm::v1::ListBlocksResponse>("SwarmNetwork/ListBlocks", &SwarmNetwork::Stub::ListBlocks,
                                              req);
  }

 private:
  struct Channel {
    std::string target;
    std::shared_ptr<grpc::Channel> channel;
    std::unique_ptr<SwarmNetwork::Stub> stub;
  };

  // Whether a call may be made again on another SN after one did not answer in time. A
  // read or a keep-alive may; a Submit or a Join may not: the SN that did not answer may
  // still have done it, and doing it twice would fail or add a second member.
  enum Repeat { kOnce, kRepeatable };

  // Runs `call` on the current SN; when that SN cannot be reached (or, for a repeatable
  // call, does not answer within the deadline, as behind a partition), on each next one in
  // turn, and stays with the first that answers.
  template <typename Fn>
  Status Call(std::string_view method, Repeat repeat, Fn&& call) {
    size_t first;
    {
      MutexLock lock(mu_);
      first = current_;
    }
    Status last;
    std::string tried, first_problem;
    for (size_t i = 0; i < channels_.size(); ++i) {
      const size_t at = (first + i) % channels_.size();
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + o_.call_deadline);
      last = call(channels_[at], ctx);
      const bool silent = repeat == kRepeatable && last.code() == StatusCode::kDeadlineExceeded;
      if (!IsUnreachable(last) && !silent) {
        MutexLock lock(mu_);
        if (at != current_) {
          // Said once per move, so that an operator sees which SN a node now depends on.
          LogWarning("snapi", "SN " + channels_[first].target + " cannot be reached (" + first_problem +
                                  "); now using SN " + channels_[at].target);
          current_ = at;
        }
        return last;
      }
      if (i == 0) first_problem = last.message();
      tried += (tried.empty() ? "" : ", ") + channels_[at].target;
    }
    if (channels_.size() == 1) return last;
    return Status(last.code(),
                  "no SN of " + tried + " answered " + std::string(method) + "; last: " + last.message());
  }

  template <typename Request, typename Response, typename Method>
  Status Unary(std::string_view method, Method m, const Request& req, Response* out,
               Repeat repeat = kRepeatable) {
    return Call(method, repeat, [&](Channel& c, grpc::ClientContext& ctx) {
      return FromCall(((*c.stub).*m)(&ctx, req, out), method, c.target);
    });
  }

  template <typename Response, typename Request, typename Method>
  StatusOr<Response> Get(std::string_view method, Method m, const Request& req) {
    Response out;
    RETURN_IF_ERROR(Unary(method, m, req, &out));
    return out;
  }

  std::optional<pki::Signer> signer_;
  GrpcSnApiOptions o_;
  std::vector<Channel> channels_;
  mutable Mutex mu_;
  size_t current_ SWARM_GUARDED_BY(mu_) = 0;
};

}  // namespace

StatusOr<std::unique_ptr<SnApi>> MakeGrpcSnApi(const pki::TlsIdentity& identity,
                                               std::optional<pki::Signer> signer, GrpcSnApiOptions options) {
  if (options.endpoints.empty())
    return InvalidArgument("no SN endpoint given; expected at least one host:port");
  return std::unique_ptr<SnApi>(new GrpcSnApi(identity, std::move(signer), std::move(options)));
}

Status FromCall(const grpc::Status& s, std::string_view method, std::string_view target) {
  switch (s.error_code()) {
    case grpc::StatusCode::OK: return Status::Ok();
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::OUT_OF_RANGE:
    case grpc::StatusCode::ABORTED:
      // The SN's logic answered: its words are the message, as they are.
      return Status(static_cast<StatusCode>(s.error_code()), s.error_message());
    default: return pki::CheckCall(s, method, target);
  }
}

bool IsUnreachable(const Status& s) { return s.code() == StatusCode::kUnavailable; }

}  // namespace swarm::snapi
