#include "core/test_util.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>

#include "core/half.h"

namespace swarm::testing {

ScopedTempDir::ScopedTempDir(const std::string& prefix) {
  std::string tmpl = "/tmp/" + prefix + "_XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) {
    std::fprintf(stderr, "cannot make a temporary directory %s: %s\n", tmpl.c_str(), std::strerror(errno));
    std::abort();
  }
  path_ = tmpl;
}

ScopedTempDir::~ScopedTempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

double ElementAsDouble(const Tensor& t, uint64_t i) {
  switch (t.spec.dtype) {
    case DType::kF32: return t.as<float>()[i];
    case DType::kF64: return t.as<double>()[i];
    case DType::kF16: return F16ToF32(t.as<uint16_t>()[i]);
    case DType::kBF16: return BF16ToF32(t.as<uint16_t>()[i]);
  }
  return 0;
}

void SetElement(Tensor& t, uint64_t i, double value) {
  switch (t.spec.dtype) {
    case DType::kF32: t.as<float>()[i] = static_cast<float>(value); return;
    case DType::kF64: t.as<double>()[i] = value; return;
    case DType::kF16: t.as<uint16_t>()[i] = F32ToF16(static_cast<float>(value)); return;
    case DType::kBF16: t.as<uint16_t>()[i] = F32ToBF16(static_cast<float>(value)); return;
  }
}

Model RandomModel(const ModelSchema& schema, uint64_t seed, double scale, double offset) {
  Model m(schema);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> dist(-scale, scale);
  for (Tensor& t : m.tensors()) {
    const uint64_t n = t.spec.NumElements();
    for (uint64_t i = 0; i < n; ++i) SetElement(t, i, dist(rng) + offset);
  }
  return m;
}

ModelSchema MixedSchema() {
  return {
      {"conv1.weight", DType::kF32, {8, 1, 3, 3}},
      {"conv1.bias", DType::kF32, {8}},
      {"scale", DType::kF64, {}},
      {"empty", DType::kF32, {0, 4}},
      {"fc.weight", DType::kF16, {10, 37}},
      {"fc.bias", DType::kBF16, {10}},
      {"head.weight", DType::kF64, {3, 1001}},
      {"head.bias", DType::kBF16, {5003}},
  };
}

}  // namespace swarm::testing
