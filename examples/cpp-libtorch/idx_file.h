#pragma once

// Gzipped IDX files, the format of the MNIST family of data sets: a big-endian magic
// 0x000008NN (unsigned bytes, NN dimensions), NN big-endian 32-bit sizes, then the bytes.

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace swarm::ml {

struct IdxArray {
  std::vector<uint32_t> shape;
  std::vector<uint8_t> data;  // shape's product of bytes, row-major
};

// Reads `path` (gzip) and checks that it holds an array of unsigned bytes with `dims`
// dimensions and exactly as many bytes as its header says; the error names the file.
StatusOr<IdxArray> ReadIdxGz(const std::string& path, int dims);

}  // namespace swarm::ml
