// Arbitrary sequences of ledger transactions applied to the genesis state, as every SN
// applies the transactions of a block (ledger::Apply, below the signature check, which a
// fuzzer could not pass): each one is applied or refused with a message; nothing crashes,
// hangs or reads out of bounds, whatever the fields hold.
//
// The input picks each transaction's kind and fills its fields through protobuf reflection:
// texts mostly from a small vocabulary (so that later transactions name the contracts, nodes,
// tasks and rounds earlier ones made, and the state machine goes deep), sometimes raw bytes
// (task body lines among them, which FINALIZE TASK parses as YAML); numbers small.

#include <fuzzer/FuzzedDataProvider.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ledger/contracts.h"
#include "ledger/state.h"
#include "swarm/v1/ledger.pb.h"

namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

const std::vector<std::string>& Words() {
  static const std::vector<std::string> words = {
      "defaultbb.cqdb.sml.hpe", "c1", "c2", "u1", "u2", "u3", "ROOTTASK", "t1", "t2", "tr1", "defaulttaskbb.taskdb.sml.hpe",
      "RUN_SWARM", "MAKE_SWARM_USER_CONTENT", "PULL_IMAGE", "Command: x.py", "Entrypoint: python3",
      "WorkingDir: /tmp", "Envvars:", "- A: 1", "PrivateContent: ~", "SharedContent: []", "Tag: 1",
      "RepoName: r", "OrgAndReg: o", "Auth: ~", "127.0.0.1:30305", "", "x", "OK", "FAILED", "COMPLETED"};
  return words;
}

std::string Text(FuzzedDataProvider& in) {
  if (in.ConsumeIntegralInRange<int>(0, 7) == 0) return in.ConsumeRandomLengthString(200);
  const auto& words = Words();
  return words[in.ConsumeIntegralInRange<size_t>(0, words.size() - 1)];
}

void Fill(Message& m, FuzzedDataProvider& in, int depth) {
  const auto* d = m.GetDescriptor();
  const Reflection* r = m.GetReflection();
  for (int i = 0; i < d->field_count() && in.remaining_bytes() > 0; ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->containing_oneof() != nullptr && in.ConsumeBool()) continue;
    const int n = f->is_repeated() ? in.ConsumeIntegralInRange<int>(0, 3) : (in.ConsumeBool() ? 1 : 0);
    for (int k = 0; k < n; ++k) {
      switch (f->cpp_type()) {
        case FieldDescriptor::CPPTYPE_STRING: {
          const std::string v = Text(in);
          f->is_repeated() ? r->AddString(&m, f, v) : r->SetString(&m, f, v);
          break;
        }
        case FieldDescriptor::CPPTYPE_UINT64: {
          const uint64_t v = in.ConsumeIntegralInRange<uint64_t>(0, 6);
          f->is_repeated() ? r->AddUInt64(&m, f, v) : r->SetUInt64(&m, f, v);
          break;
        }
        case FieldDescriptor::CPPTYPE_INT64: {
          const int64_t v = in.ConsumeIntegralInRange<int64_t>(-1, 6);
          f->is_repeated() ? r->AddInt64(&m, f, v) : r->SetInt64(&m, f, v);
          break;
        }
        case FieldDescriptor::CPPTYPE_UINT32: {
          const uint32_t v = in.ConsumeIntegralInRange<uint32_t>(0, 6);
          f->is_repeated() ? r->AddUInt32(&m, f, v) : r->SetUInt32(&m, f, v);
          break;
        }
        case FieldDescriptor::CPPTYPE_INT32: {
          const int32_t v = in.ConsumeIntegralInRange<int32_t>(-1, 80);
          f->is_repeated() ? r->AddInt32(&m, f, v) : r->SetInt32(&m, f, v);
          break;
        }
        case FieldDescriptor::CPPTYPE_BOOL: {
          const bool v = in.ConsumeBool();
          f->is_repeated() ? r->AddBool(&m, f, v) : r->SetBool(&m, f, v);
          break;
        }
        case FieldDescriptor::CPPTYPE_ENUM: {
          const auto* e = f->enum_type();
          const int v = e->value(in.ConsumeIntegralInRange<int>(0, e->value_count() - 1))->number();
          f->is_repeated() ? r->AddEnumValue(&m, f, v) : r->SetEnumValue(&m, f, v);
          break;
        }
        case FieldDescriptor::CPPTYPE_MESSAGE:
          if (depth < 4) Fill(f->is_repeated() ? *r->AddMessage(&m, f) : *r->MutableMessage(&m, f), in, depth + 1);
          break;
        default: break;  // doubles and floats: none in transactions
      }
    }
  }
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
    const FieldDescriptor* kind = body->field(in.ConsumeIntegralInRange<int>(0, body->field_count() - 1));
    Fill(*tx.GetReflection()->MutableMessage(&tx, kind), in, 0);
    const int who = in.ConsumeIntegralInRange<int>(0, 2);
    const swarm::pki::PeerIdentity signer{kRoles[in.ConsumeIntegralInRange<int>(0, 3)], "node-" + std::to_string(who),
                                          std::string(64, static_cast<char>('a' + who))};
    (void)swarm::ledger::Apply(state, tx, signer, height);
  }
  return 0;
}
