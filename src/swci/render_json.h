#pragma once

// Results as JSON, for SWCI's web mode and the Python `Swci` client: each part keeps its
// shape (lines, an ordered record, a table with its columns), so a program reads fields
// instead of parsing the transcript.
//
//   {"type": "message", "lines": ["CONTEXT CREATED : c"]}
//   {"type": "record",  "fields": {"Name": "c", "IP": "127.0.0.1", ...}}
//   {"type": "table",   "columns": ["UID", "STATUS", ...], "rows": [["a1b2", "RUNNING", ...]]}

#include <nlohmann/json.hpp>

#include "swci/result.h"

namespace swarm::swci {

nlohmann::ordered_json PartToJson(const Part& part);
// The parts, in order.
nlohmann::ordered_json ResultToJson(const Result& result);

}  // namespace swarm::swci
