#include "sl/range_stream.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

namespace swarm::sl {
namespace {

using ::testing::HasSubstr;

std::span<const std::byte> Bytes(const std::string& s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

// Bytes at file offsets 100.. stream in, in pieces of 7, through a 16-byte buffer; the reader
// takes some, skips some (padding between tensors) and gets exactly the bytes at its offsets.
TEST(RangeStreamTest, ReadsTheBytesAtItsOffsetsWhileTheyStreamIn) {
  std::string range;
  for (int i = 0; i < 200; ++i) range.push_back(static_cast<char>(i));
  RangeStream stream(100, 16);
  std::thread fetch([&] {
    for (size_t at = 0; at < range.size(); at += 7) {
      ASSERT_TRUE(stream.Push(Bytes(range.substr(at, 7))).ok());
    }
    stream.Close(Status::Ok());
  });
  std::string got(30, '\0');
  const auto read = [&](uint64_t offset, size_t n) {
    std::string out(n, '\0');
    EXPECT_TRUE(stream.ReadAt(offset, std::as_writable_bytes(std::span(out.data(), n))).ok());
    return out;
  };
  EXPECT_EQ(read(100, 30), range.substr(0, 30));
  EXPECT_EQ(read(130, 1), range.substr(30, 1));
  EXPECT_EQ(read(164, 50), range.substr(64, 50));  // 33 bytes skipped
  EXPECT_EQ(read(290, 10), range.substr(190, 10));
  Status behind = stream.ReadAt(200, std::as_writable_bytes(std::span(got.data(), 1)));
  EXPECT_EQ(behind.code(), StatusCode::kInternal);
  fetch.join();
}

TEST(RangeStreamTest, AFailedFetchOrAShortRangeFailsTheRead) {
  std::string buf(8, '\0');
  const auto dst = std::as_writable_bytes(std::span(buf.data(), buf.size()));
  RangeStream failed(0);
  ASSERT_TRUE(failed.Push(Bytes("abcd")).ok());
  failed.Close(Unavailable("file server 127.0.0.1:1: connection reset"));
  Status s = failed.ReadAt(0, dst);
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_THAT(s.message(), HasSubstr("connection reset"));

  RangeStream short_range(0);
  ASSERT_TRUE(short_range.Push(Bytes("abcd")).ok());
  short_range.Close(Status::Ok());
  s = short_range.ReadAt(0, dst);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_THAT(s.message(), HasSubstr("ended at offset 4, before offset 8"));
}

// A merge that ends early abandons its streams: a fetch waiting for room stops at once.
TEST(RangeStreamTest, AnAbandonedStreamStopsItsFetch) {
  RangeStream stream(0, 4);
  ASSERT_TRUE(stream.Push(Bytes("abcd")).ok());
  Status pushed;
  std::thread fetch([&] { pushed = stream.Push(Bytes("efgh")); });  // waits: the buffer is full
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  stream.Abandon();
  fetch.join();
  EXPECT_EQ(pushed.code(), StatusCode::kCancelled);
  EXPECT_EQ(stream.Push(Bytes("ijkl")).code(), StatusCode::kCancelled);
}

// Leaving the scope of a RangeFetches ends its fetches: one blocked on a full stream is
// told to stop (its outcome is Cancelled), one that ended keeps its own outcome.
TEST(RangeFetchesTest, FinishStopsFetchesWaitingToPushAndKeepsTheirOutcomes) {
  RangeFetches fetches;
  RangeStream* done = fetches.Start(0, [](const RangeSink& sink) {
    EXPECT_TRUE(sink(Bytes("ab")).ok());
    return Unavailable("file server 127.0.0.1:1: gone");
  });
  RangeStream* blocked = fetches.Start(0, [](const RangeSink& sink) {
    const std::string big(16 << 20, 'x');  // past the stream's capacity, twice
    while (true) {
      if (Status s = sink(Bytes(big)); !s.ok()) return s;
    }
  });
  std::string buf(2, '\0');
  EXPECT_EQ(done->ReadAt(0, std::as_writable_bytes(std::span(buf.data(), 2))).code(), StatusCode::kOk);
  EXPECT_EQ(buf, "ab");
  fetches.Finish();
  EXPECT_EQ(done->outcome().code(), StatusCode::kUnavailable);
  EXPECT_EQ(blocked->outcome().code(), StatusCode::kCancelled);
}

}  // namespace
}  // namespace swarm::sl
