#pragma once

// The SWOP profile: the YAML file a Swarm Operator starts from, as HPE Swarm Learning's profile
// schema (SWOP-profile-schema.yaml) defines it: its group and taskrunner, the resource manager,
// the API server, environment variables, and the SL nodes it manages, each with its identity
// files, addresses and private data. HPE users' profiles are accepted unchanged.
//
// The schema's rules are checked at load: required keys, no other keys, types, enums (aType
// KEY, CERT, CACERT, CAPATH, SPIFFE_SOCKETPATH; mType BIND, VOLUME), string lengths, integers
// >= 0, plus an idx unique in the profile. Errors are INVALID_ARGUMENT naming the file, the
// line, the field path and the rule (taskdef/yaml_check.h describes the value rules):
//
//   swop1_profile.yaml, line 25: nodes[0].slnodedef.identity[0].attribute.aType is 'PEM';
//   expected one of KEY, CERT, CACERT, CAPATH, SPIFFE_SOCKETPATH
//
// Where this differs from HPE's schema, on purpose:
//  - Resource managers: mgrtype is PROCESS (the nodes run as local processes) or DOCKER;
//    anything else, KUBERNETES included, is refused with that list. `resourcemgr` may be left
//    out, which means PROCESS; `accessinfo` is required only for DOCKER.
//  - `apls` and `network` may be left out: there is no licence server here, and a network
//    matters only to containers.
//  - HPE's own examples write `resourceMgr` and `privateData` as well as `resourcemgr` and
//    `privatedata`; both spellings are accepted (once per map). Every other key is exact.
//  - `apisrv.locator.service` may be left out (the schema lists it as required, but HPE's
//    MNIST examples omit it), and so may an identity attribute's `subPath` (the schema's
//    required list names `subpath`, a key it does not allow; HPE's SPIRE example omits it).
//  - The schema's `uniqueItems`, placed inside `items` where it has no effect, is not applied.
//
// Fields that mean something only to containers (network, host names, labels, network and
// container options, identity targets) are kept as written; ContainerOnlyFieldsSet lists the
// ones a profile sets so that a manager without containers can report them as unused.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "taskdef/key_value.h"

namespace swarm::swop {

using taskdef::KeyValue;

inline constexpr std::string_view kMgrTypeProcess = "PROCESS";
inline constexpr std::string_view kMgrTypeDocker = "DOCKER";

struct AccessInfo {
  std::string accesstype;  // FROMENV
  bool operator==(const AccessInfo&) const = default;
};

struct ResourceMgr {
  std::string mgrtype{kMgrTypeProcess};  // PROCESS or DOCKER
  std::optional<AccessInfo> accessinfo;  // always set for DOCKER
  bool operator==(const ResourceMgr&) const = default;
};

// apls.locator: the licence server.
struct AplsLocator {
  std::string host;
  std::optional<int64_t> port;  // >= 0; nullopt for ~
  bool operator==(const AplsLocator&) const = default;
};
struct Apls {
  AplsLocator locator;
  bool operator==(const Apls&) const = default;
};

// apisrv.locator: the SN's API server, by host (and port) or by service name.
struct ApiSrvLocator {
  std::optional<std::string> host;     // 1..253 characters; nullopt for ~
  std::optional<int64_t> port;         // >= 0; nullopt for ~
  std::optional<std::string> service;  // 1..253 characters; nullopt for ~ or left out
  bool operator==(const ApiSrvLocator&) const = default;
};
struct ApiSrv {
  ApiSrvLocator locator;
  bool operator==(const ApiSrv&) const = default;
};

// identity[i].attribute: a key, certificate, CA or SPIFFE socket given to the SL node.
struct IdentityAttribute {
  std::string atype;                   // aType: KEY, CERT, CACERT, CAPATH or SPIFFE_SOCKETPATH
  std::string mtype;                   // mType: BIND or VOLUME
  std::string src;                     // 2..240: host path or volume name
  std::string tgt;                     // 2..240: path inside the container
  std::optional<std::string> subpath;  // subPath, 2..240, relative to tgt; nullopt for ~ or left out
  bool operator==(const IdentityAttribute&) const = default;
};

struct PrivateData {
  std::string src;    // 2..240: host directory or volume name
  std::string mtype;  // mType: BIND or VOLUME
  bool operator==(const PrivateData&) const = default;
};

// nodes[i].slnodedef: one SL node (and its user ML program) this SWOP runs.
// List fields are empty when the profile gives ~ or leaves them out.
struct SlNodeDef {
  int64_t idx = 0;  // >= 0, unique in the profile
  std::vector<IdentityAttribute> identity;
  std::optional<std::string> slhostname;   // 2..240 (container host name)
  std::optional<std::string> slhostip;     // 2..240: address or FQDN the SL is reached at
  std::optional<int64_t> slport;           // >= 0: the SL's file server port
  std::optional<std::string> slfsservice;  // 2..253: FQDN[:port] of the SL's file server
  std::optional<PrivateData> privatedata;
  std::vector<KeyValue> slenvvars;
  // Labels, as a map (KEY: value) or a list of names (value "", is_null set).
  std::vector<KeyValue> sllabels;
  std::vector<KeyValue> slnetworkopts;
  std::optional<std::string> usrhostname;  // 2..240 (container host name)
  std::vector<KeyValue> usrenvvars;
  std::vector<KeyValue> usrlabels;
  std::vector<KeyValue> usrnetworkopts;
  // Docker options such as `gpus: all` or `device: ["/dev/kfd"]` (a list value is kept as its
  // YAML flow text).
  std::vector<KeyValue> usrcontaineropts;
  bool operator==(const SlNodeDef&) const = default;
};

struct SwopProfile {
  std::string groupname;
  std::string taskrunner;                // the taskrunner contract this SWOP serves
  std::optional<std::string> policyuri;  // nullopt for ~ (accept every task)
  ResourceMgr resourcemgr;
  std::optional<std::string> network;
  std::optional<Apls> apls;
  ApiSrv apisrv;
  // Variables for every SL node, in order; a ~ value (is_null) means "unset".
  std::vector<KeyValue> envvars;
  std::vector<std::string> dns;  // custom DNS servers, 1..253 characters each
  std::vector<SlNodeDef> nodes;
  bool operator==(const SwopProfile&) const = default;
};

// Reads and checks a profile file. NOT_FOUND when it cannot be read; messages name the file
// as `path` is written.
StatusOr<SwopProfile> ParseProfileFile(const std::filesystem::path& path);

// Checks a profile held in `text`; `source_name` names it in messages.
StatusOr<SwopProfile> ParseProfileYaml(std::string_view text, std::string_view source_name);

// The container-only fields the profile sets (not ~, not an empty list), as field paths in
// document order: "resourcemgr.accessinfo", "network", "dns", and per node
// "nodes[0].slnodedef.slhostname", "nodes[0].slnodedef.identity[1].attribute.tgt", ...
std::vector<std::string> ContainerOnlyFieldsSet(const SwopProfile& profile);

}  // namespace swarm::swop
