#include "core/data_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace swarm {
namespace {

// The pid a holder wrote into its LOCK, "unknown" if none.
std::string HolderPid(int fd) {
  char pid[32] = {};
  const ssize_t n = ::pread(fd, pid, sizeof(pid) - 1, 0);
  std::string text(pid, n > 0 ? static_cast<size_t>(n) : 0);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text.empty() ? "unknown" : text;
}

}  // namespace

Status MakeDataDir(const std::filesystem::path& dir, std::string_view flag) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return FailedPrecondition("cannot create " + std::string(flag) + " '" + dir.string() + "': " + ec.message());
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0 && st.st_uid != ::geteuid()) return Status::Ok();  // not ours to change
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  if (ec) {
    return FailedPrecondition("cannot make " + std::string(flag) + " '" + dir.string() +
                              "' private (0700): " + ec.message());
  }
  return Status::Ok();
}

StatusOr<DirLock> DirLock::Acquire(const std::filesystem::path& dir, std::string_view what) {
  const std::filesystem::path path = dir / "LOCK";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return FailedPrecondition("cannot open '" + path.string() + "': " + std::strerror(errno));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    const std::string holder = HolderPid(fd);
    ::close(fd);
    if (err != EWOULDBLOCK) {
      return FailedPrecondition("cannot lock '" + path.string() + "': " + std::strerror(err));
    }
    return FailedPrecondition("--data-dir '" + dir.string() + "' is in use by another process (pid " + holder +
                              ", which holds " + path.string() +
                              "); one " + std::string(what) + " per data dir: stop it or use another --data-dir");
  }
  const std::string mine = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, mine.data(), mine.size(), 0) != static_cast<ssize_t>(mine.size())) {
    const int err = errno;
    ::close(fd);
    return FailedPrecondition("cannot write '" + path.string() + "': " + std::strerror(err));
  }
  return DirLock(fd);
}

StatusOr<DirLock> DirLock::Claim(const std::filesystem::path& dir, std::string_view what) {
  RETURN_IF_ERROR(MakeDataDir(dir));
  return Acquire(dir, what);
}

std::optional<std::string> DirLock::Holder(const std::filesystem::path& dir) {
  const int fd = ::open((dir / "LOCK").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;  // never locked here
  std::optional<std::string> holder;
  if (::flock(fd, LOCK_SH | LOCK_NB) != 0) holder = HolderPid(fd);
  ::close(fd);  // also drops the shared lock, if it was taken
  return holder;
}

DirLock& DirLock::operator=(DirLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

DirLock::~DirLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the last descriptor releases the lock
}

}  // namespace swarm
