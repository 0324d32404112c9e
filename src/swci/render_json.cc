#include "swci/render_json.h"

namespace swarm::swci {
namespace {

using Json = nlohmann::ordered_json;

Json ToJson(const Message& m) { return Json{{"type", "message"}, {"lines", m.lines}}; }

Json ToJson(const Record& r) {
  // A record may repeat a key ("Left out" once per node): repeats become a list.
  Json fields = Json::object();
  for (const auto& [key, value] : r.fields) {
    if (!fields.contains(key)) {
      fields[key] = value;
    } else {
      if (!fields[key].is_array()) fields[key] = Json::array({fields[key]});
      fields[key].push_back(value);
    }
  }
  return Json{{"type", "record"}, {"fields", std::move(fields)}};
}

Json ToJson(const Table& t) {
  Json columns = Json::array();
  for (const auto& c : t.columns) columns.push_back(c.title);
  return Json{{"type", "table"}, {"columns", std::move(columns)}, {"rows", t.rows}};
}

}  // namespace

Json PartToJson(const Part& part) {
  return std::visit([](const auto& p) { return ToJson(p); }, part);
}

Json ResultToJson(const Result& result) {
  Json parts = Json::array();
  for (const Part& p : result.parts) parts.push_back(PartToJson(p));
  return parts;
}

}  // namespace swarm::swci
