// Any text as an SWCI command line: tokenized, matched against every command's grammar and
// bound to its parameters, as the prompt does before a handler runs. Errors are fine;
// crashes, hangs and exceptions are not.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "swci/commands/commands.h"
#include "swci/registry.h"
#include "swci/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const swarm::swci::CommandRegistry* registry = [] {
    auto* r = new swarm::swci::CommandRegistry();
    swarm::swci::RegisterAllCommands(*r);
    return r;
  }();
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  auto tokens = swarm::swci::Tokenize(line);
  if (!tokens.ok()) return 0;
  auto match = registry->Find(*tokens);
  if (!match.ok()) {
    (void)registry->Help(*tokens);
    return 0;
  }
  (void)match->command->spec.Bind(match->args);
  return 0;
}
