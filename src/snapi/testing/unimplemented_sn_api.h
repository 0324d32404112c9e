#pragma once

// A base for SN API test doubles: every call answers UNIMPLEMENTED, naming the call, so a
// test overrides only the calls the code under test makes (and an unexpected call shows).

#include <string>

#include "snapi/sn_api.h"

namespace swarm::snapi::testing {

class UnimplementedSnApi : public SnApi {
 public:
  std::string target() const override { return "127.0.0.1:30304"; }
  Status Health() override { return No("Health"); }
  StatusOr<uint64_t> Submit(std::vector<swarm::v1::Transaction>) override { return No("Submit"); }
  Status KeepAlive(const std::string&) override { return No("KeepAlive"); }
  StatusOr<swarm::v1::ListNodesResponse> ListNodes() override { return No("ListNodes"); }
  StatusOr<swarm::v1::VersionInfo> GetVersion() override { return No("GetVersion"); }
  StatusOr<swarm::v1::ListContractsResponse> ListContracts() override { return No("ListContracts"); }
  StatusOr<swarm::v1::ContractInfo> GetContract(const std::string&) override { return No("GetContract"); }
  StatusOr<swarm::v1::TrainingInfo> GetTraining(const std::string&) override { return No("GetTraining"); }
  Status ReportProgress(const swarm::v1::Progress&) override { return No("ReportProgress"); }
  StatusOr<swarm::v1::ListProgressResponse> ListProgress(const std::string&) override { return No("ListProgress"); }
  StatusOr<swarm::v1::TaskInfo> GetTask(const std::string&) override { return No("GetTask"); }
  StatusOr<swarm::v1::ListTasksResponse> ListTasks() override { return No("ListTasks"); }
  StatusOr<swarm::v1::TaskRunnerInfo> GetTaskRunner(const std::string&) override { return No("GetTaskRunner"); }
  StatusOr<swarm::v1::ListTaskRunnersResponse> ListTaskRunners() override { return No("ListTaskRunners"); }
  StatusOr<swarm::v1::JoinResponse> Join(const swarm::v1::JoinRequest&) override { return No("Join"); }
  StatusOr<swarm::v1::VerifyResponse> Verify() override { return No("Verify"); }
  StatusOr<swarm::v1::ListBlocksResponse> ListBlocks(uint32_t, uint64_t) override { return No("ListBlocks"); }

 private:
  static Status No(const char* call) { return Unimplemented(std::string(call) + " is not used by this test"); }
};

}  // namespace swarm::snapi::testing
