#include "swop/task_run.h"

#include "swop/content.h"
#include "swop/task_runs.h"
#include "taskdef/body_lines.h"

namespace swarm::swop {

StatusOr<std::filesystem::path> ContentDir(const TaskEnv& env, const std::string& name) {
  if (name == "." || name.find('/') != std::string::npos) {
    return InvalidArgument("content name '" + name + "' must be a plain name (no '/' and not '.' or '..')");
  }
  return InsideDir(env.data_dir / "content", name, "content name");
}

StatusOr<std::unique_ptr<TaskRun>> MakeTaskRun(const swarm::v1::TaskInfo& task, const TaskEnv& env) {
  RETURN_IF_ERROR(env.manager->Supports(task.type()));
  const std::vector<std::string> lines(task.body().begin(), task.body().end());
  ASSIGN_OR_RETURN(taskdef::TaskBody body, taskdef::ParseBody(task.type(), lines));
  if (const auto* run = std::get_if<taskdef::RunSwarmBody>(&body)) return MakeRunSwarmRun(*run, task, env);
  if (const auto* content = std::get_if<taskdef::MakeUserContentBody>(&body)) {
    ASSIGN_OR_RETURN(std::filesystem::path dir, ContentDir(env, task.outcome()));
    return MakeContentRun(*content, dir);
  }
  return Unimplemented("task type " + task.type() + " has no runner on this SWOP");
}

}  // namespace swarm::swop
