#include "taskdef/task_def.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace swarm::taskdef {
namespace {

const std::filesystem::path kTestdata = SWARM_TASKDEF_TESTDATA;

// HPE's MNIST RUN_SWARM task, as its users write it.
constexpr std::string_view kRunTask = R"(Name: swarm_mnist_task
TaskType: RUN_SWARM
Author: HPESwarm
Prereq: user_env_tf_build_task
Outcome: swarm_mnist_task
Body:
    Command: model/mnist_tf.py
    Entrypoint: python3
    WorkingDir: /tmp/test
    Envvars: ["DATA_DIR": app-data, "MODEL_DIR": model, "MAX_EPOCHS": 2, "MIN_PEERS": 2]
    PrivateContent: /tmp/test/app-data
    SharedContent:
    -   Src: <CURRENT-PATH>/workspace/mnist/model
        Tgt: /tmp/test/model
        MType: BIND
)";

constexpr std::string_view kHeader = R"(Name: t
TaskType: %TYPE%
Author: a
Prereq: ROOTTASK
Outcome: o
Body:
)";

// `text` with its one occurrence of `from` replaced by `to`.
std::string Replace(std::string_view text, std::string_view from, std::string_view to) {
  std::string s(text);
  const size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  EXPECT_EQ(s.find(from, at + 1), std::string::npos) << from << " occurs twice";
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

// A task of `type` whose Body is `body` (lines indented by 2).
std::string Task(std::string_view type, std::string_view body) {
  return Replace(kHeader, "%TYPE%", type) + std::string(body);
}

std::string ErrorOf(std::string_view text) {
  auto def = ParseTaskYaml(text, "t.yaml");
  return def.ok() ? "OK" : def.status().message();
}

template <typename Body>
Body BodyOf(std::string_view text) {
  auto def = ParseTaskYaml(text, "t.yaml");
  EXPECT_TRUE(def.ok()) << def.status().ToString();
  if (!def.ok()) return Body();
  EXPECT_TRUE(std::holds_alternative<Body>(def->body));
  return std::holds_alternative<Body>(def->body) ? std::get<Body>(def->body) : Body();
}

constexpr std::string_view kRunBody = R"(  Command: c
  Entrypoint: e
  WorkingDir: /w
  Envvars: ~
  PrivateContent: ~
  SharedContent: ~
)";

constexpr std::string_view kContainerBody = R"(  BuildContext: ~
  BuildSteps:
  - FROM x
  BuildType: INLINE
)";

constexpr std::string_view kPullBody = R"(  Tag: t
  RepoName: r
  OrgAndReg: o
  Auth: ~
)";

constexpr std::string_view kContentBody = R"(  ContentType: SWARMCONTENT
  OpsList:
  - Operation: DOWNLOAD
    Target: http://h/x
    Options: []
)";

// ---- the guide's examples ----

TEST(TaskDefTest, AcceptsHpeRunSwarmTask) {
  auto def = ParseTaskYaml(kRunTask, "swarm_mnist_task.yaml");
  ASSERT_TRUE(def.ok()) << def.status().ToString();
  EXPECT_EQ(def->name, "swarm_mnist_task");
  EXPECT_EQ(def->type, "RUN_SWARM");
  EXPECT_EQ(def->author, "HPESwarm");
  EXPECT_EQ(def->prereq, "user_env_tf_build_task");
  EXPECT_EQ(def->outcome, "swarm_mnist_task");
  RunSwarmBody expected{
      "model/mnist_tf.py",
      "python3",
      "/tmp/test",
      {{"DATA_DIR", "app-data"}, {"MODEL_DIR", "model"}, {"MAX_EPOCHS", "2"}, {"MIN_PEERS", "2"}},
      "/tmp/test/app-data",
      {{"<CURRENT-PATH>/workspace/mnist/model", "/tmp/test/model", "BIND"}}};
  EXPECT_EQ(def->body, TaskBody(expected));
  EXPECT_EQ(TaskTypeOf(def->body), kRunSwarm);
}

TEST(TaskDefTest, AcceptsGuideRunSwarmExample) {
  auto def = ParseTaskFile(kTestdata / "swarm_mnist_task.yaml");
  ASSERT_TRUE(def.ok()) << def.status().ToString();
  EXPECT_EQ(def->author, "HPE-TEST");
  const auto& body = std::get<RunSwarmBody>(def->body);
  EXPECT_EQ(body.private_content, "/tmp/test/");
  EXPECT_EQ(body.envvars.size(), 4u);
  ASSERT_EQ(body.shared_content.size(), 1u);
  EXPECT_EQ(body.shared_content[0].mtype, "BIND");

  auto hpe = ParseTaskFile(kTestdata / "swarm_mnist_task_hpe.yaml");
  ASSERT_TRUE(hpe.ok()) << hpe.status().ToString();
  auto inline_text = ParseTaskYaml(kRunTask, "x");
  EXPECT_EQ(*hpe, *inline_text);
}

TEST(TaskDefTest, AcceptsGuideMakeUserContainerExample) {
  auto def = ParseTaskFile(kTestdata / "user_env_tf_build_task.yaml");
  ASSERT_TRUE(def.ok()) << def.status().ToString();
  EXPECT_EQ(def->type, "MAKE_USER_CONTAINER");
  EXPECT_EQ(def->prereq, kRootTask);
  EXPECT_EQ(def->outcome, "user-env-tf2.7.0-swop");
  MakeUserContainerBody expected{
      "sl-cli-lib",
      {"FROM tensorflow/tensorflow:2.7.0", " ", "RUN pip3 install --upgrade pip && pip3 install \\",
       "   keras matplotlib opencv-python pandas protobuf==3.15.6 ", " ",
       "RUN mkdir -p /tmp/hpe-swarmcli-pkg",
       "COPY swarmlearning-client-py3-none-manylinux_2_24_x86_64.whl "
       "/tmp/hpe-swarmcli-pkg/swarmlearning-client-py3-none-manylinux_2_24_x86_64.whl",
       "RUN pip3 install /tmp/hpe-swarmcli-pkg/swarmlearning-client-py3-none-manylinux_2_24_x86_64.whl"},
      "INLINE"};
  EXPECT_EQ(def->body, TaskBody(expected));
}

TEST(TaskDefTest, AcceptsGuideMakeSwarmUserContentExample) {
  auto def = ParseTaskFile(kTestdata / "download-task-mnist-local.yaml");
  ASSERT_TRUE(def.ok()) << def.status().ToString();
  EXPECT_EQ(def->name, "download-task-mnist-local");
  MakeUserContentBody expected{
      "SWARMCONTENT",
      {{"DOWNLOAD", "http://172.2.2.2:9292/mnist/model/mnist_tf.py", {{"Out", "model/mnist_tf.py"}}},
       {"DOWNLOAD", "http://172.2.2.2:9292/mnist/data/mnist.npz", {{"Out", "data/mnist.npz"}}}}};
  EXPECT_EQ(def->body, TaskBody(expected));
}

TEST(TaskDefTest, AcceptsGuidePullImageExample) {
  auto def = ParseTaskFile(kTestdata / "pull-task-tf2.yaml");
  ASSERT_TRUE(def.ok()) << def.status().ToString();
  EXPECT_EQ(def->outcome, "hub.docker.hpecorp.net/hub/tensorflow-tensorflow:2.7.0");
  PullImageBody expected{"2.7.0", "tensorflow-tensorflow", "hub.docker.hpecorp.net/hub/", std::monostate()};
  EXPECT_EQ(def->body, TaskBody(expected));
}

TEST(TaskDefTest, FileErrorsNameTheFile) {
  auto missing = ParseTaskFile("/nonexistent/task.yaml");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(),
            "cannot read task file /nonexistent/task.yaml: No such file or directory");
}

// ---- the task's own fields ----

TEST(TaskDefTest, RefusesMissingAndUnknownKeys) {
  EXPECT_EQ(ErrorOf(Replace(kRunTask, "Author: HPESwarm\n", "")),
            "t.yaml, line 1: Author is missing; a task definition requires Name, TaskType, Author, Prereq, "
            "Outcome, Body");
  EXPECT_EQ(
      ErrorOf(std::string(kRunTask) + "Extra: 1\n"),
      "t.yaml, line 16: Extra is not allowed; a task definition has only the keys Name, TaskType, Author, "
      "Prereq, Outcome, Body");
  EXPECT_EQ(ErrorOf(std::string(kRunTask) + "Name: again\n"),
            "t.yaml, line 16: Name appears twice (first on line 1); expected each key once");
  // Keys are exact: no other spelling is taken.
  EXPECT_EQ(
      ErrorOf(Replace(kRunTask, "Author:", "author:")),
      "t.yaml, line 3: author is not allowed; a task definition has only the keys Name, TaskType, Author, "
      "Prereq, Outcome, Body");
}

TEST(TaskDefTest, ChecksFreeStrings) {
  const std::string n160(160, 'n');
  EXPECT_EQ(ErrorOf(Replace(kRunTask, "Name: swarm_mnist_task", "Name: " + n160)), "OK");
  EXPECT_EQ(ErrorOf(Replace(kRunTask, "Name: swarm_mnist_task", "Name: " + n160 + "n")),
            "t.yaml, line 1: Name is 161 characters long; expected a string of 1..160 characters");
  EXPECT_EQ(ErrorOf(Replace(kRunTask, "Author: HPESwarm", "Author: ''")),
            "t.yaml, line 3: Author is empty; expected a string of 1..160 characters");
  EXPECT_EQ(ErrorOf(Replace(kRunTask, "Prereq: user_env_tf_build_task", "Prereq: ~")),
            "t.yaml, line 4: Prereq is null; expected a string of 1..160 characters");
  EXPECT_EQ(ErrorOf(Replace(kRunTask, "Outcome: swarm_mnist_task", "Outcome: [a]")),
            "t.yaml, line 5: Outcome is a list; expected a string of 1..160 characters");
  // A number is text as written; characters are counted, not bytes.
  EXPECT_EQ(ErrorOf(Replace(kRunTask, "Author: HPESwarm", "Author: 2.7")), "OK");
  std::string e160;
  for (int i = 0; i < 160; ++i) e160 += "\xC3\xA9";
  EXPECT_EQ(ErrorOf(Replace(kRunTask, "Author: HPESwarm", "Author: " + e160)), "OK");
  EXPECT_EQ(ErrorOf(Replace(kRunTask, "Author: HPESwarm", "Author: " + e160 + "e")),
            "t.yaml, line 3: Author is 161 characters long; expected a string of 1..160 characters");
}

TEST(TaskDefTest, ChecksTaskType) {
  EXPECT_EQ(ErrorOf(Replace(kRunTask, "TaskType: RUN_SWARM", "TaskType: RUN")),
            "t.yaml, line 2: TaskType is 'RUN'; expected one of RUN_SWARM, MAKE_SWARM_USER_CONTENT, "
            "MAKE_USER_CONTAINER, PULL_IMAGE");
  EXPECT_EQ(ErrorOf(Replace(kRunTask, "TaskType: RUN_SWARM", "TaskType: run_swarm")),
            "t.yaml, line 2: TaskType is 'run_swarm'; expected one of RUN_SWARM, MAKE_SWARM_USER_CONTENT, "
            "MAKE_USER_CONTAINER, PULL_IMAGE");
  EXPECT_TRUE(IsTaskType("PULL_IMAGE"));
  EXPECT_FALSE(IsTaskType("ROOTTASK"));
  EXPECT_TRUE(CheckTaskType("MAKE_USER_CONTAINER").ok());
  EXPECT_EQ(CheckTaskType("BUILD").message(),
            "task type is 'BUILD'; expected one of RUN_SWARM, MAKE_SWARM_USER_CONTENT, MAKE_USER_CONTAINER, "
            "PULL_IMAGE");
}

TEST(TaskDefTest, ChecksTheBodyAgainstItsOwnType) {
  // A RUN_SWARM body under another type: the message names the format that was expected.
  EXPECT_EQ(ErrorOf(Replace(kRunTask, "TaskType: RUN_SWARM", "TaskType: PULL_IMAGE")),
            "t.yaml, line 7: Body.Command is not allowed; a PULL_IMAGE body has only the keys Tag, RepoName, "
            "OrgAndReg, Auth");
  EXPECT_EQ(
      ErrorOf(Task("RUN_SWARM", kPullBody)),
      "t.yaml, line 7: Body.Tag is not allowed; a RUN_SWARM body has only the keys Command, Entrypoint, "
      "WorkingDir, Envvars, PrivateContent, SharedContent");
  EXPECT_EQ(ErrorOf(Task("MAKE_USER_CONTAINER", kContentBody)),
            "t.yaml, line 7: Body.ContentType is not allowed; a MAKE_USER_CONTAINER body has only the keys "
            "BuildContext, BuildSteps, BuildType");
  EXPECT_EQ(
      ErrorOf(Task("MAKE_SWARM_USER_CONTENT", kContainerBody)),
      "t.yaml, line 7: Body.BuildContext is not allowed; a MAKE_SWARM_USER_CONTENT body has only the keys "
      "ContentType, OpsList");
  EXPECT_EQ(ErrorOf(Replace(kRunTask, "    Entrypoint: python3\n", "")),
            "t.yaml, line 6: Body.Entrypoint is missing; a RUN_SWARM body requires Command, Entrypoint, "
            "WorkingDir, Envvars, PrivateContent, SharedContent");
  EXPECT_EQ(ErrorOf(Task("RUN_SWARM", " hello\n")),
            "t.yaml, line 6: Body is 'hello'; expected a RUN_SWARM body (a map with the keys Command, "
            "Entrypoint, WorkingDir, Envvars, PrivateContent, SharedContent)");
  EXPECT_EQ(ErrorOf(Replace(kHeader, "%TYPE%", "PULL_IMAGE")),
            "t.yaml, line 6: Body is null; expected a PULL_IMAGE body (a map with the keys Tag, RepoName, "
            "OrgAndReg, Auth)");
}

TEST(TaskDefTest, DocumentErrorsHaveTheirLine) {
  EXPECT_EQ(ErrorOf(""),
            "t.yaml, line 1: the document is empty; expected a task definition (a map with the keys Name, "
            "TaskType, Author, Prereq, Outcome, Body)");
  EXPECT_EQ(ErrorOf("# only a comment\n"),
            "t.yaml, line 1: the document is empty; expected a task definition (a map with the keys Name, "
            "TaskType, Author, Prereq, Outcome, Body)");
  EXPECT_EQ(ErrorOf("- a\n- b\n"),
            "t.yaml, line 1: the document is a list; expected a task definition (a map with the keys Name, "
            "TaskType, Author, Prereq, Outcome, Body)");
  EXPECT_EQ(ErrorOf(std::string(kRunTask) + "---\nName: x\n"),
            "t.yaml, line 17: a second YAML document starts here; expected one document");
  EXPECT_EQ(ErrorOf(Replace(kRunTask, "Command: model/mnist_tf.py", "Command: [model/mnist_tf.py")),
            "t.yaml, line 8: YAML syntax error: did not find expected ',' or ']' (while parsing a flow sequence started on line 7)");
  EXPECT_EQ(ErrorOf(Replace(kRunTask, "Author: HPESwarm", "Author: {HPESwarm")),
            "t.yaml, line 4: YAML syntax error: did not find expected ',' or '}' (while parsing a flow mapping started on line 3)");
  EXPECT_EQ(ErrorOf("Name: a\n  TaskType: b\n"), "t.yaml, line 2: YAML syntax error: mapping values are not allowed in this context");
}

TEST(TaskDefTest, CheckFreeStringNamesTheField) {
  EXPECT_TRUE(CheckFreeString("task name", "swarm_mnist_task").ok());
  EXPECT_TRUE(CheckFreeString("task name", std::string(160, 'x')).ok());
  const Status empty = CheckFreeString("task name", "");
  EXPECT_EQ(empty.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(empty.message(), "task name is empty; expected a string of 1..160 characters");
  EXPECT_EQ(CheckFreeString("author", std::string(161, 'x')).message(),
            "author is 161 characters long; expected a string of 1..160 characters");
}

// ---- RUN_SWARM ----

TEST(RunSwarmBodyTest, ChecksScalars) {
  EXPECT_EQ(ErrorOf(Replace(kRunTask, "Command: model/mnist_tf.py", "Command: \"\"")),
            "t.yaml, line 7: Body.Command is empty; expected a string of 1..160 characters");
  EXPECT_EQ(ErrorOf(Replace(kRunTask, "Entrypoint: python3", "Entrypoint: ~")),
            "t.yaml, line 8: Body.Entrypoint is null; expected a string of 1..160 characters");
  EXPECT_EQ(ErrorOf(Replace(kRunTask, "WorkingDir: /tmp/test", "WorkingDir: /")),
            "t.yaml, line 9: Body.WorkingDir is 1 character long; expected a string of 2..160 characters");
  EXPECT_EQ(ErrorOf(Replace(kRunTask, "WorkingDir: /tmp/test", "WorkingDir: /" + std::string(159, 'w'))),
            "OK");
  EXPECT_EQ(ErrorOf(Replace(kRunTask, "WorkingDir: /tmp/test", "WorkingDir: /" + std::string(160, 'w'))),
            "t.yaml, line 9: Body.WorkingDir is 161 characters long; expected a string of 2..160 characters");
  EXPECT_EQ(
      ErrorOf(Replace(kRunTask, "PrivateContent: /tmp/test/app-data", "PrivateContent: x")),
      "t.yaml, line 11: Body.PrivateContent is 1 character long; expected a string of 2..160 characters");
  EXPECT_EQ(ErrorOf(Replace(kRunTask, "PrivateContent: /tmp/test/app-data", "PrivateContent: {a: b}")),
            "t.yaml, line 11: Body.PrivateContent is a map; expected ~ or a string of 2..160 characters");
  auto body =
      BodyOf<RunSwarmBody>(Replace(kRunTask, "PrivateContent: /tmp/test/app-data", "PrivateContent: ~"));
  EXPECT_EQ(body.private_content, std::nullopt);
  body = BodyOf<RunSwarmBody>(Replace(kRunTask, "PrivateContent: /tmp/test/app-data", "PrivateContent:"));
  EXPECT_EQ(body.private_content, std::nullopt);
}

TEST(RunSwarmBodyTest, ReadsEnvvarsAsWritten) {
  auto body = BodyOf<RunSwarmBody>(
      Replace(kRunTask, R"(["DATA_DIR": app-data, "MODEL_DIR": model, "MAX_EPOCHS": 2, "MIN_PEERS": 2])",
              R"([A: 010, B: True, C: ~, D: "~", E: '', F: null, G: 1.5])"));
  const std::vector<KeyValue> expected = {{"A", "010"}, {"B", "True"},   {"C", "", true}, {"D", "~"},
                                          {"E", ""},    {"F", "", true}, {"G", "1.5"}};
  EXPECT_EQ(body.envvars, expected);
  body = BodyOf<RunSwarmBody>(Replace(
      kRunTask, R"(Envvars: ["DATA_DIR": app-data, "MODEL_DIR": model, "MAX_EPOCHS": 2, "MIN_PEERS": 2])",
      "Envvars:\n    - X: 1\n    - Y: two\n"));
  EXPECT_EQ(body.envvars, (std::vector<KeyValue>{{"X", "1"}, {"Y", "two"}}));
  body = BodyOf<RunSwarmBody>(Replace(
      kRunTask, R"(["DATA_DIR": app-data, "MODEL_DIR": model, "MAX_EPOCHS": 2, "MIN_PEERS": 2])", "~"));
  EXPECT_TRUE(body.envvars.empty());
  body = BodyOf<RunSwarmBody>(Replace(
      kRunTask, R"(["DATA_DIR": app-data, "MODEL_DIR": model, "MAX_EPOCHS": 2, "MIN_PEERS": 2])", "[]"));
  EXPECT_TRUE(body.envvars.empty());
}

TEST(RunSwarmBodyTest, RefusesMalformedEnvvars) {
  const std::string_view envvars =
      R"(["DATA_DIR": app-data, "MODEL_DIR": model, "MAX_EPOCHS": 2, "MIN_PEERS": 2])";
  EXPECT_EQ(ErrorOf(Replace(kRunTask, envvars, "{DATA_DIR: app-data}")),
            "t.yaml, line 10: Body.Envvars is a map; expected ~ or a list of KEY: value maps");
  EXPECT_EQ(ErrorOf(Replace(kRunTask, envvars, "[DATA_DIR]")),
            "t.yaml, line 10: Body.Envvars[0] is 'DATA_DIR'; expected a KEY: value map");
  EXPECT_EQ(ErrorOf(Replace(kRunTask, envvars, "[A: [1, 2]]")),
            "t.yaml, line 10: Body.Envvars[0].A is a list; expected a single value (a string, a number, "
            "true/false or ~)");
  EXPECT_EQ(ErrorOf(Replace(kRunTask, envvars, "[{A: 1, A: 2}]")),
            "t.yaml, line 10: Body.Envvars[0].A appears twice in one map; expected each key once");
  EXPECT_EQ(
      ErrorOf(Replace(kRunTask, envvars, "[~: 1]")),
      "t.yaml, line 10: Body.Envvars[0] has a key that is null; expected a KEY: value map with a text key");
}

TEST(RunSwarmBodyTest, ChecksSharedContent) {
  EXPECT_EQ(ErrorOf(Replace(kRunTask, "MType: BIND", "MType: COPY")),
            "t.yaml, line 15: Body.SharedContent[0].MType is 'COPY'; expected one of BIND, VOLUME");
  EXPECT_EQ(ErrorOf(Replace(kRunTask, "MType: BIND", "MType: bind")),
            "t.yaml, line 15: Body.SharedContent[0].MType is 'bind'; expected one of BIND, VOLUME");
  EXPECT_EQ(ErrorOf(Replace(kRunTask, "MType: BIND", "MType: VOLUME")), "OK");
  EXPECT_EQ(ErrorOf(Replace(kRunTask, "        Tgt: /tmp/test/model\n", "")),
            "t.yaml, line 13: Body.SharedContent[0].Tgt is missing; a SharedContent mount requires Src, Tgt, "
            "MType");
  EXPECT_EQ(
      ErrorOf(Replace(kRunTask, "        MType: BIND\n", "        MType: BIND\n        Mode: ro\n")),
      "t.yaml, line 16: Body.SharedContent[0].Mode is not allowed; a SharedContent mount has only the keys "
      "Src, Tgt, MType");
  EXPECT_EQ(ErrorOf(Replace(kRunTask, "Src: <CURRENT-PATH>/workspace/mnist/model", "Src: m")),
            "t.yaml, line 13: Body.SharedContent[0].Src is 1 character long; expected a string of 2..160 "
            "characters");
  EXPECT_EQ(ErrorOf(Task("RUN_SWARM", Replace(kRunBody, "SharedContent: ~", "SharedContent: []"))),
            "t.yaml, line 12: Body.SharedContent is empty; expected ~ or a list of 1..10 items");
  EXPECT_EQ(ErrorOf(Task("RUN_SWARM", Replace(kRunBody, "SharedContent: ~", "SharedContent: /data"))),
            "t.yaml, line 12: Body.SharedContent is '/data'; expected ~ or a list of 1..10 items");
  EXPECT_EQ(
      ErrorOf(Task("RUN_SWARM", Replace(kRunBody, "SharedContent: ~", "SharedContent: [x]"))),
      "t.yaml, line 12: Body.SharedContent[0] is 'x'; expected a SharedContent mount (a map with the keys "
      "Src, Tgt, MType)");
  std::string ten = "SharedContent:\n";
  for (int i = 0; i < 10; ++i) ten += "  - {Src: s" + std::to_string(i) + ", Tgt: /t, MType: BIND}\n";
  auto body = BodyOf<RunSwarmBody>(Task("RUN_SWARM", Replace(kRunBody, "SharedContent: ~\n", ten)));
  EXPECT_EQ(body.shared_content.size(), 10u);
  EXPECT_EQ(ErrorOf(Task("RUN_SWARM", Replace(kRunBody, "SharedContent: ~\n",
                                              ten + "  - {Src: s10, Tgt: /t, MType: BIND}\n"))),
            "t.yaml, line 12: Body.SharedContent has 11 items; expected ~ or a list of 1..10 items");
  body = BodyOf<RunSwarmBody>(Task("RUN_SWARM", kRunBody));
  EXPECT_TRUE(body.shared_content.empty());
}

// ---- MAKE_USER_CONTAINER ----

TEST(MakeUserContainerBodyTest, ChecksFields) {
  auto body = BodyOf<MakeUserContainerBody>(Task("MAKE_USER_CONTAINER", kContainerBody));
  EXPECT_EQ(body, (MakeUserContainerBody{std::nullopt, {"FROM x"}, "INLINE"}));
  EXPECT_EQ(
      ErrorOf(Task("MAKE_USER_CONTAINER", Replace(kContainerBody, "BuildContext: ~", "BuildContext: ab"))),
      "t.yaml, line 7: Body.BuildContext is 2 characters long; expected a string of 3..160 characters");
  EXPECT_EQ(
      ErrorOf(Task("MAKE_USER_CONTAINER", Replace(kContainerBody, "BuildContext: ~", "BuildContext: abc"))),
      "OK");
  EXPECT_EQ(
      ErrorOf(Task("MAKE_USER_CONTAINER", Replace(kContainerBody, "BuildType: INLINE", "BuildType: LOCAL"))),
      "t.yaml, line 10: Body.BuildType is 'LOCAL'; expected one of INLINE, REMOTE");
  EXPECT_EQ(
      ErrorOf(Task("MAKE_USER_CONTAINER", Replace(kContainerBody, "BuildType: INLINE", "BuildType: REMOTE"))),
      "OK");
  EXPECT_EQ(ErrorOf(Task("MAKE_USER_CONTAINER", Replace(kContainerBody, "  BuildContext: ~\n", ""))),
            "t.yaml, line 6: Body.BuildContext is missing; a MAKE_USER_CONTAINER body requires BuildContext, "
            "BuildSteps, BuildType");
}

TEST(MakeUserContainerBodyTest, ChecksBuildSteps) {
  const std::string_view steps = "  BuildSteps:\n  - FROM x\n";
  EXPECT_EQ(ErrorOf(Task("MAKE_USER_CONTAINER", Replace(kContainerBody, steps, "  BuildSteps: []\n"))),
            "t.yaml, line 8: Body.BuildSteps is empty; expected a list of 1..80 items");
  EXPECT_EQ(ErrorOf(Task("MAKE_USER_CONTAINER", Replace(kContainerBody, steps, "  BuildSteps: ~\n"))),
            "t.yaml, line 8: Body.BuildSteps is null; expected a list of 1..80 items");
  EXPECT_EQ(ErrorOf(Task("MAKE_USER_CONTAINER", Replace(kContainerBody, steps, "  BuildSteps: FROM x\n"))),
            "t.yaml, line 8: Body.BuildSteps is 'FROM x'; expected a list of 1..80 items");
  // Steps may be empty strings (blank Dockerfile lines), but not null.
  auto body = BodyOf<MakeUserContainerBody>(
      Task("MAKE_USER_CONTAINER", Replace(kContainerBody, steps, "  BuildSteps:\n  - ''\n  - ' '\n")));
  EXPECT_EQ(body.build_steps, (std::vector<std::string>{"", " "}));
  EXPECT_EQ(ErrorOf(Task("MAKE_USER_CONTAINER",
                         Replace(kContainerBody, steps, "  BuildSteps:\n  - FROM x\n  - ~\n"))),
            "t.yaml, line 10: Body.BuildSteps[1] is null; expected a string of at most 160 characters");
  EXPECT_EQ(
      ErrorOf(Task("MAKE_USER_CONTAINER",
                   Replace(kContainerBody, steps, "  BuildSteps:\n  - " + std::string(161, 's') + "\n"))),
      "t.yaml, line 9: Body.BuildSteps[0] is 161 characters long; expected a string of at most 160 "
      "characters");
  std::string eighty = "  BuildSteps:\n";
  for (int i = 0; i < 80; ++i) eighty += "  - RUN step " + std::to_string(i) + "\n";
  body = BodyOf<MakeUserContainerBody>(Task("MAKE_USER_CONTAINER", Replace(kContainerBody, steps, eighty)));
  EXPECT_EQ(body.build_steps.size(), 80u);
  EXPECT_EQ(ErrorOf(Task("MAKE_USER_CONTAINER", Replace(kContainerBody, steps, eighty + "  - RUN more\n"))),
            "t.yaml, line 8: Body.BuildSteps has 81 items; expected a list of 1..80 items");
}

// ---- PULL_IMAGE ----

TEST(PullImageBodyTest, ReadsEachAuthForm) {
  auto body = BodyOf<PullImageBody>(Task("PULL_IMAGE", kPullBody));
  EXPECT_EQ(body, (PullImageBody{"t", "r", "o", std::monostate()}));
  body = BodyOf<PullImageBody>(
      Task("PULL_IMAGE", Replace(kPullBody, "Auth: ~", "Auth: /root/.docker/config.json")));
  EXPECT_EQ(body.auth, PullAuth(AuthConfigFile{"/root/.docker/config.json"}));
  body = BodyOf<PullImageBody>(
      Task("PULL_IMAGE", Replace(kPullBody, "Auth: ~", "Auth:\n    Username: bob\n    Password: \"\"")));
  EXPECT_EQ(body.auth, PullAuth(AuthCredentials{"bob", ""}));
}

TEST(PullImageBodyTest, RefusesBadAuth) {
  EXPECT_EQ(
      ErrorOf(Task("PULL_IMAGE", Replace(kPullBody, "Auth: ~", "Auth: [a]"))),
      "t.yaml, line 10: Body.Auth is a list; expected ~, the path of a config.json (1..160 characters) or a "
      "map with the keys Username, Password");
  EXPECT_EQ(ErrorOf(Task("PULL_IMAGE", Replace(kPullBody, "Auth: ~", "Auth: ''"))),
            "t.yaml, line 10: Body.Auth is empty; expected a string of 1..160 characters");
  EXPECT_EQ(ErrorOf(Task("PULL_IMAGE", Replace(kPullBody, "Auth: ~", "Auth: {Username: bob}"))),
            "t.yaml, line 10: Body.Auth.Password is missing; Auth credentials requires Username, Password");
  EXPECT_EQ(ErrorOf(Task("PULL_IMAGE", Replace(kPullBody, "Auth: ~", "Auth: {Username: bob, Password: ~}"))),
            "t.yaml, line 10: Body.Auth.Password is null; expected a string of at most 160 characters");
  EXPECT_EQ(ErrorOf(Task("PULL_IMAGE", Replace(kPullBody, "Auth: ~", "Auth: {Username: '', Password: x}"))),
            "t.yaml, line 10: Body.Auth.Username is empty; expected a string of 1..160 characters");
  EXPECT_EQ(ErrorOf(Task("PULL_IMAGE", Replace(kPullBody, "Auth: ~", "Auth: {User: bob, Password: x}"))),
            "t.yaml, line 10: Body.Auth.User is not allowed; Auth credentials has only the keys Username, "
            "Password");
}

TEST(PullImageBodyTest, ChecksFields) {
  EXPECT_EQ(ErrorOf(Task("PULL_IMAGE", Replace(kPullBody, "Tag: t", "Tag: ''"))),
            "t.yaml, line 7: Body.Tag is empty; expected a string of 1..160 characters");
  EXPECT_EQ(
      ErrorOf(Task("PULL_IMAGE", Replace(kPullBody, "  Auth: ~\n", ""))),
      "t.yaml, line 6: Body.Auth is missing; a PULL_IMAGE body requires Tag, RepoName, OrgAndReg, Auth");
  EXPECT_EQ(
      ErrorOf(Task("PULL_IMAGE", Replace(kPullBody, "OrgAndReg: o", "OrgAndReg: " + std::string(161, 'o')))),
      "t.yaml, line 9: Body.OrgAndReg is 161 characters long; expected a string of 1..160 characters");
}

// ---- MAKE_SWARM_USER_CONTENT ----

TEST(MakeUserContentBodyTest, ChecksFields) {
  auto body = BodyOf<MakeUserContentBody>(Task("MAKE_SWARM_USER_CONTENT", kContentBody));
  EXPECT_EQ(body, (MakeUserContentBody{"SWARMCONTENT", {{"DOWNLOAD", "http://h/x", {}}}}));
  EXPECT_EQ(ErrorOf(Task("MAKE_SWARM_USER_CONTENT",
                         Replace(kContentBody, "ContentType: SWARMCONTENT", "ContentType: BUILDCONTENT"))),
            "OK");
  EXPECT_EQ(ErrorOf(Task("MAKE_SWARM_USER_CONTENT",
                         Replace(kContentBody, "ContentType: SWARMCONTENT", "ContentType: MODEL"))),
            "t.yaml, line 7: Body.ContentType is 'MODEL'; expected one of BUILDCONTENT, SWARMCONTENT");
  EXPECT_EQ(ErrorOf(Task("MAKE_SWARM_USER_CONTENT",
                         Replace(kContentBody, "Operation: DOWNLOAD", "Operation: UPLOAD"))),
            "t.yaml, line 9: Body.OpsList[0].Operation is 'UPLOAD'; expected one of DOWNLOAD, EXTRACT");
  EXPECT_EQ(ErrorOf(Task("MAKE_SWARM_USER_CONTENT",
                         Replace(kContentBody, "Operation: DOWNLOAD", "Operation: EXTRACT"))),
            "OK");
  EXPECT_EQ(
      ErrorOf(Task("MAKE_SWARM_USER_CONTENT", Replace(kContentBody, "    Options: []\n", ""))),
      "t.yaml, line 9: Body.OpsList[0].Options is missing; an OpsList operation requires Operation, Target, "
      "Options");
  EXPECT_EQ(ErrorOf(Task("MAKE_SWARM_USER_CONTENT", Replace(kContentBody, "Options: []", "Options: ~"))),
            "t.yaml, line 11: Body.OpsList[0].Options is null; expected a list of KEY: value maps");
  EXPECT_EQ(
      ErrorOf(Task("MAKE_SWARM_USER_CONTENT", Replace(kContentBody, "Target: http://h/x", "Target: ''"))),
      "t.yaml, line 10: Body.OpsList[0].Target is empty; expected a string of 1..160 characters");
  EXPECT_EQ(ErrorOf(Task("MAKE_SWARM_USER_CONTENT",
                         Replace(kContentBody, "Options: []", "Options: [Out: a, Mode: x]"))),
            "OK");
}

TEST(MakeUserContentBodyTest, ChecksOpsListSize) {
  const std::string_view ops =
      "  OpsList:\n  - Operation: DOWNLOAD\n    Target: http://h/x\n    Options: []\n";
  EXPECT_EQ(ErrorOf(Task("MAKE_SWARM_USER_CONTENT", Replace(kContentBody, ops, "  OpsList: []\n"))),
            "t.yaml, line 8: Body.OpsList is empty; expected a list of 1..20 items");
  std::string twenty = "  OpsList:\n";
  for (int i = 0; i < 20; ++i)
    twenty += "  - {Operation: DOWNLOAD, Target: t" + std::to_string(i) + ", Options: []}\n";
  auto body =
      BodyOf<MakeUserContentBody>(Task("MAKE_SWARM_USER_CONTENT", Replace(kContentBody, ops, twenty)));
  EXPECT_EQ(body.ops.size(), 20u);
  EXPECT_EQ(ErrorOf(Task(
                "MAKE_SWARM_USER_CONTENT",
                Replace(kContentBody, ops, twenty + "  - {Operation: EXTRACT, Target: t, Options: []}\n"))),
            "t.yaml, line 8: Body.OpsList has 21 items; expected a list of 1..20 items");
}

}  // namespace
}  // namespace swarm::taskdef
