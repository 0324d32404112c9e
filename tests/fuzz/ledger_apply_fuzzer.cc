// Arbitrary sequences of ledger transactions applied to the genesis state, as every SN
// applies the transactions of a block (ledger::Apply, below the signature check, which a
// fuzzer could not pass): each one is applied or refused with a message; nothing crashes,
// hangs or reads out of bounds, whatever the fields hold.
//
// The input picks each transaction's kind and fills its fields through protobuf reflection:
// texts mostly from a small vocabulary (so that later transactions name the contracts, nodes,
// tasks and rounds earlier ones made, and the state machine goes deep), sometimes raw bytes
// (task body lines among them, which FINALIZE TASK parses as YAML); numbers small.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz/proto_fill.h"
#include "ledger/contracts.h"
#include "ledger/state.h"
#include "swarm/v1/ledger.pb.h"

namespace {

const std::vector<std::string>& Words() {
  static const std::vector<std::string> words = {
      "defaultbb.cqdb.sml.hpe", "c1", "c2", "u1", "u2", "u3", "ROOTTASK", "t1", "t2", "tr1", "defaulttaskbb.taskdb.sml.hpe",
      "RUN_SWARM", "MAKE_SWARM_USER_CONTENT", "PULL_IMAGE", "Command: x.py", "Entrypoint: python3",
      "WorkingDir: /tmp", "Envvars:", "- A: 1", "PrivateContent: ~", "SharedContent: []", "Tag: 1",
      "RepoName: r", "OrgAndReg: o", "Auth: ~", "127.0.0.1:30305", "", "x", "OK", "FAILED", "COMPLETED"};
  return words;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  static const swarm::pki::Role kRoles[] = {swarm::pki::Role::kSl, swarm::pki::Role::kSwci, swarm::pki::Role::kSwop,
                                            swarm::pki::Role::kSn};
  swarm::ledger::State state = swarm::ledger::State::Genesis();
  const auto* body = swarm::v1::Transaction::descriptor()->FindOneofByName("body");
  for (uint64_t height = 1; in.remaining_bytes() > 0 && height <= 64; ++height) {
    swarm::v1::Transaction tx;
    tx.set_timestamp_unix_ms(1'800'000'000'000 + height);
    const google::protobuf::FieldDescriptor* kind = body->field(in.ConsumeIntegralInRange<int>(0, body->field_count() - 1));
    swarm::fuzz::Fill(*tx.GetReflection()->MutableMessage(&tx, kind), in, Words());
    const int who = in.ConsumeIntegralInRange<int>(0, 2);
    const swarm::pki::PeerIdentity signer{kRoles[in.ConsumeIntegralInRange<int>(0, 3)], "node-" + std::to_string(who),
                                          std::string(64, static_cast<char>('a' + who))};
    (void)swarm::ledger::Apply(state, tx, signer, height);
  }
  return 0;
}
