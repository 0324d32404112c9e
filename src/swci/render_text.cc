#include "swci/render_text.h"

#include <algorithm>
#include <ostream>

namespace swarm::swci {
namespace {

void Pad(std::ostream& out, const std::string& s, size_t width) {
  out << s;
  for (size_t n = s.size(); n < width; ++n) out << ' ';
}

void Render(const Message& m, std::ostream& out) {
  for (const auto& line : m.lines) out << line << "\n";
}

void Render(const Record& r, std::ostream& out) {
  size_t width = r.min_key_width;
  for (const auto& [key, value] : r.fields) width = std::max(width, key.size());
  for (const auto& [key, value] : r.fields) {
    Pad(out, key, width);
    out << " : " << value << "\n";
  }
}

void Render(const Table& t, std::ostream& out) {
  std::vector<size_t> widths;
  for (size_t c = 0; c < t.columns.size(); ++c) {
    size_t w = t.columns[c].width;
    if (w == 0) {
      w = t.columns[c].title.size();
      for (const auto& row : t.rows) w = std::max(w, c < row.size() ? row[c].size() : 0);
      w += 2;
    }
    widths.push_back(w);
  }
  auto line = [&](auto cell) {
    for (size_t c = 0; c < t.columns.size(); ++c) {
      if (c + 1 == t.columns.size()) {
        out << cell(c);
      } else {
        Pad(out, cell(c), widths[c]);
      }
    }
    out << "\n";
  };
  line([&](size_t c) { return t.columns[c].title; });
  for (const auto& row : t.rows) line([&](size_t c) { return c < row.size() ? row[c] : std::string(); });
}

}  // namespace

void RenderText(const Part& part, std::ostream& out) {
  std::visit([&](const auto& p) { Render(p, out); }, part);
}

void RenderText(const Result& result, std::ostream& out) {
  for (const Part& p : result.parts) RenderText(p, out);
}

void RenderError(const Status& status, std::ostream& out) { out << "ERROR: " << status.message() << "\n"; }

void TextProgress::Show(const Part& part) {
  EndLine();
  RenderText(part, out_);
  out_.flush();
}

void TextProgress::Tick() {
  out_ << '#' << std::flush;
  ticking_ = true;
}

void TextProgress::EndLine() {
  if (ticking_) out_ << "\n";
  ticking_ = false;
}

}  // namespace swarm::swci
