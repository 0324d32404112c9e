#include "ledger/views.h"

#include "ledger/taskrunners.h"
#include "ledger/training.h"

namespace swarm::ledger {
namespace {

void Fill(const Round& r, swarm::v1::RoundInfo* out) {
  out->set_number(r.number);
  for (const auto& [uid, c] : r.checkins) *out->add_checkins() = c.checkin;
  out->set_closed(r.closed);
  out->set_final(r.final);
  for (const auto& uid : r.leaders) out->add_leaders(uid);
  if (r.closed) out->set_leader(r.leader());
  out->set_merged_digest(r.merged_digest);
  out->set_merged_endpoint(r.merged_endpoint);
  out->set_merged_by(r.merged_by);
  out->set_required_peers(RequiredPeers(r));
  out->set_contributors(static_cast<uint32_t>(Contributors(r)));
  out->set_redos(r.redos);
  for (const auto& l : r.left_out) *out->add_left_out() = l;
  for (size_t i = 0; i < r.shards.size(); ++i) {
    auto* s = out->add_shards();
    s->set_index(static_cast<uint32_t>(i));
    s->set_merger(r.ShardMerger(i));
    s->set_digest(r.shards[i].digest);
    s->set_fs_endpoint(r.shards[i].endpoint);
    s->set_merged_by(r.shards[i].merged_by);
  }
  out->set_merge_method(r.merge_method);
}

swarm::v1::TaskState ToProto(std::optional<AssignmentState> s) {
  if (!s) return swarm::v1::TASK_STATE_UNSPECIFIED;
  switch (*s) {
    case AssignmentState::kActive: return swarm::v1::TASK_STATE_ACTIVE;
    case AssignmentState::kCompleted: return swarm::v1::TASK_STATE_COMPLETED;
    case AssignmentState::kFailed: return swarm::v1::TASK_STATE_FAILED;
  }
  return swarm::v1::TASK_STATE_UNSPECIFIED;
}

void FillPeer(const SwopView& v, swarm::v1::TaskRunnerPeer* out) {
  out->set_uid(v.swop->uid);
  out->set_enrolled_unix_ms(v.swop->enrolled.unix_ms);
  out->set_alive(v.alive);
  out->set_reported(v.reported != nullptr);
  if (v.reported == nullptr) return;
  out->set_state(v.report.state());
  out->set_description(v.report.description());
  out->set_sl_peers_planned(v.report.sl_peers_planned());
  *out->mutable_sl_peers() = v.report.sl_peers();
  out->set_updated_unix_ms(v.reported->at.unix_ms);
}

}  // namespace

swarm::v1::TrainingInfo TrainingInfoOf(const Contract& contract, const std::set<std::string>& alive) {
  swarm::v1::TrainingInfo out;
  const Training& t = contract.training;
  out.set_contract(contract.name);
  Fill(t.current, out.mutable_current());
  if (t.last) Fill(*t.last, out.mutable_last());
  for (const auto& [uid, finished] : t.members) {
    auto* m = out.add_members();
    m->set_uid(uid);
    m->set_finished(finished);
    m->set_alive(alive.count(uid) > 0);
  }
  out.set_done(t.done);
  *out.mutable_schema() = t.schema;
  out.set_schema_digest(t.schema_digest);
  out.set_schema_set_by(t.schema_uid);
  out.set_resets(contract.resets);
  return out;
}

swarm::v1::TaskInfo TaskInfoOf(const Task& task, bool with_body) {
  swarm::v1::TaskInfo out;
  out.set_name(task.name);
  out.set_type(task.type);
  out.set_author(task.author);
  out.set_prereq(task.prereq);
  out.set_outcome(task.outcome);
  if (with_body) {
    for (const auto& line : task.body) out.add_body(line);
  }
  out.set_finalized(task.finalized);
  out.set_created_height(task.created.height);
  out.set_finalized_height(task.finalized_at.height);
  out.set_creator_fingerprint(task.creator);
  out.set_created_unix_ms(task.created.unix_ms);
  out.set_finalized_unix_ms(task.finalized_at.unix_ms);
  return out;
}

swarm::v1::TaskRunnerInfo TaskRunnerInfoOf(const TaskRunner& tr, const std::set<std::string>& alive_swops,
                                           bool with_peers) {
  const TaskRunnerView view = Summarize(tr, alive_swops);
  swarm::v1::TaskRunnerInfo out;
  out.set_name(tr.name);
  out.set_created_height(tr.created.height);
  out.set_creator_fingerprint(tr.creator);
  out.set_created_unix_ms(tr.created.unix_ms);
  out.set_resets(tr.resets);
  out.set_reset_unix_ms(tr.last_reset.unix_ms);
  if (with_peers) {
    for (const SwopView& v : view.swops) FillPeer(v, out.add_peers());
  }
  out.set_state(ToProto(view.state));
  out.set_state_reason(view.reason);
  if (!tr.current) return out;
  const Assignment& a = *tr.current;
  out.set_task(a.task);
  out.set_task_type(a.task_type);
  out.set_peers_needed(a.peers_needed);
  out.set_assignment(a.number);
  out.set_peer_type(std::string(PeerType(a.task_type)));
  out.set_active_peers(view.tally.running);
  out.set_completed_peers(view.tally.completed);
  out.set_failed_peers(view.tally.failed);
  out.set_assigned_unix_ms(a.assigned.unix_ms);
  out.set_finished_unix_ms(a.finished.unix_ms);
  return out;
}

}  // namespace swarm::ledger
