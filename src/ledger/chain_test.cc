#include "ledger/chain.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/clock.h"
#include "pki/test_certs.h"

namespace swarm::ledger {
namespace {
using pki::Role;
using ::testing::HasSubstr;

class ChainTest : public ::testing::Test {
 protected:
  ChainTest() : trust_(*pki::TrustStore::Load(certs_.capath())) {}

  pki::Signer SignerFor(const pki::TlsFiles& f) { return *pki::Signer::Load(f.key, f.cert); }

  swarm::v1::SignedTransaction Signed(const swarm::v1::Transaction& tx, const pki::TlsFiles& who) {
    return *SignTransaction(tx, SignerFor(who));
  }

  static swarm::v1::Transaction Create(const std::string& name) {
    swarm::v1::Transaction tx;
    tx.mutable_create_contract()->set_name(name);
    return tx;
  }

  // Three blocks: two contracts by SWCI, an SL registering itself.
  std::vector<swarm::v1::Block> Chain() {
    std::vector<swarm::v1::Block> blocks;
    Digest head{};
    auto add = [&](std::vector<swarm::v1::SignedTransaction> txs) {
      blocks.push_back(MakeBlock(blocks.size() + 1, head, UnixMillis(), std::move(txs)));
      head = BlockHash(blocks.back());
    };
    add({Signed(Create("c1"), certs_.Files(Role::kSwci, 1))});
    swarm::v1::Transaction reg;
    reg.mutable_register_node()->mutable_node()->set_type(swarm::v1::NODE_TYPE_SL);
    reg.mutable_register_node()->mutable_node()->set_uid("sl-uid-1");
    add({Signed(Create("c2"), certs_.Files(Role::kSwci, 2)), Signed(reg, certs_.Files(Role::kSl, 1))});
    add({Signed(Create("c3"), certs_.Files(Role::kSwci, 1))});
    return blocks;
  }

  pki::testing::TestCerts certs_;
  pki::TrustStore trust_;
};

TEST_F(ChainTest, ReplayRebuildsTheState) {
  const ChainReport r = VerifyChain(Chain(), trust_);
  ASSERT_FALSE(r.first_bad_height) << r.reason;
  EXPECT_EQ(r.blocks, 3u);
  EXPECT_EQ(r.state.height, 3u);
  for (const char* name : {kDefaultContract, "c1", "c2", "c3"})
    EXPECT_EQ(r.state.contracts.count(name), 1u) << name;
  EXPECT_EQ(r.state.contracts.at("c2").created_height, 2u);
  EXPECT_EQ(r.state.nodes.at("sl-uid-1").signer,
            pki::Certificate::Load(certs_.Files(Role::kSl, 1).cert)->Fingerprint());
}

TEST_F(ChainTest, AChangedBlockIsFoundAtItsHeight) {
  auto blocks = Chain();
  // Change a transaction's bytes without fixing the hash.
  (*blocks[1].mutable_transactions(0)->mutable_transaction())[5] ^= 1;
  ChainReport r = VerifyChain(blocks, trust_);
  EXPECT_EQ(r.first_bad_height, 2u);
  EXPECT_THAT(r.reason, HasSubstr("does not match its own hash"));
  EXPECT_EQ(r.state.height, 1u);
  // Fixing the hash does not help: the signature no longer matches.
  blocks[1].set_hash(std::string(reinterpret_cast<const char*>(BlockHash(blocks[1]).bytes.data()), 32));
  r = VerifyChain(blocks, trust_);
  EXPECT_EQ(r.first_bad_height, 2u);
  EXPECT_THAT(r.reason, HasSubstr("block 2 transaction 0: bad signature"));
  // And a re-signed block breaks the link from the next one.
  auto chain = Chain();
  chain[1] = MakeBlock(2, BlockHash(chain[0]), UnixMillis(),
                       {Signed(Create("other"), certs_.Files(Role::kSwci, 1))});
  r = VerifyChain(chain, trust_);
  EXPECT_EQ(r.first_bad_height, 3u);
  EXPECT_THAT(r.reason, HasSubstr("does not point to the hash of block 2"));
}

TEST_F(ChainTest, UntrustedSignersAndInvalidTransactionsMakeABlockBad) {
  auto blocks = Chain();
  blocks.push_back(
      MakeBlock(4, BlockHash(blocks[2]), UnixMillis(), {Signed(Create("c4"), certs_.Files(Role::kSwci, 3))}));
  ChainReport r = VerifyChain(blocks, trust_);
  EXPECT_EQ(r.first_bad_height, 4u);
  EXPECT_THAT(r.reason, HasSubstr("unknown CA"));
  blocks.back() =
      MakeBlock(4, BlockHash(blocks[2]), UnixMillis(), {Signed(Create("c1"), certs_.Files(Role::kSwci, 1))});
  r = VerifyChain(blocks, trust_);
  EXPECT_EQ(r.first_bad_height, 4u);
  EXPECT_THAT(r.reason, HasSubstr("contract 'c1' already exists"));
  EXPECT_EQ(r.state.height, 3u);
}

TEST_F(ChainTest, SignaturesAreJudgedAtTheBlocksTime) {
  // The same signed transaction: valid in a block of today, not in a block stamped after
  // its 365-day certificate has expired. So a block stays valid when, later, the
  // certificate that signed it expires.
  auto tx = Signed(Create("c"), certs_.Files(Role::kSwci, 1));
  EXPECT_FALSE(VerifyChain({MakeBlock(1, Digest{}, UnixMillis(), {tx})}, trust_).first_bad_height);
  const uint64_t later = UnixMillis() + 400ull * 24 * 3600 * 1000;
  const ChainReport r = VerifyChain({MakeBlock(1, Digest{}, later, {tx})}, trust_);
  EXPECT_EQ(r.first_bad_height, 1u);
  EXPECT_THAT(r.reason, HasSubstr("expired"));
}

}  // namespace
}  // namespace swarm::ledger
