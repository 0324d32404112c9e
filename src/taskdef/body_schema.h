#pragma once

// The four Body formats of HPE's task schema, checked from YAML. Used by ParseTaskYaml (the
// Body of a task file) and ParseBody (the body lines stored on the ledger).

#include <string_view>

#include "core/status.h"
#include "taskdef/task_def.h"
#include "taskdef/yaml_check.h"

namespace swarm::taskdef {

// Checks `body` against the body format of `type`, which must be one of TaskTypes().
StatusOr<TaskBody> ReadBody(const Field& body, std::string_view type);

}  // namespace swarm::taskdef
