#include "swop/run_swarm_spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "swop/sl_command_line.h"

namespace swarm::swop {
namespace {
namespace fs = std::filesystem;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

class RunSwarmSpecTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("spec-test-" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_ / "usr" / "model");
    fs::create_directories(root_ / "private");
    profile_.groupname = "demo";
    profile_.envvars = {{"SL_LOG_LEVEL", "INFO", false}, {"http_proxy", "", true}};
    node_.idx = 1;
    node_.identity = {{"KEY", "BIND", "cert/sl-1-key.pem", "/swarm-cert/k", {}},
                      {"CERT", "BIND", "/abs/sl-1-cert.pem", "/swarm-cert/c", {}},
                      {"CAPATH", "BIND", "/abs/capath", "/swarm-cert/capath", {}}};
    node_.slhostip = "10.1.1.1";
    node_.slport = 16000;
    node_.usrhostname = "user2";
    node_.privatedata = PrivateData{(root_ / "private").string(), "BIND"};
    node_.slenvvars = {{"SL_LOG_LEVEL", "DEBUG", false}};
    node_.usrenvvars = {{"MAX_EPOCHS", "5", false}};
    body_.command = "model/mnist.py --x 'a b'";
    body_.entrypoint = "python3";
    body_.working_dir = "/tmp/test";
    body_.envvars = {{"DATA_DIR", "app-data", false}, {"MAX_EPOCHS", "2", false}};
    body_.private_content = "/tmp/test/app-data";
    body_.shared_content = {{"model", "/tmp/test/model", "BIND"}};
    env_.profile = &profile_;
    env_.swop_uid = "swop-1";
    env_.usr_dir = root_ / "usr";
    env_.data_dir = root_ / "data";
    env_.swarm_bin = "/bin/swarm";
    env_.sn_endpoints = "127.0.0.1:30304";
  }
  void TearDown() override { fs::remove_all(root_); }
  StatusOr<SlLaunchSpec> Spec() {
    std::string a = "PATH=/bin", b = "http_proxy=http://p", c = "SL_LOG_LEVEL=WARNING";
    char* environ_[] = {a.data(), b.data(), c.data(), nullptr};
    return RunSwarmSpec(body_, task_, node_, env_, environ_);
  }
  fs::path root_;
  SwopProfile profile_;
  SlNodeDef node_;
  taskdef::RunSwarmBody body_;
  swarm::v1::TaskInfo task_;
  TaskEnv env_;
};

TEST_F(RunSwarmSpecTest, MapsProfileNodeAndTaskBody) {
  auto s = Spec();
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->host_ip, "10.1.1.1");
  EXPECT_EQ(s->fs_port, 16000);
  EXPECT_EQ(s->sn_endpoints, "127.0.0.1:30304");
  EXPECT_EQ(s->tls.key, root_ / "usr" / "cert/sl-1-key.pem");  // relative: against --usr-dir
  EXPECT_EQ(s->tls.cert, fs::path("/abs/sl-1-cert.pem"));
  EXPECT_EQ(s->tls.capath, fs::path("/abs/capath"));
  EXPECT_EQ(s->data_dir, root_ / "data" / "demo" / "sl-1");
  EXPECT_EQ(s->parent_uid, "swop-1");
  EXPECT_EQ(s->ml_name, "user2");
  // SL: the SWOP's environment, then envvars, then slenvvars; ~ removes.
  EXPECT_THAT(s->sl_env, ElementsAre("PATH=/bin", "SL_LOG_LEVEL=DEBUG"));
  // ML: the task's Envvars, then usrenvvars.
  EXPECT_THAT(s->ml_env, ElementsAre("DATA_DIR=app-data", "MAX_EPOCHS=5"));
  EXPECT_THAT(s->command, ElementsAre("model/mnist.py", "--x", "a b"));
  ASSERT_EQ(s->view.mounts.size(), 2u);
  EXPECT_EQ(s->view.mounts[0].source, root_ / "private");
  EXPECT_EQ(s->view.mounts[0].target, fs::path("/tmp/test/app-data"));
  EXPECT_EQ(s->view.mounts[1].source, root_ / "usr" / "model");
  EXPECT_EQ(s->view.working_dir, fs::path("/tmp/test"));
}

// WITH N PEERS becomes the SLs' start quorum, unless the SWOP's environment or the profile
// says otherwise.
TEST_F(RunSwarmSpecTest, TheAssignmentsPeersAreTheStartQuorumUnlessTheProfileSetsOne) {
  env_.sl_peers_needed = 4;
  EXPECT_THAT(Spec()->sl_env, ElementsAre("PATH=/bin", "SL_LOG_LEVEL=DEBUG", "SL_START_QUORUM=4"));
  node_.slenvvars.push_back({"SL_START_QUORUM", "2", false});
  EXPECT_THAT(Spec()->sl_env, Contains("SL_START_QUORUM=2"));
  EXPECT_THAT(Spec()->sl_env, Not(Contains("SL_START_QUORUM=4")));
  node_.slenvvars.pop_back();
  std::string a = "SL_START_QUORUM=3";
  char* own[] = {a.data(), nullptr};
  EXPECT_THAT(RunSwarmSpec(body_, task_, node_, env_, own)->sl_env, ElementsAre("SL_START_QUORUM=3", "SL_LOG_LEVEL=DEBUG"));
  env_.sl_peers_needed = 0;
  EXPECT_THAT(Spec()->sl_env, ElementsAre("PATH=/bin", "SL_LOG_LEVEL=DEBUG"));
}

TEST_F(RunSwarmSpecTest, TheProfilesApiServerWinsOverTheSwopsSn) {
  profile_.apisrv.locator.host = "sn1.example";
  profile_.apisrv.locator.port = 16001;
  EXPECT_EQ(Spec()->sn_endpoints, "sn1.example:16001");
  profile_.apisrv.locator.port.reset();
  EXPECT_EQ(Spec()->sn_endpoints, "sn1.example:30304");
}

// HPE's reverse-proxy profile: the SN by apisrv.locator.service, each SL's file server by
// slfsservice, and the profile's dns for the SL and its program.
TEST_F(RunSwarmSpecTest, ServicesAndDnsComeFromTheProfile) {
  profile_.apisrv.locator.host = "10.0.0.9";
  profile_.apisrv.locator.service = "api.sn-1.swarm";
  node_.slfsservice = "fs.sl-1.swarm";
  node_.slhostip.reset();
  profile_.dns = {"10.0.0.53", "10.0.0.54"};
  auto s = Spec();
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->sn_endpoints, "api.sn-1.swarm:443");  // the service wins over host
  EXPECT_EQ(s->fs_service, "fs.sl-1.swarm:443");
  EXPECT_EQ(s->host_ip, "");  // no --host-ip: the SL listens on every interface for the proxy
  EXPECT_THAT(s->dns, ElementsAre("10.0.0.53", "10.0.0.54"));
  const std::vector<std::string> argv = SlCommandLine(*s, {"python3"});
  EXPECT_THAT(argv, Contains("--sl-fs-service=fs.sl-1.swarm:443"));
  EXPECT_THAT(argv, Contains("--sn-ip=api.sn-1.swarm:443"));
  for (const std::string& a : argv) EXPECT_FALSE(a.starts_with("--host-ip")) << a;

  node_.slhostip = "10.1.1.1";
  node_.slfsservice = "fs.sl-1.swarm:8443";
  EXPECT_EQ(Spec()->fs_service, "fs.sl-1.swarm:8443");
  EXPECT_EQ(Spec()->host_ip, "10.1.1.1");
  node_.slfsservice = "10.1.1.1";
  EXPECT_THAT(Spec().status().message(),
              HasSubstr("node 1 of the profile slfsservice '10.1.1.1' is an IP address"));
  node_.slfsservice.reset();
  profile_.apisrv.locator.service = "api_sn.swarm";
  EXPECT_THAT(Spec().status().message(),
              HasSubstr("apisrv.locator.service 'api_sn.swarm': 'api_sn.swarm' is not a DNS name"));
}

TEST_F(RunSwarmSpecTest, RefusalsNameWhatIsMissing) {
  body_.shared_content[0].src = (root_ / "gone").string();
  EXPECT_THAT(Spec().status().message(),
              HasSubstr("SharedContent[0].Src '" + (root_ / "gone").string() + "' does not exist on this host"));
  body_.shared_content[0] = {"mnist-content", "/tmp/test/model", "VOLUME"};
  EXPECT_THAT(Spec().status().message(),
              HasSubstr("names the content 'mnist-content', which this SWOP does not have"));
  fs::create_directories(*ContentDir(env_, "mnist-content"));
  body_.shared_content[0] = {"..", "/tmp/test/model", "VOLUME"};
  EXPECT_THAT(Spec().status().message(), HasSubstr("content name '..' must be a relative path"));
  body_.shared_content[0] = {"/etc", "/tmp/test/model", "VOLUME"};
  EXPECT_THAT(Spec().status().message(), HasSubstr("must be a plain name"));
  body_.shared_content[0] = {"mnist-content", "/tmp/test/model", "VOLUME"};
  EXPECT_TRUE(Spec().ok());
  node_.privatedata.reset();
  EXPECT_THAT(Spec().status().message(), HasSubstr("node 1 of the profile has no privatedata"));
  node_.privatedata = PrivateData{(root_ / "private").string(), "BIND"};
  node_.identity.pop_back();
  EXPECT_THAT(Spec().status().message(), HasSubstr("no identity attribute of aType CAPATH"));
  node_.identity.push_back({"SPIFFE_SOCKETPATH", "BIND", "/run/spire.sock", "/s", {}});
  EXPECT_THAT(Spec().status().message(), HasSubstr("SPIFFE_SOCKETPATH"));
}

}  // namespace
}  // namespace swarm::swop
