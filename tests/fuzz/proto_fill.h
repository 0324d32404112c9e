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
#include <utility>
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

// Adds `v` to a repeated field or sets a singular one, through the Reflection pair given.
template <typename T>
void Put(google::protobuf::Message& m, const google::protobuf::FieldDescriptor* f, T v,
         void (google::protobuf::Reflection::*add)(google::protobuf::Message*,
                                                   const google::protobuf::FieldDescriptor*, T) const,
         void (google::protobuf::Reflection::*set)(google::protobuf::Message*,
                                                   const google::protobuf::FieldDescriptor*, T) const) {
  const auto* r = m.GetReflection();
  (r->*(f->is_repeated() ? add : set))(&m, f, std::move(v));
}

inline void Fill(google::protobuf::Message& m, FuzzedDataProvider& in, const std::vector<std::string>& words,
                 int depth = 0) {
  using google::protobuf::FieldDescriptor;
  using R = google::protobuf::Reflection;
  const auto* d = m.GetDescriptor();
  const auto* r = m.GetReflection();
  for (int i = 0; i < d->field_count() && in.remaining_bytes() > 0; ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->containing_oneof() != nullptr && in.ConsumeBool()) continue;
    const int n = f->is_repeated() ? in.ConsumeIntegralInRange<int>(0, 3) : (in.ConsumeBool() ? 1 : 0);
    for (int k = 0; k < n; ++k) {
      switch (f->cpp_type()) {
        case FieldDescriptor::CPPTYPE_STRING:
          Put<std::string>(m, f, Text(in, words), &R::AddString, &R::SetString);
          break;
        case FieldDescriptor::CPPTYPE_UINT64:
          Put<uint64_t>(m, f, Number<uint64_t>(in, 0, 6), &R::AddUInt64, &R::SetUInt64);
          break;
        case FieldDescriptor::CPPTYPE_INT64:
          Put<int64_t>(m, f, Number<int64_t>(in, -1, 6), &R::AddInt64, &R::SetInt64);
          break;
        case FieldDescriptor::CPPTYPE_UINT32:
          Put<uint32_t>(m, f, Number<uint32_t>(in, 0, 6), &R::AddUInt32, &R::SetUInt32);
          break;
        case FieldDescriptor::CPPTYPE_INT32:
          Put<int32_t>(m, f, Number<int32_t>(in, -1, 80), &R::AddInt32, &R::SetInt32);
          break;
        case FieldDescriptor::CPPTYPE_BOOL:
          Put<bool>(m, f, in.ConsumeBool(), &R::AddBool, &R::SetBool);
          break;
        case FieldDescriptor::CPPTYPE_DOUBLE:
          Put<double>(m, f, in.ConsumeFloatingPoint<double>(), &R::AddDouble, &R::SetDouble);
          break;
        case FieldDescriptor::CPPTYPE_FLOAT:
          Put<float>(m, f, in.ConsumeFloatingPoint<float>(), &R::AddFloat, &R::SetFloat);
          break;
        case FieldDescriptor::CPPTYPE_ENUM: {
          const auto* e = f->enum_type();
          const int v = e->value(in.ConsumeIntegralInRange<int>(0, e->value_count() - 1))->number();
          Put<int>(m, f, v, &R::AddEnumValue, &R::SetEnumValue);
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
