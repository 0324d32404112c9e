#include "bench/round_log.h"

#include <cstdio>
#include <sstream>

namespace swarm::bench {
namespace {

// The text after `marker` in `line`, or nullptr.
const char* After(const std::string& line, const char* marker) {
  const size_t at = line.find(marker);
  return at == std::string::npos ? nullptr : line.c_str() + at + std::char_traits<char>::length(marker);
}

}  // namespace

StatusOr<SlLog> ParseSlLog(const std::string& text) {
  SlLog log;
  uint64_t round = 0;
  bool closed = false;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    unsigned long long a = 0, b = 0, c = 0, d = 0;
    LoggedFetch f;
    if (const char* p = After(line, "checked in to round ")) {
      round = std::strtoull(p, nullptr, 10);
      log.rounds.push_back(round);
    } else if (const char* p = After(line, "leading the merge of round ")) {
      log.led.insert(std::strtoull(p, nullptr, 10));
    } else if (const char* p = After(line, "recorded the merge of round ")) {
      log.recorded.insert(std::strtoull(p, nullptr, 10));
    } else if (const char* p = After(line, "SL : INFO : fetched ")) {
      if (std::sscanf(p, "%llu bytes of blob %*s from %*[^:]:%d in %lf s (%*s MB/s; %lf", &a, &f.from_port,
                      &f.seconds, &f.sync_seconds) != 4) {
        return Internal("cannot read the fetch line '" + line + "'");
      }
      f.round = round;
      f.bytes = a;
      log.fetches.push_back(f);
    } else if (const char* p = After(line, "file server: served ")) {
      if (std::sscanf(p, "%llu bytes in %llu fetches; fetched %llu bytes in %llu", &a, &b, &c, &d) != 4) {
        return Internal("cannot read the closing line '" + line + "'");
      }
      log.served_bytes = a;
      log.fetched_bytes = c;
      closed = true;
    } else if (After(line, "choosing the next leader") || After(line, "passing the shard on")) {
      log.leader_replaced = true;
    }
  }
  if (!closed) return FailedPrecondition("the log has no closing 'file server: served ...' line");
  return log;
}

std::vector<uint64_t> BytesMoved(const std::vector<SlLog>& logs, const std::vector<int>& ports,
                                 uint64_t round) {
  std::vector<uint64_t> moved(logs.size());
  for (size_t i = 0; i < logs.size(); ++i) {
    for (const LoggedFetch& f : logs[i].fetches) {
      if (f.round != round) continue;
      moved[i] += f.bytes;
      for (size_t j = 0; j < ports.size(); ++j) {
        if (ports[j] == f.from_port) moved[j] += f.bytes;
      }
    }
  }
  return moved;
}

std::string CheckTotals(const std::vector<SlLog>& logs, const std::vector<int>& ports) {
  std::vector<uint64_t> fetched(logs.size()), served(logs.size());
  for (size_t i = 0; i < logs.size(); ++i) {
    for (const LoggedFetch& f : logs[i].fetches) {
      fetched[i] += f.bytes;
      for (size_t j = 0; j < ports.size(); ++j) {
        if (ports[j] == f.from_port) served[j] += f.bytes;
      }
    }
  }
  std::string out;
  for (size_t i = 0; i < logs.size(); ++i) {
    if (fetched[i] != logs[i].fetched_bytes || served[i] != logs[i].served_bytes) {
      out += "node " + std::to_string(i + 1) + ": logged fetches " + std::to_string(fetched[i]) + " and " +
             std::to_string(served[i]) + " served, totals " + std::to_string(logs[i].fetched_bytes) +
             " and " + std::to_string(logs[i].served_bytes) + "; ";
    }
  }
  return out;
}

}  // namespace swarm::bench
