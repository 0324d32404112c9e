#include "swop/sl_command_line.h"

namespace swarm::swop {

std::vector<std::string> SlCommandLine(const SlLaunchSpec& s, const std::vector<std::string>& program) {
  std::vector<std::string> a = {s.swarm_bin.string(), "sl"};
  const auto flag = [&](const char* name, const std::string& value) {
    a.push_back(std::string(name) + "=" + value);
  };
  if (!s.host_ip.empty()) flag("--host-ip", s.host_ip);
  flag("--sl-fs-port", std::to_string(s.fs_port));
  if (!s.fs_service.empty()) flag("--sl-fs-service", s.fs_service);
  flag("--sn-ip", s.sn_endpoints);
  flag("--key", s.tls.key.string());
  flag("--cert", s.tls.cert.string());
  flag("--capath", s.tls.capath.string());
  flag("--data-dir", s.data_dir.string());
  if (!s.parent_uid.empty()) flag("--parent-uid", s.parent_uid);
  flag("--ml-name", s.ml_name);
  if (!program.empty()) {
    flag("--ml-entrypoint", program[0]);
    for (size_t i = 1; i < program.size(); ++i) flag("--ml-cmd", program[i]);
  }
  for (const std::string& kv : s.ml_env) flag("--ml-e", kv);
  for (const Mount& m : s.view.mounts) flag("--ml-view", m.target.string() + "=" + m.source.string());
  return a;
}

StatusOr<std::vector<std::string>> SplitCommand(std::string_view command) {
  std::vector<std::string> words;
  std::string cur;
  bool have = false;
  char quote = 0;
  for (size_t i = 0; i < command.size(); ++i) {
    const char c = command[i];
    if (c == '\\' && quote != '\'') {
      if (++i == command.size()) return InvalidArgument("Command '" + std::string(command) + "' ends in a backslash");
      cur += command[i];
      have = true;
    } else if (quote) {
      if (c == quote) {
        quote = 0;
      } else {
        cur += c;
      }
    } else if (c == '"' || c == '\'') {
      quote = c;
      have = true;
    } else if (c == ' ' || c == '\t') {
      if (have) words.push_back(cur);
      cur.clear();
      have = false;
    } else {
      cur += c;
      have = true;
    }
  }
  if (quote) {
    return InvalidArgument("Command '" + std::string(command) + "' has an unterminated " +
                           (quote == '"' ? "double" : "single") + " quote");
  }
  if (have) words.push_back(cur);
  return words;
}

}  // namespace swarm::swop
