#include "swci/session.h"

#include "swci/commands/commands.h"
#include "swci/tokenizer.h"

namespace swarm::swci {

Session::Session(Services services, const std::filesystem::path& usr_dir) : services_(std::move(services)) {
  state_.usr_dir = std::filesystem::absolute(usr_dir).lexically_normal();
  if (!state_.usr_dir.has_filename() && state_.usr_dir != state_.usr_dir.root_path()) {
    state_.usr_dir = state_.usr_dir.parent_path();
  }
  state_.cwd = state_.usr_dir;
  RegisterAllCommands(registry_);
}

Outcome Session::Execute(std::string_view line, Progress& progress) {
  auto tokens = Tokenize(line);
  if (tokens.ok()) return ExecuteWords(*tokens, progress);
  Outcome out;
  out.ran = true;
  ++state_.count;
  out.status = tokens.status();
  out.end = state_.exit_requested || state_.exit_on_failure;
  return out;
}

Outcome Session::ExecuteWords(const std::vector<std::string>& words, Progress& progress) {
  Outcome out;
  if (words.empty()) return out;
  out.ran = true;
  ++state_.count;
  stop_.Clear();
  StatusOr<Result> result = [&]() -> StatusOr<Result> {
    ASSIGN_OR_RETURN(CommandRegistry::Match m, registry_.Find(words));
    ASSIGN_OR_RETURN(Args args, m.command->spec.Bind(m.args));
    CommandEnv env{state_, services_, registry_, progress, stop_, m.command->spec};
    return m.command->handler(env, args);
  }();
  if (result.ok()) {
    out.result = std::move(result).value();
  } else {
    out.status = result.status();
  }
  out.end = state_.exit_requested || (!out.status.ok() && state_.exit_on_failure);
  return out;
}

}  // namespace swarm::swci
