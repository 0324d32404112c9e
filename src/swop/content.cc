#include "swop/content.h"

#include <httplib.h>

#include <fstream>
#include <sstream>

#include "core/subprocess.h"

namespace swarm::swop {
namespace fs = std::filesystem;
namespace {

std::string OptionValue(const std::vector<taskdef::KeyValue>& options, std::string_view key) {
  for (const auto& kv : options) {
    if (kv.key == key) return kv.value;
  }
  return "";
}

struct Url {
  std::string origin;  // scheme://host[:port]
  std::string path;    // /...
};

StatusOr<Url> SplitUrl(const std::string& url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) {
    return InvalidArgument("DOWNLOAD Target '" + url + "' is not a URL; expected http://HOST/PATH or https://...");
  }
  const std::string scheme = url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") {
    return InvalidArgument("DOWNLOAD Target '" + url + "' uses '" + scheme + "'; expected http or https");
  }
  const size_t path_start = url.find('/', scheme_end + 3);
  if (path_start == std::string::npos) return Url{url, "/"};
  return Url{url.substr(0, path_start), url.substr(path_start)};
}

// Runs a helper program (tar, unzip) to its end; its output comes back for listings.
StatusOr<std::string> RunTool(std::vector<std::string> argv, const fs::path& scratch, std::chrono::seconds timeout) {
  SpawnOptions o;
  o.argv = std::move(argv);
  o.log_file = scratch;
  fs::remove(scratch);
  ASSIGN_OR_RETURN(Subprocess p, Subprocess::Spawn(o));
  StatusOr<ExitStatus> e = p.Wait(std::chrono::duration_cast<std::chrono::milliseconds>(timeout));
  std::ifstream in(scratch);
  std::stringstream out;
  out << in.rdbuf();
  fs::remove(scratch);
  if (!e.ok()) {
    p.Stop(std::chrono::seconds(1));
    return e.status();
  }
  if (!e->ok()) return Internal(o.argv[0] + " " + e->Describe() + ": " + out.str());
  return out.str();
}

bool IsZip(const fs::path& p) { return p.extension() == ".zip"; }

// Members that are absolute or contain a ".." step.
Status CheckMembers(const std::string& listing, const fs::path& archive) {
  std::istringstream in(listing);
  for (std::string name; std::getline(in, name);) {
    if (name.empty()) continue;
    const fs::path p(name);
    bool climbs = p.is_absolute();
    for (const auto& part : p) climbs |= part == "..";
    if (climbs) {
      return PermissionDenied("archive '" + archive.string() + "' has the member '" + name +
                              "', which would land outside the content directory; nothing was extracted");
    }
  }
  return Status::Ok();
}

// After extraction: a symbolic link that points outside `root` is removed and refused.
Status CheckLinks(const fs::path& root, const fs::path& archive) {
  std::error_code ec;
  const fs::path base = fs::weakly_canonical(root, ec);
  for (auto it = fs::recursive_directory_iterator(root, ec); it != fs::recursive_directory_iterator(); ++it) {
    if (!it->is_symlink(ec)) continue;
    const fs::path target = fs::weakly_canonical(it->path().parent_path() / fs::read_symlink(it->path(), ec), ec);
    const auto rel = target.lexically_relative(base);
    if (rel.empty() || *rel.begin() == "..") {
      const std::string link = it->path().string();
      fs::remove(it->path(), ec);
      return PermissionDenied("archive '" + archive.string() + "' holds the link '" + link + "' to '" +
                              target.string() + "', outside the content directory; it was removed");
    }
  }
  return Status::Ok();
}

}  // namespace

StatusOr<fs::path> InsideDir(const fs::path& dir, std::string_view relative, std::string_view what) {
  const fs::path p(relative);
  bool climbs = p.is_absolute() || relative.empty();
  for (const auto& part : p) climbs |= part == "..";
  if (climbs) {
    return InvalidArgument(std::string(what) + " '" + std::string(relative) +
                           "' must be a relative path inside the content directory, without '..'");
  }
  return dir / p;
}

Status Download(const std::string& url, const fs::path& out, const ContentLimits& limits) {
  ASSIGN_OR_RETURN(Url u, SplitUrl(url));
  httplib::Client client(u.origin);
  client.set_connection_timeout(limits.connect_timeout);
  client.set_read_timeout(limits.read_timeout);
  client.set_follow_location(true);
  client.enable_server_certificate_verification(true);
  std::error_code ec;
  fs::create_directories(out.parent_path(), ec);
  const fs::path part = out.string() + ".part";
  std::ofstream file(part, std::ios::binary | std::ios::trunc);
  if (!file) return FailedPrecondition("cannot write '" + part.string() + "'");
  uint64_t received = 0;
  bool too_big = false;
  bool cancelled = false;
  auto res = client.Get(u.path, [&](const char* data, size_t n) {
    received += n;
    if (limits.cancelled()) {
      cancelled = true;
      return false;
    }
    if (received > limits.max_download_bytes) {
      too_big = true;
      return false;
    }
    file.write(data, static_cast<std::streamsize>(n));
    return static_cast<bool>(file);
  });
  file.close();
  const auto fail = [&](Status s) {
    fs::remove(part, ec);
    return s;
  };
  if (cancelled) return fail(Status(StatusCode::kCancelled, "DOWNLOAD of '" + url + "' was cancelled"));
  if (too_big) {
    return fail(Status(StatusCode::kResourceExhausted, "DOWNLOAD of '" + url + "' is larger than the limit of " +
                                  std::to_string(limits.max_download_bytes) + " bytes; nothing was kept"));
  }
  if (!res) {
    return fail(Unavailable("DOWNLOAD of '" + url + "' failed: " + httplib::to_string(res.error())));
  }
  if (res->status != 200) {
    return fail(NotFound("DOWNLOAD of '" + url + "' answered HTTP " + std::to_string(res->status)));
  }
  fs::rename(part, out, ec);
  if (ec) return fail(Internal("cannot move '" + part.string() + "' to '" + out.string() + "': " + ec.message()));
  return Status::Ok();
}

Status Extract(const fs::path& archive, const fs::path& into, const ContentLimits& limits) {
  if (!fs::exists(archive)) return NotFound("EXTRACT: no archive '" + archive.string() + "'");
  std::error_code ec;
  fs::create_directories(into, ec);
  const fs::path scratch = into.parent_path() / (".extract-" + archive.filename().string() + ".out");
  const bool zip = IsZip(archive);
  ASSIGN_OR_RETURN(std::string listing,
                   RunTool(zip ? std::vector<std::string>{"unzip", "-Z1", archive.string()}
                               : std::vector<std::string>{"tar", "-tf", archive.string()},
                           scratch, limits.extract_timeout));
  RETURN_IF_ERROR(CheckMembers(listing, archive));
  RETURN_IF_ERROR(RunTool(zip ? std::vector<std::string>{"unzip", "-q", "-o", archive.string(), "-d", into.string()}
                              : std::vector<std::string>{"tar", "--no-same-owner", "-xf", archive.string(), "-C",
                                                         into.string()},
                          scratch, limits.extract_timeout)
                      .status());
  return CheckLinks(into, archive);
}

Status MakeContent(const taskdef::MakeUserContentBody& body, const fs::path& content_dir,
                   const ContentLimits& limits) {
  std::error_code ec;
  fs::create_directories(content_dir, ec);
  if (ec) return FailedPrecondition("cannot make content dir '" + content_dir.string() + "': " + ec.message());
  for (size_t i = 0; i < body.ops.size(); ++i) {
    const taskdef::ContentOp& op = body.ops[i];
    const std::string where = "OpsList[" + std::to_string(i) + "] " + op.operation;
    std::string out = OptionValue(op.options, "Out");
    if (op.operation == "DOWNLOAD") {
      if (out.empty()) out = fs::path(op.target).filename().string();
      ASSIGN_OR_RETURN(fs::path file, InsideDir(content_dir, out, where + " Out"));
      RETURN_IF_ERROR(Download(op.target, file, limits).WithContext(where));
    } else {
      fs::path archive = op.target;
      if (!archive.is_absolute()) {
        ASSIGN_OR_RETURN(archive, InsideDir(content_dir, op.target, where + " Target"));
      }
      fs::path into = content_dir;
      if (!out.empty()) {
        ASSIGN_OR_RETURN(into, InsideDir(content_dir, out, where + " Out"));
      }
      RETURN_IF_ERROR(Extract(archive, into, limits).WithContext(where));
    }
  }
  return Status::Ok();
}

}  // namespace swarm::swop
