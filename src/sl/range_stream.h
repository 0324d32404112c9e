#pragma once

// A byte range of a peer's blob as it streams in: a shard merger's fetch pushes the pieces
// on one side, and its range merge reads them as a RangeSource on the other, so that the
// merge goes on while the bytes arrive and no copy of the range is written anywhere. At most
// `capacity` bytes wait in between: the fetch blocks while the merge is behind.

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/merge_files.h"
#include "core/mutex.h"

namespace swarm::sl {

// Where a range fetch hands its bytes, in order, as they arrive; an error stops the fetch.
using RangeSink = std::function<Status(std::span<const std::byte>)>;

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
  // What Close was given (Unavailable before it).
  Status outcome();

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

// Range fetches running in threads, each into a RangeStream of its own. Finish — or the
// destructor, on every way out of the caller — abandons every stream, so that a fetch
// waiting to push stops, and joins every thread.
class RangeFetches {
 public:
  RangeFetches() = default;
  RangeFetches(const RangeFetches&) = delete;
  RangeFetches& operator=(const RangeFetches&) = delete;
  ~RangeFetches() { Finish(); }

  // Runs `fetch` (a range fetch into the sink it is given) in a thread; its bytes, from file
  // offset `first` on, are read from the stream returned, which lives as long as this.
  RangeStream* Start(uint64_t first, std::function<Status(const RangeSink&)> fetch);
  void Finish();

 private:
  std::vector<std::unique_ptr<RangeStream>> streams_;
  std::vector<std::thread> threads_;
};

}  // namespace swarm::sl
