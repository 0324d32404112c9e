// Any text as a SWOP profile: a profile or an error naming the line and field.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "swop/profile.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto profile =
      swarm::swop::ParseProfileYaml(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.yaml");
  if (profile.ok()) (void)swarm::swop::ContainerOnlyFieldsSet(*profile);
  return 0;
}
