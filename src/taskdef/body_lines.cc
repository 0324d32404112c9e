#include "taskdef/body_lines.h"

#include <optional>

#include "taskdef/body_schema.h"
#include "taskdef/yaml_check.h"
#include "taskdef/yaml_writer.h"

namespace swarm::taskdef {
namespace {

constexpr size_t kMaxLineBytes = kBodyLineLimit - 1;

void WritePairs(YamlLineWriter& out, std::string_view prefix, std::string_view key,
                const std::vector<KeyValue>& pairs, bool null_when_empty) {
  if (pairs.empty()) {
    if (null_when_empty) {
      out.KeyValue(prefix, key, std::nullopt);
    } else {
      out.Key(prefix, key, " []");
    }
    return;
  }
  out.Key(prefix, key);
  const std::string item_prefix = std::string(prefix) + "- ";
  for (const KeyValue& pair : pairs) {
    out.KeyValue(item_prefix, pair.key, pair.is_null ? std::nullopt : std::optional<std::string>(pair.value));
  }
}

void Write(YamlLineWriter& out, const RunSwarmBody& body) {
  out.KeyValue("", "Command", body.command);
  out.KeyValue("", "Entrypoint", body.entrypoint);
  out.KeyValue("", "WorkingDir", body.working_dir);
  WritePairs(out, "", "Envvars", body.envvars, /*null_when_empty=*/true);
  out.KeyValue("", "PrivateContent", body.private_content);
  if (body.shared_content.empty()) {
    out.KeyValue("", "SharedContent", std::nullopt);
    return;
  }
  out.Key("", "SharedContent");
  for (const Mount& mount : body.shared_content) {
    out.KeyValue("- ", "Src", mount.src);
    out.KeyValue("  ", "Tgt", mount.tgt);
    out.KeyValue("  ", "MType", mount.mtype);
  }
}

void Write(YamlLineWriter& out, const MakeUserContentBody& body) {
  out.KeyValue("", "ContentType", body.content_type);
  out.Key("", "OpsList");
  for (const ContentOp& op : body.ops) {
    out.KeyValue("- ", "Operation", op.operation);
    out.KeyValue("  ", "Target", op.target);
    WritePairs(out, "  ", "Options", op.options, /*null_when_empty=*/false);
  }
}

void Write(YamlLineWriter& out, const MakeUserContainerBody& body) {
  out.KeyValue("", "BuildContext", body.build_context);
  out.Key("", "BuildSteps");
  for (const std::string& step : body.build_steps) out.Item("", step);
  out.KeyValue("", "BuildType", body.build_type);
}

void Write(YamlLineWriter& out, const PullImageBody& body) {
  out.KeyValue("", "Tag", body.tag);
  out.KeyValue("", "RepoName", body.repo_name);
  out.KeyValue("", "OrgAndReg", body.org_and_reg);
  if (const auto* file = std::get_if<AuthConfigFile>(&body.auth)) {
    out.KeyValue("", "Auth", file->path);
  } else if (const auto* credentials = std::get_if<AuthCredentials>(&body.auth)) {
    out.Key("", "Auth");
    out.KeyValue("  ", "Username", credentials->username);
    out.KeyValue("  ", "Password", credentials->password);
  } else {
    out.KeyValue("", "Auth", std::nullopt);
  }
}

std::optional<std::string> LineProblem(std::string_view line) {
  if (line.find_first_of("\r\n") != std::string_view::npos) return "contains a line break; expected one line";
  const size_t n = CharCount(line);
  if (n < kBodyLineLimit) return std::nullopt;
  return "is " + std::to_string(n) + " characters long; expected fewer than " +
         std::to_string(kBodyLineLimit) + " characters";
}

}  // namespace

std::vector<std::string> BodyLines(const TaskBody& body) {
  YamlLineWriter out(kMaxLineBytes);
  std::visit([&out](const auto& b) { Write(out, b); }, body);
  return out.Take();
}

std::vector<std::string> BodyLines(const TaskDef& def) { return BodyLines(def.body); }

Status CheckBodyLine(std::string_view line) {
  if (auto problem = LineProblem(line)) return InvalidArgument("body line " + *problem);
  return Status::Ok();
}

StatusOr<TaskBody> ParseBody(std::string_view type, const std::vector<std::string>& lines,
                             std::string_view source_name) {
  RETURN_IF_ERROR(CheckTaskType(type));
  std::string text;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (auto problem = LineProblem(lines[i])) {
      return InvalidArgument(std::string(source_name) + ", line " + std::to_string(i + 1) + ": the line " +
                             *problem);
    }
    text += lines[i];
    text += '\n';
  }
  ASSIGN_OR_RETURN(Field root, LoadDocument(text, source_name, "Body"));
  return ReadBody(root, type);
}

}  // namespace swarm::taskdef
