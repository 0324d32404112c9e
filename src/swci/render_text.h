#pragma once

// Results as HPE's SWCI shows them: the text that the transcripts in tests/swci/*.test hold.

#include <iosfwd>

#include "core/status.h"
#include "swci/result.h"

namespace swarm::swci {

void RenderText(const Part& part, std::ostream& out);
void RenderText(const Result& result, std::ostream& out);
// "ERROR: <message>": the one line a failed command prints.
void RenderError(const Status& status, std::ostream& out);

// Progress as text: each notice on its own lines, ticks as '#' on one line that ends
// before the next output (EndLine).
class TextProgress final : public Progress {
 public:
  explicit TextProgress(std::ostream& out) : out_(out) {}
  void Show(const Part& part) override;
  void Tick() override;
  // Ends a line of ticks, if one is open.
  void EndLine();

 private:
  std::ostream& out_;
  bool ticking_ = false;
};

}  // namespace swarm::swci
