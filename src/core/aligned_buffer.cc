#include "core/aligned_buffer.h"

#include <cstdlib>
#include <cstring>
#include <new>

namespace swarm {

void AlignedBuffer::Free::operator()(std::byte* p) const { std::free(p); }

AlignedBuffer::AlignedBuffer(size_t size) : size_(size) {
  if (size == 0) return;
  const size_t rounded = (size + kAlignment - 1) / kAlignment * kAlignment;
  void* p = std::aligned_alloc(kAlignment, rounded);
  if (p == nullptr) throw std::bad_alloc();
  std::memset(p, 0, rounded);
  data_.reset(static_cast<std::byte*>(p));
}

AlignedBuffer AlignedBuffer::Clone() const {
  AlignedBuffer copy(size_);
  if (size_ > 0) std::memcpy(copy.data(), data(), size_);
  return copy;
}

}  // namespace swarm
