#include "taskdef/body_schema.h"

#include <cstdlib>

namespace swarm::taskdef {
namespace {

constexpr Length kFree{1, kMaxFreeString};
constexpr Length kPath{2, kMaxFreeString};

const MapRule& RunSwarmRule() {
  static const MapRule rule{
      "a RUN_SWARM body",
      {"Command", "Entrypoint", "WorkingDir", "Envvars", "PrivateContent", "SharedContent"},
      {"Command", "Entrypoint", "WorkingDir", "Envvars", "PrivateContent", "SharedContent"}};
  return rule;
}
const MapRule& MountRule() {
  static const MapRule rule{"a SharedContent mount", {"Src", "Tgt", "MType"}, {"Src", "Tgt", "MType"}};
  return rule;
}
const MapRule& UserContentRule() {
  static const MapRule rule{
      "a MAKE_SWARM_USER_CONTENT body", {"ContentType", "OpsList"}, {"ContentType", "OpsList"}};
  return rule;
}
const MapRule& OpRule() {
  static const MapRule rule{
      "an OpsList operation", {"Operation", "Target", "Options"}, {"Operation", "Target", "Options"}};
  return rule;
}
const MapRule& ContainerRule() {
  static const MapRule rule{"a MAKE_USER_CONTAINER body",
                            {"BuildContext", "BuildSteps", "BuildType"},
                            {"BuildContext", "BuildSteps", "BuildType"}};
  return rule;
}
const MapRule& PullImageRule() {
  static const MapRule rule{"a PULL_IMAGE body",
                            {"Tag", "RepoName", "OrgAndReg", "Auth"},
                            {"Tag", "RepoName", "OrgAndReg", "Auth"}};
  return rule;
}
const MapRule& CredentialsRule() {
  static const MapRule rule{"Auth credentials", {"Username", "Password"}, {"Username", "Password"}};
  return rule;
}

StatusOr<Mount> ReadMount(const Field& item) {
  ASSIGN_OR_RETURN(MapFields f, CheckMap(item, MountRule()));
  Mount mount;
  ASSIGN_OR_RETURN(mount.src, GetString(f.Get("Src"), kPath));
  ASSIGN_OR_RETURN(mount.tgt, GetString(f.Get("Tgt"), kPath));
  ASSIGN_OR_RETURN(mount.mtype, GetEnum(f.Get("MType"), {"BIND", "VOLUME"}));
  return mount;
}

StatusOr<TaskBody> ReadRunSwarm(const Field& field) {
  ASSIGN_OR_RETURN(MapFields f, CheckMap(field, RunSwarmRule()));
  RunSwarmBody body;
  ASSIGN_OR_RETURN(body.command, GetString(f.Get("Command"), kFree));
  ASSIGN_OR_RETURN(body.entrypoint, GetString(f.Get("Entrypoint"), kFree));
  ASSIGN_OR_RETURN(body.working_dir, GetString(f.Get("WorkingDir"), kPath));
  ASSIGN_OR_RETURN(body.envvars, GetKeyValues(f.Get("Envvars"), /*nullable=*/true, /*nested_values=*/false));
  ASSIGN_OR_RETURN(body.private_content, GetOptionalString(f.Get("PrivateContent"), kPath));
  ASSIGN_OR_RETURN(std::vector<Field> mounts, GetList(f.Get("SharedContent"), {1, 10, /*nullable=*/true}));
  for (const Field& item : mounts) {
    ASSIGN_OR_RETURN(Mount mount, ReadMount(item));
    body.shared_content.push_back(std::move(mount));
  }
  return TaskBody(std::move(body));
}

StatusOr<ContentOp> ReadOp(const Field& item) {
  ASSIGN_OR_RETURN(MapFields f, CheckMap(item, OpRule()));
  ContentOp op;
  ASSIGN_OR_RETURN(op.operation, GetEnum(f.Get("Operation"), {"DOWNLOAD", "EXTRACT"}));
  ASSIGN_OR_RETURN(op.target, GetString(f.Get("Target"), kFree));
  ASSIGN_OR_RETURN(op.options, GetKeyValues(f.Get("Options"), /*nullable=*/false, /*nested_values=*/false));
  return op;
}

StatusOr<TaskBody> ReadUserContent(const Field& field) {
  ASSIGN_OR_RETURN(MapFields f, CheckMap(field, UserContentRule()));
  MakeUserContentBody body;
  ASSIGN_OR_RETURN(body.content_type, GetEnum(f.Get("ContentType"), {"BUILDCONTENT", "SWARMCONTENT"}));
  ASSIGN_OR_RETURN(std::vector<Field> ops, GetList(f.Get("OpsList"), {1, 20}));
  for (const Field& item : ops) {
    ASSIGN_OR_RETURN(ContentOp op, ReadOp(item));
    body.ops.push_back(std::move(op));
  }
  return TaskBody(std::move(body));
}

StatusOr<TaskBody> ReadUserContainer(const Field& field) {
  ASSIGN_OR_RETURN(MapFields f, CheckMap(field, ContainerRule()));
  MakeUserContainerBody body;
  ASSIGN_OR_RETURN(body.build_context, GetOptionalString(f.Get("BuildContext"), {3, kMaxFreeString}));
  ASSIGN_OR_RETURN(std::vector<Field> steps, GetList(f.Get("BuildSteps"), {1, 80}));
  for (const Field& step : steps) {
    ASSIGN_OR_RETURN(std::string line, GetString(step, {0, kMaxFreeString}));
    body.build_steps.push_back(std::move(line));
  }
  ASSIGN_OR_RETURN(body.build_type, GetEnum(f.Get("BuildType"), {"INLINE", "REMOTE"}));
  return TaskBody(std::move(body));
}

// oneOf [const ~, string 1..160 (a config.json path), {Username, Password}].
StatusOr<PullAuth> ReadAuth(const Field& field) {
  const YamlNode& node = field.node();
  if (node.IsNull()) return PullAuth();
  if (node.IsScalar()) {
    ASSIGN_OR_RETURN(std::string path, GetString(field, kFree));
    return PullAuth(AuthConfigFile{std::move(path)});
  }
  if (!node.IsMap()) {
    return field.Error("is " + DescribeValue(node) +
                       "; expected ~, the path of a config.json (1..160 characters) or a map with the keys "
                       "Username, Password");
  }
  ASSIGN_OR_RETURN(MapFields f, CheckMap(field, CredentialsRule()));
  AuthCredentials credentials;
  ASSIGN_OR_RETURN(credentials.username, GetString(f.Get("Username"), kFree));
  ASSIGN_OR_RETURN(credentials.password, GetString(f.Get("Password"), {0, kMaxFreeString}));
  return PullAuth(std::move(credentials));
}

StatusOr<TaskBody> ReadPullImage(const Field& field) {
  ASSIGN_OR_RETURN(MapFields f, CheckMap(field, PullImageRule()));
  PullImageBody body;
  ASSIGN_OR_RETURN(body.tag, GetString(f.Get("Tag"), kFree));
  ASSIGN_OR_RETURN(body.repo_name, GetString(f.Get("RepoName"), kFree));
  ASSIGN_OR_RETURN(body.org_and_reg, GetString(f.Get("OrgAndReg"), kFree));
  ASSIGN_OR_RETURN(body.auth, ReadAuth(f.Get("Auth")));
  return TaskBody(std::move(body));
}

}  // namespace

StatusOr<TaskBody> ReadBody(const Field& body, std::string_view type) {
  if (type == kRunSwarm) return ReadRunSwarm(body);
  if (type == kMakeSwarmUserContent) return ReadUserContent(body);
  if (type == kMakeUserContainer) return ReadUserContainer(body);
  if (type == kPullImage) return ReadPullImage(body);
  std::abort();  // programmer error: callers check the type first
}

}  // namespace swarm::taskdef
