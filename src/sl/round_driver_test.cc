// The round protocol with N peers as threads: real RoundDrivers and the real contract code
// (through an SN in memory), peers' file servers as each other's stores, and simulated
// time, so that deadlines of minutes pass at once and each test runs in well under a second.
// Faults are injected at exact points of the protocol through the SN's hook.

#include "sl/round_driver.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "core/blob_reader.h"
#include "core/blob_writer.h"
#include "core/merge_files.h"
#include "core/sim_clock.h"
#include "core/test_util.h"
#include "ledger/transaction.h"
#include "sl/model_schema.h"
#include "sl/testing/round_fakes.h"

namespace swarm::sl {
namespace {

using swarm::v1::Transaction;
using ::testing::HasSubstr;

const ModelSchema kSchema{{"w", DType::kF32, {4}}};

struct Peer {
  std::string uid;
  std::unique_ptr<BlobStore> store;
  std::unique_ptr<snapi::SnApi> sn;
  std::unique_ptr<RoundDriver> driver;
  std::vector<SyncResult> results;  // every sync that returned, in order
  Status error;                     // the sync that failed, if one did
  std::string endpoint() const { return "sl-" + uid + ":30305"; }
};

class RoundDriverTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(sn_.CreateContract("c").ok()); }
  RoundOptions Options(uint32_t min_peers) {
    RoundOptions o;
    o.contract = "c";
    o.min_peers = min_peers;
    o.poll = std::chrono::milliseconds(100);
    return o;
  }

  void AddPeers(int n, const RoundOptions& o) {
    for (int i = 0; i < n; ++i) {
      auto p = std::make_unique<Peer>();
      p->uid = std::string(1, static_cast<char>('a' + peers_.size()));
      p->store = std::make_unique<BlobStore>(dir_.path() / p->uid);
      ASSERT_TRUE(p->store->Init().ok());
      p->sn = sn_.AddSl(p->uid);
      peers_fs_.Serve(p->endpoint(), p->store.get());
      RoundOptions mine = o;
      mine.fs_endpoint = p->endpoint();
      p->driver = std::make_unique<RoundDriver>(p->sn.get(), p->store.get(), &peers_fs_, p->uid, mine,
                                                nullptr, &clock_);
      peers_.push_back(std::move(p));
    }
  }

  // The round `tx` closed, 0 if none: a CloseRound, or the check-in that completed its round.
  uint64_t RoundClosedBy(const Transaction& tx) {
    if (tx.has_close_round()) return tx.close_round().round();
    const auto& cur = sn_.training("c").current;
    return tx.has_check_in() && cur.closed && cur.number == tx.check_in().round() ? cur.number : 0;
  }

  // Every peer so far syncs once, all at the same time (their first contributions).
  void SyncOnceEach() {
    std::vector<std::thread> threads;
    for (size_t i = 0; i < peers_.size(); ++i) clock_.Join();
    for (auto& peer : peers_) {
      threads.emplace_back([this, p = peer.get()] {
        auto r = p->driver->Sync(Contribution(*p, 1), false);
        EXPECT_TRUE(r.ok()) << r.status().message();
        clock_.Leave();
      });
    }
    for (auto& t : threads) t.join();
  }

  // The model peer `p` contributes to its `k`-th sync: value i is 10·(index + 1)² + k + i, so
  // that no merge of several equals any one contribution (and no two shards are alike).
  Digest Contribution(Peer& p, int k) {
    Model m(kSchema);
    const int n = p.uid[0] - 'a' + 1;
    const float v = static_cast<float>(10 * n * n + k);
    for (int i = 0; i < 4; ++i) m.tensors()[0].as<float>()[i] = v + static_cast<float>(i);
    const auto tmp = p.store->dir() / ("local-" + std::to_string(k) + ".tmp");
    EXPECT_TRUE(WriteModelFile(m, tmp).ok());
    auto d = p.store->Adopt(tmp);
    EXPECT_TRUE(d.ok()) << d.status().message();
    return *d;
  }

  float ValueOf(Peer& p, const Digest& d) {
    auto m = ReadModelFile(p.store->PathOf(d));
    EXPECT_TRUE(m.ok()) << m.status().message();
    return m.ok() ? m->tensors()[0].as<float>()[0] : -1;
  }

  // Each peer trains (train_time_, a simulated second by default) and contributes, `rounds` times, then
  // finishes and syncs until the final model; a peer that only caught up with the latest merged model
  // contributes at once. A killed peer stops where it is. Returns when every peer's thread has ended.
  void Train(int rounds) {
    std::vector<std::thread> threads;
    for (size_t i = 0; i < peers_.size(); ++i) clock_.Join();  // all take part from the start
    for (auto& peer : peers_) {
      threads.emplace_back([this, rounds, p = peer.get()] {
        const StopCheck killed = [this, p] {
          return sn_.killed(p->uid) ? std::string("killed") : std::string();
        };
        bool caught_up = false;
        if (auto late = start_late_.find(p->uid); late != start_late_.end()) clock_.SleepFor(late->second);
        for (int k = 1; k <= rounds && !sn_.killed(p->uid); ++k) {
          if (!caught_up) clock_.SleepFor(train_time_(*p, k));
          auto r = p->driver->Sync(Contribution(*p, k), false, killed);
          if (!r.ok()) {
            p->error = r.status();
            break;
          }
          p->results.push_back(*r);
          caught_up = !r->contributed;
          if (caught_up) --k;  // contribute again, on the model it now has
        }
        if (p->error.ok() && !sn_.killed(p->uid)) {
          p->error = p->driver->Finish();
          while (p->error.ok()) {
            auto r = p->driver->Sync(Contribution(*p, rounds), true, killed);
            if (!r.ok()) {
              p->error = r.status();
              break;
            }
            p->results.push_back(*r);
            if (r->final) break;
          }
        }
        clock_.Leave();
      });
    }
    for (auto& t : threads) t.join();
  }

  // Kills `uid` as a crashed host: its SN client and file server stop, its lease is gone.
  void Kill(const std::string& uid) {
    sn_.Kill(uid);
    peers_fs_.StopServing("sl-" + uid + ":30305");
  }

  std::function<Clock::Duration(const Peer&, int)> train_time_ = [](const Peer&, int) {
    return std::chrono::seconds(1);
  };
  std::map<std::string, Clock::Duration> start_late_;  // peers that start their program late
  swarm::testing::ScopedTempDir dir_{"round_driver_test"};
  SimClock clock_;
  testing::MemorySn sn_;
  testing::MemoryPeers peers_fs_;
  std::vector<std::unique_ptr<Peer>> peers_;
};

TEST_F(RoundDriverTest, ThreePeersMergeEveryRoundAndEndWithTheSameFinalModel) {
  AddPeers(3, Options(3));
  Train(3);
  for (auto& p : peers_) {
    ASSERT_TRUE(p->error.ok()) << p->uid << ": " << p->error.message();
    ASSERT_EQ(p->results.size(), 4u) << p->uid;  // three rounds and the final one
    EXPECT_TRUE(p->results.back().final);
    for (size_t k = 0; k < 4; ++k) {
      EXPECT_EQ(p->results[k].round, k + 1);
      EXPECT_EQ(p->results[k].merged, peers_[0]->results[k].merged) << p->uid << " round " << k + 1;
    }
  }
  // Round 2: the mean of 12, 42 and 92.
  EXPECT_FLOAT_EQ(ValueOf(*peers_[0], peers_[0]->results[1].merged), 146.0f / 3);
  EXPECT_EQ(sn_.Count(Transaction::kRecordMerge), 4);
  EXPECT_EQ(sn_.Count(Transaction::kRedoRound), 0);
  // Every live member checks in at once, so no round waited out the 30 s grace period.
  EXPECT_LT(clock_.elapsed(), std::chrono::seconds(10));
}

// A sync checks in on the state its previous sync took the merged model from, without
// reading it again: a lone node's round is a check-in, a read that finds it closed (it
// leads), its record and a read that finds it merged. A kept state that moved on meanwhile
// costs a refused check-in: the node that slept through two rounds catches up and goes on.
TEST_F(RoundDriverTest, ASyncChecksInOnTheStateThePreviousSyncTookItsModelFrom) {
  AddPeers(2, Options(1));
  clock_.Join();
  Peer& a = *peers_[0];
  Peer& b = *peers_[1];
  sn_.SetAlive("b", false);  // a trains alone first
  for (int k = 1; k <= 3; ++k) {
    const int before = sn_.reads();
    auto r = a.driver->Sync(Contribution(a, k), false);
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->round, static_cast<uint64_t>(k));
    EXPECT_EQ(sn_.reads() - before, k == 1 ? 3 : 2) << "sync " << k;
  }
  // b catches up with round 3 and merges rounds 4 and 5 alone, while a's kept state still
  // has round 4 open.
  sn_.SetAlive("a", false);
  sn_.SetAlive("b", true);
  for (int k = 1; k <= 3; ++k) ASSERT_TRUE(b.driver->Sync(Contribution(b, k), false).ok());
  ASSERT_EQ(sn_.training("c").last->number, 5u);
  sn_.SetAlive("a", true);
  sn_.SetAlive("b", false);
  auto r = a.driver->Sync(Contribution(a, 4), false);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->round, 6u);  // its contribution went into round 6 (two rounds late), not round 4
  EXPECT_TRUE(r->contributed);
  clock_.Leave();
}

// A node cut off from its SN (a partition, the SN restarting) keeps its sync going: the
// check-in on its kept state does not reach the SN, and the sync retries, as a failed read
// does, until the network heals, instead of ending the ML program's training.
TEST_F(RoundDriverTest, ASyncCutOffFromTheSnRetriesUntilTheNetworkHeals) {
  AddPeers(1, Options(1));
  Peer& a = *peers_[0];
  clock_.Join();
  ASSERT_TRUE(a.driver->Sync(Contribution(a, 1), false).ok());
  sn_.Kill("a");
  clock_.Join();  // the network's, so that time does not jump past the heal
  std::thread network([&] {
    clock_.SleepFor(std::chrono::seconds(5));
    sn_.Heal("a");
    clock_.Leave();
  });
  auto r = a.driver->Sync(Contribution(a, 2), false);
  network.join();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->round, 2u);
  EXPECT_TRUE(r->contributed);
  EXPECT_GE(clock_.elapsed(), std::chrono::seconds(5));
  clock_.Leave();
}

// Sharded rounds (docs/rounds.md): every participant merges one coordinate range of every
// contribution; the merged model is the same bit for bit as one leader's whole merge.
class ShardedRoundTest : public RoundDriverTest {
 protected:
  RoundOptions Sharded(uint32_t min_peers) {
    RoundOptions o = Options(min_peers);
    o.shard_bytes = 1;  // the 16-byte model in one shard per participant
    return o;
  }
  // The digest one leader's merge of round `r`'s contributions gives.
  Digest WholeMerge(const ledger::Round& r) {
    std::vector<std::filesystem::path> paths;
    std::vector<uint32_t> weights;
    for (const auto& [uid, c] : r.checkins) {
      if (c.checkin.model_digest().empty()) continue;
      paths.push_back(peers_[uid[0] - 'a']->store->PathOf(*Digest::FromBytes(c.checkin.model_digest())));
      weights.push_back(c.checkin.weight());
    }
    MergeOptions o;
    auto d = MergeBlobFiles(paths, weights, o, dir_.path() / "whole.blob");
    EXPECT_TRUE(d.ok()) << d.status().message();
    return d.ok() ? *d : Digest();
  }
  // Checks each merge recorded against WholeMerge; counts the sharded ones.
  void CheckEveryMerge() {
    sn_.OnApplied([this](const Transaction& tx) { Check(tx); });
  }
  void Check(const Transaction& tx) {
    if (!tx.has_record_merge()) return;
    const ledger::Round r = *sn_.training("c").last;
    if (!r.shards.empty()) ++sharded_merges_;
    if (r.left_out.empty()) {
      EXPECT_EQ(Digest::FromBytes(tx.record_merge().model_digest())->Hex(), WholeMerge(r).Hex())
          << "round " << r.number;
    }
  }
  int sharded_merges_ = 0;
};

TEST_F(ShardedRoundTest, ThreePeersMergeShardByShardTheSameModelAsOneLeader) {
  AddPeers(3, Sharded(3));
  CheckEveryMerge();
  Train(3);
  for (auto& p : peers_) {
    ASSERT_TRUE(p->error.ok()) << p->uid << ": " << p->error.message();
    ASSERT_EQ(p->results.size(), 4u) << p->uid;
    EXPECT_TRUE(p->results.back().final);
    for (size_t k = 0; k < 4; ++k) EXPECT_EQ(p->results[k].merged, peers_[0]->results[k].merged);
  }
  EXPECT_FLOAT_EQ(ValueOf(*peers_[0], peers_[0]->results[1].merged), 146.0f / 3);
  EXPECT_EQ(sharded_merges_, 4);
  EXPECT_EQ(sn_.Count(Transaction::kRecordShard), 4 * 3);
  EXPECT_EQ(sn_.Count(Transaction::kRecordMerge), 4);  // one per round: the first to assemble it
  // Every round, each merger fetched its range of the two other contributions, and each node
  // the two other merged shards (but in the final round, whose contributions are round 3's,
  // those it still held from round 3).
  EXPECT_GE(peers_fs_.range_fetches(), 4 * 3 * 2 + 3 * 3 * 2);
  EXPECT_LE(peers_fs_.range_fetches(), 4 * 3 * 2 * 2);
  EXPECT_LT(clock_.elapsed(), std::chrono::seconds(10));
}

// In a sharded round any participant may record the merged model; every other one assembles
// the model from the recorded shards itself and refuses a recorded digest that differs.
TEST_F(ShardedRoundTest, AMergedModelThatIsNotTheShardsIsRefusedByEveryoneWhoAssembledThem) {
  AddPeers(3, Sharded(3));
  bool forged = false;
  sn_.OnApplied([&](const Transaction& tx) {
    if (forged || !tx.has_record_shard()) return;
    const ledger::Training t = sn_.training("c");
    for (const auto& shard : t.current.shards) {
      if (shard.digest.empty()) return;
    }
    forged = true;  // as soon as the last shard is in, before anyone could assemble them
    Transaction f;
    auto* m = f.mutable_record_merge();
    m->set_contract("c");
    m->set_round(t.current.number);
    m->set_uid("a");
    m->set_model_digest(std::string(32, 'F'));
    m->set_fs_endpoint(peers_[0]->endpoint());
    ASSERT_TRUE(sn_.Submit("a", {f}).ok());
  });
  Train(1);
  ASSERT_TRUE(forged);
  for (auto& p : peers_) {
    EXPECT_EQ(p->error.code(), StatusCode::kDataLoss) << p->uid << ": " << p->error.message();
    EXPECT_THAT(
        p->error.message(),
        HasSubstr("node a recorded a merged model of round 1 that is not the one this node assembled"));
  }
}

// A shard merger that stays alive but never records its shard is replaced once its deadline
// passed; the next merger in the shard's order merges it from every contribution.
TEST_F(ShardedRoundTest, AShardMergerThatMissesItsDeadlineIsReplacedByTheNext) {
  AddPeers(3, Sharded(2));
  std::string stuck;
  uint32_t stuck_shard = 0;
  sn_.OnApplied([&](const Transaction& tx) {
    Check(tx);
    if (RoundClosedBy(tx) == 2 && stuck.empty()) {
      const auto& cur = sn_.training("c").current;
      ASSERT_EQ(cur.shards.size(), 3u);
      stuck_shard = 1;
      stuck = cur.ShardMerger(stuck_shard);
      sn_.Kill(stuck);  // its client fails, but the ledger still sees its lease, and it serves
      sn_.SetAlive(stuck, true);
    }
    if (tx.has_replace_leader() && tx.replace_leader().has_shard()) {
      EXPECT_EQ(tx.replace_leader().failed_leader(), stuck);
      EXPECT_EQ(tx.replace_leader().shard(), stuck_shard);
    }
    // Its shard was merged by another: its lease runs out (else it would hold off the final round).
    if (tx.has_record_shard() && tx.record_shard().round() == 2 && tx.record_shard().shard() == stuck_shard) {
      EXPECT_NE(tx.record_shard().uid(), stuck);
      EXPECT_EQ(tx.record_shard().left_out_size(), 0);
      sn_.SetAlive(stuck, false);
    }
  });
  Train(3);
  ASSERT_FALSE(stuck.empty());
  EXPECT_EQ(sn_.Count(Transaction::kReplaceLeader), 1);
  for (auto& p : peers_) {
    if (p->uid == stuck) continue;
    ASSERT_TRUE(p->error.ok()) << p->uid << ": " << p->error.message();
    EXPECT_TRUE(p->results.back().final) << p->uid;
  }
  EXPECT_GE(clock_.elapsed(), std::chrono::seconds(60));
  EXPECT_GE(sharded_merges_, 3);
}

// A shard merger dies as its round closes: the other mergers cannot fetch its contribution,
// so the round goes back to its leader, which merges it whole without that model.
TEST_F(ShardedRoundTest, AShardMergerThatDiesHasItsRoundMergedByTheLeaderWithoutItsModel) {
  AddPeers(3, Sharded(2));
  std::string dead;
  int fell_back = 0;
  sn_.OnApplied([&](const Transaction& tx) {
    Check(tx);
    if (RoundClosedBy(tx) == 2 && dead.empty()) {
      dead = sn_.training("c").current.ShardMerger(2);
      Kill(dead);
    }
    if (tx.has_record_shard() && tx.record_shard().left_out_size() > 0) {
      EXPECT_EQ(tx.record_shard().left_out(0).uid(), dead);
      ++fell_back;
    }
    if (tx.has_record_merge() && tx.record_merge().round() == 2) {
      ASSERT_EQ(tx.record_merge().left_out_size(), 1);
      EXPECT_EQ(tx.record_merge().left_out(0).uid(), dead);
    }
  });
  Train(3);
  ASSERT_FALSE(dead.empty());
  EXPECT_GE(fell_back, 1);
  std::vector<Peer*> survivors;
  for (auto& p : peers_) {
    if (p->uid == dead) continue;
    survivors.push_back(p.get());
    ASSERT_TRUE(p->error.ok()) << p->uid << ": " << p->error.message();
    EXPECT_TRUE(p->results.back().final) << p->uid;
  }
  EXPECT_EQ(survivors[0]->results.back().merged, survivors[1]->results.back().merged);
  // Rounds 3 and the final one have two participants: sharded again.
  EXPECT_GE(sharded_merges_, 3);
}

// The leader of round 3 records its merge and its file server goes before anyone fetched
// the model; its node dies then (`die_at`: at once, or when it checks in to round 4). The
// others find nobody serving the model, the round is reopened on the ledger and merged again
// by the next leader from the contributions that can still be fetched.
class LostMergeTest : public RoundDriverTest {
 protected:
  void Run(bool dies_at_next_checkin) {
    AddPeers(3, Options(2));
    // Round 3: by then every peer is a member, so all three take part in it.
    std::string dead;
    size_t first_participants = 0, redo_participants = 0;
    float expected = 0;
    std::string left_out;
    sn_.OnApplied([&](const Transaction& tx) {
      if (dies_at_next_checkin && tx.has_check_in() && tx.check_in().uid() == dead &&
          tx.check_in().round() == 4) {
        sn_.Kill(dead);
      }
      if (!tx.has_record_merge() || tx.record_merge().round() != 3) return;
      const ledger::Round round = *sn_.training("c").last;
      if (dead.empty()) {
        dead = tx.record_merge().uid();
        first_participants = round.checkins.size();
        peers_fs_.StopServing("sl-" + dead + ":30305");
        if (!dies_at_next_checkin) sn_.Kill(dead);
        return;
      }
      // The merge again: the mean of every contribution but the dead node's, which the
      // record names as left out.
      redo_participants = round.checkins.size();
      for (const auto& l : round.left_out) left_out += l.uid() + ": " + l.reason() + "\n";
      float sum = 0;
      int n = 0;
      for (const auto& [uid, c] : round.checkins) {
        if (uid == dead || c.checkin.model_digest().empty()) continue;
        sum += ValueOf(*peers_[uid[0] - 'a'], *Digest::FromBytes(c.checkin.model_digest()));
        ++n;
      }
      expected = sum / static_cast<float>(n);
    });
    Train(4);
    ASSERT_FALSE(dead.empty());
    EXPECT_EQ(first_participants, 3u);
    EXPECT_EQ(redo_participants, 3u);  // the same participants; the dead one's model is left out
    EXPECT_EQ(left_out, dead + ": its model cannot be fetched: file server sl-" + dead +
                            ":30305: connection refused\n");
    EXPECT_EQ(sn_.Count(Transaction::kRedoRound), 1);
    std::vector<Peer*> survivors;
    for (auto& p : peers_) {
      if (p->uid != dead) survivors.push_back(p.get());
    }
    ASSERT_EQ(survivors.size(), 2u);
    for (Peer* p : survivors) {
      ASSERT_TRUE(p->error.ok()) << p->uid << ": " << p->error.message();
      EXPECT_TRUE(p->results.back().final) << p->uid;
      EXPECT_EQ(p->results.back().merged, survivors[0]->results.back().merged);
      auto third =
          std::find_if(p->results.begin(), p->results.end(), [](const auto& r) { return r.round == 3; });
      ASSERT_NE(third, p->results.end()) << p->uid;
      EXPECT_TRUE(third->contributed);
      EXPECT_FLOAT_EQ(ValueOf(*p, third->merged), expected) << p->uid;
    }
    // The stall: passes over the sources until the merger is gone, the redo, the new merge
    // (the dead node's contribution tried three times, a second apart): well within the
    // 60 s fetch wait.
    EXPECT_LT(clock_.elapsed(), std::chrono::seconds(20));
  }
};

TEST_F(LostMergeTest, ALeaderThatDiedRightAfterRecordingItsMerge) { Run(false); }

// Its own check-in to round 4 (it had the model) is no sign that anyone else has it.
TEST_F(LostMergeTest, ALeaderThatDiedAfterCheckingInToTheNextRound) { Run(true); }

// The leader dies as its round closes: the others see its lease gone, replace it, and the
// next leader merges without the dead node's contribution.
TEST_F(RoundDriverTest, ALeaderThatDiesBeforeMergingIsReplaced) {
  AddPeers(3, Options(2));
  std::string dead;
  sn_.OnApplied([&](const Transaction& tx) {
    if (RoundClosedBy(tx) == 2 && dead.empty()) {
      dead = sn_.training("c").current.leader();
      Kill(dead);
    }
  });
  Train(3);
  ASSERT_FALSE(dead.empty());
  EXPECT_GE(sn_.Count(Transaction::kReplaceLeader), 1);
  EXPECT_EQ(sn_.Count(Transaction::kRedoRound), 0);
  for (auto& p : peers_) {
    if (p->uid == dead) continue;
    ASSERT_TRUE(p->error.ok()) << p->uid << ": " << p->error.message();
    EXPECT_TRUE(p->results.back().final) << p->uid;
  }
}

// A leader that stays alive but never records its merge is replaced once its merge
// deadline (SL_LEADER_FAILURE_BASE_TIMEOUT, 60 s) has passed.
TEST_F(RoundDriverTest, ALeaderThatMissesItsMergeDeadlineIsReplaced) {
  AddPeers(3, Options(2));
  std::string stuck;
  sn_.OnApplied([&](const Transaction& tx) {
    if (RoundClosedBy(tx) == 1 && stuck.empty()) {
      stuck = sn_.training("c").current.leader();
      sn_.Kill(stuck);  // its client fails, but the ledger still sees its lease
      sn_.SetAlive(stuck, true);
    }
    // Replaced; its lease then runs out (else, being alive, it would hold off the final round).
    if (tx.has_replace_leader()) sn_.SetAlive(stuck, false);
  });
  Train(2);
  ASSERT_FALSE(stuck.empty());
  EXPECT_GE(sn_.Count(Transaction::kReplaceLeader), 1);
  for (auto& p : peers_) {
    if (p->uid == stuck) continue;
    ASSERT_TRUE(p->error.ok()) << p->uid << ": " << p->error.message();
    EXPECT_TRUE(p->results.back().final) << p->uid;
  }
  EXPECT_GE(clock_.elapsed(), std::chrono::seconds(60));
}

TEST_F(RoundDriverTest, ASyncWithoutItsQuorumEndsAtItsDeadlineSayingWhatItWaitedFor) {
  RoundOptions o = Options(3);
  o.sync_wait = std::chrono::seconds(600);
  AddPeers(2, o);
  Train(1);
  for (auto& p : peers_) {
    EXPECT_EQ(p->error.code(), StatusCode::kDeadlineExceeded) << p->uid;
    EXPECT_THAT(p->error.message(),
                HasSubstr("for minPeers 3 in round 1 of contract 'c'; 2 checked in: a, b"));
  }
  EXPECT_GE(clock_.elapsed(), std::chrono::seconds(600));
  EXPECT_LT(clock_.elapsed(), std::chrono::seconds(602));
}

// Each peer trains 30 s a round; peer c starts its program 10 s after the others. minPeers 2.
class StartQuorumTest : public RoundDriverTest {
 protected:
  SyncResult FirstSyncOfALateNode(uint32_t start_quorum) {
    RoundOptions o = Options(2);
    o.start_quorum = start_quorum;
    AddPeers(3, o);
    train_time_ = [](const Peer&, int) { return std::chrono::seconds(30); };
    start_late_["c"] = std::chrono::seconds(10);
    Train(2);
    for (auto& p : peers_) EXPECT_TRUE(p->error.ok()) << p->uid << ": " << p->error.message();
    EXPECT_FALSE(peers_[2]->results.empty());
    return peers_[2]->results.empty() ? SyncResult{} : peers_[2]->results.front();
  }
};

// By minPeers alone, round 1 closes without c (it is not a member yet): c's first sync only
// catches up with round 1's merged model (its weights build on no merged model).
TEST_F(StartQuorumTest, WithoutOneANodeThatStartsLateMissesTheFirstRound) {
  const SyncResult first = FirstSyncOfALateNode(0);
  EXPECT_FALSE(first.contributed);
  EXPECT_EQ(first.round, 1u);
}

// The start quorum holds round 1 until all three are in.
TEST_F(StartQuorumTest, TheFirstRoundWaitsForEveryNodeOfTheStartQuorum) {
  const SyncResult first = FirstSyncOfALateNode(3);
  EXPECT_TRUE(first.contributed);
  EXPECT_EQ(first.round, 1u);
}

// Peer c trains 50 s a round, the others 1 s: round 2 closes without it after the 30 s
// grace. Its contribution is not thrown away: it joins round 3 one round late and is merged
// with half its weight.
TEST_F(RoundDriverTest, ALateContributionIsMergedIntoTheNextRoundWithHalfItsWeight) {
  RoundOptions o = Options(2);
  o.start_quorum = 3;  // round 1 with all three
  AddPeers(3, o);
  train_time_ = [](const Peer& p, int k) {
    return p.uid == "c" && k > 1 ? std::chrono::seconds(50) : std::chrono::seconds(1);
  };
  Train(3);
  for (auto& p : peers_) ASSERT_TRUE(p->error.ok()) << p->uid << ": " << p->error.message();
  const auto& a = peers_[0]->results;
  const auto& c = peers_[2]->results;
  ASSERT_GE(a.size(), 3u);
  ASSERT_GE(c.size(), 2u);
  EXPECT_EQ(c[0].round, 1u);
  // c's second contribution (value 92, built on round 1) went into round 3, with a's and b's
  // third (13, 43, built on round 2): weights 1, 1 and 1/2.
  EXPECT_TRUE(c[1].contributed);
  EXPECT_EQ(c[1].round, 3u);
  EXPECT_EQ(c[1].merged, a[2].merged);
  EXPECT_FLOAT_EQ(ValueOf(*peers_[0], a[2].merged), (13.0f + 43.0f + 92.0f / 2) / 2.5f);
  // Every node ends with the same final model.
  for (auto& p : peers_) EXPECT_EQ(p->results.back().merged, a.back().merged) << p->uid;
}

// A program that starts while a training is in progress (its node restarted, or joins late)
// resumes from the latest merged model: the driver fetches it and builds on it.
TEST_F(RoundDriverTest, ANodeJoiningATrainingInProgressResumesFromItsLatestMergedModel) {
  AddPeers(2, Options(2));
  EXPECT_FALSE(peers_[0]->driver->Resume(std::chrono::seconds(1)));  // nothing merged yet
  SyncOnceEach();
  AddPeers(1, Options(2));
  Peer& c = *peers_[2];
  const std::optional<SyncResult> resume = c.driver->Resume(std::chrono::seconds(1));
  ASSERT_TRUE(resume.has_value());
  EXPECT_EQ(resume->round, 1u);
  EXPECT_TRUE(c.store->Has(resume->merged));
  EXPECT_EQ(c.driver->base_round(), 1u);
  EXPECT_FLOAT_EQ(ValueOf(c, resume->merged), (11.0f + 41.0f) / 2);
}

// Peers that accept a fetch and then send nothing (behind a partition): each fetch takes as
// long as it is allowed to, on the simulated clock, and then fails.
class StalledPeers final : public PeerFetcher {
 public:
  explicit StalledPeers(Clock* clock) : clock_(clock) {}
  Status Fetch(const std::string& endpoint, const Digest&, BlobStore*, std::chrono::milliseconds within) override {
    allowed.push_back(within);
    clock_->SleepFor(std::min<std::chrono::milliseconds>(within, std::chrono::minutes(10)));
    return DeadlineExceeded("fetch from " + endpoint + ": no bytes within the deadline");
  }
  Status FetchRange(const std::string& endpoint, const Digest& digest, uint64_t, uint64_t, const RangeSink&,
                    std::chrono::milliseconds within) override {
    return Fetch(endpoint, digest, nullptr, within);
  }
  void Cancel(std::string) override {}
  std::vector<std::chrono::milliseconds> allowed;

 private:
  Clock* clock_;
};

// The resume's deadline holds within each fetch too: a peer that never sends its bytes does
// not hold the program's start for the fetcher's own 10-minute timeout.
TEST_F(RoundDriverTest, AResumeGivesUpAtItsDeadlineAlsoInTheMiddleOfAFetch) {
  AddPeers(2, Options(2));
  SyncOnceEach();
  StalledPeers stalled(&clock_);
  BlobStore store(dir_.path() / "late");
  ASSERT_TRUE(store.Init().ok());
  auto sn = sn_.AddSl("late");
  RoundDriver late(sn.get(), &store, &stalled, "late", Options(2), nullptr, &clock_);
  SimClock::Member member(clock_);
  const auto start = clock_.elapsed();
  EXPECT_FALSE(late.Resume(std::chrono::seconds(2)).has_value());
  EXPECT_LE(clock_.elapsed() - start, std::chrono::milliseconds(2300));  // a 250 ms pause at most
  ASSERT_FALSE(stalled.allowed.empty());
  for (auto within : stalled.allowed) EXPECT_LE(within, std::chrono::seconds(2));
}

// Both nodes checked in to round 1 and it closed; then both restarted (new drivers, as a
// restarted SL has) before anyone merged. They must see that they are its participants —
// the leader merges the contributions they checked in then — instead of waiting for a
// round 2 that no one would open.
TEST_F(RoundDriverTest, NodesThatRestartAfterTheirRoundClosedStillCompleteIt) {
  AddPeers(2, Options(2));
  std::vector<float> checked_in;
  for (auto& p : peers_) {
    const Digest d = Contribution(*p, 1);
    checked_in.push_back(ValueOf(*p, d));
    Transaction tx;
    auto* c = tx.mutable_check_in();
    c->set_contract("c");
    c->set_round(1);
    c->set_uid(p->uid);
    c->set_model_digest(std::string(d.view()));
    c->set_fs_endpoint(p->endpoint());
    c->set_weight(1);
    c->set_min_peers(2);
    c->set_merge_method("mean");
    auto schema = ReadBlobSchema(p->store->PathOf(d));
    ASSERT_TRUE(schema.ok());
    *c->mutable_schema() = ToProto(*schema);
    c->set_schema_digest(ledger::SchemaDigest(c->schema()));
    ASSERT_TRUE(p->sn->Submit(tx).ok());
  }
  Transaction close;
  close.mutable_close_round()->set_contract("c");
  close.mutable_close_round()->set_round(1);
  close.mutable_close_round()->set_uid("a");
  ASSERT_TRUE(peers_[0]->sn->Submit(close).ok());
  // The restarted nodes' drivers know nothing of that; their programs bring new weights.
  std::vector<std::thread> threads;
  for (size_t i = 0; i < peers_.size(); ++i) clock_.Join();
  for (auto& peer : peers_) {
    RoundOptions o = Options(2);
    o.fs_endpoint = peer->endpoint();
    o.sync_wait = std::chrono::seconds(600);
    peer->driver = std::make_unique<RoundDriver>(peer->sn.get(), peer->store.get(), &peers_fs_, peer->uid, o,
                                                 nullptr, &clock_);
    threads.emplace_back([this, p = peer.get()] {
      auto r = p->driver->Sync(Contribution(*p, 2), false);
      if (r.ok())
        p->results.push_back(*r);
      else
        p->error = r.status();
      clock_.Leave();
    });
  }
  for (auto& t : threads) t.join();
  for (auto& p : peers_) {
    ASSERT_TRUE(p->error.ok()) << p->uid << ": " << p->error.message();
    ASSERT_EQ(p->results.size(), 1u);
    EXPECT_EQ(p->results[0].round, 1u);
    // Round 1 merged what was checked in before the restart.
    EXPECT_FLOAT_EQ(ValueOf(*p, p->results[0].merged), (checked_in[0] + checked_in[1]) / 2);
  }
  EXPECT_LT(clock_.elapsed(), std::chrono::seconds(60));
}

TEST_F(RoundDriverTest, AStopEndsTheWaitWithItsReason) {
  AddPeers(1, Options(2));
  clock_.Join();
  auto r = peers_[0]->driver->Sync(Contribution(*peers_[0], 1), false, [this] {
    return clock_.elapsed() > std::chrono::seconds(5) ? std::string("the ML program exited") : std::string();
  });
  clock_.Leave();
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled);
  EXPECT_THAT(r.status().message(), HasSubstr("stopped after 5 s: the ML program exited"));
}

}  // namespace
}  // namespace swarm::sl
