// The task registry on its own: pure transitions on a State, no etcd.

#include "ledger/tasks.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ledger/contracts.h"
#include "ledger/views.h"

namespace swarm::ledger {
namespace {
using pki::Role;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const pki::PeerIdentity kSwci{Role::kSwci, "swci-1", "fp-swci-1"};
const pki::PeerIdentity kSwop{Role::kSwop, "swop-1", "fp-swop-1"};

// A PULL_IMAGE body that validates, line by line as SWCI appends it.
const std::vector<std::string> kPullBody = {"Tag: 2.7.0", "RepoName: tensorflow-tensorflow",
                                            "OrgAndReg: hub.docker.hpecorp.net/hub/", "Auth: ~"};

swarm::v1::Transaction CreateTx(const std::string& name, const std::string& type = "PULL_IMAGE",
                                const std::string& prereq = kRootTask, const std::string& author = "HPE-TEST",
                                const std::string& outcome = "tf-2.7.0") {
  swarm::v1::Transaction tx;
  auto* c = tx.mutable_create_task();
  c->set_name(name);
  c->set_type(type);
  c->set_author(author);
  c->set_prereq(prereq);
  c->set_outcome(outcome);
  return tx;
}

swarm::v1::Transaction AppendTx(const std::string& name, uint32_t idx, const std::string& line) {
  swarm::v1::Transaction tx;
  auto* a = tx.mutable_append_task_body();
  a->set_name(name);
  a->set_idx(idx);
  a->set_line(line);
  return tx;
}

swarm::v1::Transaction FinalizeTx(const std::string& name) {
  swarm::v1::Transaction tx;
  tx.mutable_finalize_task()->set_name(name);
  return tx;
}

swarm::v1::Transaction DeleteTx(const std::string& name) {
  swarm::v1::Transaction tx;
  tx.mutable_delete_task()->set_name(name);
  return tx;
}

class TasksTest : public ::testing::Test {
 protected:
  // Applies `tx` as the next block's, stamped 1000 ms per block.
  Status Run(swarm::v1::Transaction tx, const pki::PeerIdentity& who = kSwci) {
    ++height_;
    tx.set_timestamp_unix_ms(1000 * height_);
    return Apply(state_, tx, who, height_);
  }
  void Ok(const swarm::v1::Transaction& tx) {
    Status s = Run(tx);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  // Applies `tx`, expecting a refusal with `code` and `words`, and checks nothing changed.
  void ExpectRefused(const swarm::v1::Transaction& tx, StatusCode code, const std::string& words,
                     const pki::PeerIdentity& who = kSwci) {
    std::string before;
    for (const auto& [name, t] : state_.tasks) before += TaskInfoOf(t, true).SerializeAsString();
    Status s = Run(tx, who);
    EXPECT_EQ(s.code(), code) << s.ToString();
    EXPECT_THAT(s.message(), HasSubstr(words));
    std::string after;
    for (const auto& [name, t] : state_.tasks) after += TaskInfoOf(t, true).SerializeAsString();
    EXPECT_EQ(after, before);
  }
  // Creates `name` with kPullBody and finalizes it.
  void CreateFinalized(const std::string& name, const std::string& prereq = kRootTask) {
    Ok(CreateTx(name, "PULL_IMAGE", prereq));
    for (size_t i = 0; i < kPullBody.size(); ++i)
      Ok(AppendTx(name, static_cast<uint32_t>(i + 1), kPullBody[i]));
    Ok(FinalizeTx(name));
  }
  const Task& T(const std::string& name) { return state_.tasks.at(name); }

  State state_ = State::Genesis();
  uint64_t height_ = 0;
};

TEST_F(TasksTest, RootTaskExistsFromTheStartFinalizedAndEmpty) {
  const State s = State::Genesis();
  ASSERT_EQ(s.tasks.count(kRootTask), 1u);
  const Task& root = s.tasks.at(kRootTask);
  EXPECT_EQ(root.name, "ROOTTASK");
  EXPECT_TRUE(root.finalized);
  EXPECT_EQ(root.type, "");
  EXPECT_EQ(root.author, "-");
  EXPECT_TRUE(root.body.empty());
  EXPECT_EQ(root.created.height, 0u);
}

TEST_F(TasksTest, RootTaskCannotBeModifiedFinalizedDeletedOrCreated) {
  ExpectRefused(AppendTx(kRootTask, 1, "Tag: x"), StatusCode::kFailedPrecondition,
                "task 'ROOTTASK' is finalized; a finalized task cannot be modified");
  ExpectRefused(FinalizeTx(kRootTask), StatusCode::kFailedPrecondition, "task 'ROOTTASK' is finalized");
  ExpectRefused(DeleteTx(kRootTask), StatusCode::kFailedPrecondition,
                "task 'ROOTTASK' is finalized; a finalized task cannot be deleted");
  ExpectRefused(CreateTx(kRootTask), StatusCode::kAlreadyExists, "task 'ROOTTASK' already exists");
}

TEST_F(TasksTest, SwciCreatesATaskWithItsHeaderAndWhenAndByWhom) {
  Ok(CreateTx("pull-tf", "PULL_IMAGE", kRootTask, "HPE-TEST", "tf-2.7.0"));
  const Task& t = T("pull-tf");
  EXPECT_EQ(t.type, "PULL_IMAGE");
  EXPECT_EQ(t.author, "HPE-TEST");
  EXPECT_EQ(t.prereq, "ROOTTASK");
  EXPECT_EQ(t.outcome, "tf-2.7.0");
  EXPECT_FALSE(t.finalized);
  EXPECT_TRUE(t.body.empty());
  EXPECT_EQ(t.creator, "fp-swci-1");
  EXPECT_EQ(t.created.height, 1u);
  EXPECT_EQ(t.created.unix_ms, 1000);
  // Free strings may hold anything.
  Ok(CreateTx("run", "RUN_SWARM", kRootTask, "Jane Doe <jd@example.com>", "a model: mnist"));
  for (const char* type : {"MAKE_SWARM_USER_CONTENT", "MAKE_USER_CONTAINER"}) Ok(CreateTx(type, type));
}

TEST_F(TasksTest, CreateTaskRefusalsSayWhatWasExpected) {
  ExpectRefused(CreateTx("t"), StatusCode::kPermissionDenied,
                "CREATE TASK t refused: only SWCI may do this, and 'swop-1' (role swop) is not SWCI", kSwop);
  ExpectRefused(CreateTx(""), StatusCode::kInvalidArgument, "task name must be 1 to 160 characters; got 0");
  ExpectRefused(CreateTx(std::string(161, 'a')), StatusCode::kInvalidArgument,
                "task name must be 1 to 160 characters; got 161");
  ExpectRefused(CreateTx("my task"), StatusCode::kInvalidArgument,
                "task name 'my task' has the character ' '; expected letters, digits and . _ -");
  ExpectRefused(CreateTx("t", "BUILD_THINGS"), StatusCode::kInvalidArgument,
                "task type is 'BUILD_THINGS'; expected one of RUN_SWARM, MAKE_SWARM_USER_CONTENT, "
                "MAKE_USER_CONTAINER, PULL_IMAGE");
  ExpectRefused(CreateTx("t", "PULL_IMAGE", kRootTask, ""), StatusCode::kInvalidArgument,
                "task author is empty; expected a string of 1..160 characters");
  ExpectRefused(CreateTx("t", "PULL_IMAGE", kRootTask, std::string(161, 'x')), StatusCode::kInvalidArgument,
                "task author");
  ExpectRefused(CreateTx("t", "PULL_IMAGE", kRootTask, "me", ""), StatusCode::kInvalidArgument,
                "task outcome is empty; expected a string of 1..160 characters");
  ExpectRefused(CreateTx("t", "PULL_IMAGE", ""), StatusCode::kInvalidArgument,
                "task 't' needs a prereq: a finalized task, or ROOTTASK");
  ExpectRefused(CreateTx("t", "PULL_IMAGE", "ghost"), StatusCode::kNotFound,
                "prereq 'ghost' of task 't' is not a task; expected a finalized task or ROOTTASK");
  Ok(CreateTx("draft"));
  ExpectRefused(CreateTx("t", "PULL_IMAGE", "draft"), StatusCode::kFailedPrecondition,
                "prereq 'draft' of task 't' is not finalized; FINALIZE TASK draft first");
  ExpectRefused(CreateTx("draft"), StatusCode::kAlreadyExists,
                "task 'draft' already exists; task names are unique");
  EXPECT_TRUE(Run(CreateTx(std::string(160, 'a'))).ok());
}

TEST_F(TasksTest, AFinalizedTaskCanBeAPrereq) {
  CreateFinalized("pull-tf");
  Ok(CreateTx("run", "RUN_SWARM", "pull-tf"));
  EXPECT_EQ(T("run").prereq, "pull-tf");
}

TEST_F(TasksTest, AppendSetsOrOverwritesALineAndExtendsTheBodyWithEmptyLines) {
  Ok(CreateTx("t"));
  Ok(AppendTx("t", 1, "Tag: 2.6"));
  Ok(AppendTx("t", 4, "Auth: ~"));
  EXPECT_THAT(T("t").body, ElementsAre("Tag: 2.6", "", "", "Auth: ~"));
  Ok(AppendTx("t", 1, "Tag: 2.7.0"));  // overwrite
  Ok(AppendTx("t", 2, "RepoName: tensorflow-tensorflow"));
  Ok(AppendTx("t", 3, "OrgAndReg: hub.docker.hpecorp.net/hub/"));
  EXPECT_EQ(T("t").body, kPullBody);
  Ok(AppendTx("t", 3, ""));  // a line may be emptied again
  EXPECT_EQ(T("t").body[2], "");
}

TEST_F(TasksTest, AppendRefusalsSayWhatWasExpected) {
  ExpectRefused(AppendTx("ghost", 1, "x"), StatusCode::kNotFound,
                "no task named 'ghost'; LIST TASKS shows the tasks there are");
  Ok(CreateTx("t"));
  ExpectRefused(AppendTx("t", 1, "Tag: 1"), StatusCode::kPermissionDenied,
                "APPEND TASK BODY t refused: only SWCI", kSwop);
  ExpectRefused(AppendTx("t", 0, "Tag: 1"), StatusCode::kInvalidArgument,
                "body line number must be 1 to 10000; got 0");
  ExpectRefused(AppendTx("t", kMaxTaskBodyLines + 1, "Tag: 1"), StatusCode::kInvalidArgument, "got 10001");
  ExpectRefused(AppendTx("t", 1, std::string(85, 'x')), StatusCode::kInvalidArgument,
                "APPEND TASK BODY t 1 refused: the body line is 85 characters long; expected fewer than 80");
  ExpectRefused(AppendTx("t", 2, "Tag: 1\nAuth: ~"), StatusCode::kInvalidArgument,
                "APPEND TASK BODY t 2 refused: the body line");
  Ok(AppendTx("t", kMaxTaskBodyLines, "# the last line there may be"));
}

TEST_F(TasksTest, FinalizeValidatesTheBodyWithItsTypesSchemaAndFreezesTheTask) {
  Ok(CreateTx("t"));
  ExpectRefused(FinalizeTx("t"), StatusCode::kInvalidArgument, "task 't'");  // no body yet
  Ok(AppendTx("t", 1, "Tag: 2.7.0"));
  Ok(AppendTx("t", 2, "RepoName: tensorflow-tensorflow"));
  Ok(AppendTx("t", 3, "OrgAndReg: hub.docker.hpecorp.net/hub/"));
  Ok(AppendTx("t", 4, "Auth: ~"));
  Ok(AppendTx("t", 5, "Command: model/mnist_tf.py"));  // a RUN_SWARM key in a PULL_IMAGE body
  ExpectRefused(FinalizeTx("t"), StatusCode::kInvalidArgument, "task 't', line 5: Body");
  ExpectRefused(FinalizeTx("t"), StatusCode::kPermissionDenied, "FINALIZE TASK t refused: only SWCI", kSwop);
  ExpectRefused(FinalizeTx("ghost"), StatusCode::kNotFound, "no task named 'ghost'");
  Ok(AppendTx("t", 5, ""));
  Ok(FinalizeTx("t"));
  EXPECT_TRUE(T("t").finalized);
  EXPECT_EQ(T("t").finalized_at.height, static_cast<uint64_t>(height_));
  EXPECT_EQ(T("t").finalized_at.unix_ms, 1000 * static_cast<int64_t>(height_));
  ExpectRefused(AppendTx("t", 1, "Tag: 2.8.0"), StatusCode::kFailedPrecondition,
                "task 't' is finalized; a finalized task cannot be modified");
  ExpectRefused(FinalizeTx("t"), StatusCode::kFailedPrecondition,
                "task 't' is finalized; a finalized task cannot be finalized again");
  ExpectRefused(DeleteTx("t"), StatusCode::kFailedPrecondition,
                "task 't' is finalized; a finalized task cannot be deleted");
}

TEST_F(TasksTest, EachTaskTypeIsCheckedAgainstItsOwnBodyFormat) {
  Ok(CreateTx("run", "RUN_SWARM"));
  for (size_t i = 0; i < kPullBody.size(); ++i)
    Ok(AppendTx("run", static_cast<uint32_t>(i + 1), kPullBody[i]));
  ExpectRefused(FinalizeTx("run"), StatusCode::kInvalidArgument, "task 'run'");
  EXPECT_FALSE(T("run").finalized);
}

TEST_F(TasksTest, OnlyATaskNotFinalizedCanBeDeletedAndItsNameIsFreeAgain) {
  Ok(CreateTx("t", "RUN_SWARM"));
  Ok(AppendTx("t", 1, "Command: x"));
  ExpectRefused(DeleteTx("t"), StatusCode::kPermissionDenied, "DELETE TASK t refused: only SWCI", kSwop);
  ExpectRefused(DeleteTx("ghost"), StatusCode::kNotFound, "no task named 'ghost'");
  Ok(DeleteTx("t"));
  EXPECT_EQ(state_.tasks.count("t"), 0u);
  Ok(CreateTx("t"));
  EXPECT_TRUE(T("t").body.empty());
}

TEST_F(TasksTest, TaskInfoShowsTheHeaderAndTheBodyOnlyWhenAskedFor) {
  CreateFinalized("pull-tf");
  const swarm::v1::TaskInfo info = TaskInfoOf(T("pull-tf"), true);
  EXPECT_EQ(info.name(), "pull-tf");
  EXPECT_EQ(info.type(), "PULL_IMAGE");
  EXPECT_EQ(info.author(), "HPE-TEST");
  EXPECT_EQ(info.prereq(), "ROOTTASK");
  EXPECT_EQ(info.outcome(), "tf-2.7.0");
  EXPECT_THAT(info.body(), ElementsAre(kPullBody[0], kPullBody[1], kPullBody[2], kPullBody[3]));
  EXPECT_TRUE(info.finalized());
  EXPECT_EQ(info.created_height(), 1u);
  EXPECT_EQ(info.created_unix_ms(), 1000);
  EXPECT_EQ(info.finalized_height(), 6u);
  EXPECT_EQ(info.finalized_unix_ms(), 6000);
  EXPECT_EQ(info.creator_fingerprint(), "fp-swci-1");
  EXPECT_EQ(TaskInfoOf(T("pull-tf"), false).body_size(), 0);
}

}  // namespace
}  // namespace swarm::ledger
