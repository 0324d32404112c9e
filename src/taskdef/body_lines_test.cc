#include "taskdef/body_lines.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace swarm::taskdef {
namespace {

const std::filesystem::path kTestdata = SWARM_TASKDEF_TESTDATA;

void ExpectRoundTrip(const TaskBody& body) {
  const std::vector<std::string> lines = BodyLines(body);
  std::string text;
  for (const auto& line : lines) {
    text += line + "\n";
    EXPECT_LT(line.size(), kBodyLineLimit) << line;
    EXPECT_TRUE(CheckBodyLine(line).ok()) << line;
  }
  auto read = ParseBody(TaskTypeOf(body), lines);
  ASSERT_TRUE(read.ok()) << read.status().ToString() << "\n" << text;
  EXPECT_EQ(*read, body) << text;
}

TEST(BodyLinesTest, RoundTripsEveryGuideExample) {
  for (const char* file :
       {"swarm_mnist_task.yaml", "swarm_mnist_task_hpe.yaml", "user_env_tf_build_task.yaml",
        "download-task-mnist-local.yaml", "pull-task-tf2.yaml"}) {
    SCOPED_TRACE(file);
    auto def = ParseTaskFile(kTestdata / file);
    ASSERT_TRUE(def.ok()) << def.status().ToString();
    ExpectRoundTrip(def->body);
    EXPECT_EQ(BodyLines(*def), BodyLines(def->body));
  }
}

TEST(BodyLinesTest, WritesTheRunSwarmBodyReadably) {
  auto def = ParseTaskFile(kTestdata / "swarm_mnist_task_hpe.yaml");
  ASSERT_TRUE(def.ok()) << def.status().ToString();
  EXPECT_EQ(BodyLines(*def), (std::vector<std::string>{
                                 "Command: model/mnist_tf.py", "Entrypoint: python3", "WorkingDir: /tmp/test",
                                 "Envvars:", "- DATA_DIR: app-data", "- MODEL_DIR: model", "- MAX_EPOCHS: 2",
                                 "- MIN_PEERS: 2", "PrivateContent: /tmp/test/app-data",
                                 "SharedContent:", "- Src: <CURRENT-PATH>/workspace/mnist/model",
                                 "  Tgt: /tmp/test/model", "  MType: BIND"}));
}

TEST(BodyLinesTest, WritesOtherBodies) {
  EXPECT_EQ(BodyLines(TaskBody(PullImageBody{"2.7.0", "r", "o/", AuthCredentials{"bob", ""}})),
            (std::vector<std::string>{"Tag: 2.7.0", "RepoName: r", "OrgAndReg: o/",
                                      "Auth:", "  Username: bob", "  Password: \"\""}));
  EXPECT_EQ(BodyLines(TaskBody(PullImageBody{"t", "r", "o", AuthConfigFile{"/c.json"}})),
            (std::vector<std::string>{"Tag: t", "RepoName: r", "OrgAndReg: o", "Auth: /c.json"}));
  EXPECT_EQ(BodyLines(TaskBody(MakeUserContentBody{"BUILDCONTENT", {{"EXTRACT", "x.tgz", {}}}})),
            (std::vector<std::string>{"ContentType: BUILDCONTENT", "OpsList:", "- Operation: EXTRACT",
                                      "  Target: x.tgz", "  Options: []"}));
  EXPECT_EQ(BodyLines(TaskBody(RunSwarmBody{"c", "e", "/w", {}, std::nullopt, {}})),
            (std::vector<std::string>{"Command: c", "Entrypoint: e", "WorkingDir: /w", "Envvars: ~",
                                      "PrivateContent: ~", "SharedContent: ~"}));
}

TEST(BodyLinesTest, RoundTripsLongAndAwkwardValues) {
  const std::string s160(160, 'x');
  std::string spaced;
  while (spaced.size() < 160) spaced += "a  ";
  spaced.resize(160);
  ExpectRoundTrip(RunSwarmBody{s160,
                               "python3 -u",
                               "/" + std::string(159, 'w'),
                               {{"EMPTY", ""},
                                {"UNSET", "", true},
                                {"TILDE", "~"},
                                {"QUOTES", "say \"hi\" \\ ok"},
                                {std::string(120, 'K'), std::string(150, 'V')},
                                {"COLON: KEY", "a: b #c"},
                                {"SPACES", spaced}},
                               spaced,
                               {{s160, s160, "VOLUME"}, {"ab", "cd", "BIND"}}});
  ExpectRoundTrip(
      MakeUserContainerBody{std::nullopt, {"", " ", "  ", s160, spaced, "- not a list", "#x"}, "REMOTE"});
  ExpectRoundTrip(PullImageBody{s160, s160, s160, AuthCredentials{s160, s160}});
  ExpectRoundTrip(PullImageBody{"t", "r", "o", AuthConfigFile{s160}});
  ExpectRoundTrip(MakeUserContentBody{"SWARMCONTENT", {{"DOWNLOAD", s160, {{"Out", s160}, {"Strip", "1"}}}}});
  std::string accents;
  for (int i = 0; i < 160; ++i) accents += "\xC3\xA9";
  ExpectRoundTrip(RunSwarmBody{accents, "e", "/w", {{accents, accents}}, accents, {}});
}

TEST(BodyLinesTest, ParseBodyChecksTheTypeFormat) {
  const std::vector<std::string> run = {"Command: c", "Entrypoint: e",     "WorkingDir: /w",
                                        "Envvars: ~", "PrivateContent: ~", "SharedContent: ~"};
  EXPECT_TRUE(ParseBody("RUN_SWARM", run).ok());
  EXPECT_EQ(
      ParseBody("PULL_IMAGE", run).status().message(),
      "task body, line 1: Body.Command is not allowed; a PULL_IMAGE body has only the keys Tag, RepoName, "
      "OrgAndReg, Auth");
  EXPECT_EQ(ParseBody("RUN_SWARM",
                      {"Command: c", "Entrypoint: e", "WorkingDir: /w", "Envvars: ~", "PrivateContent: ~",
                       "SharedContent:", "- Src: aa", "  Tgt: bb", "  MType: COPY"},
                      "body of swarm_mnist_task")
                .status()
                .message(),
            "body of swarm_mnist_task, line 9: Body.SharedContent[0].MType is 'COPY'; expected one of BIND, "
            "VOLUME");
  EXPECT_EQ(ParseBody("RUN_SWARM", {"Command: c"}).status().message(),
            "task body, line 1: Body.Entrypoint is missing; a RUN_SWARM body requires Command, Entrypoint, "
            "WorkingDir, Envvars, PrivateContent, SharedContent");
  EXPECT_EQ(
      ParseBody("RUN_SWARM", {}).status().message(),
      "task body, line 1: Body is null; expected a RUN_SWARM body (a map with the keys Command, Entrypoint, "
      "WorkingDir, Envvars, PrivateContent, SharedContent)");
  EXPECT_EQ(ParseBody("RUN", run).status().message(),
            "task type is 'RUN'; expected one of RUN_SWARM, MAKE_SWARM_USER_CONTENT, MAKE_USER_CONTAINER, "
            "PULL_IMAGE");
  EXPECT_EQ(ParseBody("RUN_SWARM", {"Command: [c"}).status().message(),
            "task body, line 2: YAML syntax error: did not find expected ',' or ']' (while parsing a flow sequence started on line 1)");
}

TEST(BodyLinesTest, ChecksLineLength) {
  EXPECT_TRUE(CheckBodyLine(std::string(79, 'x')).ok());
  EXPECT_EQ(CheckBodyLine(std::string(80, 'x')).message(),
            "body line is 80 characters long; expected fewer than 80 characters");
  EXPECT_EQ(CheckBodyLine("a\nb").message(), "body line contains a line break; expected one line");
  std::string accents;
  for (int i = 0; i < 79; ++i) accents += "\xC3\xA9";
  EXPECT_TRUE(CheckBodyLine(accents).ok());
  EXPECT_EQ(ParseBody("PULL_IMAGE", {"Tag: t", "RepoName: " + std::string(70, 'r')}).status().message(),
            "task body, line 2: the line is 80 characters long; expected fewer than 80 characters");
}

}  // namespace
}  // namespace swarm::taskdef
