#include "sl/user_log.h"

#include <chrono>

#include "core/log.h"

namespace swarm::sl {
namespace {

constexpr char kLog[] = "SL";

std::string Now() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  ::localtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03d", buf, static_cast<int>(ms));
  return out;
}

}  // namespace

StatusOr<std::unique_ptr<UserLog>> UserLog::Open(const std::filesystem::path& dir,
                                                 const std::string& program) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return InvalidArgument("cannot create the model directory " + dir.string() + ": " + ec.message());
  std::filesystem::path path = dir / (program + "_sw.log");
  std::ofstream out(path, std::ios::app);
  if (!out) return InvalidArgument("cannot open " + path.string() + " for writing");
  return std::unique_ptr<UserLog>(new UserLog(std::move(path), std::move(out)));
}

void UserLog::Write(const char* level, const std::string& message) {
  MutexLock lock(mu_);
  out_ << Now() << " swarm.SL : " << level << " : " << message << '\n';
  out_.flush();  // the user tails this file while training runs
}

void UserLog::Info(const std::string& message) { Write("INFO", message); }
void UserLog::Warning(const std::string& message) { Write("WARNING", message); }
void UserLog::Error(const std::string& message) { Write("ERROR", message); }

void Note(UserLog* user, const std::string& message) {
  LogInfo(kLog, message);
  if (user) user->Info(message);
}
void NoteWarning(UserLog* user, const std::string& message) {
  LogWarning(kLog, message);
  if (user) user->Warning(message);
}
void NoteError(UserLog* user, const std::string& message) {
  LogError(kLog, message);
  if (user) user->Error(message);
}

}  // namespace swarm::sl
