#include "swci/repl.h"

#include <csignal>
#include <istream>
#include <ostream>
#include <string>

#include "swci/render_text.h"

namespace swarm::swci {

std::optional<int> RunLines(Session& session, std::istream& in, std::ostream& out, const ReplOptions& o) {
  TextProgress progress(out);
  auto stopped = [&]() -> std::optional<int> {
    const int sig = session.stop().signal();
    if (sig == 0 || (o.interrupt_resumes && sig == SIGINT)) return std::nullopt;
    return sig > 0 ? 128 + sig : 1;
  };
  while (true) {
    if (o.prompt_before) out << session.Prompt() << std::flush;
    std::string line;
    if (!std::getline(in, line)) {
      if (o.prompt_before) out << "\n";
      if (auto code = stopped()) return code;  // Ctrl-C at the prompt
      return std::nullopt;
    }
    if (o.echo) out << session.Prompt() << line << "\n" << std::flush;
    Outcome r = session.Execute(line, progress);
    progress.EndLine();
    if (r.status.ok()) {
      RenderText(r.result, out);
    } else {
      RenderError(r.status, out);
    }
    out.flush();
    if (auto code = stopped()) return code;
    if (r.end) return r.status.ok() ? 0 : 1;
  }
}

}  // namespace swarm::swci
