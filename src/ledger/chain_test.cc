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

  // A block as an SN appends it: signed with SN 1's key (or `by`'s).
  swarm::v1::Block Block(uint64_t height, const Digest& prev, uint64_t at, std::vector<swarm::v1::SignedTransaction> txs,
                         Role by = Role::kSn) {
    auto b = MakeBlock(height, prev, at, std::move(txs), SignerFor(certs_.Files(by, 1)));
    EXPECT_TRUE(b.ok()) << b.status().ToString();
    return std::move(b).value();
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
      blocks.push_back(Block(blocks.size() + 1, head, UnixMillis(), std::move(txs)));
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

// An SN's signed head names its signer; a changed height or hash, another role's key, or
// an untrusted CA is refused.
TEST_F(ChainTest, SignedHeadsNameTheirSnAndRefuseChanges) {
  const Digest hash = BlockHash(Chain().back());
  auto head = MakeSignedHead(3, hash, SignerFor(certs_.Files(Role::kSn, 2)));
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  auto who = CheckSignedHead(*head, trust_);
  ASSERT_TRUE(who.ok()) << who.status().ToString();
  EXPECT_EQ(who->common_name, "sn-2");

  auto higher = *head;
  higher.set_height(4);
  EXPECT_THAT(CheckSignedHead(higher, trust_).status().message(), HasSubstr("bad signature"));
  auto other = *head;
  other.mutable_hash()->back() ^= 1;
  EXPECT_THAT(CheckSignedHead(other, trust_).status().message(), HasSubstr("bad signature"));
  auto short_hash = *head;
  short_hash.set_hash("abc");
  EXPECT_THAT(CheckSignedHead(short_hash, trust_).status().message(), HasSubstr("not 32"));
  auto by_sl = MakeSignedHead(3, hash, SignerFor(certs_.Files(Role::kSl, 1)));
  EXPECT_THAT(CheckSignedHead(*by_sl, trust_).status().message(), HasSubstr("not sn"));
  auto stranger = MakeSignedHead(3, hash, SignerFor(certs_.Files(Role::kSn, 3)));  // host 3: untrusted CA
  EXPECT_THAT(CheckSignedHead(*stranger, trust_).status().message(), HasSubstr("unknown CA"));
}

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
  // Fixing the hash does not help: the SN's signature of the block no longer matches...
  blocks[1].set_hash(std::string(reinterpret_cast<const char*>(BlockHash(blocks[1]).bytes.data()), 32));
  r = VerifyChain(blocks, trust_);
  EXPECT_EQ(r.first_bad_height, 2u);
  EXPECT_THAT(r.reason, HasSubstr("block 2 is not signed by a trusted SN: bad signature"));
  // ...and a block an SN signs anew still holds a transaction whose own signature fails.
  std::vector<swarm::v1::SignedTransaction> changed(blocks[1].transactions().begin(), blocks[1].transactions().end());
  blocks[1] = Block(2, BlockHash(blocks[0]), blocks[1].timestamp_unix_ms(), std::move(changed));
  r = VerifyChain(blocks, trust_);
  EXPECT_EQ(r.first_bad_height, 2u);
  EXPECT_THAT(r.reason, HasSubstr("block 2 transaction 0: bad signature"));
  // And a re-signed block breaks the link from the next one.
  auto chain = Chain();
  chain[1] = Block(2, BlockHash(chain[0]), UnixMillis(),
                       {Signed(Create("other"), certs_.Files(Role::kSwci, 1))});
  r = VerifyChain(chain, trust_);
  EXPECT_EQ(r.first_bad_height, 3u);
  EXPECT_THAT(r.reason, HasSubstr("does not point to the hash of block 2"));
}

TEST_F(ChainTest, UntrustedSignersAndInvalidTransactionsMakeABlockBad) {
  auto blocks = Chain();
  blocks.push_back(
      Block(4, BlockHash(blocks[2]), UnixMillis(), {Signed(Create("c4"), certs_.Files(Role::kSwci, 3))}));
  ChainReport r = VerifyChain(blocks, trust_);
  EXPECT_EQ(r.first_bad_height, 4u);
  EXPECT_THAT(r.reason, HasSubstr("unknown CA"));
  blocks.back() =
      Block(4, BlockHash(blocks[2]), UnixMillis(), {Signed(Create("c1"), certs_.Files(Role::kSwci, 1))});
  r = VerifyChain(blocks, trust_);
  EXPECT_EQ(r.first_bad_height, 4u);
  EXPECT_THAT(r.reason, HasSubstr("contract 'c1' already exists"));
  EXPECT_EQ(r.state.height, 3u);
}

// The probe's attack: drop a block, renumber the later ones and recompute every hash. The
// hashes link up again, but the rebuilt blocks carry no SN's signature over their new hash.
TEST_F(ChainTest, ABlockWithRecomputedHashesIsFoundWithoutAnSnsSignature) {
  auto blocks = Chain();
  std::vector<swarm::v1::Block> rewritten{blocks[0], blocks[2]};
  rewritten[1].set_height(2);
  rewritten[1].set_prev_hash(std::string(BlockHash(rewritten[0]).view()));
  rewritten[1].set_hash(std::string(BlockHash(rewritten[1]).view()));
  ChainReport r = VerifyChain(rewritten, trust_);
  EXPECT_EQ(r.first_bad_height, 2u);
  EXPECT_THAT(r.reason, HasSubstr("block 2 is not signed by a trusted SN: bad signature"));
  // Without a signature, or signed by another role's key, a block is refused all the same.
  rewritten[1].clear_signature();
  EXPECT_THAT(VerifyChain(rewritten, trust_).reason, HasSubstr("block 2 carries no SN's signature"));
  auto by_sl = Chain();
  by_sl[1] = Block(2, BlockHash(by_sl[0]), UnixMillis(), {Signed(Create("x"), certs_.Files(Role::kSwci, 1))}, Role::kSl);
  EXPECT_THAT(VerifyChain(by_sl, trust_).reason, HasSubstr("whose role is sl, not sn"));
}

TEST_F(ChainTest, SignaturesAreJudgedAtTheBlocksTime) {
  // The same signed transaction: valid in a block of today, not in a block stamped after
  // its 365-day certificate has expired. So a block stays valid when, later, the
  // certificate that signed it expires.
  auto tx = Signed(Create("c"), certs_.Files(Role::kSwci, 1));
  EXPECT_FALSE(VerifyChain({Block(1, Digest{}, UnixMillis(), {tx})}, trust_).first_bad_height);
  const uint64_t later = UnixMillis() + 400ull * 24 * 3600 * 1000;
  const ChainReport r = VerifyChain({Block(1, Digest{}, later, {tx})}, trust_);
  EXPECT_EQ(r.first_bad_height, 1u);
  EXPECT_THAT(r.reason, HasSubstr("expired"));
}

}  // namespace
}  // namespace swarm::ledger
