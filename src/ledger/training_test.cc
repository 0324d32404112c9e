// The sync-round state machine on its own: pure transitions on a State, no etcd.

#include "ledger/training.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ledger/contracts.h"

namespace swarm::ledger {
namespace {
using pki::Role;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const pki::PeerIdentity kSl1{Role::kSl, "sl-1", "fp-sl-1"};
const pki::PeerIdentity kSl2{Role::kSl, "sl-2", "fp-sl-2"};
const pki::PeerIdentity kSwci{Role::kSwci, "swci-1", "fp-swci-1"};

std::string Digest(char c) { return std::string(32, c); }

swarm::v1::ModelSchema Schema(uint64_t rows) {
  swarm::v1::ModelSchema s;
  auto* t = s.add_tensors();
  t->set_name("fc.weight");
  t->set_dtype(swarm::v1::DTYPE_F32);
  t->add_shape(rows);
  t->add_shape(4);
  return s;
}

class TrainingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Nodes a, b, c share certificate sl-1 (as HPE's examples do); d has sl-2.
    for (const char* uid : {"a", "b", "c"}) Register(uid, kSl1);
    Register("d", kSl2);
  }
  void Register(const std::string& uid, const pki::PeerIdentity& who) {
    swarm::v1::Transaction tx;
    auto* n = tx.mutable_register_node()->mutable_node();
    n->set_type(swarm::v1::NODE_TYPE_SL);
    n->set_uid(uid);
    ASSERT_TRUE(Apply(state_, tx, who, ++height_).ok());
  }
  Status Run(const swarm::v1::Transaction& tx, const pki::PeerIdentity& who = kSl1) {
    return Apply(state_, tx, who, ++height_);
  }
  // Applies `tx`, expecting a refusal with `words`, and checks nothing changed.
  void ExpectRefused(const swarm::v1::Transaction& tx, const std::string& words,
                     const pki::PeerIdentity& who = kSl1) {
    const Training before = T();
    Status s = Run(tx, who);
    EXPECT_FALSE(s.ok());
    EXPECT_THAT(s.message(), HasSubstr(words));
    EXPECT_EQ(T().current.checkins.size(), before.current.checkins.size());
    EXPECT_EQ(T().current.closed, before.current.closed);
    EXPECT_EQ(T().current.leader_index, before.current.leader_index);
    EXPECT_EQ(T().current.number, before.current.number);
  }

  static swarm::v1::Transaction CheckIn(const std::string& uid, uint64_t round, std::string digest,
                                        uint64_t base = 0, uint32_t min_peers = 2, uint32_t weight = 1,
                                        const std::string& contract = kDefaultContract) {
    swarm::v1::Transaction tx;
    auto* c = tx.mutable_check_in();
    c->set_contract(contract);
    c->set_round(round);
    c->set_uid(uid);
    c->set_model_digest(digest);
    c->set_fs_endpoint(uid + ":30305");
    c->set_weight(weight);
    c->set_min_peers(min_peers);
    c->set_base_round(base);
    c->set_merge_method("mean");
    if (!digest.empty()) {  // contributions name their schema; carrying it is always allowed
      *c->mutable_schema() = Schema(3);
      c->set_schema_digest(SchemaDigest(c->schema()));
    }
    return tx;
  }
  static swarm::v1::Transaction Close(const std::string& uid, uint64_t round, bool final = false,
                                      const std::string& contract = kDefaultContract) {
    swarm::v1::Transaction tx;
    auto* c = tx.mutable_close_round();
    c->set_contract(contract);
    c->set_round(round);
    c->set_uid(uid);
    c->set_final(final);
    return tx;
  }
  static swarm::v1::Transaction Replace(const std::string& uid, uint64_t round, const std::string& failed) {
    swarm::v1::Transaction tx;
    auto* r = tx.mutable_replace_leader();
    r->set_contract(kDefaultContract);
    r->set_round(round);
    r->set_uid(uid);
    r->set_failed_leader(failed);
    return tx;
  }
  static swarm::v1::Transaction Merge(const std::string& uid, uint64_t round, char digest = 'M',
                                      const std::string& contract = kDefaultContract) {
    swarm::v1::Transaction tx;
    auto* m = tx.mutable_record_merge();
    m->set_contract(contract);
    m->set_round(round);
    m->set_uid(uid);
    m->set_model_digest(Digest(digest));
    m->set_fs_endpoint(uid + ":30305");
    return tx;
  }
  static swarm::v1::Transaction Sharding(swarm::v1::Transaction tx, uint64_t shard_bytes = 16,
                                         const std::string& method = "mean") {
    tx.mutable_check_in()->set_shard_bytes(shard_bytes);
    tx.mutable_check_in()->set_merge_method(method);
    return tx;
  }
  static swarm::v1::Transaction Shard(const std::string& uid, uint64_t round, uint32_t shard, char digest,
                                      const std::string& left_out = "") {
    swarm::v1::Transaction tx;
    auto* m = tx.mutable_record_shard();
    m->set_contract(kDefaultContract);
    m->set_round(round);
    m->set_uid(uid);
    m->set_shard(shard);
    m->set_digest(Digest(digest));
    m->set_fs_endpoint(uid + ":30305");
    if (!left_out.empty()) {
      m->add_left_out()->set_uid(left_out);
      m->mutable_left_out(0)->set_reason("its file server is gone");
    }
    return tx;
  }
  static swarm::v1::Transaction ReplaceShard(const std::string& uid, uint64_t round, uint32_t shard,
                                             const std::string& failed) {
    swarm::v1::Transaction tx = Replace(uid, round, failed);
    tx.mutable_replace_leader()->set_shard(shard);
    return tx;
  }
  static swarm::v1::Transaction Redo(const std::string& uid, uint64_t round, char lost = 'M') {
    swarm::v1::Transaction tx;
    auto* r = tx.mutable_redo_round();
    r->set_contract(kDefaultContract);
    r->set_round(round);
    r->set_uid(uid);
    r->set_lost_digest(Digest(lost));
    return tx;
  }
  static swarm::v1::Transaction Finish(const std::string& uid) {
    swarm::v1::Transaction tx;
    tx.mutable_finish_training()->set_contract(kDefaultContract);
    tx.mutable_finish_training()->set_uid(uid);
    return tx;
  }
  const Training& T(const std::string& contract = kDefaultContract) {
    return state_.contracts[contract].training;
  }

  State state_ = State::Genesis();
  uint64_t height_ = 0;
};

TEST_F(TrainingTest, ARoundClosesOnlyWithQuorumAndFixesItsLeaderOrder) {
  ASSERT_TRUE(Run(CheckIn("b", 1, Digest('b'), 0, 3)).ok());
  ASSERT_TRUE(Run(CheckIn("a", 1, Digest('a'), 0, 2)).ok());
  // minPeers is the largest any participant asked for: 3.
  EXPECT_EQ(RequiredPeers(T().current), 3u);
  ExpectRefused(Close("a", 1), "has 2 peers and needs 3 (minPeers)");
  ASSERT_TRUE(Run(CheckIn("d", 1, Digest('d')), kSl2).ok());
  ASSERT_TRUE(Run(Close("a", 1)).ok());
  EXPECT_TRUE(T().current.closed);
  EXPECT_THAT(T().current.leaders, ElementsAre("a", "b", "d"));  // round 1: sorted, no rotation
  // Closed: latecomers wait for the next round; a second close loses the race.
  ExpectRefused(CheckIn("c", 1, Digest('c')), "is closed; wait for the next round");
  ExpectRefused(Close("b", 1), "already closed");
}

// A check-in that asks for it closes the round when every member of the training is in
// and CloseRound's rules hold; otherwise the round stays open for CloseRound.
TEST_F(TrainingTest, ACheckInThatCompletesItsRoundClosesIt) {
  const auto completing = [](swarm::v1::Transaction tx) {
    tx.mutable_check_in()->set_close_when_complete(true);
    return tx;
  };
  ASSERT_TRUE(Run(completing(CheckIn("a", 1, Digest('a'), 0, 3))).ok());
  ASSERT_TRUE(Run(completing(CheckIn("b", 1, Digest('b')))).ok());
  EXPECT_FALSE(T().current.closed);  // every member is in, but minPeers 3 is not met
  ASSERT_TRUE(Run(completing(CheckIn("d", 1, Digest('d'))), kSl2).ok());
  EXPECT_TRUE(T().current.closed);
  EXPECT_FALSE(T().current.final);
  EXPECT_THAT(T().current.leaders, ElementsAre("a", "b", "d"));
  ASSERT_TRUE(Run(Merge("a", 1)).ok());

  // Round 2: member d is missing, so a completing check-in leaves the round open.
  ASSERT_TRUE(Run(completing(CheckIn("a", 2, Digest('a'), 1))).ok());
  ASSERT_TRUE(Run(completing(CheckIn("b", 2, Digest('b'), 1, 2))).ok());
  EXPECT_FALSE(T().current.closed);
  // A check-in that does not ask for it never closes: old transactions replay as before.
  ASSERT_TRUE(Run(CheckIn("d", 2, Digest('d'), 1), kSl2).ok());
  EXPECT_FALSE(T().current.closed);
  ASSERT_TRUE(Run(Close("b", 2)).ok());
  ASSERT_TRUE(Run(Merge(T().current.leader(), 2)).ok());

  // Round 3: everyone has finished, so the completing check-in closes it as final; a round
  // whose participants are all inactive does not close.
  for (const char* uid : {"a", "b"}) ASSERT_TRUE(Run(Finish(uid)).ok());
  ASSERT_TRUE(Run(Finish("d"), kSl2).ok());
  ASSERT_TRUE(Run(completing(CheckIn("a", 3, ""))).ok());
  ASSERT_TRUE(Run(completing(CheckIn("b", 3, ""))).ok());
  ASSERT_TRUE(Run(completing(CheckIn("d", 3, "")), kSl2).ok());
  EXPECT_FALSE(T().current.closed);
}

TEST_F(TrainingTest, AFinalRoundClosesWithTheCheckInThatCompletesIt) {
  ASSERT_TRUE(Run(CheckIn("a", 1, Digest('a'))).ok());
  ASSERT_TRUE(Run(Finish("a")).ok());
  swarm::v1::Transaction last = CheckIn("b", 1, Digest('b'));
  last.mutable_check_in()->set_close_when_complete(true);
  ASSERT_TRUE(Run(last).ok());
  EXPECT_TRUE(T().current.closed);
  EXPECT_FALSE(T().current.final);  // b is still training
  ASSERT_TRUE(Run(Merge(T().current.leader(), 1)).ok());
  ASSERT_TRUE(Run(Finish("b")).ok());
  ASSERT_TRUE(Run(CheckIn("a", 2, Digest('a'), 1)).ok());
  last = CheckIn("b", 2, Digest('b'), 1);
  last.mutable_check_in()->set_close_when_complete(true);
  ASSERT_TRUE(Run(last).ok());
  EXPECT_TRUE(T().current.closed);
  EXPECT_TRUE(T().current.final);
}

// Schema(3) has 48 payload bytes: with shard_bytes 16, three participants merge a shard each.
TEST_F(TrainingTest, AShardedRoundIsMergedShardByShardAndRecordedByAnyParticipant) {
  for (const char* uid : {"a", "b", "c"})
    ASSERT_TRUE(Run(Sharding(CheckIn(uid, 1, Digest(uid[0]), 0, 3))).ok());
  ASSERT_TRUE(Run(Close("a", 1)).ok());
  const Round& r = T().current;
  ASSERT_EQ(r.shards.size(), 3u);
  EXPECT_EQ(r.merge_method, "mean");
  EXPECT_EQ(r.ShardMerger(0), "a");
  EXPECT_EQ(r.ShardMerger(1), "b");
  EXPECT_EQ(r.ShardMerger(2), "c");
  ExpectRefused(Shard("b", 1, 0, '0'), "only the merger of shard 0 of round 1");
  ExpectRefused(Shard("a", 1, 3, '0'), "has 3 shards; there is no shard 3");
  ASSERT_TRUE(Run(Shard("a", 1, 0, '0')).ok());
  ExpectRefused(Shard("a", 1, 0, '0'),
                "shard 0 of round 1 of contract 'defaultbb.cqdb.sml.hpe' is already recorded");
  ASSERT_TRUE(Run(Shard("b", 1, 1, '1')).ok());
  ExpectRefused(Merge("a", 1),
                "shard 2 of round 1 of contract 'defaultbb.cqdb.sml.hpe' (merger c) is not recorded yet");
  // c died: the next participant in shard 2's order merges it.
  ExpectRefused(ReplaceShard("a", 1, 2, "b"), "the merger of shard 2 of round 1");
  ASSERT_TRUE(Run(ReplaceShard("a", 1, 2, "c")).ok());
  EXPECT_EQ(T().current.ShardMerger(2), "a");
  ExpectRefused(Shard("c", 1, 2, '2'), "only the merger of shard 2");
  ASSERT_TRUE(Run(Shard("a", 1, 2, '2')).ok());
  // a died after recording shard 0 and no one has it: it is merged again, by b.
  ASSERT_TRUE(Run(ReplaceShard("b", 1, 0, "a")).ok());
  EXPECT_TRUE(T().current.shards[0].digest.empty());
  EXPECT_EQ(T().current.ShardMerger(0), "b");
  ASSERT_TRUE(Run(Shard("b", 1, 0, '0')).ok());
  // Every shard is in: any participant records the merged model, leaving nothing out.
  swarm::v1::Transaction leaving = Merge("c", 1);
  leaving.mutable_record_merge()->add_left_out()->set_uid("a");
  ExpectRefused(leaving, "a sharded round's merge leaves nothing out");
  ExpectRefused(Merge("d", 1), "node d is not a participant", kSl2);
  ASSERT_TRUE(Run(Merge("c", 1)).ok());
  ASSERT_TRUE(T().last.has_value());
  EXPECT_EQ(T().last->merged_by, "c");
  EXPECT_EQ(T().last->shards.size(), 3u);
}

TEST_F(TrainingTest, ARoundIsShardedOnlyWhenEveryParticipantShardsAndItsMethodIsCoordinateWise) {
  // b does not merge shards (an older SL): the leader merges whole.
  ASSERT_TRUE(Run(Sharding(CheckIn("a", 1, Digest('a')))).ok());
  ASSERT_TRUE(Run(CheckIn("b", 1, Digest('b'))).ok());
  ASSERT_TRUE(Run(Close("a", 1)).ok());
  EXPECT_TRUE(T().current.shards.empty());
  ExpectRefused(Shard("a", 1, 0, '0'), "is not sharded: its leader merges it whole");
  ASSERT_TRUE(Run(Merge("a", 1)).ok());
  // The first leader (b in round 2) merges with geomedian: not by coordinates.
  ASSERT_TRUE(Run(Sharding(CheckIn("a", 2, Digest('a'), 1))).ok());
  ASSERT_TRUE(Run(Sharding(CheckIn("b", 2, Digest('b'), 1), 16, "geomedian")).ok());
  ASSERT_TRUE(Run(Close("a", 2)).ok());
  EXPECT_TRUE(T().current.shards.empty());
  ASSERT_TRUE(Run(Merge("b", 2)).ok());
  // The model is no larger than the largest shard_bytes: one piece, no shards.
  ASSERT_TRUE(Run(Sharding(CheckIn("a", 3, Digest('a'), 2), 16)).ok());
  ASSERT_TRUE(Run(Sharding(CheckIn("b", 3, Digest('b'), 2), 48, "coordmedian")).ok());
  ASSERT_TRUE(Run(Close("a", 3)).ok());
  EXPECT_TRUE(T().current.shards.empty());
  ASSERT_TRUE(Run(Merge("a", 3)).ok());
  // Two participants, 48 bytes in pieces of 16: two shards, one per participant.
  ASSERT_TRUE(Run(Sharding(CheckIn("a", 4, Digest('a'), 3))).ok());
  ASSERT_TRUE(Run(Sharding(CheckIn("b", 4, Digest('b'), 3))).ok());
  ASSERT_TRUE(Run(Close("a", 4)).ok());
  EXPECT_EQ(T().current.shards.size(), 2u);
}

// A shard merger that cannot fetch a contribution gives the round back to its leader,
// which leaves that contribution out; a lost sharded round is merged again whole.
TEST_F(TrainingTest, AShardedRoundFallsBackToItsLeaderWhenAContributionCannotBeFetched) {
  for (const char* uid : {"a", "b", "c"})
    ASSERT_TRUE(Run(Sharding(CheckIn(uid, 1, Digest(uid[0]), 0, 3))).ok());
  ASSERT_TRUE(Run(Close("a", 1)).ok());
  ASSERT_TRUE(Run(Shard("a", 1, 0, '0')).ok());
  ExpectRefused(Shard("b", 1, 1, '1', "d"), "left out node d, which did not contribute");
  ASSERT_TRUE(Run(Shard("b", 1, 1, '1', "c")).ok());
  EXPECT_TRUE(T().current.shards.empty());
  ExpectRefused(Merge("b", 1), "only the leader of round 1");
  swarm::v1::Transaction merge = Merge("a", 1);
  merge.mutable_record_merge()->add_left_out()->set_uid("c");
  ASSERT_TRUE(Run(merge).ok());

  for (const char* uid : {"a", "b", "c"})
    ASSERT_TRUE(Run(Sharding(CheckIn(uid, 2, Digest(uid[0]), 1, 3))).ok());
  ASSERT_TRUE(Run(Close("a", 2)).ok());
  ASSERT_EQ(T().current.shards.size(), 3u);
  const std::string merger0 = T().current.ShardMerger(0), merger1 = T().current.ShardMerger(1),
                    merger2 = T().current.ShardMerger(2);
  ASSERT_TRUE(Run(Shard(merger0, 2, 0, '0')).ok());
  ASSERT_TRUE(Run(Shard(merger1, 2, 1, '1')).ok());
  ASSERT_TRUE(Run(Shard(merger2, 2, 2, '2')).ok());
  ASSERT_TRUE(Run(Merge("b", 2)).ok());
  ASSERT_TRUE(Run(Redo("a", 2)).ok());
  EXPECT_EQ(T().current.number, 2u);
  EXPECT_TRUE(T().current.shards.empty());
  EXPECT_TRUE(T().current.merge_method.empty());
}

TEST_F(TrainingTest, LeaderOrderIsDeterministicAndRotatesWithTheRound) {
  EXPECT_THAT(LeaderOrder({"c", "a", "b"}, 1), ElementsAre("a", "b", "c"));
  EXPECT_THAT(LeaderOrder({"c", "a", "b"}, 2), ElementsAre("b", "c", "a"));
  EXPECT_THAT(LeaderOrder({"c", "a", "b"}, 4), ElementsAre("a", "b", "c"));
  EXPECT_THAT(LeaderOrder({"b", "a"}, 2), ElementsAre("b", "a"));
}

TEST_F(TrainingTest, OnlyTheLeaderRecordsAndAFailedLeaderIsReplacedByTheNext) {
  for (const char* uid : {"a", "b", "c"}) ASSERT_TRUE(Run(CheckIn(uid, 1, Digest(uid[0]))).ok());
  ASSERT_TRUE(Run(Close("c", 1)).ok());
  EXPECT_EQ(T().current.leader(), "a");
  ExpectRefused(Merge("b", 1), "only the leader of round 1 of contract 'defaultbb.cqdb.sml.hpe' (a) records");
  // b and c both see a fail; the first replacement wins, the second names the new leader.
  ASSERT_TRUE(Run(Replace("b", 1, "a")).ok());
  EXPECT_EQ(T().current.leader(), "b");
  ExpectRefused(Replace("c", 1, "a"),
                "the leader of round 1 of contract 'defaultbb.cqdb.sml.hpe' is now b, not a");
  // The returning old leader is a normal member: it can no longer record.
  ExpectRefused(Merge("a", 1), "only the leader");
  ASSERT_TRUE(Run(Merge("b", 1, 'X')).ok());
  EXPECT_EQ(T().last->merged_digest, Digest('X'));
  EXPECT_EQ(T().last->merged_by, "b");
  EXPECT_EQ(T().current.number, 2u);
  EXPECT_FALSE(T().current.closed);
}

TEST_F(TrainingTest, ReplacementWrapsAroundWhenEveryLeaderFailed) {
  for (const char* uid : {"a", "b"}) ASSERT_TRUE(Run(CheckIn(uid, 1, Digest(uid[0]))).ok());
  ASSERT_TRUE(Run(Close("a", 1)).ok());
  ASSERT_TRUE(Run(Replace("b", 1, "a")).ok());
  ASSERT_TRUE(Run(Replace("a", 1, "b")).ok());
  EXPECT_EQ(T().current.leader(), "a");
}

// A leader that recorded its merge and died before anyone fetched the model: the round
// is opened again with its participants and merged anew by the next leader.
TEST_F(TrainingTest, ARoundWhoseMergedModelIsLostIsMergedAgainByTheNextLeader) {
  for (const char* uid : {"a", "b", "c"}) ASSERT_TRUE(Run(CheckIn(uid, 1, Digest(uid[0]))).ok());
  ASSERT_TRUE(Run(Close("a", 1)).ok());
  ASSERT_TRUE(Run(Merge("a", 1, 'P')).ok());
  for (const char* uid : {"a", "b", "c"}) ASSERT_TRUE(Run(CheckIn(uid, 2, Digest(uid[0]), 1)).ok());
  ASSERT_TRUE(Run(Close("a", 2)).ok());
  EXPECT_THAT(T().current.leaders, ElementsAre("b", "c", "a"));
  ASSERT_TRUE(Run(Merge("b", 2, 'M')).ok());
  ASSERT_EQ(T().last->number, 2u);

  ExpectRefused(Redo("b", 2),
                "node b recorded the merge of round 2 of contract 'defaultbb.cqdb.sml.hpe' itself");
  ExpectRefused(Redo("d", 2), "node d is not a participant of round 2", kSl2);
  ExpectRefused(Redo("a", 1, 'P'),
                "round 1 of contract 'defaultbb.cqdb.sml.hpe' is not the contract's latest "
                "merged round; that is round 2");
  ExpectRefused(Redo("a", 2, 'Z'), "was merged again meanwhile");
  ASSERT_TRUE(Run(Redo("a", 2)).ok());
  // Round 2 is current again, closed, with its participants; c (after b) leads it now.
  EXPECT_EQ(T().current.number, 2u);
  EXPECT_TRUE(T().current.closed);
  EXPECT_EQ(T().current.checkins.size(), 3u);
  EXPECT_EQ(T().current.leader(), "c");
  EXPECT_EQ(T().current.redos, 1u);
  EXPECT_TRUE(T().current.merged_digest.empty());
  ASSERT_TRUE(T().last.has_value());
  EXPECT_EQ(T().last->number, 1u);  // what a late node catches up with meanwhile
  EXPECT_EQ(T().last->merged_digest, Digest('P'));
  // The second node that saw the loss finds it handled.
  ExpectRefused(Redo("c", 2), "is not the contract's latest merged round; that is round 1");
  ExpectRefused(Merge("b", 2, 'Q'), "only the leader");
  // The merge names what it left out, and why: only contributors of the round.
  swarm::v1::Transaction merge = Merge("c", 2, 'Q');
  auto* l = merge.mutable_record_merge()->add_left_out();
  l->set_uid("d");
  l->set_reason("its model cannot be fetched");
  ExpectRefused(merge,
                "the merge of round 2 of contract 'defaultbb.cqdb.sml.hpe' says it left out node d, "
                "which did not contribute to it");
  l->set_uid("b");
  l->set_reason(std::string(1025, 'x'));
  ExpectRefused(merge, "a left-out reason is at most 1024 bytes; got 1025");
  l->set_reason("its model cannot be fetched: connection refused");
  ASSERT_TRUE(Run(merge).ok());
  ASSERT_EQ(T().last->left_out.size(), 1u);
  EXPECT_EQ(T().last->left_out[0].uid(), "b");
  EXPECT_EQ(T().last->number, 2u);
  EXPECT_EQ(T().last->merged_digest, Digest('Q'));
  EXPECT_EQ(T().last->redos, 1u);
  EXPECT_EQ(T().current.number, 3u);
  // The merger's own check-in to the next round does not stop a redo (it is the one gone);
  // the redone round drops it.
  ASSERT_TRUE(Run(CheckIn("c", 3, Digest('c'), 2)).ok());
  ASSERT_TRUE(Run(CheckIn("d", 3, "", 0), kSl2).ok());  // not contributing: need not hold it
  ASSERT_TRUE(Run(Redo("a", 2, 'Q')).ok());
  EXPECT_EQ(T().current.number, 2u);
  EXPECT_EQ(T().current.redos, 2u);
  EXPECT_EQ(T().current.leader(), "a");  // after c, wrapping around
  ASSERT_TRUE(Run(Merge("a", 2, 'R')).ok());
  EXPECT_TRUE(T().current.checkins.empty());
  // Once another node contributes to the next round, the model reached it: no redo.
  ASSERT_TRUE(Run(CheckIn("b", 3, Digest('b'), 2)).ok());
  ExpectRefused(Redo("c", 2, 'R'), "node b contributes to round 3 on the merged model of round 2");
}

TEST_F(TrainingTest, ALostFinalModelReopensTheFinishedTraining) {
  for (const char* uid : {"a", "b"}) ASSERT_TRUE(Run(CheckIn(uid, 1, Digest(uid[0]))).ok());
  for (const char* uid : {"a", "b"}) ASSERT_TRUE(Run(Finish(uid)).ok());
  ASSERT_TRUE(Run(Close("a", 1, true)).ok());
  ASSERT_TRUE(Run(Merge("a", 1)).ok());
  ASSERT_TRUE(T().done);
  ASSERT_TRUE(Run(Redo("b", 1)).ok());
  EXPECT_FALSE(T().done);
  EXPECT_FALSE(T().last.has_value());
  EXPECT_TRUE(T().current.final);
  EXPECT_EQ(T().current.leader(), "b");
  ASSERT_TRUE(Run(Merge("b", 1, 'F')).ok());
  EXPECT_TRUE(T().done);
  EXPECT_EQ(T().last->merged_digest, Digest('F'));
}

TEST_F(TrainingTest, ALateContributionIsTakenUpToTwoRoundsBehind) {
  for (uint64_t round = 1; round <= 3; ++round) {
    for (const char* uid : {"a", "b"}) ASSERT_TRUE(Run(CheckIn(uid, round, Digest(uid[0]), round - 1)).ok());
    ASSERT_TRUE(Run(Close("a", round)).ok());
    ASSERT_TRUE(Run(Merge(T().current.leader(), round)).ok());
  }
  // Round 4 builds on round 3's model. c's weights build on no merged model (its own start):
  // refused with the reason; it must load the latest merged model first.
  ExpectRefused(
      CheckIn("c", 4, Digest('c'), 0),
      "builds on no merged model, but round 4 of contract "
      "'defaultbb.cqdb.sml.hpe' builds on round 3's, and a late contribution must build on a merged "
      "model at most 2 rounds behind: it must load the latest merged model first");
  // A node cannot build on a model that is not merged yet.
  ExpectRefused(CheckIn("c", 4, Digest('c'), 4), "builds on the merged model of round 4");
  // Fresh, one behind and two behind are all taken.
  EXPECT_TRUE(Run(CheckIn("a", 4, Digest('a'), 3)).ok());
  EXPECT_TRUE(Run(CheckIn("b", 4, Digest('b'), 2)).ok());
  EXPECT_TRUE(Run(CheckIn("c", 4, Digest('c'), 1)).ok());
  EXPECT_EQ(Staleness(T().current.checkins.at("a").checkin), 0u);
  EXPECT_EQ(Staleness(T().current.checkins.at("b").checkin), 1u);
  EXPECT_EQ(Staleness(T().current.checkins.at("c").checkin), 2u);
  // Only the current round takes check-ins.
  ExpectRefused(CheckIn("a", 5, Digest('a'), 4), "is not the current round; the contract is at round 4");
}

TEST(MergeWeightTest, LateContributionsBuildOnAMergedModelAtMostTwoRoundsBehind) {
  EXPECT_TRUE(MayContribute(0, 1));   // the first round: every node builds on its own start
  EXPECT_FALSE(MayContribute(0, 2));  // later, weights built on no merged model catch up first
  EXPECT_TRUE(MayContribute(4, 5));
  EXPECT_TRUE(MayContribute(3, 5));
  EXPECT_TRUE(MayContribute(2, 5));
  EXPECT_FALSE(MayContribute(1, 5));  // three behind
  EXPECT_FALSE(MayContribute(5, 5));  // a model not merged yet
}

TEST(MergeWeightTest, ALateContributionWeighsItsWeightOverOnePlusItsStaleness) {
  swarm::v1::CheckIn c;
  c.set_round(7);
  c.set_weight(5);
  c.set_base_round(6);
  EXPECT_EQ(MergeWeight(c, false), 5u);  // no late one in the round: weights as they are
  EXPECT_EQ(MergeWeight(c, true), 30u);  // scaled by 6 = 5 / 1 * 6
  c.set_base_round(5);
  EXPECT_EQ(MergeWeight(c, true), 15u);  // 5 / 2 * 6
  c.set_base_round(4);
  EXPECT_EQ(MergeWeight(c, true), 10u);  // 5 / 3 * 6
  c.set_weight(100);
  EXPECT_EQ(MergeWeight(c, true), 200u);
  c.set_base_round(6);
  EXPECT_EQ(MergeWeight(c, true), 600u);  // the largest merge weight
}

TEST_F(TrainingTest, TheFirstRoundWaitsForTheStartQuorumAndLaterOnesForMinPeers) {
  const auto with_start = [](swarm::v1::Transaction tx, uint32_t start) {
    tx.mutable_check_in()->set_start_quorum(start);
    return tx;
  };
  ExpectRefused(with_start(CheckIn("a", 1, Digest('a')), kMaxStartQuorum + 1),
                "SL_START_QUORUM must be at most 100000; got 100001");
  ASSERT_TRUE(Run(with_start(CheckIn("a", 1, Digest('a')), 3)).ok());
  ASSERT_TRUE(Run(with_start(CheckIn("b", 1, Digest('b')), 3)).ok());
  EXPECT_EQ(RequiredPeers(T().current), 3u);
  ExpectRefused(Close("a", 1),
                "has 2 peers and needs 3 (SL_START_QUORUM: the nodes the training starts with)");
  ASSERT_TRUE(Run(with_start(CheckIn("c", 1, Digest('c')), 3)).ok());
  ASSERT_TRUE(Run(Close("a", 1)).ok());
  ASSERT_TRUE(Run(Merge(T().current.leader(), 1)).ok());
  // Round 2 needs minPeers (2) only, whatever the start quorum.
  ASSERT_TRUE(Run(with_start(CheckIn("a", 2, Digest('a'), 1), 3)).ok());
  ASSERT_TRUE(Run(with_start(CheckIn("b", 2, Digest('b'), 1), 3)).ok());
  EXPECT_EQ(RequiredPeers(T().current), 2u);
  EXPECT_TRUE(Run(Close("a", 2)).ok());
}

TEST_F(TrainingTest, InactiveNodesTakePartWithoutContributingButNotAllMayBeInactive) {
  ASSERT_TRUE(Run(CheckIn("a", 1, "", 0)).ok());
  ASSERT_TRUE(Run(CheckIn("b", 1, "", 0)).ok());
  EXPECT_EQ(Contributors(T().current), 0u);
  ExpectRefused(Close("a", 1), "has no contributing participant");
  ASSERT_TRUE(Run(CheckIn("c", 1, Digest('c'))).ok());
  EXPECT_TRUE(Run(Close("a", 1)).ok());
  EXPECT_EQ(T().current.leaders.size(), 3u);  // inactive nodes are participants (and may lead)
}

TEST_F(TrainingTest, WeightsMinPeersMergeMethodAndDigestsAreValidated) {
  ExpectRefused(CheckIn("a", 1, Digest('a'), 0, 2, 0), "nodeWeightage must be 1 to 100; got 0");
  ExpectRefused(CheckIn("a", 1, Digest('a'), 0, 2, 101), "nodeWeightage must be 1 to 100; got 101");
  ExpectRefused(CheckIn("a", 1, Digest('a'), 0, 0), "minPeers must be at least 1");
  ExpectRefused(CheckIn("a", 1, "short"), "a model digest is 32 bytes");
  auto tx = CheckIn("a", 1, Digest('a'));
  tx.mutable_check_in()->set_merge_method("average");
  ExpectRefused(tx, "mergeMethod 'average' is not one of mean, coordmedian, geomedian");
  ASSERT_TRUE(Run(CheckIn("a", 1, Digest('a'), 0, 2, 100)).ok());
  EXPECT_EQ(T().current.checkins.at("a").checkin.weight(), 100u);
  ExpectRefused(CheckIn("a", 1, Digest('a')), "has already checked in");
}

TEST_F(TrainingTest, ANodeActsOnlyForItself) {
  ExpectRefused(CheckIn("d", 1, Digest('d')), "uid d belongs to another certificate, not 'sl-1'", kSl1);
  ExpectRefused(CheckIn("zz", 1, Digest('z')), "no SL node with uid zz is registered");
  ExpectRefused(CheckIn("a", 1, Digest('a')), "only SL nodes take part in training", kSwci);
}

TEST_F(TrainingTest, TheFinalRoundNeedsEveryParticipantFinishedAndEndsTheTraining) {
  for (const char* uid : {"a", "b"}) ASSERT_TRUE(Run(CheckIn(uid, 1, Digest(uid[0]))).ok());
  ExpectRefused(Finish("c"), "has never checked in");
  ASSERT_TRUE(Run(Finish("a")).ok());
  ASSERT_TRUE(Run(Finish("a")).ok());  // idempotent
  ExpectRefused(Close("a", 1, true), "cannot be final: node b is still training");
  ASSERT_TRUE(Run(Finish("b")).ok());
  ASSERT_TRUE(Run(Close("a", 1, true)).ok());
  ASSERT_TRUE(Run(Merge("a", 1)).ok());
  EXPECT_TRUE(T().done);
  EXPECT_TRUE(T().last->final);
  ExpectRefused(CheckIn("a", 2, Digest('a'), 1), "has finished; RESET CONTRACT starts a new one");
  // A reset (by SWCI) starts the contract's training afresh.
  swarm::v1::Transaction reset;
  reset.mutable_reset_contract()->set_name(kDefaultContract);
  ASSERT_TRUE(Run(reset, kSwci).ok());
  EXPECT_FALSE(T().done);
  EXPECT_EQ(T().current.number, 1u);
  EXPECT_TRUE(Run(CheckIn("a", 1, Digest('a'))).ok());
}

// HPE: "reset only completed Swarm Learning contracts". A reset during a training is
// refused with the reason and the way out; a forced one starts afresh, counted in resets.
TEST_F(TrainingTest, AResetDuringATrainingIsRefusedUnlessForced) {
  ASSERT_TRUE(Run(CheckIn("a", 1, Digest('a'))).ok());
  swarm::v1::Transaction reset;
  reset.mutable_reset_contract()->set_name(kDefaultContract);
  const uint64_t resets = state_.contracts[kDefaultContract].resets;
  Status s = Run(reset, kSwci);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("has a training in progress (round 1, 1 members)"));
  EXPECT_THAT(s.message(), HasSubstr("RESET CONTRACT " + std::string(kDefaultContract) + " FORCE"));
  EXPECT_EQ(T().current.checkins.size(), 1u);
  EXPECT_EQ(state_.contracts[kDefaultContract].resets, resets);
  reset.mutable_reset_contract()->set_force(true);
  ASSERT_TRUE(Run(reset, kSwci).ok());
  EXPECT_TRUE(T().members.empty());
  EXPECT_EQ(state_.contracts[kDefaultContract].resets, resets + 1);
}

TEST_F(TrainingTest, ContractsHaveIndependentRounds) {
  swarm::v1::Transaction create;
  create.mutable_create_contract()->set_name("other");
  ASSERT_TRUE(Run(create, kSwci).ok());
  for (const char* uid : {"a", "b"}) ASSERT_TRUE(Run(CheckIn(uid, 1, Digest(uid[0]))).ok());
  ASSERT_TRUE(Run(Close("a", 1)).ok());
  ASSERT_TRUE(Run(Merge("a", 1)).ok());
  // The other contract is still at round 1 and its peers are counted apart.
  EXPECT_EQ(T("other").current.number, 1u);
  ASSERT_TRUE(Run(CheckIn("c", 1, Digest('c'), 0, 1, 1, "other")).ok());
  EXPECT_EQ(T("other").current.checkins.size(), 1u);
  EXPECT_EQ(T().current.checkins.size(), 0u);
  EXPECT_TRUE(Run(Close("c", 1, false, "other")).ok());
  EXPECT_EQ(T("other").current.leader(), "c");
  ExpectRefused(CheckIn("a", 1, Digest('a'), 0, 2, 1, "missing"), "no contract named 'missing'");
}

TEST_F(TrainingTest, TheFirstContributionFixesTheSchemaAndOthersMustMatchIt) {
  // The first contribution must carry its schema, matching its digest.
  auto bare = CheckIn("a", 1, Digest('a'));
  bare.mutable_check_in()->clear_schema();
  ExpectRefused(bare, "must carry its model schema");
  auto lying = CheckIn("a", 1, Digest('a'));
  lying.mutable_check_in()->set_schema_digest(Digest('x'));
  ExpectRefused(lying, "must carry its model schema");
  auto nameless = CheckIn("a", 1, Digest('a'));
  nameless.mutable_check_in()->clear_schema_digest();
  ExpectRefused(nameless, "names its model's schema by digest");

  ASSERT_TRUE(Run(CheckIn("a", 1, Digest('a'))).ok());
  EXPECT_EQ(T().schema_uid, "a");
  EXPECT_EQ(T().schema_digest, SchemaDigest(Schema(3)));
  // Later contributions may name it by digest alone, but not another one.
  auto by_digest = CheckIn("b", 1, Digest('b'));
  by_digest.mutable_check_in()->clear_schema();
  ASSERT_TRUE(Run(by_digest).ok());
  auto other = CheckIn("c", 1, Digest('c'));
  *other.mutable_check_in()->mutable_schema() = Schema(5);
  other.mutable_check_in()->set_schema_digest(SchemaDigest(Schema(5)));
  ExpectRefused(other, "node c's model has another schema than the training's, which node a set");
  // Non-contributing check-ins have no model to compare.
  EXPECT_TRUE(Run(CheckIn("c", 1, "")).ok());
}

}  // namespace
}  // namespace swarm::ledger
