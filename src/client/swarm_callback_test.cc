#include "client/swarm_callback.h"

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "swarm/v1/sl.grpc.pb.h"

namespace swarm {
namespace {

// An SL of a later release: it answers Hello with another API version.
class OtherVersionSl final : public swarm::v1::SwarmLearning::Service {
  grpc::Status Hello(grpc::ServerContext*, const swarm::v1::HelloRequest*,
                     swarm::v1::HelloResponse* out) override {
    out->set_api_version(99);
    out->set_uid("other");
    return grpc::Status::OK;
  }
};

TEST(SwarmCallbackTest, RefusesAnSlOfAnotherApiVersionNamingBothVersions) {
  ::unsetenv("SWARM_LOOPBACK");
  char tmpl[] = "/tmp/swarm_callback_test_XXXXXX";
  const std::filesystem::path dir = ::mkdtemp(tmpl);
  const std::string socket = (dir / "sl.sock").string();
  OtherVersionSl service;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("unix:" + socket, grpc::InsecureServerCredentials());
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);

  SwarmCallbackOptions o;
  o.sync_frequency = 1;
  o.min_peers = 1;
  o.socket = socket;
  o.logger = [](LogLevel, const std::string&) {};
  float w[2] = {};
  auto cb = SwarmCallback::Create(o, [&] { return std::vector<ParameterView>{{"w", DType::kF32, {2}, w}}; });
  ASSERT_TRUE(cb.ok()) << cb.status().ToString();
  const Status s = (*cb)->on_train_begin();
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(),
              ::testing::HasSubstr("the SL speaks API version 99, this client speaks version 1"));
  server->Shutdown();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace swarm
