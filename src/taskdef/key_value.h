#pragma once

// One `KEY: value` pair as HPE's schemas write them: a list of one-pair maps, e.g. a RUN_SWARM
// body's `Envvars: ["DATA_DIR": app-data, "MAX_EPOCHS": 2]` or a profile's `envvars`.

#include <string>

namespace swarm::taskdef {

struct KeyValue {
  std::string key;
  // The value as written: `2` is "2", `True` is "True", `"a b"` is "a b". A list or map value
  // (only where a schema allows one, e.g. a profile's usrcontaineropts) is its YAML flow text,
  // `[/dev/kfd, /dev/dri]`. Empty when the value is null.
  std::string value;
  // The value was ~, null or nothing: for environment variables, "unset this variable".
  bool is_null = false;

  bool operator==(const KeyValue&) const = default;
};

}  // namespace swarm::taskdef
