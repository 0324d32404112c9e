#include "swci/command_env.h"

#include <algorithm>
#include <cstdlib>

namespace swarm::swci {

EnvLookup ProcessEnvironment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

StatusOr<Context*> CommandEnv::Current() {
  if (!state.default_context) {
    return FailedPrecondition(
        "no default context; create one with CREATE CONTEXT and select it with SWITCH CONTEXT");
  }
  return &state.contexts.at(*state.default_context);
}

StatusOr<snapi::SnApi*> CommandEnv::Api() {
  ASSIGN_OR_RETURN(Context * c, Current());
  return c->api.get();
}

StatusOr<Result> CommandEnv::Submit(swarm::v1::Transaction tx, std::string done) {
  ASSIGN_OR_RETURN(snapi::SnApi * api, Api());
  RETURN_IF_ERROR(api->Submit(std::move(tx)).status());
  return Result::Line(std::move(done));
}

StatusOr<Context*> CommandEnv::Named(const std::string& name) {
  const auto it = state.contexts.find(name);
  if (it == state.contexts.end())
    return NotFound("no context named '" + name + "'; LIST CONTEXTS shows them");
  return &it->second;
}

std::optional<std::string> CommandEnv::Variable(const std::string& name) {
  if (state.default_context) {
    const Context& c = state.contexts.at(*state.default_context);
    if (const auto it = c.env.find(name); it != c.env.end()) return it->second;
  }
  return services.getenv(name);
}

namespace {
// Normal form without a trailing separator ("/a/b/" is "/a/b"), as pwd shows it.
std::filesystem::path Clean(const std::filesystem::path& p) {
  std::filesystem::path n = p.lexically_normal();
  if (!n.has_filename() && n != n.root_path()) n = n.parent_path();
  return n;
}
}  // namespace

std::filesystem::path CommandEnv::Resolve(const std::string& path) const {
  namespace fs = std::filesystem;
  const fs::path p(path);
  const fs::path hpe(kHpeUsrDir);
  // Component-wise, so /platform/swarm/usrX is not taken for a path under it.
  auto [h, q] = std::mismatch(hpe.begin(), hpe.end(), p.begin(), p.end());
  if (h == hpe.end()) {
    fs::path mapped = state.usr_dir;
    for (; q != p.end(); ++q) mapped /= *q;
    return Clean(mapped);
  }
  return Clean(p.is_absolute() ? p : state.cwd / p);
}

Status CommandEnv::Sleep(std::chrono::milliseconds d, std::string_view what) {
  if (services.clock->Sleep(d, stop)) return Status::Ok();
  return Status(StatusCode::kCancelled, std::string(what) + " interrupted");
}

}  // namespace swarm::swci
