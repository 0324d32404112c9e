#include "taskdef/task_def.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "taskdef/body_schema.h"
#include "taskdef/yaml_check.h"

namespace swarm::taskdef {
namespace {

constexpr Length kFree{1, kMaxFreeString};

const MapRule& TaskRule() {
  static const MapRule rule{"a task definition",
                            {"Name", "TaskType", "Author", "Prereq", "Outcome", "Body"},
                            {"Name", "TaskType", "Author", "Prereq", "Outcome", "Body"}};
  return rule;
}

StatusOr<TaskDef> ReadTask(const Field& root) {
  ASSIGN_OR_RETURN(MapFields f, CheckMap(root, TaskRule()));
  TaskDef def;
  ASSIGN_OR_RETURN(def.name, GetString(f.Get("Name"), kFree));
  ASSIGN_OR_RETURN(def.type, GetEnum(f.Get("TaskType"), TaskTypes()));
  ASSIGN_OR_RETURN(def.author, GetString(f.Get("Author"), kFree));
  ASSIGN_OR_RETURN(def.prereq, GetString(f.Get("Prereq"), kFree));
  ASSIGN_OR_RETURN(def.outcome, GetString(f.Get("Outcome"), kFree));
  ASSIGN_OR_RETURN(def.body, ReadBody(f.Get("Body"), def.type));
  return def;
}

}  // namespace

StatusOr<TaskDef> ParseTaskFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read task file " + path.string() + ": " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return NotFound("cannot read task file " + path.string() + ": " + std::strerror(errno));
  return ParseTaskYaml(text.str(), path.string());
}

StatusOr<TaskDef> ParseTaskYaml(std::string_view text, std::string_view source_name) {
  ASSIGN_OR_RETURN(Field root, LoadDocument(text, source_name));
  return ReadTask(root);
}

const std::vector<std::string_view>& TaskTypes() {
  static const std::vector<std::string_view> types = {kRunSwarm, kMakeSwarmUserContent, kMakeUserContainer,
                                                      kPullImage};
  return types;
}

bool IsTaskType(std::string_view type) {
  const auto& types = TaskTypes();
  return std::find(types.begin(), types.end(), type) != types.end();
}

Status CheckTaskType(std::string_view type) {
  if (IsTaskType(type)) return Status::Ok();
  return InvalidArgument("task type is '" + std::string(type) + "'; expected one of " +
                         JoinNames(TaskTypes()));
}

std::string_view TaskTypeOf(const TaskBody& body) {
  static constexpr std::string_view kTypes[] = {kRunSwarm, kMakeSwarmUserContent, kMakeUserContainer,
                                                kPullImage};
  return kTypes[body.index()];
}

Status CheckFreeString(std::string_view field, std::string_view value) {
  if (auto problem = LengthProblem(value, kFree)) return InvalidArgument(std::string(field) + " " + *problem);
  return Status::Ok();
}

}  // namespace swarm::taskdef
