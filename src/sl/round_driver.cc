#include "sl/round_driver.h"

#include <future>
#include <set>
#include <thread>

#include "core/blob_reader.h"
#include "core/blob_writer.h"
#include "core/log.h"
#include "core/merge.h"
#include "sl/file_server.h"

namespace swarm::sl {
namespace {
using Clock = std::chrono::steady_clock;

constexpr char kLog[] = "SL";

bool Refused(const Status& s) {
  return s.code() == StatusCode::kFailedPrecondition || s.code() == StatusCode::kAlreadyExists;
}

}  // namespace

RoundDriver::RoundDriver(SnClient* sn, BlobStore* store, const pki::TlsIdentity* identity, std::string uid,
                         RoundOptions o)
    : sn_(sn), store_(store), identity_(identity), uid_(std::move(uid)), o_(std::move(o)) {}

void RoundDriver::Log(const std::string& message) const { LogInfo(kLog, message); }

Status RoundDriver::Fetch(const std::string& endpoint, const std::string& raw) {
  auto d = Digest::FromBytes(raw);
  if (!d) return DataLoss("the ledger names a model digest that is not 32 bytes");
  if (store_->Has(*d)) return Status::Ok();
  return FetchBlob(pki::MakeSecureChannel(*identity_, endpoint), endpoint, *d, store_,
                   std::chrono::seconds(600));
}

Status RoundDriver::Finish() {
  swarm::v1::Transaction tx;
  tx.mutable_finish_training()->set_contract(o_.contract);
  tx.mutable_finish_training()->set_uid(uid_);
  return sn_->Submit(tx).status();
}

StatusOr<Digest> RoundDriver::Merge(const swarm::v1::RoundInfo& round) {
  // Fetch every contribution in parallel (each verified against its digest), then merge.
  std::vector<const swarm::v1::CheckInInfo*> inputs;
  for (const auto& c : round.checkins()) {
    if (!c.model_digest().empty()) inputs.push_back(&c);
  }
  std::vector<std::future<Status>> fetches;
  for (const auto* c : inputs) {
    fetches.push_back(std::async(std::launch::async, [this, c] {
      return Fetch(c->fs_endpoint(), c->model_digest()).WithContext("model of node " + c->uid());
    }));
  }
  for (auto& f : fetches) RETURN_IF_ERROR(f.get());
  std::vector<Model> models;
  std::vector<uint32_t> weights;
  for (const auto* c : inputs) {
    ASSIGN_OR_RETURN(Model m, ReadModelFile(store_->PathOf(*Digest::FromBytes(c->model_digest()))));
    models.push_back(std::move(m));
    weights.push_back(c->weight());
  }
  std::vector<const Model*> ptrs;
  for (const auto& m : models) ptrs.push_back(&m);
  MergeOptions options;
  std::string method = o_.merge_method;
  for (const auto& c : round.checkins()) {
    if (c.uid() == uid_) method = c.merge_method();
  }
  options.method = ParseMergeMethod(method).value_or(MergeMethod::kMean);
  ASSIGN_OR_RETURN(Model merged, MergeModels(ptrs, weights, options));
  const auto tmp = store_->dir() / ("merge-" + uid_ + ".tmp");
  RETURN_IF_ERROR(WriteModelFile(merged, tmp).status());
  return store_->Adopt(tmp);
}

StatusOr<SyncResult> RoundDriver::Sync(const std::optional<Digest>& contribution, bool finished) {
  uint64_t checked_in = 0;  // the round this call checked in to
  std::optional<Clock::time_point> quorum_since;
  std::string leader_seen;
  Clock::time_point leader_since{};
  uint64_t merged_as_leader = 0;
  auto last_log = Clock::now() - o_.wait_log_every;
  while (true) {
    auto got = sn_->GetTraining(o_.contract);
    if (!got.ok()) {
      if (got.status().code() == StatusCode::kNotFound) return got.status();  // no such contract
      Log("cannot read the training state from SN " + sn_->target() + " (" + got.status().message() +
          "); retrying");
      std::this_thread::sleep_for(std::chrono::seconds(1));
      continue;
    }
    const swarm::v1::TrainingInfo& t = *got;
    const auto& cur = t.current();

    // The round we took part in (or a later one) has been merged: fetch the result.
    if (checked_in != 0 && t.has_last() && t.last().number() >= checked_in) {
      RETURN_IF_ERROR(
          Fetch(t.last().merged_endpoint(), t.last().merged_digest()).WithContext("merged model"));
      base_round_ = t.last().number();
      return SyncResult{*Digest::FromBytes(t.last().merged_digest()), t.last().number(),
                        contribution.has_value(), t.last().final()};
    }
    if (t.done()) {
      return FailedPrecondition("the training on contract '" + o_.contract +
                                "' has already finished; RESET CONTRACT starts a new one");
    }

    if (checked_in == 0) {
      // A node whose weights build on an older merged model first catches up.
      if (contribution && t.has_last() && base_round_ < t.last().number()) {
        RETURN_IF_ERROR(
            Fetch(t.last().merged_endpoint(), t.last().merged_digest()).WithContext("merged model"));
        base_round_ = t.last().number();
        Log("loaded the merged model of round " + std::to_string(base_round_) + " before contributing");
        return SyncResult{*Digest::FromBytes(t.last().merged_digest()), base_round_, false, t.last().final()};
      }
      if (!cur.closed()) {
        swarm::v1::Transaction tx;
        auto* c = tx.mutable_check_in();
        c->set_contract(o_.contract);
        c->set_round(cur.number());
        c->set_uid(uid_);
        if (contribution) c->set_model_digest(std::string(contribution->view()));
        c->set_fs_endpoint(o_.fs_endpoint);
        c->set_weight(o_.weight);
        c->set_min_peers(o_.min_peers);
        c->set_base_round(base_round_);
        c->set_merge_method(o_.merge_method);
        Status s = sn_->Submit(tx).status();
        if (s.ok() || s.code() == StatusCode::kAlreadyExists) {
          checked_in = cur.number();
          Log("checked in to round " + std::to_string(checked_in) +
              (contribution ? "" : " (not contributing)"));
          continue;
        }
        if (!Refused(s)) return s;  // a real refusal (weights, roles, ...), not a lost race
      }
    } else if (!cur.closed()) {
      // Close the round once minPeers are in and every live member is, or the grace period passed.
      std::set<std::string> in;
      uint32_t need = 0;
      bool contributors = false;
      for (const auto& c : cur.checkins()) {
        in.insert(c.uid());
        need = std::max(need, c.min_peers());
        contributors |= !c.model_digest().empty();
      }
      bool all_live_in = true, all_finished = true;
      for (const auto& m : t.members()) {
        if (m.alive() && !in.count(m.uid())) all_live_in = false;
        if (in.count(m.uid()) && !m.finished()) all_finished = false;
        if (m.alive() && !m.finished()) all_finished = false;
      }
      if (in.size() >= need && contributors) {
        if (!quorum_since) quorum_since = Clock::now();
        if (all_live_in || Clock::now() - *quorum_since >= o_.full_quorum_wait) {
          swarm::v1::Transaction tx;
          auto* c = tx.mutable_close_round();
          c->set_contract(o_.contract);
          c->set_round(cur.number());
          c->set_uid(uid_);
          c->set_final(finished && all_finished && all_live_in);
          Status s = sn_->Submit(tx).status();
          if (!s.ok() && !Refused(s)) return s;
          continue;
        }
      } else if (Clock::now() - last_log >= o_.wait_log_every) {
        last_log = Clock::now();
        Log("waiting for peers in round " + std::to_string(cur.number()) + ": " + std::to_string(in.size()) +
            " checked in, minPeers " + std::to_string(std::max<uint32_t>(need, o_.min_peers)) +
            (contributors ? "" : ", and none contributes a model yet"));
      }
    } else if (cur.leader() == uid_) {
      if (merged_as_leader != cur.number()) {
        merged_as_leader = cur.number();
        Log("leading the merge of round " + std::to_string(cur.number()) + " (" +
            std::to_string(cur.checkins_size()) + " participants)");
        auto merged = Merge(cur);
        if (!merged.ok()) {
          LogError(kLog, "merge of round " + std::to_string(cur.number()) +
                             " failed: " + merged.status().message());
          // Let the deadline pass the round on to the next leader.
        } else {
          swarm::v1::Transaction tx;
          auto* m = tx.mutable_record_merge();
          m->set_contract(o_.contract);
          m->set_round(cur.number());
          m->set_uid(uid_);
          m->set_model_digest(std::string(merged->view()));
          m->set_fs_endpoint(o_.fs_endpoint);
          Status s = sn_->Submit(tx).status();
          if (!s.ok() && !Refused(s) && s.code() != StatusCode::kPermissionDenied) return s;
          continue;
        }
      }
    } else {
      // Watch the leader: replace it if its lease expired or it missed its deadline.
      if (cur.leader() != leader_seen) {
        leader_seen = cur.leader();
        leader_since = Clock::now();
      }
      bool alive = false;
      for (const auto& m : t.members()) {
        if (m.uid() == leader_seen) alive = m.alive();
      }
      // The deadline grows with the bytes the leader moves: every contribution in, one model out.
      std::error_code ec;
      const double model_bytes =
          contribution ? static_cast<double>(std::filesystem::file_size(store_->PathOf(*contribution), ec))
                       : 0;
      const auto deadline = o_.leader_timeout +
                            std::chrono::milliseconds(static_cast<int64_t>(
                                1000 * model_bytes * (cur.checkins_size() + 1) / o_.leader_bytes_per_second));
      if (!alive || Clock::now() - leader_since > deadline) {
        Log("leader " + leader_seen + " of round " + std::to_string(cur.number()) +
            (alive ? " missed its merge deadline" : " is no longer alive") + "; choosing the next leader");
        swarm::v1::Transaction tx;
        auto* r = tx.mutable_replace_leader();
        r->set_contract(o_.contract);
        r->set_round(cur.number());
        r->set_uid(uid_);
        r->set_failed_leader(leader_seen);
        Status s = sn_->Submit(tx).status();
        if (!s.ok() && !Refused(s)) return s;
        leader_since = Clock::now();
        continue;
      }
    }
    std::this_thread::sleep_for(o_.poll);
  }
}

}  // namespace swarm::sl
