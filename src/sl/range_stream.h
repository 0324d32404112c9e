#pragma once

// A byte range of a peer's blob as it streams in: a shard merger's fetch pushes the pieces
// on one side, and its range merge reads them as a RangeSource on the other, so that the
// merge goes on while the bytes arrive and no copy of the range is written anywhere. At most
// `capacity` bytes wait in between: the fetch blocks while the merge is behind.

#include <condition_variable>
#include <deque>
#include <optional>
#include <string>

#include "core/merge_files.h"
#include "core/mutex.h"

namespace swarm::sl {

class RangeStream final : public RangeSource {
 public:
  // `first`: the file offset of the range's first byte.
  explicit RangeStream(uint64_t first, uint64_t capacity = uint64_t{2} << 20)
      : pos_(first), capacity_(capacity) {}

  // The fetch's side: the range's bytes in order, then its outcome. Push fails (Cancelled)
  // once the merge has abandoned the stream.
  Status Push(std::span<const std::byte> bytes);
  void Close(Status outcome);

  // The merge's side: waits for the bytes at `offset` (never before the last read's end;
  // bytes skipped over are dropped). Fails with the fetch's error, or DataLoss when the
  // range ended before them.
  Status ReadAt(uint64_t offset, std::span<std::byte> dst) override;
  // The merge is over (done or failed): a fetch still pushing is told to stop.
  void Abandon();

 private:
  Mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> chunks_ SWARM_GUARDED_BY(mu_);
  size_t front_read_ SWARM_GUARDED_BY(mu_) = 0;  // bytes of chunks_.front() already read
  uint64_t buffered_ SWARM_GUARDED_BY(mu_) = 0;
  uint64_t pos_ SWARM_GUARDED_BY(mu_);  // file offset of the next byte to read
  std::optional<Status> closed_ SWARM_GUARDED_BY(mu_);
  bool abandoned_ SWARM_GUARDED_BY(mu_) = false;
  const uint64_t capacity_;
};

}  // namespace swarm::sl
