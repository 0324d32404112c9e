// Tasks: HPE's task definitions on the ledger. A task is created with its header, its body
// set line by line, then finalized; CREATE TASK FROM does the first two from a YAML file.

#include <fstream>
#include <sstream>

#include "swci/command_env.h"
#include "swci/commands/commands.h"
#include "swci/commands/common.h"
#include "taskdef/body_lines.h"
#include "taskdef/task_def.h"

namespace swarm::swci {
namespace {

swarm::v1::Transaction CreateTaskTx(const std::string& type, const std::string& name,
                                    const std::string& author, const std::string& prereq,
                                    const std::string& outcome) {
  swarm::v1::Transaction tx;
  auto* c = tx.mutable_create_task();
  c->set_type(type);
  c->set_name(name);
  c->set_author(author);
  c->set_prereq(prereq);
  c->set_outcome(outcome);
  return tx;
}

swarm::v1::Transaction AppendTx(const std::string& name, uint32_t idx, const std::string& line) {
  swarm::v1::Transaction tx;
  auto* a = tx.mutable_append_task_body();
  a->set_name(name);
  a->set_idx(idx);
  a->set_line(line);
  return tx;
}

StatusOr<Result> CreateTask(CommandEnv& env, const Args& a) {
  return env.Submit(CreateTaskTx(a.String("taskType"), a.String("taskName"), a.String("author"),
                                 a.String("prereq"), a.String("outcome")),
                    "TASK CREATED : " + a.String("taskName"));
}

StatusOr<Result> AppendTaskBody(CommandEnv& env, const Args& a) {
  ASSIGN_OR_RETURN(snapi::SnApi * api, env.Api());
  ASSIGN_OR_RETURN(long idx, a.Int("idx", 1, 1000000));
  const std::string& name = a.String("taskName");
  RETURN_IF_ERROR(api->Submit(AppendTx(name, static_cast<uint32_t>(idx), a.String("contentLine"))).status());
  return Result::Line("TASK BODY UPDATED : " + name + " line " + std::to_string(idx));
}

StatusOr<std::string> ReadFile(CommandEnv& env, const std::string& written) {
  const std::filesystem::path path = env.Resolve(written);
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return FailedPrecondition("'" + written + "' (" + path.string() +
                              ") is a directory, not a task definition file");
  }
  if (!std::filesystem::is_regular_file(path, ec)) {
    return NotFound("no task definition file '" + written + "' (looked for " + path.string() +
                    "; cd and pwd set and show where relative paths start)");
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) return NotFound("cannot read task definition file '" + written + "' (" + path.string() + ")");
  return text.str();
}

// The SN names a refused transaction of a submission by its index ("transaction 3: ...");
// here index 0 is the task's header and index i its body line i.
Status InTermsOfTheFile(const Status& s, const std::string& file) {
  constexpr std::string_view kPrefix = "transaction ";
  const std::string& m = s.message();
  const size_t colon = m.find(": ");
  if (s.ok() || !m.starts_with(kPrefix) || colon == std::string::npos) return s;
  const std::string index = m.substr(kPrefix.size(), colon - kPrefix.size());
  if (index.empty() || index.find_first_not_of("0123456789") != std::string::npos) return s;
  const std::string rest = m.substr(colon + 2);
  if (index == "0") return Status(s.code(), rest);
  return Status(s.code(), file + ", body line " + index + ": " + rest);
}

// Checks the whole file before anything is sent; then the header and every body line go
// in one submission, so the ledger takes all of it or (say, a name already taken) none.
StatusOr<Result> CreateTaskFrom(CommandEnv& env, const Args& a) {
  ASSIGN_OR_RETURN(snapi::SnApi * api, env.Api());
  const std::string& file = a.String("taskDefFile");
  ASSIGN_OR_RETURN(std::string text, ReadFile(env, file));
  ASSIGN_OR_RETURN(taskdef::TaskDef def, taskdef::ParseTaskYaml(text, file));
  const std::vector<std::string> lines = taskdef::BodyLines(def);
  std::vector<swarm::v1::Transaction> txs;
  txs.push_back(CreateTaskTx(def.type, def.name, def.author, def.prereq, def.outcome));
  for (size_t i = 0; i < lines.size(); ++i)
    txs.push_back(AppendTx(def.name, static_cast<uint32_t>(i + 1), lines[i]));
  RETURN_IF_ERROR(InTermsOfTheFile(api->Submit(std::move(txs)).status(), file));
  return Result::Line("TASK CREATED : " + def.name + " (" + def.type + ", " + std::to_string(lines.size()) +
                      " body lines from " + file + ")");
}

StatusOr<Result> DeleteTask(CommandEnv& env, const Args& a) {
  swarm::v1::Transaction tx;
  tx.mutable_delete_task()->set_name(a.String("taskName"));
  return env.Submit(std::move(tx), "TASK DELETED : " + a.String("taskName"));
}

StatusOr<Result> FinalizeTask(CommandEnv& env, const Args& a) {
  swarm::v1::Transaction tx;
  tx.mutable_finalize_task()->set_name(a.String("taskName"));
  return env.Submit(std::move(tx), "TASK FINALIZED : " + a.String("taskName"));
}

StatusOr<Result> GetTaskBody(CommandEnv& env, const Args& a) {
  ASSIGN_OR_RETURN(snapi::SnApi * api, env.Api());
  ASSIGN_OR_RETURN(swarm::v1::TaskInfo t, api->GetTask(a.String("taskName")));
  return Result::Lines({t.body().begin(), t.body().end()});
}

StatusOr<Result> GetTaskInfo(CommandEnv& env, const Args& a) {
  ASSIGN_OR_RETURN(snapi::SnApi * api, env.Api());
  ASSIGN_OR_RETURN(swarm::v1::TaskInfo t, api->GetTask(a.String("taskName")));
  auto dash = [](const std::string& s) { return s.empty() ? std::string("-") : s; };
  return Result::Of(
      Record()
          .Add("Name", t.name())
          .Add("Type", dash(t.type()))
          .Add("Author", dash(t.author()))
          .Add("Prereq", dash(t.prereq()))
          .Add("Outcome", dash(t.outcome()))
          .Add("Body", std::to_string(t.body_size()) + " lines")
          .Add("Finalized", !t.finalized() ? std::string("no")
                            : t.finalized_height() == 0
                                ? "yes, " + BlockOf(0)
                                : "yes, " + BlockAt(t.finalized_height(), t.finalized_unix_ms()))
          .Add("Created",
               t.created_height() == 0 ? BlockOf(0) : BlockAt(t.created_height(), t.created_unix_ms()))
          .Add("Creator", dash(t.creator_fingerprint())));
}

StatusOr<Result> ListTasks(CommandEnv& env, const Args&) {
  ASSIGN_OR_RETURN(snapi::SnApi * api, env.Api());
  ASSIGN_OR_RETURN(swarm::v1::ListTasksResponse resp, api->ListTasks());
  std::vector<std::string> lines;
  for (const auto& t : resp.tasks()) lines.push_back(t.name());
  return Result::Lines(std::move(lines));
}

}  // namespace

void RegisterTaskCommands(CommandRegistry& r) {
  r.Add(
      "CREATE TASK <taskType : string> <taskName : string> <author : string> <prereq : string> "
      "<outcome : string>",
      "Registers a task's header in the network: its type (RUN_SWARM, MAKE_SWARM_USER_CONTENT, "
      "MAKE_USER_CONTAINER or PULL_IMAGE), a unique name, its author, the finalized task it needs first "
      "(ROOTTASK for none) and what it produces. Add the body with APPEND TASK BODY, then FINALIZE TASK.",
      CreateTask);
  r.Add("APPEND TASK BODY <taskName : string> <idx : int> <contentLine : string>",
        "Sets line idx (from 1) of a task's body, adding it or replacing what was there. Quote a line that "
        "holds "
        "blanks; a line has fewer than 80 characters. A finalized task no longer changes.",
        AppendTaskBody);
  r.Add(
      "CREATE TASK FROM <taskDefFile:string>",
      "Reads a task definition (HPE's task YAML) from a file, relative to the current directory (see cd and "
      "pwd), checks it, and registers its header and body in one step: a file with an error registers "
      "nothing. FINALIZE TASK still follows.",
      CreateTaskFrom);
  r.Add("DELETE TASK <taskName : string>",
        "Removes a task that is not finalized, e.g. one whose body came out wrong.", DeleteTask);
  r.Add(
      "FINALIZE TASK <taskName : string>",
      "Checks a task's body against its type's schema and freezes the task, after which it can be assigned.",
      FinalizeTask);
  r.Add("GET TASK BODY <taskName : string>", "Prints a task's body, line by line.", GetTaskBody);
  r.Add("GET TASK INFO <taskName : string>",
        "Shows a task's header, the size of its body, and when it was created and finalized.", GetTaskInfo);
  r.Add("LIST TASKS", "Lists the tasks registered in the network.", ListTasks);
}

}  // namespace swarm::swci
