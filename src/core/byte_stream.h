#pragma once

// Where blob bytes go to and come from. The blob writer and reader work on these
// interfaces so that the same code streams to a file, to memory, or (later) to and
// from the network in chunks.

#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"

namespace swarm {

class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual Status Write(std::span<const std::byte> bytes) = 0;
};

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads up to dst.size() bytes; returns 0 only at the end of the stream.
  virtual StatusOr<size_t> Read(std::span<std::byte> dst) = 0;
  // The whole stream's length when known in advance (a regular file, a buffer): a reader
  // refuses a header that claims more before it allocates for it.
  virtual std::optional<uint64_t> Size() const { return std::nullopt; }
};

class VectorSink : public ByteSink {
 public:
  Status Write(std::span<const std::byte> bytes) override;
  std::vector<std::byte>& bytes() { return bytes_; }

 private:
  std::vector<std::byte> bytes_;
};

class SpanSource : public ByteSource {
 public:
  explicit SpanSource(std::span<const std::byte> bytes) : bytes_(bytes) {}
  StatusOr<size_t> Read(std::span<std::byte> dst) override;
  std::optional<uint64_t> Size() const override { return bytes_.size(); }

 private:
  std::span<const std::byte> bytes_;
  size_t pos_ = 0;
};

// Writes to a temporary file beside `path` and renames it into place on Commit(),
// so a reader never sees a half-written file. Without Commit() the temporary file
// is removed. An existing file at `path` is replaced only on Commit().
class FileSink : public ByteSink {
 public:
  static StatusOr<std::unique_ptr<FileSink>> Create(const std::filesystem::path& path);
  ~FileSink() override;

  Status Write(std::span<const std::byte> bytes) override;
  // Flushes, syncs and renames into place.
  Status Commit();

 private:
  FileSink(std::filesystem::path path, std::filesystem::path tmp, std::FILE* f)
      : path_(std::move(path)), tmp_(std::move(tmp)), file_(f) {}
  std::filesystem::path path_;
  std::filesystem::path tmp_;
  std::FILE* file_;
};

// `text` as the whole of `path`, through a FileSink: a reader sees the old file or the new one.
Status WriteWholeFile(const std::filesystem::path& path, std::string_view text);

class FileSource : public ByteSource {
 public:
  static StatusOr<std::unique_ptr<FileSource>> Open(const std::filesystem::path& path);
  ~FileSource() override;
  StatusOr<size_t> Read(std::span<std::byte> dst) override;
  std::optional<uint64_t> Size() const override;

 private:
  FileSource(std::filesystem::path path, std::FILE* f) : path_(std::move(path)), file_(f) {}
  std::filesystem::path path_;
  std::FILE* file_;
};

}  // namespace swarm
