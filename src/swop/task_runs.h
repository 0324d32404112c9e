#pragma once

// The task runs of each type (one file each), for task_run.cc's MakeTaskRun.

#include "swop/task_run.h"
#include "taskdef/task_def.h"

namespace swarm::swop {

// Makes the content in `content_dir` (ContentDir of the task's Outcome).
std::unique_ptr<TaskRun> MakeContentRun(const taskdef::MakeUserContentBody& body,
                                        const std::filesystem::path& content_dir);
std::unique_ptr<TaskRun> MakeRunSwarmRun(const taskdef::RunSwarmBody& body, const swarm::v1::TaskInfo& task,
                                         const TaskEnv& env);

}  // namespace swarm::swop
