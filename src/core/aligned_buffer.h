#pragma once

// A heap byte buffer aligned to 64 bytes (a cache line, and the blob payload
// alignment), so tensors can be read straight into it and merged with wide loads.

#include <cstddef>
#include <memory>
#include <span>

namespace swarm {

class AlignedBuffer {
 public:
  static constexpr size_t kAlignment = 64;

  AlignedBuffer() = default;
  // Zero-filled; filling also touches every page now rather than inside a hot loop.
  explicit AlignedBuffer(size_t size);

  AlignedBuffer(AlignedBuffer&&) noexcept = default;
  AlignedBuffer& operator=(AlignedBuffer&&) noexcept = default;
  AlignedBuffer Clone() const;

  std::byte* data() { return data_.get(); }
  const std::byte* data() const { return data_.get(); }
  size_t size() const { return size_; }
  std::span<std::byte> span() { return {data(), size_}; }
  std::span<const std::byte> span() const { return {data(), size_}; }

 private:
  struct Free {
    void operator()(std::byte* p) const;
  };
  std::unique_ptr<std::byte[], Free> data_;
  size_t size_ = 0;
};

}  // namespace swarm
