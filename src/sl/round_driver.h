#pragma once

// The SL's side of the sync-round protocol (docs/rounds.md). The ledger's contract code
// (ledger/training.h) decides what is valid; this decides, with a clock and the liveness
// leases, when to act: check in, close the round (quorum, then every live member or the
// grace period), merge as leader, replace a leader that died or missed its deadline,
// fetch and verify the merged model.

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/blob_format.h"
#include "core/clock.h"
#include "core/merge.h"
#include "core/sha256.h"
#include "sl/blob_store.h"
#include "sl/file_server.h"
#include "sl/user_log.h"
#include "snapi/sn_api.h"

namespace swarm::sl {

struct RoundOptions {
  std::string contract = "defaultbb.cqdb.sml.hpe";
  uint32_t min_peers = 1;
  // SL_START_QUORUM: how many nodes the training's first round waits for (0: minPeers).
  uint32_t start_quorum = 0;
  uint32_t weight = 1;
  std::string merge_method = "mean";
  std::string fs_endpoint;  // this node's file server, as peers reach it
  // Between steps, a sync waits on the SN (a long poll, WaitTraining) for at most `long_poll`
  // for the training to change; an SN that cannot wait answers at once, and then the sync
  // sleeps `poll` before it asks again.
  std::chrono::milliseconds long_poll{1000};
  std::chrono::milliseconds poll{100};
  // SL_WAIT_FOR_FULL_QUORUM_SECONDS: after minPeers are in, how long to wait for the rest
  // of the live members before closing the round without them.
  std::chrono::milliseconds full_quorum_wait{std::chrono::seconds(30)};
  // SL_LEADER_FAILURE_BASE_TIMEOUT: the leader's merge deadline, plus time for the bytes
  // (leader_bytes_per_second for every model it must fetch and the merge's output).
  std::chrono::milliseconds leader_timeout{std::chrono::seconds(60)};
  double leader_bytes_per_second = 50e6;
  std::chrono::seconds wait_log_every{5};
  // How long a member keeps trying the leader and the other participants for a merged
  // model before it gives up on the round.
  std::chrono::milliseconds merged_fetch_wait{std::chrono::seconds(60)};
  // SL_SYNC_MAX_WAIT_SECONDS: how long one sync may wait without progress on the ledger (a
  // check-in, a closed or merged round, a new leader) before it fails saying what it waited
  // for. Zero: no deadline, on purpose only.
  std::chrono::milliseconds sync_wait{std::chrono::hours(1)};
  // SL_SHARD_MIN_MB: this node merges shards of a round (docs/rounds.md, sharded merge) of at
  // least this many payload bytes; 0: it never does, and no round it takes part in is sharded.
  uint64_t shard_bytes = uint64_t{16} << 20;
  // Called with every training state a sync reads (the file server judges fetches by it).
  std::function<void(const swarm::v1::TrainingInfo&)> on_read;
  // Called with each blob this node has just recorded on the ledger, before the sync reads
  // the state again: a merged model (shard false) or a merged shard (true).
  std::function<void(const Digest&, bool shard, uint64_t round)> on_record;
};

struct SyncResult {
  Digest merged;             // in the blob store
  uint64_t round = 0;        // the round that produced it
  bool contributed = false;  // false: the node only caught up
  bool final = false;        // the training's final model
};

// Asked at every step of a wait: why the wait must end now (the ML program is gone, the SL
// stops), or empty to go on.
using StopCheck = std::function<std::string()>;

class RoundDriver {
 public:
  // `peers` fetches from other SLs' file servers; `user_log` (may be null) receives the
  // lines the ML program's user should see; every wait is timed by `clock`.
  RoundDriver(snapi::SnApi* sn, BlobStore* store, PeerFetcher* peers, std::string uid, RoundOptions o,
              UserLog* user_log = nullptr, Clock* clock = &SteadyClock());

  // Takes part in the current round with `contribution` (a blob in the store; nullopt:
  // take part without contributing) and returns the round's merged model. A node whose
  // weights build on a merged model too old to contribute late (ledger/round_rules.h) gets
  // the latest one first, without contributing. With `finished`, the node has ended its
  // local training, and the round may be the final one. Fails, saying what it waited for,
  // when `stop` gives a reason (Cancelled; asked between steps and between fetch attempts —
  // a fetch in flight ends when the SL cancels its PeerFetcher), when sync_wait passed
  // without progress (DeadlineExceeded), or when the training is reset under it (Aborted).
  StatusOr<SyncResult> Sync(const std::optional<Digest>& contribution, bool finished,
                            const StopCheck& stop = {});

  // When the training is in progress (it has a merged round and is not done): fetches its
  // latest merged model, which this node then builds on, so that a program that starts
  // (again) resumes from it instead of from its own first weights. Nullopt when there is
  // nothing to resume or the model cannot be fetched within `wait` (the first sync catches
  // up then, as before); says which in the log.
  std::optional<SyncResult> Resume(std::chrono::milliseconds wait);

  // Says on the ledger that this node's local training has ended.
  Status Finish();

  uint64_t base_round() const { return base_round_; }
  const std::string& uid() const { return uid_; }
  const RoundOptions& options() const { return o_; }

 private:
  struct Watch;  // what one Sync call has seen over time
  // One step of Sync on the training state `t`, each for one situation; they return
  // false when nothing was done (Sync then waits for a change), or an error that ends Sync.
  StatusOr<bool> CheckIn(const swarm::v1::TrainingInfo& t, const std::optional<Digest>& contribution,
                         Watch& w);
  Status NameSchema(const swarm::v1::TrainingInfo& t, const Digest& contribution, swarm::v1::CheckIn& c);
  StatusOr<bool> MaybeClose(const swarm::v1::TrainingInfo& t, bool finished, Watch& w);
  StatusOr<bool> Lead(const swarm::v1::RoundInfo& round, Watch& w);
  StatusOr<bool> WatchLeader(const swarm::v1::TrainingInfo& t, const std::optional<Digest>& contribution,
                             Watch& w);
  // A sharded round: merges this node's shards, gathers the recorded ones (and assembles and
  // records the merged model once it has them all), replaces the mergers that failed.
  StatusOr<bool> Shards(const swarm::v1::TrainingInfo& t, const std::optional<Digest>& contribution,
                        Watch& w);
  Status MergeShard(const swarm::v1::TrainingInfo& t, uint32_t shard);
  // One try at merging coordinates `range` of `inputs` (the other nodes' ranges streamed in)
  // into the store, each range fetch taking at most `within`; `fetched` gets each input's
  // fetch outcome (Ok for this node's own).
  StatusOr<Digest> StreamShard(const BlobLayout& layout, CoordRange range,
                               const std::vector<const swarm::v1::CheckIn*>& inputs,
                               const std::string& method, const std::map<std::string, std::string>& endpoints,
                               std::chrono::milliseconds within, std::vector<Status>* fetched);
  StatusOr<bool> GatherShards(const swarm::v1::TrainingInfo& t, Watch& w);
  // Writes the merged model from `round`'s shards once every one is recorded (its digest goes
  // to `w`); false while some are not, or while a merger does not serve its shard (noted in
  // `w`, tried again a second later).
  StatusOr<bool> AssembleFromShards(const swarm::v1::TrainingInfo& t, const swarm::v1::RoundInfo& round,
                                    Watch& w);
  StatusOr<bool> WatchShards(const swarm::v1::TrainingInfo& t, const std::optional<Digest>& contribution,
                             Watch& w);
  // Runs `fetch(i, endpoint)` for every input in parallel, then again after a pause (at the
  // endpoints the nodes' latest registrations name) for those that failed, kFetchAttempts
  // passes in all. A wrong digest (DataLoss) or a cut fetch (Cancelled) is not tried again.
  std::vector<Status> FetchEach(const std::vector<const swarm::v1::CheckIn*>& inputs,
                                const std::function<Status(size_t, const std::string&)>& fetch);
  // A merger's deadline (the leader's, or a shard's): SL_LEADER_FAILURE_BASE_TIMEOUT plus the
  // time at leader_bytes_per_second for its share (1/shards) of every participant's model in
  // and of the merged model out.
  Clock::Duration MergeWait(double model_bytes, int participants, int shards) const;
  // The size of this node's contribution, 0 without one.
  double ContributionBytes(const std::optional<Digest>& contribution) const;
  // Asks the ledger to pass round `round` (or one shard of it) on from merger `failed`.
  Status ReplaceMerger(uint64_t round, const std::string& failed, std::optional<uint32_t> shard);
  // Submits `tx` to the SN; a failure to reach it (not a refusal) sets sn_unreachable_.
  Status Submit(const swarm::v1::Transaction& tx);
  // Submits `tx`; a refusal that only means another node acted first is not an error.
  Status SubmitRacing(const swarm::v1::Transaction& tx);
  // Merges the round's contributions; those that cannot be fetched go to `left_out`, with why.
  StatusOr<Digest> Merge(const swarm::v1::RoundInfo& round, std::vector<swarm::v1::LeftOut>* left_out);
  // `within`: how long the fetch may take (Resume's deadline), beyond the fetcher's own timeout.
  Status Fetch(const std::string& endpoint, const std::string& digest,
               std::chrono::milliseconds within = std::chrono::milliseconds::max());
  // Each SL's file server as its latest registration names it (empty when the SN cannot say).
  std::map<std::string, std::string> CurrentEndpoints();
  // Fetches `merged`'s model from its leader or, if the leader is gone, from any
  // participant that already has it, trying them in turn until merged_fetch_wait passes.
  // Between passes it asks `moved_on` whether the ledger has moved past that model (see
  // ReopenIfLost): then it stops, Aborted. With `until`, it gives up then, also in the middle
  // of a fetch.
  Status FetchMerged(const swarm::v1::RoundInfo& merged, const StopCheck& stop,
                     const std::function<bool()>& moved_on,
                     std::optional<Clock::TimePoint> until = std::nullopt);
  // Asked while no one serves `merged`'s model: true when the ledger has moved past it (the
  // round was reopened, or a later one merged). If it is lost — its merger's lease expired,
  // no node checked in since, and this node took part — asks the ledger to redo the round.
  bool ReopenIfLost(const swarm::v1::RoundInfo& merged);
  // What a sync that has waited `waited` on training state `t` is waiting for.
  std::string WaitingFor(const swarm::v1::TrainingInfo& t, const Watch& w, std::chrono::seconds waited) const;
  void Log(const std::string& message) const;

  snapi::SnApi* sn_;
  BlobStore* store_;
  PeerFetcher* peers_;
  std::string uid_;
  RoundOptions o_;
  UserLog* user_log_;
  Clock* clock_;
  uint64_t base_round_ = 0;         // the merged round this node's weights build on
  std::optional<uint64_t> resets_;  // the contract's resets when this node joined its training
  // The training state on which the last sync took its merged model: the next sync checks in
  // on it without reading the state again (the ML program calls it at once, and the next
  // round is most often still open). A state that moved on meanwhile costs a refused
  // check-in, and the sync then reads and acts on the state as it is.
  std::optional<swarm::v1::TrainingInfo> state_at_take_;
  // A step of the sync failed because a submission did not reach the SN (a partition, an SN
  // restarting): the sync reads the state again, retrying as a failed read does, until its
  // deadline, instead of ending the ML program's training.
  bool sn_unreachable_ = false;
  // Retention: the latest merged models and this node's latest contributions stay in the
  // store (peers fetch them, the program reads the last one); older blobs are pruned.
  static constexpr size_t kKeepMerged = 3, kKeepOwn = 2;
  std::vector<Digest> recent_merged_, recent_own_;
  void Retain(std::vector<Digest>& recent, const Digest& d, size_t keep);
};

}  // namespace swarm::sl
