#include "swop/profile.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace swarm::swop {
namespace {

const std::filesystem::path kTestdata = SWARM_SWOP_TESTDATA;

// HPE's MNIST profile for host 1 (testdata/swop1_profile.yaml).
constexpr std::string_view kMnist = R"(groupname  : demo
taskrunner : defaulttaskbb.taskdb.sml.hpe
policyuri  : ~
resourcemgr :
    mgrtype    : DOCKER
    accessinfo :
        accesstype : FROMENV
network    : host-1-net
apls :
    locator :
        host : 172.1.1.1
        port : ~
apisrv :
    locator :
        host : 172.1.1.1
        port : ~
envvars :
    - SL_LOG_LEVEL : INFO
    - http_proxy : ~
nodes :
    - slnodedef :
        idx : 0
        identity :
            - attribute :
                aType : KEY
                mType : BIND
                src : "<CURRENT-PATH>/workspace/mnist/cert/sl-1-key.pem"
                tgt : "/swarm-cert/sl-1-key.pem"
                subPath : null
        slhostname : sl1
        slhostip   : 172.1.1.1
        slport : 16000
        usrhostname : user1
        privatedata :
            src: "<CURRENT-PATH>/workspace/mnist/app-data"
            mType : BIND
        slenvvars : null
        usrenvvars : null
)";

// The least a profile for the process resource manager needs.
constexpr std::string_view kMinimal = R"(groupname: g
taskrunner: tr
policyuri: ~
apisrv:
    locator:
        host: 127.0.0.1
        port: 30304
envvars: ~
nodes:
    - slnodedef:
        idx: 0
        identity: []
        slhostname: ~
        privatedata: ~
        slenvvars: ~
        usrhostname: ~
        usrenvvars: ~
)";

std::string Replace(std::string_view text, std::string_view from, std::string_view to) {
  std::string s(text);
  const size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  EXPECT_EQ(s.find(from, at + 1), std::string::npos) << from << " occurs twice";
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

std::string ErrorOf(std::string_view text) {
  auto profile = ParseProfileYaml(text, "p.yaml");
  return profile.ok() ? "OK" : profile.status().message();
}

SwopProfile ProfileOf(std::string_view text) {
  auto profile = ParseProfileYaml(text, "p.yaml");
  EXPECT_TRUE(profile.ok()) << profile.status().ToString();
  return profile.ok() ? *profile : SwopProfile();
}

// ---- HPE's profiles ----

TEST(ProfileTest, AcceptsHpeMnistProfile) {
  auto profile = ParseProfileFile(kTestdata / "swop1_profile.yaml");
  ASSERT_TRUE(profile.ok()) << profile.status().ToString();
  SwopProfile expected;
  expected.groupname = "demo";
  expected.taskrunner = "defaulttaskbb.taskdb.sml.hpe";
  expected.resourcemgr = {"DOCKER", AccessInfo{"FROMENV"}};
  expected.network = "host-1-net";
  expected.apls = Apls{{"172.1.1.1", std::nullopt}};
  expected.apisrv = ApiSrv{{"172.1.1.1", std::nullopt, std::nullopt}};
  expected.envvars = {{"SL_LOG_LEVEL", "INFO"}, {"http_proxy", "", true}};
  SlNodeDef node;
  node.idx = 0;
  node.identity = {{"KEY", "BIND", "<CURRENT-PATH>/workspace/mnist/cert/sl-1-key.pem",
                    "/swarm-cert/sl-1-key.pem", std::nullopt}};
  node.slhostname = "sl1";
  node.slhostip = "172.1.1.1";
  node.slport = 16000;
  node.usrhostname = "user1";
  node.privatedata = PrivateData{"<CURRENT-PATH>/workspace/mnist/app-data", "BIND"};
  expected.nodes = {node};
  EXPECT_EQ(*profile, expected);
  EXPECT_EQ(*profile, ProfileOf(kMnist));
}

TEST(ProfileTest, AcceptsGuideProfileExample) {
  auto profile = ParseProfileFile(kTestdata / "mnist_pyt_profile.yaml");
  ASSERT_TRUE(profile.ok()) << profile.status().ToString();
  EXPECT_EQ(profile->envvars.size(), 7u);
  EXPECT_EQ(profile->envvars[1], (KeyValue{"http_proxy", "http://web-proxy.x.y.z:8080"}));
  EXPECT_EQ(profile->envvars[6], (KeyValue{"NO_PROXY", "", true}));
  ASSERT_EQ(profile->nodes.size(), 2u);
  EXPECT_EQ(profile->nodes[0].identity.size(), 3u);
  EXPECT_EQ(profile->nodes[0].identity[2].atype, "CAPATH");
  EXPECT_EQ(profile->nodes[0].usrcontaineropts, (std::vector<KeyValue>{{"gpus", "all"}}));
  // The second node spells privateData.
  EXPECT_EQ(profile->nodes[1].idx, 1);
  EXPECT_EQ(profile->nodes[1].privatedata,
            (PrivateData{"<CURRENT-PATH>/workspace/mnist-pyt/user2/data-and-scratch", "BIND"}));
  EXPECT_EQ(profile->nodes[1].slport, 17000);
  EXPECT_EQ(profile->nodes[1].usrcontaineropts, (std::vector<KeyValue>{{"gpus", "device=3,5"}}));
}

TEST(ProfileTest, AcceptsGuideReverseProxyExample) {
  auto profile = ParseProfileFile(kTestdata / "reverse_proxy_profile.yaml");
  ASSERT_TRUE(profile.ok()) << profile.status().ToString();
  EXPECT_EQ(profile->resourcemgr.mgrtype, "DOCKER");  // spelled resourceMgr
  EXPECT_EQ(profile->network, "<NETWORK-NAME>");
  EXPECT_EQ(profile->apisrv, (ApiSrv{{std::nullopt, std::nullopt, std::nullopt}}));
  EXPECT_EQ(profile->dns, (std::vector<std::string>{"<Bind9-IP>", "<Host-DNS-IP>"}));
  ASSERT_EQ(profile->nodes.size(), 2u);
  const SlNodeDef& node = profile->nodes[1];
  EXPECT_EQ(node.slhostname, "sl-2.swarm");
  EXPECT_EQ(node.slhostip, std::nullopt);
  EXPECT_EQ(node.slport, std::nullopt);
  EXPECT_EQ(node.slfsservice, "fs.sl-2.swarm");
  EXPECT_EQ(node.slnetworkopts, (std::vector<KeyValue>{{"ip", "<SL-IP-2>"}}));
  EXPECT_EQ(node.usrnetworkopts, (std::vector<KeyValue>{{"ip", "<ML-IP-2>"}}));
  EXPECT_EQ(node.privatedata, std::nullopt);
}

TEST(ProfileTest, FileErrorsNameTheFile) {
  auto missing = ParseProfileFile("/nonexistent/swop.yaml");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(),
            "cannot read profile file /nonexistent/swop.yaml: No such file or directory");
  EXPECT_EQ(ErrorOf("groupname: [x\n"), "p.yaml, line 2: YAML syntax error: did not find expected ',' or ']' (while parsing a flow sequence started on line 1)");
  EXPECT_EQ(ErrorOf(""),
            "p.yaml, line 1: the document is empty; expected a SWOP profile (a map with the keys groupname, "
            "taskrunner, policyuri, resourcemgr, network, apls, apisrv, envvars, dns, nodes)");
}

// ---- the relaxations for the process resource manager ----

TEST(ProfileTest, MinimalProcessProfile) {
  const SwopProfile p = ProfileOf(kMinimal);
  EXPECT_EQ(p.resourcemgr.mgrtype, kMgrTypeProcess);
  EXPECT_EQ(p.resourcemgr.accessinfo, std::nullopt);
  EXPECT_EQ(p.network, std::nullopt);
  EXPECT_EQ(p.apls, std::nullopt);
  EXPECT_EQ(p.apisrv.locator.port, 30304);
  ASSERT_EQ(p.nodes.size(), 1u);
  EXPECT_TRUE(p.nodes[0].identity.empty());
  EXPECT_TRUE(ContainerOnlyFieldsSet(p).empty());
}

TEST(ProfileTest, ChecksResourceMgr) {
  const std::string process = std::string(kMinimal) + "resourcemgr:\n    mgrtype: PROCESS\n";
  EXPECT_EQ(ProfileOf(process).resourcemgr, (ResourceMgr{"PROCESS", std::nullopt}));
  EXPECT_EQ(ErrorOf(Replace(process, "mgrtype: PROCESS", "mgrtype: KUBERNETES")),
            "p.yaml, line 19: resourcemgr.mgrtype is 'KUBERNETES'; expected one of PROCESS, DOCKER");
  EXPECT_EQ(ErrorOf(Replace(process, "mgrtype: PROCESS", "mgrtype: docker")),
            "p.yaml, line 19: resourcemgr.mgrtype is 'docker'; expected one of PROCESS, DOCKER");
  EXPECT_EQ(
      ErrorOf(Replace(process, "mgrtype: PROCESS", "mgrtype: DOCKER")),
      "p.yaml, line 18: resourcemgr.accessinfo is missing; a resourcemgr requires accessinfo when mgrtype is "
      "DOCKER");
  EXPECT_EQ(ErrorOf(Replace(kMnist, "accesstype : FROMENV", "accesstype : SSH")),
            "p.yaml, line 7: resourcemgr.accessinfo.accesstype is 'SSH'; expected one of FROMENV");
  EXPECT_EQ(ErrorOf(Replace(kMnist, "        accesstype : FROMENV\n", "")),
            "p.yaml, line 6: resourcemgr.accessinfo is null; expected an accessinfo (a map with the keys "
            "accesstype)");
  EXPECT_EQ(ErrorOf(Replace(kMnist, "    mgrtype    : DOCKER\n", "")),
            "p.yaml, line 4: resourcemgr.mgrtype is missing; a resourcemgr requires mgrtype");
  EXPECT_EQ(ErrorOf(std::string(kMinimal) + "resourcemgr: ~\n"),
            "p.yaml, line 18: resourcemgr is null; expected a resourcemgr (a map with the keys mgrtype, "
            "accessinfo)");
  // accessinfo with PROCESS is checked, and reported as unused.
  const SwopProfile p = ProfileOf(process + "    accessinfo:\n        accesstype: FROMENV\n");
  EXPECT_EQ(ContainerOnlyFieldsSet(p), (std::vector<std::string>{"resourcemgr.accessinfo"}));
}

TEST(ProfileTest, AcceptsBothSpellingsOfTwoKeysOnly) {
  EXPECT_EQ(ProfileOf(Replace(kMnist, "resourcemgr :", "resourceMgr :")).resourcemgr.mgrtype, "DOCKER");
  EXPECT_EQ(ProfileOf(Replace(kMnist, "privatedata :", "privateData :")).nodes[0].privatedata,
            (PrivateData{"<CURRENT-PATH>/workspace/mnist/app-data", "BIND"}));
  EXPECT_EQ(
      ErrorOf(Replace(kMnist, "privatedata :", "PrivateData :")),
      "p.yaml, line 34: nodes[0].slnodedef.PrivateData is not allowed; a slnodedef has only the keys idx, "
      "identity, slhostip, slport, slfsservice, slhostname, privatedata, slenvvars, sllabels, slnetworkopts, "
      "usrhostname, usrenvvars, usrlabels, usrnetworkopts, usrcontaineropts");
  EXPECT_EQ(
      ErrorOf(Replace(kMnist, "groupname  :", "groupName  :")),
      "p.yaml, line 1: groupName is not allowed; a SWOP profile has only the keys groupname, taskrunner, "
      "policyuri, resourcemgr, network, apls, apisrv, envvars, dns, nodes");
  EXPECT_EQ(
      ErrorOf(Replace(kMnist, "        aType : KEY", "        atype : KEY")),
      "p.yaml, line 25: nodes[0].slnodedef.identity[0].attribute.atype is not allowed; an identity attribute "
      "has only the keys aType, mType, src, tgt, subPath");
  EXPECT_EQ(ErrorOf(std::string(kMnist) + "resourceMgr :\n    mgrtype : DOCKER\n"),
            "p.yaml, line 39: resourcemgr appears twice (first on line 4); expected each key once");
}

TEST(ProfileTest, AplsAndNetworkAreOptional) {
  EXPECT_EQ(ProfileOf(Replace(kMnist, "network    : host-1-net\n", "")).network, std::nullopt);
  EXPECT_EQ(ErrorOf(Replace(kMnist, "network    : host-1-net", "network    : ~")),
            "p.yaml, line 8: network is null; expected a string");
  const std::string no_apls =
      Replace(kMnist, "apls :\n    locator :\n        host : 172.1.1.1\n        port : ~\n", "");
  EXPECT_EQ(ProfileOf(no_apls).apls, std::nullopt);
  EXPECT_EQ(ErrorOf(Replace(kMnist, "apls :\n    locator :\n        host : 172.1.1.1\n        port : ~\n",
                            "apls :\n    host : 172.1.1.1\n")),
            "p.yaml, line 10: apls.host is not allowed; an apls has only the keys locator");
  EXPECT_EQ(ErrorOf(Replace(kMnist, "        host : 172.1.1.1\n        port : ~\napisrv",
                            "        port : 5814\napisrv")),
            "p.yaml, line 10: apls.locator.host is missing; the apls locator requires host");
  EXPECT_EQ(ErrorOf(Replace(kMnist, "        port : ~\napisrv", "        port : -1\napisrv")),
            "p.yaml, line 12: apls.locator.port is -1; expected an integer >= 0");
  EXPECT_EQ(ProfileOf(Replace(kMnist, "        port : ~\napisrv", "        port : 5814\napisrv"))
                .apls->locator.port,
            5814);
}

// ---- the schema's own rules ----

TEST(ProfileTest, RequiresTheSchemaKeys) {
  EXPECT_EQ(ErrorOf(Replace(kMinimal, "groupname: g\n", "")),
            "p.yaml, line 1: groupname is missing; a SWOP profile requires groupname, taskrunner, policyuri, "
            "apisrv, envvars, nodes");
  EXPECT_EQ(ErrorOf(Replace(kMinimal, "policyuri: ~\n", "")),
            "p.yaml, line 1: policyuri is missing; a SWOP profile requires groupname, taskrunner, policyuri, "
            "apisrv, envvars, nodes");
  EXPECT_EQ(ErrorOf(Replace(kMinimal, "\nenvvars: ~\n", "\n")),
            "p.yaml, line 1: envvars is missing; a SWOP profile requires groupname, taskrunner, policyuri, "
            "apisrv, envvars, nodes");
  EXPECT_EQ(ErrorOf(Replace(kMinimal, "        slhostname: ~\n", "")),
            "p.yaml, line 10: nodes[0].slnodedef.slhostname is missing; a slnodedef requires idx, identity, "
            "slhostname, privatedata, slenvvars, usrhostname, usrenvvars");
  EXPECT_EQ(ErrorOf(Replace(kMinimal, "        privatedata: ~\n", "")),
            "p.yaml, line 10: nodes[0].slnodedef.privatedata is missing; a slnodedef requires idx, identity, "
            "slhostname, privatedata, slenvvars, usrhostname, usrenvvars");
  EXPECT_EQ(ErrorOf(Replace(kMinimal, "        host: 127.0.0.1\n", "")),
            "p.yaml, line 5: apisrv.locator.host is missing; the apisrv locator requires host");
  EXPECT_EQ(ErrorOf(std::string(kMinimal) + "extra: 1\n"),
            "p.yaml, line 18: extra is not allowed; a SWOP profile has only the keys groupname, taskrunner, "
            "policyuri, resourcemgr, network, apls, apisrv, envvars, dns, nodes");
  EXPECT_EQ(
      ErrorOf(Replace(kMinimal, "        usrenvvars: ~\n", "        usrenvvars: ~\n        sidecar: yes\n")),
      "p.yaml, line 18: nodes[0].slnodedef.sidecar is not allowed; a slnodedef has only the keys idx, "
      "identity, "
      "slhostip, slport, slfsservice, slhostname, privatedata, slenvvars, sllabels, slnetworkopts, "
      "usrhostname, usrenvvars, usrlabels, usrnetworkopts, usrcontaineropts");
  EXPECT_EQ(ErrorOf(Replace(kMinimal, "    - slnodedef:\n", "    - node:\n")),
            "p.yaml, line 10: nodes[0].node is not allowed; a nodes item has only the keys slnodedef");
}

TEST(ProfileTest, ChecksTopLevelValues) {
  EXPECT_EQ(ErrorOf(Replace(kMinimal, "groupname: g", "groupname: ~")),
            "p.yaml, line 1: groupname is null; expected a string");
  EXPECT_EQ(ProfileOf(Replace(kMinimal, "policyuri: ~", "policyuri: http://policy")).policyuri,
            "http://policy");
  EXPECT_EQ(ErrorOf(std::string(kMinimal.substr(0, kMinimal.find("nodes:"))) + "nodes: ~\n"),
            "p.yaml, line 9: nodes is null; expected a list");
  EXPECT_EQ(ErrorOf(Replace(kMinimal, "\nenvvars: ~", "\nenvvars: [A: [1]]")),
            "p.yaml, line 8: envvars[0].A is a list; expected a single value (a string, a number, true/false "
            "or ~)");
  EXPECT_EQ(ProfileOf(Replace(kMinimal, "\nenvvars: ~", "\nenvvars: [A: 1, B: ~]")).envvars,
            (std::vector<KeyValue>{{"A", "1"}, {"B", "", true}}));
}

TEST(ProfileTest, ChecksApiServer) {
  EXPECT_EQ(
      ProfileOf(Replace(kMinimal, "        port: 30304", "        port: 30304\n        service: sn.swarm"))
          .apisrv.locator.service,
      "sn.swarm");
  EXPECT_EQ(ErrorOf(Replace(kMinimal, "        port: 30304", "        port: 30304\n        service: ''")),
            "p.yaml, line 8: apisrv.locator.service is empty; expected a string of 1..253 characters");
  EXPECT_EQ(
      ErrorOf(Replace(kMinimal, "host: 127.0.0.1", "host: " + std::string(254, 'h'))),
      "p.yaml, line 6: apisrv.locator.host is 254 characters long; expected a string of 1..253 characters");
  EXPECT_EQ(
      ErrorOf(Replace(kMinimal, "port: 30304", "port: \"30304\"")),
      "p.yaml, line 7: apisrv.locator.port is '30304' in quotes; expected an integer >= 0 without quotes");
  EXPECT_EQ(
      ErrorOf(Replace(kMinimal, "        port: 30304", "        port: 30304\n        ip: x")),
      "p.yaml, line 8: apisrv.locator.ip is not allowed; the apisrv locator has only the keys host, port, "
      "service");
}

TEST(ProfileTest, ChecksIdentityAttributes) {
  EXPECT_EQ(
      ErrorOf(Replace(kMnist, "aType : KEY", "aType : PEM")),
      "p.yaml, line 25: nodes[0].slnodedef.identity[0].attribute.aType is 'PEM'; expected one of KEY, CERT, "
      "CACERT, CAPATH, SPIFFE_SOCKETPATH");
  for (const char* atype : {"CERT", "CACERT", "CAPATH", "SPIFFE_SOCKETPATH"}) {
    EXPECT_EQ(ErrorOf(Replace(kMnist, "aType : KEY", std::string("aType : ") + atype)), "OK");
  }
  EXPECT_EQ(
      ErrorOf(Replace(kMnist, "mType : BIND\n                src", "mType : COPY\n                src")),
      "p.yaml, line 26: nodes[0].slnodedef.identity[0].attribute.mType is 'COPY'; expected one of BIND, "
      "VOLUME");
  EXPECT_EQ(
      ErrorOf(Replace(kMnist, "tgt : \"/swarm-cert/sl-1-key.pem\"", "tgt : /")),
      "p.yaml, line 28: nodes[0].slnodedef.identity[0].attribute.tgt is 1 character long; expected a string "
      "of 2..240 characters");
  EXPECT_EQ(
      ErrorOf(Replace(kMnist, "src : \"<CURRENT-PATH>/workspace/mnist/cert/sl-1-key.pem\"",
                      "src : /" + std::string(240, 's'))),
      "p.yaml, line 27: nodes[0].slnodedef.identity[0].attribute.src is 241 characters long; expected a "
      "string of 2..240 characters");
  EXPECT_EQ(ErrorOf(Replace(kMnist, "src : \"<CURRENT-PATH>/workspace/mnist/cert/sl-1-key.pem\"",
                            "src : /" + std::string(239, 's'))),
            "OK");
  EXPECT_EQ(ErrorOf(Replace(kMnist, "                tgt : \"/swarm-cert/sl-1-key.pem\"\n", "")),
            "p.yaml, line 24: nodes[0].slnodedef.identity[0].attribute.tgt is missing; an identity attribute "
            "requires aType, mType, src, tgt");
  // subPath may be left out (HPE's SPIRE example does) or given.
  EXPECT_EQ(ProfileOf(Replace(kMnist, "                subPath : null\n", "")).nodes[0].identity[0].subpath,
            std::nullopt);
  EXPECT_EQ(ProfileOf(Replace(kMnist, "subPath : null", "subPath : key.pem")).nodes[0].identity[0].subpath,
            "key.pem");
  EXPECT_EQ(
      ErrorOf(Replace(kMnist, "subPath : null", "subPath : k")),
      "p.yaml, line 29: nodes[0].slnodedef.identity[0].attribute.subPath is 1 character long; expected a "
      "string of 2..240 characters");
  EXPECT_EQ(
      ErrorOf(Replace(kMnist, "            - attribute :\n", "            - attr :\n")),
      "p.yaml, line 24: nodes[0].slnodedef.identity[0].attr is not allowed; an identity item has only the "
      "keys attribute");
  EXPECT_EQ(ErrorOf(Replace(kMinimal, "identity: []", "identity: ~")),
            "p.yaml, line 12: nodes[0].slnodedef.identity is null; expected a list");
}

TEST(ProfileTest, ChecksNodeValues) {
  EXPECT_EQ(ErrorOf(Replace(kMnist, "idx : 0", "idx : -1")),
            "p.yaml, line 22: nodes[0].slnodedef.idx is -1; expected an integer >= 0");
  EXPECT_EQ(ErrorOf(Replace(kMnist, "idx : 0", "idx : first")),
            "p.yaml, line 22: nodes[0].slnodedef.idx is 'first'; expected an integer >= 0");
  EXPECT_EQ(ErrorOf(Replace(kMnist, "slport : 16000", "slport : 16000x")),
            "p.yaml, line 32: nodes[0].slnodedef.slport is '16000x'; expected an integer >= 0");
  EXPECT_EQ(ErrorOf(Replace(kMnist, "slhostname : sl1", "slhostname : s")),
            "p.yaml, line 30: nodes[0].slnodedef.slhostname is 1 character long; expected a string of 2..240 "
            "characters");
  EXPECT_EQ(
      ErrorOf(Replace(kMnist, "slhostip   : 172.1.1.1", "slhostip   : [1]")),
      "p.yaml, line 31: nodes[0].slnodedef.slhostip is a list; expected ~ or a string of 2..240 characters");
  EXPECT_EQ(
      ErrorOf(Replace(kMnist, "usrhostname : user1", "usrhostname : u")),
      "p.yaml, line 33: nodes[0].slnodedef.usrhostname is 1 character long; expected a string of 2..240 "
      "characters");
  EXPECT_EQ(
      ErrorOf(Replace(kMinimal, "        usrenvvars: ~", "        usrenvvars: ~\n        slfsservice: f")),
      "p.yaml, line 18: nodes[0].slnodedef.slfsservice is 1 character long; expected a string of 2..253 "
      "characters");
  EXPECT_EQ(ErrorOf(Replace(kMnist, "            mType : BIND\n        slenvvars",
                            "            mType : NFS\n        slenvvars")),
            "p.yaml, line 36: nodes[0].slnodedef.privatedata.mType is 'NFS'; expected one of BIND, VOLUME");
  EXPECT_EQ(
      ErrorOf(Replace(kMnist, "            mType : BIND\n        slenvvars", "        slenvvars")),
      "p.yaml, line 34: nodes[0].slnodedef.privatedata.mType is missing; a privatedata requires src, mType");
  EXPECT_EQ(
      ErrorOf(Replace(kMinimal, "privatedata: ~", "privatedata: /data")),
      "p.yaml, line 14: nodes[0].slnodedef.privatedata is '/data'; expected ~ or a map with the keys src, "
      "mType");
  EXPECT_EQ(
      ErrorOf(Replace(kMnist, "slenvvars : null", "slenvvars : {A: 1}")),
      "p.yaml, line 37: nodes[0].slnodedef.slenvvars is a map; expected ~ or a list of KEY: value maps");
  EXPECT_EQ(
      ProfileOf(Replace(kMnist, "slenvvars : null", "slenvvars : [swarm_node_type : sl]")).nodes[0].slenvvars,
      (std::vector<KeyValue>{{"swarm_node_type", "sl"}}));
}

TEST(ProfileTest, IdxIsUniqueInTheProfile) {
  const std::string node =
      "    - slnodedef:\n        idx: 0\n        identity: []\n        slhostname: ~\n"
      "        privatedata: ~\n        slenvvars: ~\n        usrhostname: ~\n        usrenvvars: ~\n";
  const std::string two = std::string(kMinimal) + Replace(node, "idx: 0", "idx: 1");
  EXPECT_EQ(ProfileOf(two).nodes.size(), 2u);
  EXPECT_EQ(
      ErrorOf(two + Replace(node, "idx: 0", "idx: 1")),
      "p.yaml, line 27: nodes[2].slnodedef.idx is 1, the same as nodes[1]; expected an idx unique in the "
      "profile");
}

TEST(ProfileTest, ReadsLabelsAndOptions) {
  const std::string_view last = "        usrenvvars: ~\n";
  SwopProfile p = ProfileOf(Replace(kMinimal, last,
                                    "        usrenvvars: ~\n"
                                    "        sllabels: {spiffe: sl, tier: ~}\n"
                                    "        usrlabels: [gpu, fast]\n"
                                    "        usrcontaineropts:\n"
                                    "            - device : [\"/dev/kfd\", \"/dev/dri\"]\n"
                                    "            - privileged : True\n"
                                    "        usrnetworkopts: ~\n"));
  const SlNodeDef& node = p.nodes[0];
  EXPECT_EQ(node.sllabels, (std::vector<KeyValue>{{"spiffe", "sl"}, {"tier", "", true}}));
  EXPECT_EQ(node.usrlabels, (std::vector<KeyValue>{{"gpu", "", true}, {"fast", "", true}}));
  EXPECT_EQ(node.usrcontaineropts,
            (std::vector<KeyValue>{{"device", "[/dev/kfd, /dev/dri]"}, {"privileged", "True"}}));
  EXPECT_TRUE(node.usrnetworkopts.empty());
  EXPECT_EQ(ContainerOnlyFieldsSet(p),
            (std::vector<std::string>{"nodes[0].slnodedef.sllabels", "nodes[0].slnodedef.usrlabels",
                                      "nodes[0].slnodedef.usrcontaineropts"}));
  EXPECT_EQ(
      ErrorOf(Replace(kMinimal, last, "        usrenvvars: ~\n        sllabels: sl\n")),
      "p.yaml, line 18: nodes[0].slnodedef.sllabels is 'sl'; expected ~, a map of labels or a list of label "
      "names");
  EXPECT_EQ(
      ErrorOf(Replace(kMinimal, last, "        usrenvvars: ~\n        sllabels: {a: [1]}\n")),
      "p.yaml, line 18: nodes[0].slnodedef.sllabels.a is a list; expected a label value (a string or ~)");
  EXPECT_EQ(
      ErrorOf(Replace(kMinimal, last, "        usrenvvars: ~\n        usrlabels: [a, ~]\n")),
      "p.yaml, line 18: nodes[0].slnodedef.usrlabels[1] is null; expected a string of at least 1 character");
}

TEST(ProfileTest, ChecksDns) {
  EXPECT_TRUE(ProfileOf(std::string(kMinimal) + "dns: ~\n").dns.empty());
  EXPECT_EQ(ErrorOf(std::string(kMinimal) + "dns: [10.0.0.1, '']\n"),
            "p.yaml, line 18: dns[1] is empty; expected a string of 1..253 characters");
  EXPECT_EQ(ErrorOf(std::string(kMinimal) + "dns: 10.0.0.1\n"),
            "p.yaml, line 18: dns is '10.0.0.1'; expected ~ or a list");
}

TEST(ProfileTest, ListsContainerOnlyFields) {
  EXPECT_EQ(ContainerOnlyFieldsSet(ProfileOf(kMnist)),
            (std::vector<std::string>{"resourcemgr.accessinfo", "network",
                                      "nodes[0].slnodedef.identity[0].attribute.tgt",
                                      "nodes[0].slnodedef.slhostname", "nodes[0].slnodedef.usrhostname"}));
  auto proxy = ParseProfileFile(kTestdata / "reverse_proxy_profile.yaml");
  ASSERT_TRUE(proxy.ok()) << proxy.status().ToString();
  const std::vector<std::string> fields = ContainerOnlyFieldsSet(*proxy);
  const std::vector<std::string> node1 = {"nodes[1].slnodedef.identity[0].attribute.tgt",
                                          "nodes[1].slnodedef.identity[1].attribute.tgt",
                                          "nodes[1].slnodedef.identity[2].attribute.tgt",
                                          "nodes[1].slnodedef.slhostname",
                                          "nodes[1].slnodedef.slnetworkopts",
                                          "nodes[1].slnodedef.usrhostname",
                                          "nodes[1].slnodedef.usrnetworkopts"};
  ASSERT_EQ(fields.size(), 2 + 2 * node1.size());  // dns is not among them: the SWOP applies it
  EXPECT_EQ(std::vector<std::string>(fields.begin(), fields.begin() + 2),
            (std::vector<std::string>{"resourcemgr.accessinfo", "network"}));
  EXPECT_EQ(std::vector<std::string>(fields.end() - node1.size(), fields.end()), node1);
  const SwopProfile sub = ProfileOf(Replace(kMnist, "subPath : null", "subPath : key.pem"));
  EXPECT_EQ(ContainerOnlyFieldsSet(sub)[3], "nodes[0].slnodedef.identity[0].attribute.subPath");
}

}  // namespace
}  // namespace swarm::swop
