#include "sl/round_driver.h"

#include <algorithm>
#include <future>
#include <set>
#include <thread>
#include <tuple>
#include <utility>

#include "core/blob_format.h"
#include "core/blob_reader.h"
#include "core/blob_writer.h"
#include "core/listen_check.h"
#include "core/log.h"
#include "core/merge.h"
#include "core/merge_files.h"
#include "ledger/round_rules.h"
#include "ledger/transaction.h"
#include "sl/file_server.h"
#include "sl/model_schema.h"
#include "sl/range_stream.h"

namespace swarm::sl {
namespace {

constexpr int kFetchAttempts = 3;

// Why `stop` says to end now; empty when there is no check or it says go on.
std::string StopWhy(const StopCheck& stop) { return stop ? stop() : std::string(); }

bool Refused(const Status& s) {
  return s.code() == StatusCode::kFailedPrecondition || s.code() == StatusCode::kAlreadyExists;
}

}  // namespace

RoundDriver::RoundDriver(snapi::SnApi* sn, BlobStore* store, PeerFetcher* peers, std::string uid,
                         RoundOptions o, UserLog* user_log, Clock* clock)
    : sn_(sn),
      store_(store),
      peers_(peers),
      uid_(std::move(uid)),
      o_(std::move(o)),
      user_log_(user_log),
      clock_(clock) {}

void RoundDriver::Log(const std::string& message) const { Note(user_log_, message); }

void RoundDriver::Retain(std::vector<Digest>& recent, const Digest& d, size_t keep) {
  // Most recent last: a digest seen again moves to the end.
  recent.erase(std::remove(recent.begin(), recent.end(), d), recent.end());
  recent.push_back(d);
  if (recent.size() > keep) recent.erase(recent.begin(), recent.end() - static_cast<std::ptrdiff_t>(keep));
}

Status RoundDriver::Fetch(const std::string& endpoint, const std::string& raw, std::chrono::milliseconds within) {
  auto d = Digest::FromBytes(raw);
  if (!d) return DataLoss("the ledger names a model digest that is not 32 bytes");
  return peers_->Fetch(endpoint, *d, store_, within);
}

std::map<std::string, std::string> RoundDriver::CurrentEndpoints() {
  std::map<std::string, std::string> out;
  auto nodes = sn_->ListNodes();
  if (!nodes.ok()) return out;  // the endpoints on record are tried then
  for (const auto& n : nodes->nodes()) {
    const auto& r = n.record();
    if (r.host().empty() || r.port() == 0) continue;
    out[r.uid()] = HostPort(r.host(), static_cast<int>(r.port()));
  }
  return out;
}

namespace {

// Where node `uid` serves now: its latest registration in `current` (a restarted node may
// serve on another host or port than the one its check-in names), else `recorded`.
std::string EndpointOf(const std::map<std::string, std::string>& current, const std::string& uid,
                       const std::string& recorded) {
  auto it = current.find(uid);
  return it == current.end() ? recorded : it->second;
}

}  // namespace

Status RoundDriver::FetchMerged(const swarm::v1::RoundInfo& merged, const StopCheck& stop,
                                const std::function<bool()>& moved_on, std::optional<Clock::TimePoint> until) {
  const auto started = clock_->Now();
  const auto deadline = std::min(started + o_.merged_fetch_wait, until.value_or(Clock::TimePoint::max()));
  // What is left of `until` for one fetch (at least 1 ms: a fetch of 0 ms would not even try).
  const auto left = [&] {
    if (!until) return std::chrono::milliseconds::max();
    return std::max(std::chrono::milliseconds(1),
                    std::chrono::duration_cast<std::chrono::milliseconds>(*until - clock_->Now()));
  };
  Status first_error;
  for (int pass = 0;; ++pass) {
    // The leader first; then the other participants, who fetch it too and serve it. After
    // a failed pass, at the endpoints their latest registrations name.
    const auto current = pass == 0 ? std::map<std::string, std::string>() : CurrentEndpoints();
    std::vector<std::string> sources{EndpointOf(current, merged.merged_by(), merged.merged_endpoint())};
    for (const auto& c : merged.checkins()) {
      const std::string e = EndpointOf(current, c.uid(), c.fs_endpoint());
      if (c.uid() != uid_ && std::find(sources.begin(), sources.end(), e) == sources.end())
        sources.push_back(e);
    }
    for (const auto& endpoint : sources) {
      if (until && clock_->Now() >= *until) break;
      Status s = Fetch(endpoint, merged.merged_digest(), left());
      if (s.ok()) {
        if (endpoint != sources[0]) {
          Log("fetched the merged model of round " + std::to_string(merged.number()) + " from participant " +
              endpoint + "; its leader " + sources[0] + " did not serve it (" + first_error.message() + ")");
        }
        return s;
      }
      if (s.code() == StatusCode::kDataLoss) return s;  // a wrong digest: nothing to retry
      if (first_error.ok()) first_error = s;
    }
    if (const std::string why = StopWhy(stop); !why.empty()) {
      return Cancelled("stopped fetching the merged model of round " + std::to_string(merged.number()) +
                       ": " + why);
    }
    if (moved_on && moved_on()) {
      return Aborted("the merged model of round " + std::to_string(merged.number()) +
                     " is no longer the latest on the ledger");
    }
    if (clock_->Now() >= deadline) {
      return Unavailable(
          "no participant of round " + std::to_string(merged.number()) + " served its merged model within " +
          std::to_string(std::chrono::duration_cast<std::chrono::seconds>(deadline - started).count()) +
          " s (tried the leader " + sources[0] + " and " + std::to_string(sources.size() - 1) +
          " others); the leader said: " + first_error.message());
    }
    clock_->SleepFor(std::chrono::milliseconds(250));
  }
}

bool RoundDriver::ReopenIfLost(const swarm::v1::RoundInfo& merged) {
  const auto moved_on = [&](const swarm::v1::TrainingInfo& t) {
    return !t.has_last() || t.last().number() != merged.number() ||
           t.last().merged_digest() != merged.merged_digest();
  };
  auto got = sn_->GetTraining(o_.contract);
  if (!got.ok()) return false;  // asked again after the next pass
  if (moved_on(*got)) return true;
  const swarm::v1::TrainingInfo& t = *got;
  const bool took_part = std::any_of(merged.checkins().begin(), merged.checkins().end(),
                                     [&](const auto& c) { return c.uid() == uid_; });
  const bool merger_alive = std::any_of(t.members().begin(), t.members().end(), [&](const auto& m) {
    return m.uid() == merged.merged_by() && m.alive();
  });
  // One that contributes to the next round holds the model (ledger::ApplyRedoRound).
  const bool built_on =
      std::any_of(t.current().checkins().begin(), t.current().checkins().end(),
                  [&](const auto& c) { return c.uid() != merged.merged_by() && !c.model_digest().empty(); });
  if (!took_part || merged.merged_by() == uid_ || merger_alive || built_on) return false;
  NoteWarning(user_log_, "the merged model of round " + std::to_string(merged.number()) +
                             " is lost: its leader " + merged.merged_by() +
                             " is no longer alive and no participant serves it; asking " +
                             "the ledger to merge the round again");
  swarm::v1::Transaction tx;
  auto* r = tx.mutable_redo_round();
  r->set_contract(o_.contract);
  r->set_round(merged.number());
  r->set_uid(uid_);
  r->set_lost_digest(merged.merged_digest());
  if (Status s = Submit(tx); s.ok()) return true;
  // Refused: another node asked first, or one built on the model meanwhile (so holds it).
  got = sn_->GetTraining(o_.contract);
  return got.ok() && moved_on(*got);
}

std::optional<SyncResult> RoundDriver::Resume(std::chrono::milliseconds wait) {
  auto t = sn_->GetTraining(o_.contract);
  if (!t.ok()) {
    Log("cannot read training '" + o_.contract + "' to resume it (" + t.status().message() +
        "); the first sync catches up");
    return std::nullopt;
  }
  if (t->done() || !t->has_last()) return std::nullopt;
  const swarm::v1::RoundInfo& last = t->last();
  Status s = FetchMerged(last, {}, [] { return false; }, clock_->Now() + wait);
  if (!s.ok()) {
    Log("cannot fetch the merged model of round " + std::to_string(last.number()) + " to resume from (" +
        s.message() + "); the first sync catches up");
    return std::nullopt;
  }
  base_round_ = last.number();
  const Digest merged = *Digest::FromBytes(last.merged_digest());
  Retain(recent_merged_, merged, kKeepMerged);
  Log("training '" + o_.contract + "' is in progress: the program resumes from the merged model of round " +
      std::to_string(last.number()));
  return SyncResult{merged, last.number(), false, false};
}

Status RoundDriver::Finish() {
  swarm::v1::Transaction tx;
  tx.mutable_finish_training()->set_contract(o_.contract);
  tx.mutable_finish_training()->set_uid(uid_);
  return Submit(tx);
}

namespace {

// The merge weights of `inputs` and the options to merge them with `method`: late
// contributions weigh less (ledger/round_rules.h MergeWeight).
std::pair<std::vector<uint32_t>, MergeOptions> WeighInputs(
    const std::vector<const swarm::v1::CheckIn*>& inputs, const std::string& method) {
  const bool any_stale =
      std::any_of(inputs.begin(), inputs.end(), [](const auto* c) { return ledger::Staleness(*c) > 0; });
  std::vector<uint32_t> weights;
  for (const auto* c : inputs) weights.push_back(ledger::MergeWeight(*c, any_stale));
  MergeOptions options;
  options.method = ParseMergeMethod(method).value_or(MergeMethod::kMean);
  if (any_stale) options.max_weight = kMaxWeight * ledger::kStaleScale;
  return {std::move(weights), options};
}

std::vector<const swarm::v1::CheckIn*> Contributions(const swarm::v1::RoundInfo& round) {
  std::vector<const swarm::v1::CheckIn*> inputs;
  for (const auto& c : round.checkins()) {
    if (!c.model_digest().empty()) inputs.push_back(&c);
  }
  return inputs;
}

}  // namespace

std::vector<Status> RoundDriver::FetchEach(const std::vector<const swarm::v1::CheckIn*>& inputs,
                                           const std::function<Status(size_t, const std::string&)>& fetch) {
  // Every fetch of a pass runs in parallel; those that failed are tried again after a pause
  // (on this thread, so that the pause is on the driver's clock).
  std::vector<Status> result(inputs.size(), Unavailable("not fetched"));
  for (int attempt = 0; attempt < kFetchAttempts; ++attempt) {
    std::vector<size_t> todo;
    for (size_t i = 0; i < inputs.size(); ++i) {
      // A wrong digest stays wrong, and a cut fetch stays cut: not tried again.
      if (!result[i].ok() && result[i].code() != StatusCode::kDataLoss &&
          result[i].code() != StatusCode::kCancelled) {
        todo.push_back(i);
      }
    }
    if (todo.empty()) break;
    if (attempt > 0) clock_->SleepFor(std::chrono::seconds(1));
    const auto current = attempt == 0 ? std::map<std::string, std::string>() : CurrentEndpoints();
    std::vector<std::future<Status>> fetches;
    for (size_t i : todo) {
      fetches.push_back(std::async(std::launch::async, fetch, i,
                                   EndpointOf(current, inputs[i]->uid(), inputs[i]->fs_endpoint())));
    }
    for (size_t k = 0; k < todo.size(); ++k) result[todo[k]] = fetches[k].get();
  }
  return result;
}

StatusOr<Digest> RoundDriver::Merge(const swarm::v1::RoundInfo& round,
                                    std::vector<swarm::v1::LeftOut>* left_out) {
  // Fetch every contribution in parallel (each verified against its digest), then merge.
  // A participant that died after checking in cannot serve its model: after a few tries,
  // its contribution is left out, so that the round still completes.
  std::vector<const swarm::v1::CheckIn*> inputs = Contributions(round);
  const std::vector<Status> result = FetchEach(inputs, [&](size_t i, const std::string& endpoint) {
    return Fetch(endpoint, inputs[i]->model_digest());
  });
  std::vector<const swarm::v1::CheckIn*> fetched;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!result[i].ok()) {
      NoteWarning(user_log_, "round " + std::to_string(round.number()) + ": leaving out the model of node " +
                                 inputs[i]->uid() + ", which cannot be fetched: " + result[i].message());
      swarm::v1::LeftOut l;
      l.set_uid(inputs[i]->uid());
      l.set_reason(("its model cannot be fetched: " + result[i].message()).substr(0, 1024));
      left_out->push_back(std::move(l));
    } else {
      fetched.push_back(inputs[i]);
    }
  }
  if (fetched.empty()) return Unavailable("no participant's model could be fetched");
  inputs = std::move(fetched);
  std::vector<std::filesystem::path> paths;
  for (const auto* c : inputs) paths.push_back(store_->PathOf(*Digest::FromBytes(c->model_digest())));
  // The leader merges with its own mergeMethod (HPE's rule), validated on Hello.
  auto [weights, options] = WeighInputs(inputs, o_.merge_method);
  for (const auto* c : inputs) {
    if (const uint64_t late = ledger::Staleness(*c); late > 0) {
      Log("round " + std::to_string(round.number()) + ": node " + c->uid() +
          "'s contribution builds on round " + std::to_string(c->base_round()) + "'s model, " +
          std::to_string(late) + " round(s) late; merged with weight " + std::to_string(c->weight()) + "/" +
          std::to_string(1 + late));
    }
  }
  const auto tmp = store_->dir() / ("merge-" + uid_ + ".tmp");
  Digest digest;
  if (MergesByRange(options.method)) {
    // A range of every contribution at a time (1 MiB of f32 each), never N whole models.
    ASSIGN_OR_RETURN(digest, MergeBlobFiles(paths, weights, options, tmp));
  } else {
    std::vector<Model> models;
    for (const auto& p : paths) {
      ASSIGN_OR_RETURN(Model m, ReadModelFile(p));
      models.push_back(std::move(m));
    }
    std::vector<const Model*> ptrs;
    for (const auto& m : models) ptrs.push_back(&m);
    ASSIGN_OR_RETURN(Model merged, MergeModels(ptrs, weights, options));
    ASSIGN_OR_RETURN(digest, WriteModelFile(merged, tmp));
  }
  return store_->AdoptWritten(tmp, digest);  // written here: no second pass to check it
}

namespace {

// What the round's quorum is: every minPeers, or in a training's first round a larger
// start quorum (ledger/training.h RequiredPeers).
std::string QuorumName(const swarm::v1::RoundInfo& round) {
  uint32_t min_peers = 0;
  for (const auto& c : round.checkins()) min_peers = std::max(min_peers, c.min_peers());
  return round.required_peers() > min_peers ? "the start quorum (SL_START_QUORUM)" : "minPeers";
}

}  // namespace

struct RoundDriver::Watch {
  uint64_t checked_in = 0;  // the round this Sync checked in to
  // Sharded rounds: the shards this node merges now and has tried to merge; per shard, the
  // merger watched and its deadline; the recorded shards that no source served, and when.
  std::set<uint32_t> merging;
  std::map<uint32_t, std::pair<std::string, Clock::TimePoint>> shard_deadline;
  std::map<uint32_t, std::pair<std::string, Clock::TimePoint>> unreachable;  // digest, when
  std::optional<Digest> assembled;  // the merged model this node assembled from its round's shards
  std::optional<Clock::TimePoint> quorum_since;
  std::string leader;                // the leader being watched
  Clock::Duration leader_wait{};     // its merge deadline, from when it was first seen
  Clock::TimePoint leader_deadline;  // when it must have recorded its merge
  uint64_t led = 0;                  // the round this node tried to merge as leader
  Clock::TimePoint last_log;
};

Status RoundDriver::Submit(const swarm::v1::Transaction& tx) {
  Status s = sn_->Submit(tx).status();
  if (snapi::IsTransient(s)) sn_unreachable_ = true;
  return s;
}

Status RoundDriver::SubmitRacing(const swarm::v1::Transaction& tx) {
  Status s = Submit(tx);
  return s.ok() || Refused(s) ? Status::Ok() : s;
}

std::string RoundDriver::WaitingFor(const swarm::v1::TrainingInfo& t, const Watch& w,
                                    std::chrono::seconds waited) const {
  const auto& cur = t.current();
  const std::string head = "waited " + std::to_string(waited.count()) + " s ";
  const std::string where = " of contract '" + o_.contract + "'";
  if (w.checked_in == 0) {
    return head + "to check in to round " + std::to_string(cur.number()) + where +
           ": it is closed and its leader " + cur.leader() + " has not recorded its merge";
  }
  if (!cur.closed()) {
    std::string uids;
    for (const auto& c : cur.checkins()) uids += (uids.empty() ? "" : ", ") + c.uid();
    return head + "for " + QuorumName(cur) + " " + std::to_string(cur.required_peers()) + " in round " +
           std::to_string(cur.number()) + where + "; " + std::to_string(cur.checkins_size()) + " checked in" +
           (uids.empty() ? "" : ": " + uids) +
           (cur.contributors() > 0 ? "" : ", and none contributes a model");
  }
  if (cur.shards_size() > 0) {
    std::string open;
    for (const auto& s : cur.shards()) {
      if (s.digest().empty())
        open += (open.empty() ? "" : ", ") + std::to_string(s.index()) + " (merger " + s.merger() + ")";
    }
    return head + "for the merged shards of round " + std::to_string(cur.number()) + where +
           (open.empty() ? ": every shard is recorded, none is merged into the model yet"
                         : ": shards " + open + " are not recorded");
  }
  return head + "for the merged model of round " + std::to_string(cur.number()) + where + " (leader " +
         cur.leader() + ")";
}

StatusOr<SyncResult> RoundDriver::Sync(const std::optional<Digest>& contribution, bool finished,
                                       const StopCheck& stop) {
  Watch w;
  w.last_log = clock_->Now() - o_.wait_log_every;
  // The deadline counts from the last progress seen on the ledger, not from the call.
  auto started = clock_->Now();
  // round, check-ins, closed, leader, and each shard's merger and whether it is recorded
  std::tuple<uint64_t, int, bool, std::string, std::string> progress;
  const auto shard_progress = [](const swarm::v1::RoundInfo& r) {
    std::string out;
    for (const auto& s : r.shards()) out += s.merger() + (s.digest().empty() ? "-" : "+");
    return out;
  };
  const auto waited = [&] {
    return std::chrono::duration_cast<std::chrono::seconds>(clock_->Now() - started);
  };
  const auto late = [&] { return o_.sync_wait.count() > 0 && clock_->Now() - started > o_.sync_wait; };
  // Fetches a merged round's model (verified) and makes it the one this node builds on.
  // Sets moved_on when it failed because the ledger moved past that model (the round was
  // opened again after its model was lost): the loop then goes on with the new state.
  bool moved_on = false;
  // The version of the training state on which the last step did nothing: the next read
  // waits on the SN until the state is another.
  std::string idle_on;
  // The state read last (the take keeps it for the next sync), and the one the previous sync kept.
  const swarm::v1::TrainingInfo* state = nullptr;
  std::optional<swarm::v1::TrainingInfo> kept = std::exchange(state_at_take_, std::nullopt);
  const auto take = [&](const swarm::v1::RoundInfo& merged, bool contributed) -> StatusOr<SyncResult> {
    moved_on = false;
    RETURN_IF_ERROR(FetchMerged(merged, stop, [&] {
                      return moved_on = ReopenIfLost(merged);
                    }).WithContext("merged model"));
    if (state) state_at_take_ = *state;
    base_round_ = merged.number();
    Retain(recent_merged_, *Digest::FromBytes(merged.merged_digest()), kKeepMerged);
    if (contribution) Retain(recent_own_, *contribution, kKeepOwn);
    std::vector<Digest> keep = recent_merged_;
    keep.insert(keep.end(), recent_own_.begin(), recent_own_.end());
    // Its shards too: a slower participant may still be gathering them from here.
    for (const auto& shard : merged.shards()) {
      if (auto d = Digest::FromBytes(shard.digest())) keep.push_back(*d);
    }
    store_->Prune(keep);
    return SyncResult{*Digest::FromBytes(merged.merged_digest()), merged.number(), contributed,
                      merged.final()};
  };
  while (true) {
    if (const std::string why = StopWhy(stop); !why.empty()) {
      return Cancelled("the sync on contract '" + o_.contract + "' stopped after " +
                       std::to_string(waited().count()) + " s: " + why);
    }
    const std::string wait_on = std::exchange(idle_on, {});
    const bool fresh = !kept;  // a kept state was seen (on_read) when it was read
    auto got = kept             ? StatusOr<swarm::v1::TrainingInfo>(*std::exchange(kept, std::nullopt))
               : wait_on.empty() ? sn_->GetTraining(o_.contract)
                                 : sn_->WaitTraining(o_.contract, wait_on, o_.long_poll);
    if (!got.ok()) {
      if (got.status().code() == StatusCode::kNotFound) return got.status();  // no such contract
      if (late()) {
        return DeadlineExceeded("waited " + std::to_string(waited().count()) +
                                " s for the training state of contract '" + o_.contract + "' from SN " +
                                sn_->target() + ": " + got.status().message() +
                                " (SL_SYNC_MAX_WAIT_SECONDS sets the deadline)");
      }
      Log("cannot read the training state from SN " + sn_->target() + " (" + got.status().message() +
          "); retrying");
      clock_->SleepFor(std::chrono::seconds(1));
      continue;
    }
    const swarm::v1::TrainingInfo& t = *got;
    state = &t;
    if (fresh && o_.on_read) o_.on_read(t);
    const auto& cur = t.current();
    if (auto now = std::make_tuple(cur.number(), cur.checkins_size(), cur.closed(), cur.leader(),
                                   shard_progress(cur));
        now != progress) {
      progress = std::move(now);
      started = clock_->Now();
    }
    if (!resets_ && !t.done()) resets_ = t.resets();  // the training this node takes part in
    if (resets_ && t.resets() != *resets_) {
      return Aborted("the training on contract '" + o_.contract +
                     "' was reset (RESET CONTRACT) while this node took part in it" +
                     (w.checked_in ? " (round " + std::to_string(w.checked_in) + ")" : std::string()) +
                     "; this node's training ends here: start its ML program again to train anew");
    }
    // The round this node checked in to was dropped: an earlier one is being merged again
    // (its model was lost). Check in anew once that is done.
    if (w.checked_in > cur.number()) {
      Log("round " + std::to_string(w.checked_in) + " was dropped while round " +
          std::to_string(cur.number()) + " is merged again; checking in anew after it");
      w = Watch{};
      w.last_log = clock_->Now();
    }
    // The round we took part in (or a later one) has been merged.
    if (w.checked_in != 0 && t.has_last() && t.last().number() >= w.checked_in) {
      // Any participant may record a sharded round's merge: each of them assembles it from
      // the shards itself (if it can get them) and takes no other model.
      const bool sharded_here = t.last().shards_size() > 0 && t.last().number() == w.checked_in;
      if (sharded_here && !w.assembled) RETURN_IF_ERROR(AssembleFromShards(t, t.last(), w).status());
      if (sharded_here && w.assembled && t.last().merged_digest() != w.assembled->view()) {
        return DataLoss("node " + t.last().merged_by() + " recorded a merged model of round " +
                        std::to_string(w.checked_in) +
                        " that is not the one this node assembled from its shards (" +
                        w.assembled->Hex().substr(0, 12) + "): it is not taken");
      }
      auto taken = take(t.last(), contribution.has_value());
      if (taken.ok() || !moved_on) return taken;
      w.led = 0;  // the round is merged again: take part in that, as leader too
      w.leader.clear();
      w.assembled.reset();
      continue;
    }
    if (t.done()) {
      return FailedPrecondition("the training on contract '" + o_.contract +
                                "' has already finished; RESET CONTRACT starts a new one");
    }
    if (late()) {
      return DeadlineExceeded(WaitingFor(t, w, waited()) + " (SL_SYNC_MAX_WAIT_SECONDS sets the deadline)");
    }
    // A node whose weights build on an older merged model contributes them late, weighed
    // down by their staleness; one too far behind to contribute first catches up.
    if (w.checked_in == 0 && contribution && t.has_last() && base_round_ < t.last().number() &&
        !ledger::MayContribute(base_round_, t.last().number() + 1)) {
      Log("loading the merged model of round " + std::to_string(t.last().number()) + " before contributing");
      auto taken = take(t.last(), false);
      if (taken.ok() || !moved_on) return taken;
      continue;
    }
    StatusOr<bool> acted = false;
    sn_unreachable_ = false;
    if (w.checked_in == 0) {
      acted = CheckIn(t, contribution, w);
    } else if (!cur.closed()) {
      acted = MaybeClose(t, finished, w);
    } else if (cur.shards_size() > 0) {
      acted = Shards(t, contribution, w);
    } else if (cur.leader() == uid_) {
      acted = Lead(cur, w);
    } else {
      acted = WatchLeader(t, contribution, w);
    }
    if (!acted.ok() && std::exchange(sn_unreachable_, false)) {
      // What it submitted may have landed or not: the next read says, and a repeated
      // submission is refused as already done.
      Log("cannot submit to SN " + sn_->target() + " (" + acted.status().message() + "); retrying");
      clock_->SleepFor(std::chrono::seconds(1));
      continue;
    }
    if (!acted.ok()) return acted.status();
    if (*acted) continue;
    idle_on = t.version();
    if (idle_on.empty()) clock_->SleepFor(o_.poll);  // the SN cannot wait for a change
  }
}

StatusOr<bool> RoundDriver::CheckIn(const swarm::v1::TrainingInfo& t,
                                    const std::optional<Digest>& contribution, Watch& w) {
  const auto& cur = t.current();
  if (cur.closed()) {
    // This node checked in before it restarted and the round closed meanwhile: it is one
    // of its participants (it may even lead it), so it takes part as such rather than
    // waiting for a next round that no one would open.
    for (const auto& mine : cur.checkins()) {
      if (mine.uid() != uid_) continue;
      w.checked_in = cur.number();
      Log("round " + std::to_string(cur.number()) +
          " closed with this node's earlier check-in; taking part in it as checked in then");
      return true;
    }
    return false;  // wait for the next round
  }
  swarm::v1::Transaction tx;
  auto* c = tx.mutable_check_in();
  c->set_contract(o_.contract);
  c->set_round(cur.number());
  c->set_uid(uid_);
  if (contribution) c->set_model_digest(std::string(contribution->view()));
  c->set_fs_endpoint(o_.fs_endpoint);
  c->set_weight(o_.weight);
  c->set_min_peers(o_.min_peers);
  c->set_start_quorum(o_.start_quorum);
  c->set_base_round(base_round_);
  c->set_merge_method(o_.merge_method);
  c->set_close_when_complete(true);  // the last member in closes the round: no CloseRound
  c->set_shard_bytes(o_.shard_bytes);
  if (contribution) RETURN_IF_ERROR(NameSchema(t, *contribution, *c));
  Status s = Submit(tx);
  if (s.ok() || s.code() == StatusCode::kAlreadyExists) {
    w.checked_in = cur.number();
    const uint64_t late = ledger::Staleness(*c);
    Log("checked in to round " + std::to_string(w.checked_in) +
        (!contribution ? " (not contributing)"
         : late > 0 ? " with a contribution " + std::to_string(late) + " round(s) late (it builds on round " +
                          std::to_string(base_round_) + ")"
                    : ""));
    return true;
  }
  if (Refused(s)) return false;  // the round closed meanwhile
  return s;                      // a real refusal (weights, roles, ...)
}

// Names the contribution's schema in its check-in, and refuses, naming the first
// difference, a model whose schema differs from the one the training's first contribution set.
Status RoundDriver::NameSchema(const swarm::v1::TrainingInfo& t, const Digest& contribution,
                               swarm::v1::CheckIn& c) {
  ASSIGN_OR_RETURN(ModelSchema mine, ReadBlobSchema(store_->PathOf(contribution)));
  swarm::v1::ModelSchema proto = ToProto(mine);
  const std::string digest = ledger::SchemaDigest(proto);
  if (!t.schema_digest().empty() && t.schema_digest() != digest) {
    const Status diff = CompareSchemas(mine, FromProto(t.schema()), "this node's model",
                                       "the training's model (set by node " + t.schema_set_by() + ")");
    return FailedPrecondition("the ML program's model cannot join training '" + o_.contract +
                              "': " + (diff.ok() ? "its schema differs" : diff.message()));
  }
  c.set_schema_digest(digest);
  if (t.schema_digest().empty()) *c.mutable_schema() = std::move(proto);
  return Status::Ok();
}

// Closes the round once it has its quorum and every live member is in, or the grace period passed.
StatusOr<bool> RoundDriver::MaybeClose(const swarm::v1::TrainingInfo& t, bool finished, Watch& w) {
  const auto& cur = t.current();
  if (static_cast<uint32_t>(cur.checkins_size()) < cur.required_peers() || cur.contributors() == 0) {
    if (clock_->Now() - w.last_log >= o_.wait_log_every) {
      w.last_log = clock_->Now();
      Log("waiting for peers in round " + std::to_string(cur.number()) + ": " +
          std::to_string(cur.checkins_size()) + " checked in, " + QuorumName(cur) + " " +
          std::to_string(cur.required_peers()) +
          (cur.contributors() > 0 ? "" : ", and none contributes a model yet"));
    }
    return false;
  }
  std::set<std::string> in;
  for (const auto& c : cur.checkins()) in.insert(c.uid());
  bool all_live_in = true, all_finished = true;
  for (const auto& m : t.members()) {
    if (m.alive() && !in.count(m.uid())) all_live_in = false;
    if (in.count(m.uid()) && !m.finished()) all_finished = false;
  }
  if (!w.quorum_since) w.quorum_since = clock_->Now();
  if (!all_live_in && clock_->Now() - *w.quorum_since < o_.full_quorum_wait) return false;
  swarm::v1::Transaction tx;
  auto* c = tx.mutable_close_round();
  c->set_contract(o_.contract);
  c->set_round(cur.number());
  c->set_uid(uid_);
  // Final only when no live member is still training: they are all in, and all finished.
  c->set_final(finished && all_live_in && all_finished);
  RETURN_IF_ERROR(SubmitRacing(tx));
  return true;
}

StatusOr<bool> RoundDriver::Lead(const swarm::v1::RoundInfo& round, Watch& w) {
  if (w.led == round.number()) return false;  // merged (or failed to): the deadline decides now
  w.led = round.number();
  Log("leading the merge of round " + std::to_string(round.number()) + " (" +
      std::to_string(round.checkins_size()) + " participants)");
  std::vector<swarm::v1::LeftOut> left_out;
  auto merged = Merge(round, &left_out);
  if (!merged.ok()) {
    // Let the deadline pass the round on to the next leader.
    NoteError(user_log_,
              "merge of round " + std::to_string(round.number()) + " failed: " + merged.status().message());
    return false;
  }
  swarm::v1::Transaction tx;
  auto* m = tx.mutable_record_merge();
  m->set_contract(o_.contract);
  m->set_round(round.number());
  m->set_uid(uid_);
  m->set_model_digest(std::string(merged->view()));
  m->set_fs_endpoint(o_.fs_endpoint);
  for (auto& l : left_out) *m->add_left_out() = std::move(l);
  Status s = Submit(tx);
  if (s.ok() && o_.on_record) o_.on_record(*merged, false, round.number());
  if (s.ok()) {
    Log("recorded the merge of round " + std::to_string(round.number()) + " (" +
        std::to_string(round.contributors() - left_out.size()) + " contributions merged, " +
        std::to_string(left_out.size()) + " left out)");
  }
  // PermissionDenied: this node was replaced as leader while it merged.
  if (!s.ok() && !Refused(s) && s.code() != StatusCode::kPermissionDenied) return s;
  return true;
}

// Replaces the leader if its lease expired or it missed its deadline.
namespace {

bool MemberAlive(const swarm::v1::TrainingInfo& t, const std::string& uid) {
  return std::any_of(t.members().begin(), t.members().end(),
                     [&](const auto& m) { return m.uid() == uid && m.alive(); });
}

}  // namespace

Clock::Duration RoundDriver::MergeWait(double model_bytes, int participants, int shards) const {
  return o_.leader_timeout + std::chrono::milliseconds(static_cast<int64_t>(
                                 1000 * model_bytes * (participants + 1) / std::max(1, shards) /
                                 o_.leader_bytes_per_second));
}

double RoundDriver::ContributionBytes(const std::optional<Digest>& contribution) const {
  std::error_code ec;
  const auto bytes = contribution ? std::filesystem::file_size(store_->PathOf(*contribution), ec) : 0;
  return ec ? 0 : static_cast<double>(bytes);
}

Status RoundDriver::ReplaceMerger(uint64_t round, const std::string& failed, std::optional<uint32_t> shard) {
  swarm::v1::Transaction tx;
  auto* r = tx.mutable_replace_leader();
  r->set_contract(o_.contract);
  r->set_round(round);
  r->set_uid(uid_);
  r->set_failed_leader(failed);
  if (shard) r->set_shard(*shard);
  return SubmitRacing(tx);
}

// Replaces the leader if its lease expired or it missed its deadline.
StatusOr<bool> RoundDriver::WatchLeader(const swarm::v1::TrainingInfo& t,
                                        const std::optional<Digest>& contribution, Watch& w) {
  const auto& cur = t.current();
  if (cur.leader() != w.leader) {
    // The deadline grows with the bytes the leader moves: every contribution in, one model out.
    w.leader = cur.leader();
    w.leader_wait = MergeWait(ContributionBytes(contribution), cur.checkins_size(), 1);
    w.leader_deadline = clock_->Now() + w.leader_wait;
  }
  const bool alive = MemberAlive(t, w.leader);
  if (alive && clock_->Now() <= w.leader_deadline) return false;
  Log("leader " + w.leader + " of round " + std::to_string(cur.number()) +
      (alive ? " missed its merge deadline" : " is no longer alive") + "; choosing the next leader");
  RETURN_IF_ERROR(ReplaceMerger(cur.number(), w.leader, std::nullopt));
  w.leader_deadline = clock_->Now() + w.leader_wait;
  return true;
}

// --- Sharded rounds (docs/rounds.md) -----------------------------------------------------

StatusOr<bool> RoundDriver::Shards(const swarm::v1::TrainingInfo& t,
                                   const std::optional<Digest>& contribution, Watch& w) {
  for (const auto& shard : t.current().shards()) {
    if (shard.merger() != uid_) {
      w.merging.erase(shard.index());
      continue;
    }
    if (!shard.digest().empty() || !w.merging.insert(shard.index()).second) continue;
    Log("merging shard " + std::to_string(shard.index()) + " of round " +
        std::to_string(t.current().number()) + " (" + std::to_string(t.current().shards_size()) +
        " shards, " + std::to_string(t.current().contributors()) + " contributions)");
    if (Status s = MergeShard(t, shard.index()); !s.ok()) {
      // Its deadline passes the shard on to the next merger.
      NoteError(user_log_, "merge of shard " + std::to_string(shard.index()) + " of round " +
                               std::to_string(t.current().number()) + " failed: " + s.message());
    }
    return true;
  }
  ASSIGN_OR_RETURN(const bool gathered, GatherShards(t, w));
  if (gathered) return true;
  return WatchShards(t, contribution, w);
}

StatusOr<Digest> RoundDriver::StreamShard(const BlobLayout& layout, CoordRange range,
                                          const std::vector<const swarm::v1::CheckIn*>& inputs,
                                          const std::string& method,
                                          const std::map<std::string, std::string>& endpoints,
                                          std::chrono::milliseconds within, std::vector<Status>* fetched) {
  ASSIGN_OR_RETURN(const auto span, BlobSpan(layout, range));
  // This node's own contribution is read where it is; every other one's span streams in
  // from its file server and is merged as it arrives (sl/range_stream.h).
  std::vector<std::unique_ptr<RangeSource>> own;
  std::vector<RangeSource*> sources;
  std::vector<RangeStream*> streams(inputs.size(), nullptr);
  RangeFetches fetches;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Digest d = *Digest::FromBytes(inputs[i]->model_digest());
    if (store_->Has(d)) {
      ASSIGN_OR_RETURN(std::unique_ptr<RangeSource> mine, OpenRangeSource(store_->PathOf(d), layout.schema));
      own.push_back(std::move(mine));
      sources.push_back(own.back().get());
      continue;
    }
    const std::string endpoint = EndpointOf(endpoints, inputs[i]->uid(), inputs[i]->fs_endpoint());
    streams[i] = fetches.Start(span.first, [this, endpoint, d, span, within](const RangeSink& sink) {
      return peers_->FetchRange(endpoint, d, span.first, span.second - span.first, sink, within);
    });
    sources.push_back(streams[i]);
  }
  // Not a structured binding: the lambda below uses them (clang 14 cannot capture those).
  const std::pair<std::vector<uint32_t>, MergeOptions> weighed = WeighInputs(inputs, method);
  const auto tmp = store_->dir() / ("shard-" + uid_ + ".tmp");
  StatusOr<Digest> digest = [&]() -> StatusOr<Digest> {
    ASSIGN_OR_RETURN(std::unique_ptr<FileSink> sink, FileSink::Create(tmp));
    Sha256 hash;
    RETURN_IF_ERROR(MergeRangeSources(layout, sources, weighed.first, weighed.second, range,
                                      [&](std::span<const std::byte> bytes) {
                                        hash.Update(bytes);
                                        return sink->Write(bytes);
                                      }));
    RETURN_IF_ERROR(sink->Commit());
    return hash.Finish();
  }();
  fetches.Finish();  // a merge that failed leaves fetches waiting to push
  fetched->clear();
  for (RangeStream* stream : streams) fetched->push_back(stream ? stream->outcome() : Status::Ok());
  if (!digest.ok()) return digest.status();
  return store_->AdoptWritten(tmp, *digest);
}

Status RoundDriver::MergeShard(const swarm::v1::TrainingInfo& t, uint32_t index) {
  const auto& round = t.current();
  ASSIGN_OR_RETURN(const BlobLayout layout, ComputeBlobLayout(FromProto(t.schema())));
  const CoordRange range = ShardRange(TotalElements(layout.schema), round.shards_size(), index);
  const std::vector<const swarm::v1::CheckIn*> inputs = Contributions(round);
  // A range that has not come by the time the others would pass the shard on is not waited for.
  const auto within = std::chrono::duration_cast<std::chrono::milliseconds>(
      MergeWait(static_cast<double>(layout.file_bytes()), round.checkins_size(), round.shards_size()));
  // Cancelled: the fetch was stopped because the merge ended, not a failure of its own.
  const auto failed = [](const Status& s) { return !s.ok() && s.code() != StatusCode::kCancelled; };
  // A fetch that fails fails the merge: it is tried again, every range afresh, after a pause
  // and at the endpoints the nodes' latest registrations name; kFetchAttempts in all.
  std::vector<Status> fetched;
  StatusOr<Digest> merged = Unavailable("not merged");
  bool fetch_failed = false;
  for (int attempt = 0; attempt < kFetchAttempts; ++attempt) {
    if (attempt > 0) clock_->SleepFor(std::chrono::seconds(1));
    merged = StreamShard(layout, range, inputs, round.merge_method(),
                         attempt == 0 ? std::map<std::string, std::string>() : CurrentEndpoints(), within,
                         &fetched);
    fetch_failed = std::any_of(fetched.begin(), fetched.end(), failed);
    if (merged.ok() || !fetch_failed) break;
  }
  if (!merged.ok() && !fetch_failed) return merged.status();  // not a fetch: the merge or the disk
  swarm::v1::Transaction tx;
  auto* r = tx.mutable_record_shard();
  r->set_contract(o_.contract);
  r->set_round(round.number());
  r->set_uid(uid_);
  r->set_shard(index);
  r->set_fs_endpoint(o_.fs_endpoint);
  for (size_t i = 0; i < inputs.size() && !merged.ok(); ++i) {
    if (!failed(fetched[i])) continue;
    // Every shard must merge the same contributions: the round goes back to its leader,
    // which leaves this one out.
    NoteWarning(user_log_, "round " + std::to_string(round.number()) + ": shard " + std::to_string(index) +
                               " cannot fetch the model of node " + inputs[i]->uid() + " (" +
                               fetched[i].message() + "); the round's leader merges it whole instead");
    auto* l = r->add_left_out();
    l->set_uid(inputs[i]->uid());
    l->set_reason(("its model cannot be fetched: " + fetched[i].message()).substr(0, 1024));
  }
  if (merged.ok()) r->set_digest(std::string(merged->view()));
  Status s = Submit(tx);
  if (s.ok() && r->left_out_size() == 0 && o_.on_record)
    o_.on_record(*Digest::FromBytes(r->digest()), true, round.number());
  // PermissionDenied: this node was replaced as the shard's merger while it merged.
  if (!s.ok() && !Refused(s) && s.code() != StatusCode::kPermissionDenied) return s;
  return Status::Ok();
}

StatusOr<bool> RoundDriver::AssembleFromShards(const swarm::v1::TrainingInfo& t,
                                               const swarm::v1::RoundInfo& round, Watch& w) {
  if (w.assembled) return true;
  std::vector<Digest> digests;
  for (const auto& shard : round.shards()) {
    if (shard.digest().empty()) return false;
    // One its merger did not serve is tried again a second later (or merged anew, WatchShards).
    auto failed = w.unreachable.find(shard.index());
    if (failed != w.unreachable.end() && failed->second.first == shard.digest() &&
        clock_->Now() - failed->second.second < std::chrono::seconds(1)) {
      return false;
    }
    digests.push_back(*Digest::FromBytes(shard.digest()));
  }
  const ModelSchema schema = FromProto(t.schema());
  const uint64_t total = TotalElements(schema);
  // This node's own shard is read from its store; every other one streams from its merger
  // straight into the blob, checked against its recorded digest as it goes: nothing of it
  // is written but the model.
  std::vector<std::unique_ptr<RangeSource>> own;
  std::vector<RangeSource*> sources;
  std::vector<bool> streamed;
  RangeFetches fetches;
  for (size_t i = 0; i < digests.size(); ++i) {
    const Digest& d = digests[i];
    streamed.push_back(!store_->Has(d));
    if (!streamed.back()) {
      ASSIGN_OR_RETURN(std::unique_ptr<RangeSource> mine, OpenFileRange(store_->PathOf(d)));
      own.push_back(std::move(mine));
      sources.push_back(own.back().get());
      continue;
    }
    ASSIGN_OR_RETURN(const uint64_t bytes, RangeBytes(schema, ShardRange(total, digests.size(), i)));
    const std::string endpoint = round.shards(static_cast<int>(i)).fs_endpoint();
    sources.push_back(fetches.Start(0, [this, endpoint, d, bytes](const RangeSink& sink) {
      return peers_->FetchRange(endpoint, d, 0, bytes, sink, o_.merged_fetch_wait);
    }));
  }
  const auto tmp = store_->dir() / ("merge-" + uid_ + ".tmp");
  size_t bad = digests.size();
  StatusOr<Digest> assembled = AssembleShards(schema, sources, digests, tmp, &bad);
  fetches.Finish();
  if (!assembled.ok()) {
    // Not a shard from a peer (this node's own, or the disk): an error. Else that shard waits.
    if (bad >= digests.size() || !streamed[bad]) return assembled.status();
    w.unreachable[static_cast<uint32_t>(bad)] = {round.shards(static_cast<int>(bad)).digest(), clock_->Now()};
    Log("shard " + std::to_string(bad) + " of round " + std::to_string(round.number()) +
        " cannot be had yet from its merger " + round.shards(static_cast<int>(bad)).merged_by() + ": " +
        assembled.status().message());
    return false;
  }
  RETURN_IF_ERROR(store_->AdoptWritten(tmp, *assembled).status());
  w.assembled = *assembled;
  return true;
}

StatusOr<bool> RoundDriver::GatherShards(const swarm::v1::TrainingInfo& t, Watch& w) {
  const auto& round = t.current();
  if (w.assembled) return false;  // recorded, or refused: the next state says which
  ASSIGN_OR_RETURN(const bool assembled, AssembleFromShards(t, round, w));
  if (!assembled) return false;
  // The first participant to assemble it records it; the others find the round merged.
  swarm::v1::Transaction tx;
  auto* m = tx.mutable_record_merge();
  m->set_contract(o_.contract);
  m->set_round(round.number());
  m->set_uid(uid_);
  m->set_model_digest(std::string(w.assembled->view()));
  m->set_fs_endpoint(o_.fs_endpoint);
  Status s = Submit(tx);
  if (s.ok() && o_.on_record) o_.on_record(*w.assembled, false, round.number());
  if (s.ok()) {
    Log("recorded the merge of round " + std::to_string(round.number()) + " (" +
        std::to_string(round.contributors()) + " contributions merged in " +
        std::to_string(round.shards_size()) + " shards)");
  }
  if (!s.ok() && !Refused(s)) return s;
  return true;
}

// Passes a shard on when its merger died or missed its deadline, or when it was recorded
// but no one serves it.
StatusOr<bool> RoundDriver::WatchShards(const swarm::v1::TrainingInfo& t,
                                        const std::optional<Digest>& contribution, Watch& w) {
  if (w.assembled) return false;  // every shard is in this node's model
  const auto& round = t.current();
  bool acted = false;
  for (const auto& shard : round.shards()) {
    const bool recorded = !shard.digest().empty();
    if (shard.merger() == uid_) continue;
    // A recorded shard is waited for only while its merger does not serve it.
    const auto unserved = w.unreachable.find(shard.index());
    if (recorded && (unserved == w.unreachable.end() || unserved->second.first != shard.digest())) continue;
    auto& [merger, deadline] = w.shard_deadline[shard.index()];
    // A merger moves its shard's share of every contribution in and of the merged model out.
    const auto wait = [&] {
      return MergeWait(ContributionBytes(contribution), round.checkins_size(), round.shards_size());
    };
    if (merger != shard.merger()) {
      merger = shard.merger();
      deadline = clock_->Now() + wait();
    }
    const bool alive = MemberAlive(t, merger);
    // A recorded shard that its living merger does not serve yet is fetched again until then.
    if (alive && clock_->Now() <= deadline) continue;
    Log("merger " + merger + " of shard " + std::to_string(shard.index()) + " of round " +
        std::to_string(round.number()) +
        (!alive     ? " is no longer alive"
         : recorded ? " does not serve it"
                    : " missed its merge deadline") +
        "; passing the shard on");
    RETURN_IF_ERROR(ReplaceMerger(round.number(), merger, shard.index()));
    deadline = clock_->Now() + wait();
    acted = true;
  }
  return acted;
}

}  // namespace swarm::sl
