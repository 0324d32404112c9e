#include "sl/range_stream.h"

#include <algorithm>
#include <cstring>

namespace swarm::sl {

Status RangeStream::Push(std::span<const std::byte> bytes) {
  MutexLock lock(mu_);
  // One piece may exceed the capacity: it is let in once nothing else waits.
  while (!abandoned_ && buffered_ > 0 && buffered_ + bytes.size() > capacity_) lock.Wait(cv_);
  if (abandoned_) return Cancelled("the range merge no longer reads this range");
  chunks_.emplace_back(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  buffered_ += bytes.size();
  cv_.notify_all();
  return Status::Ok();
}

void RangeStream::Close(Status outcome) {
  MutexLock lock(mu_);
  closed_ = std::move(outcome);
  cv_.notify_all();
}

void RangeStream::Abandon() {
  MutexLock lock(mu_);
  abandoned_ = true;
  chunks_.clear();
  buffered_ = 0;
  cv_.notify_all();
}

Status RangeStream::outcome() {
  MutexLock lock(mu_);
  return closed_.value_or(Unavailable("the range fetch has not ended"));
}

RangeStream* RangeFetches::Start(uint64_t first, std::function<Status(const RangeSink&)> fetch) {
  streams_.push_back(std::make_unique<RangeStream>(first));
  RangeStream* stream = streams_.back().get();
  threads_.emplace_back([stream, fetch = std::move(fetch)] {
    stream->Close(fetch([stream](std::span<const std::byte> bytes) { return stream->Push(bytes); }));
  });
  return stream;
}

void RangeFetches::Finish() {
  for (auto& stream : streams_) stream->Abandon();
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

Status RangeStream::ReadAt(uint64_t offset, std::span<std::byte> dst) {
  MutexLock lock(mu_);
  if (offset < pos_) {
    return Internal("a streamed range is read in order: offset " + std::to_string(offset) + " is behind " +
                    std::to_string(pos_));
  }
  size_t done = 0;
  while (done < dst.size()) {
    if (chunks_.empty()) {
      if (closed_) {
        if (!closed_->ok()) return *closed_;
        return DataLoss("the streamed range ended at offset " + std::to_string(pos_) + ", before offset " +
                        std::to_string(offset + dst.size()));
      }
      lock.Wait(cv_);
      continue;
    }
    const std::string& front = chunks_.front();
    const size_t left = front.size() - front_read_;
    size_t n;
    if (pos_ < offset) {  // padding between tensors: dropped
      n = static_cast<size_t>(std::min<uint64_t>(left, offset - pos_));
    } else {
      n = std::min(left, dst.size() - done);
      std::memcpy(dst.data() + done, front.data() + front_read_, n);
      done += n;
    }
    front_read_ += n;
    pos_ += n;
    if (front_read_ == front.size()) {
      buffered_ -= front.size();
      chunks_.pop_front();
      front_read_ = 0;
      cv_.notify_all();
    }
  }
  return Status::Ok();
}

}  // namespace swarm::sl
