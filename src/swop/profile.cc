#include "swop/profile.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include "taskdef/yaml_check.h"

namespace swarm::swop {
namespace {

using taskdef::CheckMap;
using taskdef::Field;
using taskdef::GetEnum;
using taskdef::GetInteger;
using taskdef::GetKeyValues;
using taskdef::GetList;
using taskdef::GetOptionalInteger;
using taskdef::GetOptionalString;
using taskdef::GetString;
using taskdef::Length;
using taskdef::MapFields;
using taskdef::MapRule;

constexpr Length kHostLength{1, 253};
constexpr Length kPathLength{2, 240};
constexpr Length kFqdnLength{2, 253};

const MapRule& ProfileRule() {
  static const MapRule rule{"a SWOP profile",
                            {"groupname", "taskrunner", "policyuri", "resourcemgr", "network", "apls",
                             "apisrv", "envvars", "dns", "nodes"},
                            // The schema also requires resourcemgr, network and apls (see profile.h).
                            {"groupname", "taskrunner", "policyuri", "apisrv", "envvars", "nodes"},
                            {{"resourceMgr", "resourcemgr"}}};
  return rule;
}
const MapRule& ResourceMgrRule() {
  static const MapRule rule{"a resourcemgr", {"mgrtype", "accessinfo"}, {"mgrtype"}};
  return rule;
}
const MapRule& AccessInfoRule() {
  static const MapRule rule{"an accessinfo", {"accesstype"}, {"accesstype"}};
  return rule;
}
const MapRule& AplsRule() {
  static const MapRule rule{"an apls", {"locator"}, {"locator"}};
  return rule;
}
const MapRule& AplsLocatorRule() {
  static const MapRule rule{"the apls locator", {"host", "port"}, {"host"}};
  return rule;
}
const MapRule& ApiSrvRule() {
  static const MapRule rule{"an apisrv", {"locator"}, {"locator"}};
  return rule;
}
const MapRule& ApiSrvLocatorRule() {
  static const MapRule rule{"the apisrv locator", {"host", "port", "service"}, {"host"}};
  return rule;
}
const MapRule& NodeItemRule() {
  static const MapRule rule{"a nodes item", {"slnodedef"}, {"slnodedef"}};
  return rule;
}
const MapRule& NodeRule() {
  static const MapRule rule{
      "a slnodedef",
      {"idx", "identity", "slhostip", "slport", "slfsservice", "slhostname", "privatedata", "slenvvars",
       "sllabels", "slnetworkopts", "usrhostname", "usrenvvars", "usrlabels", "usrnetworkopts",
       "usrcontaineropts"},
      {"idx", "identity", "slhostname", "privatedata", "slenvvars", "usrhostname", "usrenvvars"},
      {{"privateData", "privatedata"}}};
  return rule;
}
const MapRule& IdentityItemRule() {
  static const MapRule rule{"an identity item", {"attribute"}, {"attribute"}};
  return rule;
}
const MapRule& AttributeRule() {
  static const MapRule rule{
      "an identity attribute", {"aType", "mType", "src", "tgt", "subPath"}, {"aType", "mType", "src", "tgt"}};
  return rule;
}
const MapRule& PrivateDataRule() {
  static const MapRule rule{"a privatedata", {"src", "mType"}, {"src", "mType"}};
  return rule;
}

const std::vector<std::string_view>& MountTypes() {
  static const std::vector<std::string_view> types = {"BIND", "VOLUME"};
  return types;
}

// What `read` makes of the optional key `key` of `f`, or T() when the key is left out.
template <typename T, typename Read>
StatusOr<T> ReadOptional(const MapFields& f, std::string_view key, Read read) {
  const Field* field = f.Find(key);
  if (field == nullptr) return T();
  ASSIGN_OR_RETURN(auto value, read(*field));
  return T(std::move(value));
}

StatusOr<ResourceMgr> ReadResourceMgr(const Field& field) {
  ASSIGN_OR_RETURN(MapFields f, CheckMap(field, ResourceMgrRule()));
  ResourceMgr mgr;
  ASSIGN_OR_RETURN(mgr.mgrtype, GetEnum(f.Get("mgrtype"), {kMgrTypeProcess, kMgrTypeDocker}));
  if (const Field* access = f.Find("accessinfo")) {
    ASSIGN_OR_RETURN(MapFields a, CheckMap(*access, AccessInfoRule()));
    ASSIGN_OR_RETURN(std::string type, GetEnum(a.Get("accesstype"), {"FROMENV"}));
    mgr.accessinfo = AccessInfo{std::move(type)};
  } else if (mgr.mgrtype == kMgrTypeDocker) {
    return field.Child("accessinfo", taskdef::YamlNode::Null(), field.line())
        .Error("is missing; a resourcemgr requires accessinfo when mgrtype is DOCKER");
  }
  return mgr;
}

StatusOr<Apls> ReadApls(const Field& field) {
  ASSIGN_OR_RETURN(MapFields f, CheckMap(field, AplsRule()));
  ASSIGN_OR_RETURN(MapFields l, CheckMap(f.Get("locator"), AplsLocatorRule()));
  Apls apls;
  ASSIGN_OR_RETURN(apls.locator.host, GetString(l.Get("host"), taskdef::kAnyString));
  ASSIGN_OR_RETURN(apls.locator.port, ReadOptional<std::optional<int64_t>>(l, "port", [](const Field& p) {
                     return GetOptionalInteger(p, 0);
                   }));
  return apls;
}

StatusOr<ApiSrv> ReadApiSrv(const Field& field) {
  ASSIGN_OR_RETURN(MapFields f, CheckMap(field, ApiSrvRule()));
  ASSIGN_OR_RETURN(MapFields l, CheckMap(f.Get("locator"), ApiSrvLocatorRule()));
  ApiSrv srv;
  ASSIGN_OR_RETURN(srv.locator.host, GetOptionalString(l.Get("host"), kHostLength));
  ASSIGN_OR_RETURN(srv.locator.port, ReadOptional<std::optional<int64_t>>(
                                         l, "port", [](const Field& p) { return GetOptionalInteger(p, 0); }));
  ASSIGN_OR_RETURN(srv.locator.service,
                   ReadOptional<std::optional<std::string>>(
                       l, "service", [](const Field& s) { return GetOptionalString(s, kHostLength); }));
  return srv;
}

StatusOr<IdentityAttribute> ReadAttribute(const Field& item) {
  ASSIGN_OR_RETURN(MapFields outer, CheckMap(item, IdentityItemRule()));
  ASSIGN_OR_RETURN(MapFields f, CheckMap(outer.Get("attribute"), AttributeRule()));
  IdentityAttribute a;
  ASSIGN_OR_RETURN(a.atype,
                   GetEnum(f.Get("aType"), {"KEY", "CERT", "CACERT", "CAPATH", "SPIFFE_SOCKETPATH"}));
  ASSIGN_OR_RETURN(a.mtype, GetEnum(f.Get("mType"), MountTypes()));
  ASSIGN_OR_RETURN(a.src, GetString(f.Get("src"), kPathLength));
  ASSIGN_OR_RETURN(a.tgt, GetString(f.Get("tgt"), kPathLength));
  ASSIGN_OR_RETURN(a.subpath, ReadOptional<std::optional<std::string>>(f, "subPath", [](const Field& s) {
                     return GetOptionalString(s, kPathLength);
                   }));
  return a;
}

StatusOr<std::optional<PrivateData>> ReadPrivateData(const Field& field) {
  if (field.IsNull()) return std::optional<PrivateData>();
  if (!field.node().IsMap()) {
    return field.Error("is " + taskdef::DescribeValue(field.node()) +
                       "; expected ~ or a map with the keys src, mType");
  }
  ASSIGN_OR_RETURN(MapFields f, CheckMap(field, PrivateDataRule()));
  PrivateData data;
  ASSIGN_OR_RETURN(data.src, GetString(f.Get("src"), kPathLength));
  ASSIGN_OR_RETURN(data.mtype, GetEnum(f.Get("mType"), MountTypes()));
  return std::optional<PrivateData>(std::move(data));
}

// oneOf [~, a map of labels, a list of label names].
StatusOr<std::vector<KeyValue>> ReadLabels(const Field& field) {
  std::vector<KeyValue> labels;
  const taskdef::YamlNode& node = field.node();
  if (node.IsNull()) return labels;
  if (node.IsMap()) {
    for (const auto& [key, value] : node.entries) {
      if (!key.IsScalar()) {
        return field.Key(key).Error("has a key that is " + taskdef::DescribeValue(key) + "; expected label names");
      }
      Field label = field.Child(key.text, value, key.line);
      for (const KeyValue& earlier : labels) {
        if (earlier.key == key.text) return label.Error("appears twice; expected each label once");
      }
      if (!value.IsScalar() && !value.IsNull()) {
        return label.Error("is " + taskdef::DescribeValue(value) + "; expected a label value (a string or ~)");
      }
      labels.push_back({key.text, value.text, value.IsNull()});
    }
    return labels;
  }
  if (!node.IsList()) {
    return field.Error("is " + taskdef::DescribeValue(node) +
                       "; expected ~, a map of labels or a list of label names");
  }
  ASSIGN_OR_RETURN(std::vector<Field> items, GetList(field, {}));
  for (const Field& item : items) {
    ASSIGN_OR_RETURN(std::string name, GetString(item, {1, std::string::npos}));
    labels.push_back({std::move(name), "", true});
  }
  return labels;
}

// An optional `oneOf [~, list of KEY: value]` field of a node.
StatusOr<std::vector<KeyValue>> OptionalPairs(const MapFields& f, std::string_view key, bool nested) {
  return ReadOptional<std::vector<KeyValue>>(
      f, key, [nested](const Field& p) { return GetKeyValues(p, true, nested); });
}

StatusOr<std::optional<std::string>> OptionalString(const MapFields& f, std::string_view key, Length length) {
  return ReadOptional<std::optional<std::string>>(
      f, key, [length](const Field& s) { return GetOptionalString(s, length); });
}

// `idx_at` is set to the node's idx field, for the uniqueness check.
StatusOr<SlNodeDef> ReadNode(const Field& item, std::optional<Field>& idx_at) {
  ASSIGN_OR_RETURN(MapFields outer, CheckMap(item, NodeItemRule()));
  ASSIGN_OR_RETURN(MapFields f, CheckMap(outer.Get("slnodedef"), NodeRule()));
  idx_at = f.Get("idx");
  SlNodeDef node;
  ASSIGN_OR_RETURN(node.idx, GetInteger(f.Get("idx"), 0));
  ASSIGN_OR_RETURN(std::vector<Field> identity, GetList(f.Get("identity"), {}));
  for (const Field& attribute : identity) {
    ASSIGN_OR_RETURN(IdentityAttribute a, ReadAttribute(attribute));
    node.identity.push_back(std::move(a));
  }
  ASSIGN_OR_RETURN(node.slhostip, OptionalString(f, "slhostip", kPathLength));
  ASSIGN_OR_RETURN(node.slport, ReadOptional<std::optional<int64_t>>(
                                    f, "slport", [](const Field& p) { return GetOptionalInteger(p, 0); }));
  ASSIGN_OR_RETURN(node.slfsservice, OptionalString(f, "slfsservice", kFqdnLength));
  ASSIGN_OR_RETURN(node.slhostname, GetOptionalString(f.Get("slhostname"), kPathLength));
  ASSIGN_OR_RETURN(node.privatedata, ReadPrivateData(f.Get("privatedata")));
  ASSIGN_OR_RETURN(node.slenvvars, GetKeyValues(f.Get("slenvvars"), true, false));
  ASSIGN_OR_RETURN(node.sllabels, ReadOptional<std::vector<KeyValue>>(f, "sllabels", ReadLabels));
  ASSIGN_OR_RETURN(node.slnetworkopts, OptionalPairs(f, "slnetworkopts", true));
  ASSIGN_OR_RETURN(node.usrhostname, GetOptionalString(f.Get("usrhostname"), kPathLength));
  ASSIGN_OR_RETURN(node.usrenvvars, GetKeyValues(f.Get("usrenvvars"), true, false));
  ASSIGN_OR_RETURN(node.usrlabels, ReadOptional<std::vector<KeyValue>>(f, "usrlabels", ReadLabels));
  ASSIGN_OR_RETURN(node.usrnetworkopts, OptionalPairs(f, "usrnetworkopts", true));
  ASSIGN_OR_RETURN(node.usrcontaineropts, OptionalPairs(f, "usrcontaineropts", true));
  return node;
}

StatusOr<std::vector<SlNodeDef>> ReadNodes(const Field& field) {
  ASSIGN_OR_RETURN(std::vector<Field> items, GetList(field, {}));
  std::vector<SlNodeDef> nodes;
  for (size_t i = 0; i < items.size(); ++i) {
    std::optional<Field> idx_at;
    ASSIGN_OR_RETURN(SlNodeDef node, ReadNode(items[i], idx_at));
    for (size_t j = 0; j < i; ++j) {
      if (nodes[j].idx != node.idx) continue;
      return idx_at->Error("is " + std::to_string(node.idx) + ", the same as nodes[" + std::to_string(j) +
                           "]; expected an idx unique in the profile");
    }
    nodes.push_back(std::move(node));
  }
  return nodes;
}

StatusOr<SwopProfile> ReadProfile(const Field& root) {
  ASSIGN_OR_RETURN(MapFields f, CheckMap(root, ProfileRule()));
  SwopProfile p;
  ASSIGN_OR_RETURN(p.groupname, GetString(f.Get("groupname"), taskdef::kAnyString));
  ASSIGN_OR_RETURN(p.taskrunner, GetString(f.Get("taskrunner"), taskdef::kAnyString));
  ASSIGN_OR_RETURN(p.policyuri, GetOptionalString(f.Get("policyuri"), taskdef::kAnyString));
  ASSIGN_OR_RETURN(p.resourcemgr, ReadOptional<ResourceMgr>(f, "resourcemgr", ReadResourceMgr));
  ASSIGN_OR_RETURN(p.network, ReadOptional<std::optional<std::string>>(f, "network", [](const Field& n) {
                     return GetString(n, taskdef::kAnyString);
                   }));
  ASSIGN_OR_RETURN(p.apls, ReadOptional<std::optional<Apls>>(f, "apls", ReadApls));
  ASSIGN_OR_RETURN(p.apisrv, ReadApiSrv(f.Get("apisrv")));
  ASSIGN_OR_RETURN(p.envvars, GetKeyValues(f.Get("envvars"), true, false));
  if (const Field* dns = f.Find("dns")) {
    ASSIGN_OR_RETURN(std::vector<Field> servers,
                     GetList(*dns, {0, std::numeric_limits<size_t>::max(), true}));
    for (const Field& server : servers) {
      ASSIGN_OR_RETURN(std::string address, GetString(server, kHostLength));
      p.dns.push_back(std::move(address));
    }
  }
  ASSIGN_OR_RETURN(p.nodes, ReadNodes(f.Get("nodes")));
  return p;
}

}  // namespace

StatusOr<SwopProfile> ParseProfileFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read profile file " + path.string() + ": " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return NotFound("cannot read profile file " + path.string() + ": " + std::strerror(errno));
  return ParseProfileYaml(text.str(), path.string());
}

StatusOr<SwopProfile> ParseProfileYaml(std::string_view text, std::string_view source_name) {
  ASSIGN_OR_RETURN(Field root, taskdef::LoadDocument(text, source_name));
  return ReadProfile(root);
}

std::vector<std::string> ContainerOnlyFieldsSet(const SwopProfile& profile) {
  std::vector<std::string> set;
  if (profile.resourcemgr.accessinfo) set.push_back("resourcemgr.accessinfo");
  if (profile.network) set.push_back("network");
  for (size_t i = 0; i < profile.nodes.size(); ++i) {
    const SlNodeDef& node = profile.nodes[i];
    const std::string at = "nodes[" + std::to_string(i) + "].slnodedef.";
    for (size_t j = 0; j < node.identity.size(); ++j) {
      const std::string attribute = at + "identity[" + std::to_string(j) + "].attribute.";
      set.push_back(attribute + "tgt");
      if (node.identity[j].subpath) set.push_back(attribute + "subPath");
    }
    if (node.slhostname) set.push_back(at + "slhostname");
    if (!node.sllabels.empty()) set.push_back(at + "sllabels");
    if (!node.slnetworkopts.empty()) set.push_back(at + "slnetworkopts");
    if (node.usrhostname) set.push_back(at + "usrhostname");
    if (!node.usrlabels.empty()) set.push_back(at + "usrlabels");
    if (!node.usrnetworkopts.empty()) set.push_back(at + "usrnetworkopts");
    if (!node.usrcontaineropts.empty()) set.push_back(at + "usrcontaineropts");
  }
  return set;
}

}  // namespace swarm::swop
