#pragma once

// Fills any protobuf message from a fuzzer's input through reflection: texts mostly from a
// small vocabulary (so that later messages name what earlier ones made and the state machines
// behind them go deep), sometimes raw bytes; numbers small, sometimes anything. Shared by
// the fuzz targets that build messages (ledger_apply, grpc_handlers).

#include <fuzzer/FuzzedDataProvider.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <cstdint>
#include <string>
#include <vector>

namespace swarm::fuzz {

inline std::string Text(FuzzedDataProvider& in, const std::vector<std::string>& words) {
  if (words.empty() || in.ConsumeIntegralInRange<int>(0, 7) == 0) return in.ConsumeRandomLengthString(200);
  return words[in.ConsumeIntegralInRange<size_t>(0, words.size() - 1)];
}

// Small numbers reach the interesting cases (round 1, height 2); now and then any value.
template <typename T>
T Number(FuzzedDataProvider& in, T low, T high) {
  if (in.ConsumeIntegralInRange<int>(0, 15) == 0) return in.ConsumeIntegral<T>();
  return in.ConsumeIntegralInRange<T>(low, high);
}

inline void Fill(google::protobuf::Message& m, FuzzedDataProvider& in, const std::vector<std::string>& words,
                 int depth = 0) {
  using google::protobuf::FieldDescriptor;
  const auto* d = m.GetDescriptor();
  const auto* r = m.GetReflection();
  for (int i = 0; i < d->field_count() && in.remaining_bytes() > 0; ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->containing_oneof() != nullptr && in.ConsumeBool()) continue;
    const int n = f->is_repeated() ? in.ConsumeIntegralInRange<int>(0, 3) : (in.ConsumeBool() ? 1 : 0);
    for (int k = 0; k < n; ++k) {
      switch (f->cpp_type()) {
        case FieldDescriptor::CPPTYPE_STRING: {
          const std::string v = Text(in, words);
          f->is_repeated() ? r->AddString(&m, f, v) : r->SetString(&m, f, v);
          break;
        }
        case FieldDescriptor::CPPTYPE_UINT64: {
          const uint64_t v = Number<uint64_t>(in, 0, 6);
          f->is_repeated() ? r->AddUInt64(&m, f, v) : r->SetUInt64(&m, f, v);
          break;
        }
        case FieldDescriptor::CPPTYPE_INT64: {
          const int64_t v = Number<int64_t>(in, -1, 6);
          f->is_repeated() ? r->AddInt64(&m, f, v) : r->SetInt64(&m, f, v);
          break;
        }
        case FieldDescriptor::CPPTYPE_UINT32: {
          const uint32_t v = Number<uint32_t>(in, 0, 6);
          f->is_repeated() ? r->AddUInt32(&m, f, v) : r->SetUInt32(&m, f, v);
          break;
        }
        case FieldDescriptor::CPPTYPE_INT32: {
          const int32_t v = Number<int32_t>(in, -1, 80);
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
        case FieldDescriptor::CPPTYPE_DOUBLE: {
          const double v = in.ConsumeFloatingPoint<double>();
          f->is_repeated() ? r->AddDouble(&m, f, v) : r->SetDouble(&m, f, v);
          break;
        }
        case FieldDescriptor::CPPTYPE_FLOAT: {
          const float v = in.ConsumeFloatingPoint<float>();
          f->is_repeated() ? r->AddFloat(&m, f, v) : r->SetFloat(&m, f, v);
          break;
        }
        case FieldDescriptor::CPPTYPE_MESSAGE:
          if (depth < 4) {
            Fill(f->is_repeated() ? *r->AddMessage(&m, f) : *r->MutableMessage(&m, f), in, words, depth + 1);
          }
          break;
      }
    }
  }
}

}  // namespace swarm::fuzz
