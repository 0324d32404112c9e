#pragma once

// Helpers for tests and benchmarks: random models of a given schema, a scratch directory.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/model.h"

namespace swarm::testing {

// Fills every tensor with values drawn uniformly from [-scale, scale) + offset,
// rounded to the tensor's dtype. Same seed, same model.
Model RandomModel(const ModelSchema& schema, uint64_t seed, double scale = 1.0, double offset = 0.0);

// A schema exercising every dtype, a scalar, an empty tensor and odd sizes.
ModelSchema MixedSchema();

// A fresh directory under /tmp (/tmp/PREFIX_XXXXXX), removed with all it holds when the
// object goes.
class ScopedTempDir {
 public:
  explicit ScopedTempDir(const std::string& prefix = "swarm_test");
  ~ScopedTempDir();
  ScopedTempDir(const ScopedTempDir&) = delete;
  ScopedTempDir& operator=(const ScopedTempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Value of element `i` of tensor `t`, widened to double.
double ElementAsDouble(const Tensor& t, uint64_t i);
void SetElement(Tensor& t, uint64_t i, double value);

}  // namespace swarm::testing
