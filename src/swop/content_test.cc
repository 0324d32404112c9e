#include "swop/content.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <fstream>
#include <thread>

namespace swarm::swop {
namespace {
namespace fs = std::filesystem;
using ::testing::HasSubstr;

class ContentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("content-test-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "src");
  }
  void TearDown() override { fs::remove_all(dir_); }
  int Sh(const std::string& cmd) { return std::system(("cd " + dir_.string() + " && " + cmd).c_str()); }
  fs::path dir_;
};

TEST_F(ContentTest, InsideDirRefusesEscapes) {
  EXPECT_EQ(*InsideDir("/c", "model/x.py", "Out"), fs::path("/c/model/x.py"));
  EXPECT_THAT(InsideDir("/c", "../x", "Out").status().message(), HasSubstr("without '..'"));
  EXPECT_THAT(InsideDir("/c", "/etc/passwd", "Out").status().message(), HasSubstr("must be a relative path"));
}

TEST_F(ContentTest, ExtractsTarAndZipAndRefusesMembersThatClimbOut) {
  std::ofstream(dir_ / "src" / "a.txt") << "hello";
  ASSERT_EQ(Sh("tar -czf good.tgz -C src a.txt && (cd src && zip -q ../good.zip a.txt)"), 0);
  ASSERT_TRUE(Extract(dir_ / "good.tgz", dir_ / "out1", {}).ok());
  EXPECT_TRUE(fs::exists(dir_ / "out1" / "a.txt"));
  Status z = Extract(dir_ / "good.zip", dir_ / "out2", {});
  ASSERT_TRUE(z.ok()) << z.message();
  EXPECT_TRUE(fs::exists(dir_ / "out2" / "a.txt"));
  ASSERT_EQ(Sh("tar -cf bad.tar -P --transform 's,^,../,' -C src a.txt"), 0);
  Status s = Extract(dir_ / "bad.tar", dir_ / "out3", {});
  EXPECT_THAT(s.message(), HasSubstr("would land outside the content directory"));
  EXPECT_FALSE(fs::exists(dir_ / "a.txt"));
  ASSERT_EQ(Sh("ln -s /etc src/link && tar -cf link.tar -C src link"), 0);
  EXPECT_THAT(Extract(dir_ / "link.tar", dir_ / "out4", {}).message(), HasSubstr("outside the content directory"));
  EXPECT_FALSE(fs::exists(dir_ / "out4" / "link"));
  EXPECT_THAT(Extract(dir_ / "none.tar", dir_ / "out5", {}).message(), HasSubstr("no archive"));
}

TEST_F(ContentTest, DownloadsOverHttpWithALimitAndNothingHalfWritten) {
  httplib::Server server;
  server.Get("/m/x.py", [](const httplib::Request&, httplib::Response& r) { r.set_content("print(1)\n", "text/plain"); });
  server.Get("/big", [](const httplib::Request&, httplib::Response& r) { r.set_content(std::string(5000, 'x'), "a/b"); });
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread t([&] { server.listen_after_bind(); });
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  taskdef::MakeUserContentBody body;
  body.content_type = "SWARMCONTENT";
  body.ops = {{"DOWNLOAD", base + "/m/x.py", {{"Out", "model/x.py", false}}}};
  Status ok = MakeContent(body, dir_ / "content", {});
  EXPECT_TRUE(ok.ok()) << ok.message();
  std::ifstream in(dir_ / "content" / "model" / "x.py");
  std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(text, "print(1)\n");
  ContentLimits small;
  small.max_download_bytes = 1000;
  EXPECT_THAT(Download(base + "/big", dir_ / "big", small).message(), HasSubstr("larger than the limit of 1000"));
  EXPECT_FALSE(fs::exists(dir_ / "big"));
  EXPECT_FALSE(fs::exists(dir_ / "big.part"));
  EXPECT_THAT(Download(base + "/none", dir_ / "n", {}).message(), HasSubstr("answered HTTP 404"));
  EXPECT_THAT(Download("ftp://x/y", dir_ / "n", {}).message(), HasSubstr("expected http or https"));
  body.ops = {{"DOWNLOAD", base + "/m/x.py", {{"Out", "../escape.py", false}}}};
  EXPECT_THAT(MakeContent(body, dir_ / "content", {}).message(), HasSubstr("OpsList[0] DOWNLOAD Out"));
  server.stop();
  t.join();
}

}  // namespace
}  // namespace swarm::swop
