#pragma once

// SWOP task definitions, as HPE Swarm Learning's task schema (SWOP-task-schema.yaml) defines
// them: a Name, TaskType, Author, Prereq and Outcome, and a Body whose format depends on the
// TaskType. HPE users' task files are accepted unchanged, e.g.
//
//   Name: swarm_mnist_task
//   TaskType: RUN_SWARM
//   Author: HPESwarm
//   Prereq: user_env_tf_build_task
//   Outcome: swarm_mnist_task
//   Body:
//       Command: model/mnist_tf.py
//       Entrypoint: python3
//       WorkingDir: /tmp/test
//       Envvars: ["DATA_DIR": app-data, "MODEL_DIR": model, "MAX_EPOCHS": 2, "MIN_PEERS": 2]
//       PrivateContent: /tmp/test/app-data
//       SharedContent:
//       -   Src: <CURRENT-PATH>/workspace/mnist/model
//           Tgt: /tmp/test/model
//           MType: BIND
//
// The rules are the schema's: every key it lists as required, no other keys, free strings of
// 1..160 characters unless the schema says otherwise, its enums and list sizes. A body is
// checked against the format of its own TaskType. Errors are INVALID_ARGUMENT and name the
// file, the line, the field path and the rule (see taskdef/yaml_check.h for the value rules):
//
//   swarm_mnist_task.yaml, line 15: Body.SharedContent[0].MType is 'COPY'; expected one of BIND, VOLUME
//
// These types hold no YAML; taskdef/body_lines.h turns a body into the numbered text lines the
// ledger stores and back.

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/status.h"
#include "taskdef/key_value.h"

namespace swarm::taskdef {

// The task types.
inline constexpr std::string_view kRunSwarm = "RUN_SWARM";
inline constexpr std::string_view kMakeSwarmUserContent = "MAKE_SWARM_USER_CONTENT";
inline constexpr std::string_view kMakeUserContainer = "MAKE_USER_CONTAINER";
inline constexpr std::string_view kPullImage = "PULL_IMAGE";

// The Prereq of a task that needs no other task.
inline constexpr char kRootTask[] = "ROOTTASK";

// The schema's limit on free strings (Name, Author, Command, ...): "ALL FREE STRINGS are MAX of
// 160 chars long" (they are stored base64-encoded in 256-byte ledger fields).
inline constexpr size_t kMaxFreeString = 160;

// SharedContent item: a volume or directory mounted into the user container.
struct Mount {
  std::string src;    // 2..160 characters
  std::string tgt;    // 2..160 characters
  std::string mtype;  // BIND or VOLUME
  bool operator==(const Mount&) const = default;
};

// Body of a RUN_SWARM task: run the user's ML program beside an SL node.
struct RunSwarmBody {
  std::string command;      // 1..160, e.g. "model/mnist_tf.py"
  std::string entrypoint;   // 1..160, e.g. "python3"
  std::string working_dir;  // 2..160
  // Envvars as written, in order (a ~ value has is_null set); empty when Envvars is ~.
  std::vector<KeyValue> envvars;
  std::optional<std::string> private_content;  // 2..160; nullopt when ~
  std::vector<Mount> shared_content;           // 1..10 mounts; empty when SharedContent is ~
  bool operator==(const RunSwarmBody&) const = default;
};

// OpsList item of a MAKE_SWARM_USER_CONTENT body.
struct ContentOp {
  std::string operation;          // DOWNLOAD or EXTRACT
  std::string target;             // 1..160, a URI
  std::vector<KeyValue> options;  // e.g. Out: model/mnist_tf.py; may be empty
  bool operator==(const ContentOp&) const = default;
};

// Body of a MAKE_SWARM_USER_CONTENT task: fill a volume with the ML program and its data.
struct MakeUserContentBody {
  std::string content_type;    // BUILDCONTENT or SWARMCONTENT
  std::vector<ContentOp> ops;  // OpsList, 1..20 operations
  bool operator==(const MakeUserContentBody&) const = default;
};

// Body of a MAKE_USER_CONTAINER task: build the user's container image.
struct MakeUserContainerBody {
  std::optional<std::string> build_context;  // 3..160, a volume name; nullopt when ~
  std::vector<std::string> build_steps;      // 1..80 lines of 0..160 characters each
  std::string build_type;                    // INLINE or REMOTE
  bool operator==(const MakeUserContainerBody&) const = default;
};

// PULL_IMAGE Auth given as a path to a custom config.json.
struct AuthConfigFile {
  std::string path;  // 1..160
  bool operator==(const AuthConfigFile&) const = default;
};
// PULL_IMAGE Auth given as a user name and password.
struct AuthCredentials {
  std::string username;  // 1..160
  std::string password;  // 0..160
  bool operator==(const AuthCredentials&) const = default;
};
// PULL_IMAGE Auth: none (~), a config file, or credentials.
using PullAuth = std::variant<std::monostate, AuthConfigFile, AuthCredentials>;

// Body of a PULL_IMAGE task: pull a prebuilt image OrgAndReg/RepoName:Tag.
struct PullImageBody {
  std::string tag;          // 1..160, e.g. "2.7.0"
  std::string repo_name;    // 1..160
  std::string org_and_reg;  // 1..160
  PullAuth auth;
  bool operator==(const PullImageBody&) const = default;
};

using TaskBody = std::variant<RunSwarmBody, MakeUserContentBody, MakeUserContainerBody, PullImageBody>;

struct TaskDef {
  std::string name;     // 1..160
  std::string type;     // one of the four task types
  std::string author;   // 1..160
  std::string prereq;   // 1..160; kRootTask when none
  std::string outcome;  // 1..160
  TaskBody body;        // the alternative of `type`
  bool operator==(const TaskDef&) const = default;
};

// Reads and checks a task definition file. NOT_FOUND when it cannot be read; messages name
// the file as `path` is written.
StatusOr<TaskDef> ParseTaskFile(const std::filesystem::path& path);

// Checks a task definition held in `text`; `source_name` names it in messages.
StatusOr<TaskDef> ParseTaskYaml(std::string_view text, std::string_view source_name);

// The four task types, in the schema's order.
const std::vector<std::string_view>& TaskTypes();
bool IsTaskType(std::string_view type);
// OK, or INVALID_ARGUMENT "task type is 'X'; expected one of RUN_SWARM, ...".
Status CheckTaskType(std::string_view type);

// The type whose body `body` is.
std::string_view TaskTypeOf(const TaskBody& body);

// A free string of the schema (1..160 characters), e.g. a task name given to CREATE TASK:
// OK, or INVALID_ARGUMENT "<field> is empty; expected a string of 1..160 characters".
Status CheckFreeString(std::string_view field, std::string_view value);

}  // namespace swarm::taskdef
