// MAKE_SWARM_USER_CONTENT: the first report claims one of the task's SWOP peers; only then
// does the work start, on its own thread (downloads block), into a staging directory that
// replaces the content directory when every operation succeeded.

#include <thread>

#include "core/log.h"
#include "swop/content.h"
#include "swop/task_runs.h"

namespace swarm::swop {
namespace fs = std::filesystem;
namespace {

class ContentRun final : public TaskRun {
 public:
  ContentRun(taskdef::MakeUserContentBody body, fs::path content_dir)
      : body_(std::move(body)), dir_(std::move(content_dir)) {}
  ~ContentRun() override { Stop(); }

  std::optional<swarm::v1::ReportTaskPeer> Step() override {
    if (!claimed_) {  // claim first: only the task's first N SWOPs do the work
      claimed_ = true;
      return Report(swarm::v1::PEER_STATE_RUNNING, "making content '" + dir_.filename().string() + "'");
    }
    if (!worker_.joinable()) {
      worker_ = std::jthread([this](std::stop_token stop) { result_ = Make(stop); finished_ = true; });
      return std::nullopt;
    }
    if (!finished_ || reported_) return std::nullopt;
    reported_ = true;
    worker_.join();
    if (!result_.ok()) return Report(swarm::v1::PEER_STATE_FAILED, result_.message());
    return Report(swarm::v1::PEER_STATE_COMPLETED, "content '" + dir_.filename().string() + "' is ready in " +
                                                       dir_.string());
  }
  bool done() const override { return reported_; }
  void Stop() override {
    if (worker_.joinable()) {
      worker_.request_stop();
      worker_.join();
    }
  }

 private:
  Status Make(std::stop_token stop) {
    try {
      return MakeIn(stop);
    } catch (const std::exception& e) {  // a file system call that throws must not end the SWOP
      return Internal("making content '" + dir_.filename().string() + "': " + e.what());
    }
  }

  Status MakeIn(std::stop_token stop) {
    ContentLimits limits;
    limits.cancelled = [stop] { return stop.stop_requested(); };
    const fs::path staging = dir_.string() + ".making";
    std::error_code ec;
    fs::remove_all(staging, ec);
    Status s = MakeContent(body_, staging, limits);
    if (s.ok()) {
      fs::remove_all(dir_, ec);
      fs::rename(staging, dir_, ec);
      if (ec) s = Internal("cannot move '" + staging.string() + "' to '" + dir_.string() + "': " + ec.message());
    }
    if (!s.ok()) fs::remove_all(staging, ec);
    return s;
  }

  static swarm::v1::ReportTaskPeer Report(swarm::v1::PeerState state, std::string description) {
    swarm::v1::ReportTaskPeer r;
    r.set_state(state);
    r.set_description(std::move(description));
    return r;
  }

  taskdef::MakeUserContentBody body_;
  fs::path dir_;
  bool claimed_ = false, reported_ = false;
  std::atomic<bool> finished_{false};
  Status result_;  // written by the worker before finished_
  std::jthread worker_;
};

}  // namespace

std::unique_ptr<TaskRun> MakeContentRun(const taskdef::MakeUserContentBody& body, const fs::path& content_dir) {
  return std::make_unique<ContentRun>(body, content_dir);
}

}  // namespace swarm::swop
