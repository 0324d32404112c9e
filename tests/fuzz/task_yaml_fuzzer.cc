// Any text as an HPE task definition file (CREATE TASK FROM): a task or an error naming
// the line and field; no crash, no exception out of the YAML library.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "taskdef/task_def.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)swarm::taskdef::ParseTaskYaml(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.yaml");
  return 0;
}
