#pragma once

// Helpers for tests and benchmarks of the core: random models of a given schema.

#include <cstdint>
#include <vector>

#include "core/model.h"

namespace swarm::testing {

// Fills every tensor with values drawn uniformly from [-scale, scale) + offset,
// rounded to the tensor's dtype. Same seed, same model.
Model RandomModel(const ModelSchema& schema, uint64_t seed, double scale = 1.0, double offset = 0.0);

// A schema exercising every dtype, a scalar, an empty tensor and odd sizes.
ModelSchema MixedSchema();

// Value of element `i` of tensor `t`, widened to double.
double ElementAsDouble(const Tensor& t, uint64_t i);
void SetElement(Tensor& t, uint64_t i, double value);

}  // namespace swarm::testing
