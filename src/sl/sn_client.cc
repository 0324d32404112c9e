#include "sl/sn_client.h"

#include "core/clock.h"
#include "ledger/chain.h"
#include "swarm/v1/health.grpc.pb.h"

namespace swarm::sl {
namespace {

constexpr auto kCallDeadline = std::chrono::seconds(30);

void Deadline(grpc::ClientContext& ctx) {
  ctx.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
}

}  // namespace

SnClient::SnClient(const pki::TlsIdentity& identity, pki::Signer signer, std::string target)
    : signer_(std::move(signer)),
      target_(std::move(target)),
      channel_(pki::MakeSecureChannel(identity, target_)),
      stub_(swarm::v1::SwarmNetwork::NewStub(channel_)) {}

Status SnClient::Health() {
  auto stub = swarm::v1::Health::NewStub(channel_);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  swarm::v1::HealthCheckResponse out;
  return pki::CheckCall(stub->Check(&ctx, {}, &out), "Health/Check", target_);
}

StatusOr<uint64_t> SnClient::Submit(swarm::v1::Transaction tx) {
  tx.set_timestamp_unix_ms(static_cast<uint64_t>(UnixMillis()));
  ASSIGN_OR_RETURN(swarm::v1::SignedTransaction signed_tx, ledger::SignTransaction(tx, signer_));
  swarm::v1::SubmitRequest req;
  *req.add_transactions() = std::move(signed_tx);
  swarm::v1::SubmitResponse out;
  grpc::ClientContext ctx;
  Deadline(ctx);
  const grpc::Status s = stub_->Submit(&ctx, req, &out);
  // A refusal by the contract code is an answer, not a failure of the connection: pass
  // its words on without logging them as a refused call.
  if (!s.ok() && s.error_code() != grpc::StatusCode::UNAVAILABLE &&
      s.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED &&
      s.error_code() != grpc::StatusCode::UNAUTHENTICATED) {
    return Status(static_cast<StatusCode>(s.error_code()), s.error_message());
  }
  RETURN_IF_ERROR(pki::CheckCall(s, "SwarmNetwork/Submit", target_));
  return out.height();
}

Status SnClient::KeepAlive(const std::string& uid) {
  swarm::v1::KeepAliveRequest req;
  req.set_uid(uid);
  swarm::v1::KeepAliveResponse out;
  grpc::ClientContext ctx;
  Deadline(ctx);
  return pki::CheckCall(stub_->KeepAlive(&ctx, req, &out), "SwarmNetwork/KeepAlive", target_);
}

StatusOr<swarm::v1::TrainingInfo> SnClient::GetTraining(const std::string& contract) {
  swarm::v1::GetTrainingRequest req;
  req.set_contract(contract);
  swarm::v1::TrainingInfo out;
  grpc::ClientContext ctx;
  Deadline(ctx);
  RETURN_IF_ERROR(pki::CheckCall(stub_->GetTraining(&ctx, req, &out), "SwarmNetwork/GetTraining", target_));
  return out;
}

Status SnClient::ReportProgress(const swarm::v1::Progress& p) {
  swarm::v1::ReportProgressResponse out;
  grpc::ClientContext ctx;
  Deadline(ctx);
  return pki::CheckCall(stub_->ReportProgress(&ctx, p, &out), "SwarmNetwork/ReportProgress", target_);
}

}  // namespace swarm::sl
