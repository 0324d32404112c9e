#include "sl/fetch_policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ledger/transaction.h"
#include "sl/testing/round_fakes.h"

namespace swarm::sl {
namespace {

using swarm::v1::Transaction;
using ::testing::HasSubstr;
using testing::MemorySn;

Digest DigestOf(char c) { return *Digest::FromBytes(std::string(32, c)); }

class FetchPolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sn_.CreateContract("c").ok());
    for (const char* uid : {"a", "b", "x"}) clients_[uid] = sn_.AddSl(uid);
  }
  void CheckIn(const std::string& uid, uint64_t round, char digest, uint64_t shard_bytes = 0) {
    Transaction tx;
    auto* c = tx.mutable_check_in();
    c->set_contract("c");
    c->set_round(round);
    c->set_uid(uid);
    c->set_model_digest(std::string(32, digest));
    c->set_fs_endpoint(uid + ":1");
    c->set_weight(1);
    c->set_min_peers(2);
    c->set_base_round(round - 1);
    c->set_merge_method("mean");
    c->set_shard_bytes(shard_bytes);
    c->set_close_when_complete(shard_bytes > 0);
    swarm::v1::ModelSchema schema;
    auto* t = schema.add_tensors();
    t->set_name("w");
    t->add_shape(1);
    *c->mutable_schema() = schema;
    c->set_schema_digest(ledger::SchemaDigest(schema));
    ASSERT_TRUE(clients_[uid]->Submit(tx).ok());
  }
  void Submit(const std::string& uid, Transaction tx) { ASSERT_TRUE(clients_[uid]->Submit(tx).ok()); }

  MemorySn sn_;
  std::map<std::string, std::unique_ptr<snapi::SnApi>> clients_;
  std::string contract_ = "c";
};

TEST_F(FetchPolicyTest, AContributionGoesOnlyToTheParticipantsOfItsRound) {
  FetchPolicy policy(clients_["a"].get(), [this] { return contract_; });
  CheckIn("a", 1, 'A');
  CheckIn("b", 1, 'B');
  const auto allow = [&](const std::string& caller, char d) {
    return policy.Allow(MemorySn::IdentityOf(caller), DigestOf(d));
  };
  EXPECT_TRUE(allow("b", 'A').ok());
  EXPECT_TRUE(allow("a", 'B').ok());
  // x is a registered SL of the network, but took no part in round 1.
  Status s = allow("x", 'A');
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_THAT(s.message(), HasSubstr("'sl-x' registered no participant of round 1 of training 'c'"));
  // A certificate that registered no node at all.
  s = policy.Allow({pki::Role::kSl, "stranger", "fp-stranger"}, DigestOf('A'));
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  // A blob the round does not name is not served, even to a participant.
  s = allow("b", 'Z');
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_THAT(
      s.message(),
      HasSubstr(
          "is neither a contribution to the current round, nor a merged shard, nor the latest merged model"));
}

TEST_F(FetchPolicyTest, TheLatestMergedModelGoesToEverySlAndOldContributionsToNoOne) {
  FetchPolicy policy(clients_["a"].get(), [this] { return contract_; });
  CheckIn("a", 1, 'A');
  CheckIn("b", 1, 'B');
  Transaction close;
  close.mutable_close_round()->set_contract("c");
  close.mutable_close_round()->set_round(1);
  close.mutable_close_round()->set_uid("a");
  Submit("a", close);
  Transaction merge;
  auto* m = merge.mutable_record_merge();
  m->set_contract("c");
  m->set_round(1);
  m->set_uid("a");  // round 1's leader: the first of a, b
  m->set_model_digest(std::string(32, 'M'));
  m->set_fs_endpoint("a:1");
  Submit("a", merge);
  const auto allow = [&](const std::string& caller, char d) {
    return policy.Allow(MemorySn::IdentityOf(caller), DigestOf(d));
  };
  EXPECT_TRUE(allow("x", 'M').ok());  // a node joining late catches up with it
  EXPECT_TRUE(allow("b", 'M').ok());
  EXPECT_EQ(allow("b", 'A').code(), StatusCode::kPermissionDenied);  // round 1 is merged
}

// A merged shard goes to the participants of its round, also for a while after the round
// was merged (a slower participant may still gather it); to no one else.
TEST_F(FetchPolicyTest, AMergedShardGoesOnlyToTheParticipantsOfItsRound) {
  FetchPolicy policy(clients_["a"].get(), [this] { return contract_; });
  CheckIn("a", 1, 'A', 1);
  CheckIn("b", 1, 'B', 1);  // completes the round: two shards of the 4-byte model
  auto t = clients_["a"]->GetTraining("c");
  ASSERT_TRUE(t.ok());
  ASSERT_EQ(t->current().shards_size(), 2);
  for (int i = 0; i < 2; ++i) {
    Transaction shard;
    auto* r = shard.mutable_record_shard();
    r->set_contract("c");
    r->set_round(1);
    r->set_uid(t->current().shards(i).merger());
    r->set_shard(static_cast<uint32_t>(i));
    r->set_digest(std::string(32, static_cast<char>('0' + i)));
    r->set_fs_endpoint(r->uid() + ":1");
    Submit(r->uid(), shard);
  }
  const auto allow = [&](const std::string& caller, char d) {
    return policy.Allow(MemorySn::IdentityOf(caller), DigestOf(d));
  };
  EXPECT_TRUE(allow("b", '0').ok());
  EXPECT_EQ(allow("x", '1').code(), StatusCode::kPermissionDenied);
  Transaction merge;
  auto* m = merge.mutable_record_merge();
  m->set_contract("c");
  m->set_round(1);
  m->set_uid("b");  // any participant records a sharded round's merge
  m->set_model_digest(std::string(32, 'M'));
  m->set_fs_endpoint("b:1");
  Submit("b", merge);
  EXPECT_TRUE(allow("a", '1').ok());
  EXPECT_EQ(allow("x", '1').code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(allow("a", 'B').code(), StatusCode::kPermissionDenied);  // its contributions are not
}

TEST_F(FetchPolicyTest, NothingIsServedBeforeTheSlTakesPartInATraining) {
  contract_.clear();
  FetchPolicy policy(clients_["a"].get(), [this] { return contract_; });
  Status s = policy.Allow(MemorySn::IdentityOf("b"), DigestOf('A'));
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_THAT(s.message(), HasSubstr("takes part in no training yet"));
}

// A fetch that the state the node's syncs read last allows is judged by it alone; any other
// is judged by a fresh read, which here cannot be made.
TEST_F(FetchPolicyTest, AFetchTheStateSeenLastAllowsNeedsNoReadOfTheLedger) {
  FetchPolicy policy(clients_["a"].get(), [this] { return contract_; });
  CheckIn("a", 1, 'A');
  // b is no participant yet: refused, by a read that also teaches the policy every owner.
  EXPECT_EQ(policy.Allow(MemorySn::IdentityOf("b"), DigestOf('A')).code(), StatusCode::kPermissionDenied);
  CheckIn("b", 1, 'B');
  auto seen = clients_["a"]->GetTraining("c");
  ASSERT_TRUE(seen.ok());
  policy.Saw(*seen);
  sn_.Kill("a");
  // Only the state handed to Saw has b as a participant.
  EXPECT_TRUE(policy.Allow(MemorySn::IdentityOf("b"), DigestOf('A')).ok());
  EXPECT_EQ(policy.Allow(MemorySn::IdentityOf("x"), DigestOf('A')).code(), StatusCode::kUnavailable);
  EXPECT_EQ(policy.Allow(MemorySn::IdentityOf("b"), DigestOf('Z')).code(), StatusCode::kUnavailable);
  // A state of another training judges nothing.
  contract_ = "other";
  EXPECT_EQ(policy.Allow(MemorySn::IdentityOf("b"), DigestOf('A')).code(), StatusCode::kUnavailable);
}

// What the node has just recorded is served before its syncs read the record back: a merged
// model to every SL, a merged shard to the participants of the round seen. A state at or
// past the record's round judges it from then on.
TEST_F(FetchPolicyTest, ABlobThisNodeJustRecordedIsServedWithoutAReadOfTheLedger) {
  FetchPolicy policy(clients_["a"].get(), [this] { return contract_; });
  CheckIn("a", 1, 'A');
  CheckIn("b", 1, 'B');
  EXPECT_EQ(policy.Allow(MemorySn::IdentityOf("x"), DigestOf('A')).code(), StatusCode::kPermissionDenied);
  auto seen = clients_["a"]->GetTraining("c");
  ASSERT_TRUE(seen.ok());
  policy.Saw(*seen);
  sn_.Kill("a");  // from here on every fresh read fails: Unavailable
  const auto allow = [&](const std::string& caller, char d) {
    return policy.Allow(MemorySn::IdentityOf(caller), DigestOf(d)).code();
  };
  EXPECT_EQ(allow("x", 'M'), StatusCode::kUnavailable);
  policy.Recorded(DigestOf('M'), false, 1);
  policy.Recorded(DigestOf('S'), true, 1);
  policy.Recorded(DigestOf('T'), true, 2);  // a round other than the one seen
  EXPECT_EQ(allow("x", 'M'), StatusCode::kOk);
  EXPECT_EQ(allow("b", 'S'), StatusCode::kOk);
  EXPECT_EQ(allow("x", 'S'), StatusCode::kUnavailable);  // no participant: judged by a read
  EXPECT_EQ(allow("b", 'T'), StatusCode::kUnavailable);
  // A state read later that has round 1 merged judges it (here: M is no longer the latest).
  swarm::v1::TrainingInfo later = *seen;
  later.mutable_last()->set_number(1);
  later.mutable_last()->set_merged_digest(std::string(32, 'N'));
  later.mutable_current()->set_number(2);
  policy.Saw(later);
  EXPECT_EQ(allow("x", 'M'), StatusCode::kUnavailable);
  EXPECT_EQ(allow("b", 'S'), StatusCode::kUnavailable);
  EXPECT_EQ(allow("x", 'N'), StatusCode::kOk);
}

TEST_F(FetchPolicyTest, ALedgerThatCannotBeReadIsUnavailableNotARefusal) {
  FetchPolicy policy(clients_["a"].get(), [this] { return contract_; });
  sn_.Kill("a");
  EXPECT_EQ(policy.Allow(MemorySn::IdentityOf("b"), DigestOf('A')).code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace swarm::sl
