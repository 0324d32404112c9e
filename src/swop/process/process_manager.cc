#include "swop/process/process_manager.h"

#include <deque>
#include <fstream>

#include "core/byte_stream.h"
#include "swop/process/sandbox.h"
#include "swop/sl_command_line.h"
#include "taskdef/task_def.h"

namespace swarm::swop {
namespace fs = std::filesystem;
namespace {

std::string Tail(const fs::path& file, int lines) {
  std::ifstream in(file);
  std::deque<std::string> last;
  for (std::string line; std::getline(in, line);) {
    last.push_back(line);
    if (static_cast<int>(last.size()) > lines) last.pop_front();
  }
  std::string out;
  for (const auto& l : last) out += (out.empty() ? "" : "\n") + l;
  return out;
}

class ProcessWorkload final : public Workload {
 public:
  ProcessWorkload(Subprocess p, fs::path log) : p_(std::move(p)), log_(std::move(log)) {}
  std::optional<ExitStatus> Poll() override {
    if (!done_) done_ = p_.Poll();
    return done_;
  }
  ExitStatus Stop(std::chrono::milliseconds grace) override {
    if (!done_) done_ = p_.Stop(grace);
    return *done_;
  }
  std::string LogTail(int lines) const override { return Tail(log_, lines); }

 private:
  Subprocess p_;
  fs::path log_;
  std::optional<ExitStatus> done_;
};

}  // namespace

StatusOr<std::unique_ptr<ProcessManager>> ProcessManager::Make() {
  ASSIGN_OR_RETURN(fs::path bwrap, FindBubblewrap());
  return std::unique_ptr<ProcessManager>(new ProcessManager(std::move(bwrap)));
}

Status ProcessManager::Supports(std::string_view type) const {
  if (type == taskdef::kMakeUserContainer || type == taskdef::kPullImage) {
    return FailedPrecondition(std::string(type) +
                              " needs a container resource manager (resourcemgr mgrtype DOCKER); this SWOP's "
                              "resource manager is PROCESS, which runs ML programs on this host without images");
  }
  return Status::Ok();
}

StatusOr<std::unique_ptr<Workload>> ProcessManager::Launch(const SlLaunchSpec& spec) {
  RETURN_IF_ERROR(CheckView(spec.view));
  std::vector<std::string> program = {spec.entrypoint};
  program.insert(program.end(), spec.command.begin(), spec.command.end());
  std::vector<std::string> wrapped = {bwrap_.string()};
  for (std::string& a : SandboxArgs(spec.view, {fs::absolute(spec.data_dir)}, program)) {
    wrapped.push_back(std::move(a));
  }
  SpawnOptions o;
  o.argv = SlCommandLine(spec, wrapped);
  if (!spec.dns.empty()) {
    ASSIGN_OR_RETURN(std::string text, ResolvConf(spec.dns));
    const fs::path resolv_conf = fs::absolute(spec.data_dir / "resolv.conf");
    RETURN_IF_ERROR(WriteWholeFile(resolv_conf, text));
    std::vector<std::string> argv = {bwrap_.string()};
    for (std::string& a : ResolverArgs(resolv_conf)) argv.push_back(std::move(a));
    argv.insert(argv.end(), o.argv.begin(), o.argv.end());
    o.argv = std::move(argv);
  }
  o.env = spec.sl_env;  // the whole environment: a ~ in the profile removed a variable
  o.inherit_env = false;
  o.null_stdin = true;  // a program reading stdin must not stop on the SWOP's terminal
  o.log_file = spec.log_file;
  o.new_process_group = true;  // Stop reaches the SL, bubblewrap and the program
  o.die_with_parent = true;    // a SWOP that dies takes its pairs with it
  ASSIGN_OR_RETURN(Subprocess p, Subprocess::Spawn(o));
  return std::unique_ptr<Workload>(new ProcessWorkload(std::move(p), spec.log_file));
}

}  // namespace swarm::swop
