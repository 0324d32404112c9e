#include "core/byte_stream.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>

namespace swarm {
namespace {

std::string ErrnoText() { return std::strerror(errno); }

}  // namespace

Status VectorSink::Write(std::span<const std::byte> bytes) {
  bytes_.insert(bytes_.end(), bytes.begin(), bytes.end());
  return Status::Ok();
}

StatusOr<size_t> SpanSource::Read(std::span<std::byte> dst) {
  const size_t n = std::min(dst.size(), bytes_.size() - pos_);
  if (n > 0) std::memcpy(dst.data(), bytes_.data() + pos_, n);
  pos_ += n;
  return n;
}

StatusOr<std::unique_ptr<FileSink>> FileSink::Create(const std::filesystem::path& path) {
  std::random_device rd;
  std::filesystem::path tmp = path;
  tmp += ".tmp." + std::to_string(rd());
  std::FILE* f = std::fopen(tmp.c_str(), "wbx");
  if (f == nullptr) {
    return Unavailable("cannot create '" + tmp.string() + "' to write '" + path.string() +
                       "': " + ErrnoText());
  }
  return std::unique_ptr<FileSink>(new FileSink(path, std::move(tmp), f));
}

FileSink::~FileSink() {
  if (file_ != nullptr) {
    std::fclose(file_);
    std::filesystem::remove(tmp_);
  }
}

Status FileSink::Write(std::span<const std::byte> bytes) {
  if (file_ == nullptr) return FailedPrecondition("write to '" + path_.string() + "' after Commit()");
  if (std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size()) {
    return Unavailable("writing '" + tmp_.string() + "': " + ErrnoText());
  }
  return Status::Ok();
}

Status FileSink::Commit() {
  if (file_ == nullptr) return FailedPrecondition("file '" + path_.string() + "' was already committed");
  const bool flushed = std::fflush(file_) == 0 && ::fsync(fileno(file_)) == 0;
  const std::string flush_error = flushed ? "" : ErrnoText();
  std::fclose(file_);
  file_ = nullptr;
  if (!flushed) {
    std::filesystem::remove(tmp_);
    return Unavailable("flushing '" + tmp_.string() + "': " + flush_error);
  }
  std::error_code ec;
  std::filesystem::rename(tmp_, path_, ec);
  if (ec) {
    std::filesystem::remove(tmp_);
    return Unavailable("renaming '" + tmp_.string() + "' to '" + path_.string() + "': " + ec.message());
  }
  return Status::Ok();
}

Status WriteWholeFile(const std::filesystem::path& path, std::string_view text) {
  ASSIGN_OR_RETURN(std::unique_ptr<FileSink> sink, FileSink::Create(path));
  RETURN_IF_ERROR(sink->Write(std::as_bytes(std::span(text.data(), text.size()))));
  return sink->Commit();
}

StatusOr<std::unique_ptr<FileSource>> FileSource::Open(const std::filesystem::path& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return NotFound("cannot open '" + path.string() + "': " + ErrnoText());
  return std::unique_ptr<FileSource>(new FileSource(path, f));
}

FileSource::~FileSource() { std::fclose(file_); }

std::optional<uint64_t> FileSource::Size() const {
  struct stat st {};
  if (::fstat(::fileno(file_), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return static_cast<uint64_t>(st.st_size);
}

StatusOr<size_t> FileSource::Read(std::span<std::byte> dst) {
  const size_t n = std::fread(dst.data(), 1, dst.size(), file_);
  if (n < dst.size() && std::ferror(file_)) {
    return Unavailable("reading '" + path_.string() + "': " + ErrnoText());
  }
  return n;
}

}  // namespace swarm
