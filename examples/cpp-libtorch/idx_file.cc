#include "idx_file.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace swarm::ml {
namespace {

struct GzClose {
  void operator()(gzFile f) const { gzclose(f); }
};

StatusOr<std::vector<uint8_t>> Inflate(const std::string& path) {
  std::unique_ptr<gzFile_s, GzClose> f(gzopen(path.c_str(), "rb"));
  if (!f) return NotFound(path + ": cannot open: " + std::strerror(errno));
  std::vector<uint8_t> bytes;
  constexpr unsigned kChunk = 1 << 20;
  for (;;) {
    const size_t have = bytes.size();
    bytes.resize(have + kChunk);
    const int n = gzread(f.get(), bytes.data() + have, kChunk);
    bytes.resize(have + static_cast<size_t>(std::max(n, 0)));
    if (n > 0) continue;
    // gzread returns 0 both at the end and when the stream breaks off early.
    int code = Z_OK;
    const char* message = gzerror(f.get(), &code);  // "path: why"
    if (n < 0 || code != Z_OK) return DataLoss(std::string("truncated or corrupt gzip file ") + message);
    return bytes;
  }
}

uint32_t BigEndian32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | uint32_t{p[3]};
}

}  // namespace

StatusOr<IdxArray> ReadIdxGz(const std::string& path, int dims) {
  ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, Inflate(path));
  const size_t header = 4 + 4 * static_cast<size_t>(dims);
  if (bytes.size() < header || bytes[0] != 0 || bytes[1] != 0 || bytes[2] != 0x08 || bytes[3] != dims) {
    char magic[16] = "missing";
    if (bytes.size() >= 4) std::snprintf(magic, sizeof magic, "0x%08x", BigEndian32(bytes.data()));
    return DataLoss(path + ": not an IDX file of unsigned bytes in " + std::to_string(dims) +
                    "-dimensional arrays (magic number " + magic + ")");
  }
  IdxArray array;
  size_t expected = 1;
  for (int i = 0; i < dims; ++i) {
    array.shape.push_back(BigEndian32(bytes.data() + 4 + 4 * i));
    expected *= array.shape.back();
  }
  if (bytes.size() - header != expected) {
    return DataLoss(path + ": " + std::to_string(bytes.size() - header) + " bytes of data; its header says " +
                    std::to_string(expected));
  }
  bytes.erase(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(header));
  array.data = std::move(bytes);
  return array;
}

}  // namespace swarm::ml
