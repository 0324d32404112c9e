#include "ledger/contracts.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace swarm::ledger {
namespace {
using pki::Role;
using ::testing::HasSubstr;

pki::PeerIdentity As(Role role, std::string cn, std::string fingerprint = "") {
  return {role, cn, fingerprint.empty() ? "fp-" + cn : fingerprint};
}

swarm::v1::Transaction Create(const std::string& name) {
  swarm::v1::Transaction tx;
  tx.mutable_create_contract()->set_name(name);
  return tx;
}

swarm::v1::Transaction Reset(const std::string& name) {
  swarm::v1::Transaction tx;
  tx.mutable_reset_contract()->set_name(name);
  return tx;
}

swarm::v1::Transaction Register(swarm::v1::NodeType type, const std::string& uid, uint32_t port = 30305) {
  swarm::v1::Transaction tx;
  auto* n = tx.mutable_register_node()->mutable_node();
  n->set_type(type);
  n->set_uid(uid);
  n->set_host("127.0.0.1");
  n->set_port(port);
  n->set_name("node-" + uid);
  return tx;
}

// A refused transaction leaves the state exactly as it was.
void ExpectRefused(State& state, const swarm::v1::Transaction& tx, const pki::PeerIdentity& who,
                   StatusCode code, const std::string& words) {
  const State before = state;
  Status s = Apply(state, tx, who, 7);
  EXPECT_EQ(s.code(), code) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr(words));
  EXPECT_EQ(state.contracts.size(), before.contracts.size());
  EXPECT_EQ(state.nodes.size(), before.nodes.size());
  for (const auto& [name, c] : before.contracts) EXPECT_EQ(state.contracts.at(name).resets, c.resets);
}

TEST(ContractsTest, TheDefaultContractExistsFromTheStart) {
  const State s = State::Genesis();
  ASSERT_EQ(s.contracts.count(kDefaultContract), 1u);
  EXPECT_EQ(s.contracts.at(kDefaultContract).created_height, 0u);
}

TEST(ContractsTest, SwciCreatesContractsThatArePermanent) {
  State s = State::Genesis();
  ASSERT_TRUE(Apply(s, Create("mnist.contract"), As(Role::kSwci, "swci-1"), 3).ok());
  EXPECT_EQ(s.contracts.at("mnist.contract").created_height, 3u);
  EXPECT_EQ(s.contracts.at("mnist.contract").creator, "fp-swci-1");
  ExpectRefused(s, Create("mnist.contract"), As(Role::kSwci, "swci-2"), StatusCode::kAlreadyExists,
                "contract 'mnist.contract' already exists");
  ExpectRefused(s, Create(kDefaultContract), As(Role::kSwci, "swci-1"), StatusCode::kAlreadyExists,
                "already exists");
}

TEST(ContractsTest, OnlySwciCreatesOrResetsContracts) {
  State s = State::Genesis();
  for (Role role : {Role::kSn, Role::kSl, Role::kSwop}) {
    ExpectRefused(s, Create("x"), As(role, "n"), StatusCode::kPermissionDenied, "only SWCI may do this");
    ExpectRefused(s, Reset(kDefaultContract), As(role, "n"), StatusCode::kPermissionDenied, "only SWCI");
  }
}

TEST(ContractsTest, ResetNeedsAnExistingContract) {
  State s = State::Genesis();
  ExpectRefused(s, Reset("nope"), As(Role::kSwci, "swci-1"), StatusCode::kNotFound,
                "cannot reset contract 'nope': no such contract");
  ASSERT_TRUE(Apply(s, Reset(kDefaultContract), As(Role::kSwci, "swci-1"), 9).ok());
  EXPECT_EQ(s.contracts.at(kDefaultContract).resets, 1u);
  EXPECT_EQ(s.contracts.at(kDefaultContract).last_reset_height, 9u);
}

TEST(ContractsTest, ContractNamesAreChecked) {
  State s = State::Genesis();
  ExpectRefused(s, Create(""), As(Role::kSwci, "c"), StatusCode::kInvalidArgument, "1 to 255 characters");
  ExpectRefused(s, Create("a b"), As(Role::kSwci, "c"), StatusCode::kInvalidArgument,
                "has the character ' '");
}

TEST(ContractsTest, NodesRegisterOnlyThemselves) {
  State s = State::Genesis();
  const auto sl = As(Role::kSl, "sl-1");
  ASSERT_TRUE(Apply(s, Register(swarm::v1::NODE_TYPE_SL, "uid-a"), sl, 2).ok());
  // Several SLs may share one certificate; each has its own uid.
  ASSERT_TRUE(Apply(s, Register(swarm::v1::NODE_TYPE_SL, "uid-b"), sl, 2).ok());
  ASSERT_TRUE(Apply(s, Register(swarm::v1::NODE_TYPE_SENTINEL, "sn-uid"), As(Role::kSn, "sn-1"), 1).ok());
  EXPECT_EQ(s.nodes.size(), 3u);
  ExpectRefused(s, Register(swarm::v1::NODE_TYPE_SN, "x"), sl, StatusCode::kPermissionDenied,
                "a node acts only for itself: 'sl-1' (role sl) cannot register a SN node");
  ExpectRefused(s, Register(swarm::v1::NODE_TYPE_SL, "uid-a"), As(Role::kSl, "sl-2"),
                StatusCode::kPermissionDenied, "uid uid-a belongs to another certificate");
  ExpectRefused(s, Register(swarm::v1::NODE_TYPE_UNSPECIFIED, "y"), sl, StatusCode::kInvalidArgument,
                "without a node type");
  ExpectRefused(s, Register(swarm::v1::NODE_TYPE_SL, ""), sl, StatusCode::kInvalidArgument, "without a uid");
  // A restarted node re-registers with a new port.
  ASSERT_TRUE(Apply(s, Register(swarm::v1::NODE_TYPE_SL, "uid-a", 40000), sl, 5).ok());
  EXPECT_EQ(s.nodes.at("uid-a").record.port(), 40000u);
  EXPECT_EQ(s.nodes.at("uid-a").registered_height, 2u);
  EXPECT_EQ(s.nodes.at("uid-a").updated_height, 5u);
}

TEST(ContractsTest, EmptyTransactionsAreRefused) {
  State s = State::Genesis();
  ExpectRefused(s, swarm::v1::Transaction(), As(Role::kSwci, "c"), StatusCode::kInvalidArgument,
                "has no body");
}

}  // namespace
}  // namespace swarm::ledger
