#include "ledger/contracts.h"

#include "ledger/taskrunners.h"
#include "ledger/tasks.h"
#include "ledger/training.h"

namespace swarm::ledger {
namespace {
using swarm::v1::NodeType;
using swarm::v1::Transaction;

std::string_view TypeName(NodeType t) {
  switch (t) {
    case swarm::v1::NODE_TYPE_SENTINEL: return "SENTINEL";
    case swarm::v1::NODE_TYPE_SN: return "SN";
    case swarm::v1::NODE_TYPE_SL: return "SL";
    case swarm::v1::NODE_TYPE_SWOP: return "SWOP";
    case swarm::v1::NODE_TYPE_SWCI: return "SWCI";
    default: return "UNSPECIFIED";
  }
}

// The role a node of each type must hold: a node registers only itself.
pki::Role RoleFor(NodeType t) {
  switch (t) {
    case swarm::v1::NODE_TYPE_SL: return pki::Role::kSl;
    case swarm::v1::NODE_TYPE_SWOP: return pki::Role::kSwop;
    case swarm::v1::NODE_TYPE_SWCI: return pki::Role::kSwci;
    default: return pki::Role::kSn;
  }
}

Status CreateContract(State& state, const swarm::v1::CreateContract& c, const pki::PeerIdentity& signer,
                      uint64_t height) {
  RETURN_IF_ERROR(RequireSwci(signer, "CREATE CONTRACT " + c.name()));
  RETURN_IF_ERROR(CheckContractName(c.name()));
  if (state.contracts.count(c.name())) {
    return AlreadyExists("contract '" + c.name() + "' already exists; a contract is permanent once created");
  }
  state.contracts[c.name()] = Contract{c.name(), height, signer.fingerprint, 0, 0, {}};
  return Status::Ok();
}

Status ResetContract(State& state, const swarm::v1::ResetContract& r, const pki::PeerIdentity& signer,
                     uint64_t height) {
  RETURN_IF_ERROR(RequireSwci(signer, "RESET CONTRACT " + r.name()));
  auto it = state.contracts.find(r.name());
  if (it == state.contracts.end()) {
    return NotFound("cannot reset contract '" + r.name() + "': no such contract (LIST CONTRACTS shows them)");
  }
  const Training& t = it->second.training;
  if (!r.force() && !t.done && !t.members.empty()) {
    return FailedPrecondition(
        "contract '" + r.name() + "' has a training in progress (round " + std::to_string(t.current.number) +
        ", " + std::to_string(t.members.size()) +
        " members); reset only a finished training, or end this one now with RESET CONTRACT " + r.name() +
        " FORCE (each member's training then stops, saying the contract was reset)");
  }
  ++it->second.resets;
  it->second.training = Training{};
  it->second.last_reset_height = height;
  return Status::Ok();
}

Status RegisterNode(State& state, const swarm::v1::RegisterNode& reg, const pki::PeerIdentity& signer,
                    uint64_t height) {
  const swarm::v1::NodeRecord& n = reg.node();
  if (n.type() == swarm::v1::NODE_TYPE_UNSPECIFIED || !swarm::v1::NodeType_IsValid(n.type())) {
    return InvalidArgument("node registration without a node type; expected SENTINEL, SN, SL, SWOP or SWCI");
  }
  if (n.uid().empty()) return InvalidArgument("node registration without a uid");
  if (signer.role != RoleFor(n.type())) {
    return PermissionDenied("a node acts only for itself: " + Who(signer) + " cannot register a " +
                            std::string(TypeName(n.type())) + " node");
  }
  auto it = state.nodes.find(n.uid());
  if (it != state.nodes.end()) {
    RETURN_IF_ERROR(CheckNodeOwner(it->second, n.uid(), signer));
    if (it->second.record.type() != n.type()) {
      return InvalidArgument("uid " + n.uid() + " is registered as " +
                             std::string(TypeName(it->second.record.type())) + ", not " +
                             std::string(TypeName(n.type())));
    }
    it->second.record = n;  // a restarted node may come back on another host or port
    it->second.updated_height = height;
    return Status::Ok();
  }
  state.nodes[n.uid()] = Node{n, signer.fingerprint, height, height};
  return Status::Ok();
}

}  // namespace

State State::Genesis() {
  State s;
  s.contracts[kDefaultContract] = Contract{kDefaultContract, 0, "", 0, 0, {}};
  TaskRunner tr;
  tr.name = kDefaultTaskRunner;
  s.task_runners[kDefaultTaskRunner] = std::move(tr);
  // As HPE lists it: finalized, without type or body; only ever a prereq.
  Task root;
  root.name = kRootTask;
  root.author = "-";
  root.finalized = true;
  s.tasks[kRootTask] = std::move(root);
  return s;
}

std::string Who(const pki::PeerIdentity& s) {
  return "'" + s.common_name + "' (role " + std::string(pki::RoleName(s.role)) + ")";
}

Status RequireSwci(const pki::PeerIdentity& signer, std::string_view action) {
  if (signer.role == pki::Role::kSwci) return Status::Ok();
  return PermissionDenied(std::string(action) + " refused: only SWCI may do this, and " + Who(signer) +
                          " is not SWCI");
}

Status CheckNodeOwner(const Node& node, const std::string& uid, const pki::PeerIdentity& who) {
  if (node.signer == who.fingerprint) return Status::Ok();
  return PermissionDenied("a node acts only for itself: uid " + uid +
                          " belongs to another certificate, not " + Who(who));
}

Status CheckContractName(const std::string& name) { return CheckName("contract", name, 255); }

Status CheckName(std::string_view kind, const std::string& name, size_t max_size) {
  const std::string what(kind);
  if (name.empty() || name.size() > max_size) {
    return InvalidArgument(what + " name must be 1 to " + std::to_string(max_size) + " characters; got " +
                           std::to_string(name.size()));
  }
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '-';
    if (!ok) {
      return InvalidArgument(what + " name '" + name + "' has the character '" + std::string(1, c) +
                             "'; expected letters, digits and . _ -");
    }
  }
  return Status::Ok();
}

Status Apply(State& state, const Transaction& tx, const pki::PeerIdentity& signer, uint64_t height) {
  const TxStamp at{height, static_cast<int64_t>(tx.timestamp_unix_ms())};
  switch (tx.body_case()) {
    case Transaction::kCreateContract: return CreateContract(state, tx.create_contract(), signer, height);
    case Transaction::kResetContract: return ResetContract(state, tx.reset_contract(), signer, height);
    case Transaction::kRegisterNode: return RegisterNode(state, tx.register_node(), signer, height);
    case Transaction::kCheckIn: return ApplyCheckIn(state, tx.check_in(), signer, height);
    case Transaction::kCloseRound: return ApplyCloseRound(state, tx.close_round(), signer, height);
    case Transaction::kReplaceLeader: return ApplyReplaceLeader(state, tx.replace_leader(), signer);
    case Transaction::kRecordMerge: return ApplyRecordMerge(state, tx.record_merge(), signer, height);
    case Transaction::kRedoRound: return ApplyRedoRound(state, tx.redo_round(), signer);
    case Transaction::kRecordShard: return ApplyRecordShard(state, tx.record_shard(), signer);
    case Transaction::kFinishTraining: return ApplyFinishTraining(state, tx.finish_training(), signer);
    case Transaction::kCreateTask: return ApplyCreateTask(state, tx.create_task(), signer, at);
    case Transaction::kAppendTaskBody: return ApplyAppendTaskBody(state, tx.append_task_body(), signer);
    case Transaction::kFinalizeTask: return ApplyFinalizeTask(state, tx.finalize_task(), signer, at);
    case Transaction::kDeleteTask: return ApplyDeleteTask(state, tx.delete_task(), signer);
    case Transaction::kCreateTaskRunner:
      return ApplyCreateTaskRunner(state, tx.create_task_runner(), signer, at);
    case Transaction::kEnrollSwop: return ApplyEnrollSwop(state, tx.enroll_swop(), signer, at);
    case Transaction::kAssignTask: return ApplyAssignTask(state, tx.assign_task(), signer, at);
    case Transaction::kReportTaskPeer: return ApplyReportTaskPeer(state, tx.report_task_peer(), signer, at);
    case Transaction::kResetTaskRunner:
      return ApplyResetTaskRunner(state, tx.reset_task_runner(), signer, at);
    case Transaction::BODY_NOT_SET: break;
  }
  return InvalidArgument("transaction has no body (or one this build does not know)");
}

}  // namespace swarm::ledger
