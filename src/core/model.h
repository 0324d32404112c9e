#pragma once

// A model is an ordered list of named tensors. The schema (names, dtypes, shapes,
// in order) is what peers must agree on before their parameters can be merged.

#include <cstdint>
#include <string>
#include <vector>

#include "core/aligned_buffer.h"
#include "core/dtype.h"
#include "core/status.h"

namespace swarm {

struct TensorSpec {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<uint64_t> shape;  // empty for a scalar

  uint64_t NumElements() const;
  uint64_t NumBytes() const { return NumElements() * DTypeSize(dtype); }
  // "fc1.weight f32[128,784]"
  std::string ToString() const;
  bool operator==(const TensorSpec&) const = default;
};

using ModelSchema = std::vector<TensorSpec>;

// Checks names (non-empty, unique, at most kMaxTensorNameBytes), ranks and sizes.
Status ValidateSchema(const ModelSchema& schema);
// OK if equal; otherwise names the first differing tensor, with `a_label` and
// `b_label` saying which models were compared ("input 0", "input 2").
Status CompareSchemas(const ModelSchema& a, const ModelSchema& b, const std::string& a_label,
                      const std::string& b_label);
// Total elements over all tensors: the length of the flattened parameter vector.
uint64_t TotalElements(const ModelSchema& schema);

inline constexpr size_t kMaxTensorNameBytes = 4096;
inline constexpr size_t kMaxTensorRank = 16;

struct Tensor {
  TensorSpec spec;
  AlignedBuffer data;  // spec.NumBytes() little-endian bytes

  template <typename T>
  T* as() {
    return reinterpret_cast<T*>(data.data());
  }
  template <typename T>
  const T* as() const {
    return reinterpret_cast<const T*>(data.data());
  }
};

class Model {
 public:
  Model() = default;
  // Allocates zeroed tensors for `schema` (which must be valid).
  explicit Model(const ModelSchema& schema);
  Model(Model&&) noexcept = default;
  Model& operator=(Model&&) noexcept = default;
  Model Clone() const;

  std::vector<Tensor>& tensors() { return tensors_; }
  const std::vector<Tensor>& tensors() const { return tensors_; }
  ModelSchema schema() const;
  uint64_t NumBytes() const;

 private:
  std::vector<Tensor> tensors_;
};

}  // namespace swarm
