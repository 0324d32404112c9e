#pragma once

// A task body as the numbered text lines the ledger stores: SWCI's
// `APPEND TASK BODY <task> <idx> <line>` adds one line, whose text the guide requires to be
// "less than 80 characters"; FINALIZE TASK and the SWOP that runs the task read the lines back.
//
// BodyLines writes the body as YAML block text with the keys in the schema's order and
// lists as "- item" lines (taskdef/yaml_writer.h says how long values are folded: plain when
// safe, else double-quoted, split with escaped line breaks that YAML joins back without adding
// anything). For every body, ParseBody(TaskTypeOf(body), BodyLines(body)) == body.
//
//   Command: model/mnist_tf.py
//   Entrypoint: python3
//   WorkingDir: /tmp/test
//   Envvars:
//   - DATA_DIR: app-data
//   - MAX_EPOCHS: 2
//   PrivateContent: /tmp/test/app-data
//   SharedContent:
//   - Src: <CURRENT-PATH>/workspace/mnist/model
//     Tgt: /tmp/test/model
//     MType: BIND

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "taskdef/task_def.h"

namespace swarm::taskdef {

// A body line holds fewer than this many characters.
inline constexpr size_t kBodyLineLimit = 80;

// The body as lines of fewer than kBodyLineLimit characters each (counted in bytes, so also
// in characters).
std::vector<std::string> BodyLines(const TaskBody& body);
std::vector<std::string> BodyLines(const TaskDef& def);

// OK, or INVALID_ARGUMENT "body line is 85 characters long; expected fewer than 80 characters"
// (or "... contains a line break ...").
Status CheckBodyLine(std::string_view line);

// Reads body lines of a task of type `type` and checks them against that type's body format,
// as ParseTaskYaml checks a task file's Body. Messages read
// "<source_name>, line <n>: Body.Envvars[0] ...", n counting the lines from 1.
StatusOr<TaskBody> ParseBody(std::string_view type, const std::vector<std::string>& lines,
                             std::string_view source_name = "task body");

}  // namespace swarm::taskdef
