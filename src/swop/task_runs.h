#pragma once

// The task runs of each type (one file each), for task_run.cc's MakeTaskRun.

#include "swop/task_run.h"
#include "taskdef/task_def.h"

namespace swarm::swop {

std::unique_ptr<TaskRun> MakeContentRun(const taskdef::MakeUserContentBody& body, const swarm::v1::TaskInfo& task,
                                        const TaskEnv& env);
std::unique_ptr<TaskRun> MakeRunSwarmRun(const taskdef::RunSwarmBody& body, const swarm::v1::TaskInfo& task,
                                         const TaskEnv& env);

}  // namespace swarm::swop
