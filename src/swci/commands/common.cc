#include "swci/commands/common.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "pki/certificate.h"

namespace swarm::swci {

StatusOr<std::unique_ptr<snapi::SnApi>> WaitUntilUp(CommandEnv& env, const snapi::Endpoint& endpoint,
                                                    long tries, std::chrono::milliseconds pause) {
  ASSIGN_OR_RETURN(std::unique_ptr<snapi::SnApi> api, env.services.connect(endpoint));
  Status last;
  for (long attempt = 0; attempt < tries; ++attempt) {
    if (attempt > 0)
      RETURN_IF_ERROR(env.Sleep(pause, "waiting for the API server at " + endpoint.ToString()));
    last = api->Health();
    if (last.ok()) return api;
    // A refused certificate will not change by retrying.
    if (last.code() == StatusCode::kUnauthenticated || last.code() == StatusCode::kPermissionDenied) break;
  }
  return Unavailable("API server at " + endpoint.ToString() + " is not up: " + last.message());
}

std::string TimeOfMs(int64_t unix_ms) {
  if (unix_ms == 0) return "-";
  return pki::FormatTime(std::chrono::system_clock::time_point(std::chrono::milliseconds(unix_ms)));
}

std::string BlockOf(uint64_t height) {
  return height == 0 ? "built in" : "ledger block " + std::to_string(height);
}

std::string BlockAt(uint64_t height, int64_t unix_ms) {
  return "ledger block " + std::to_string(height) + " at " + TimeOfMs(unix_ms);
}

std::string YesNo(bool b) { return b ? "yes" : "no"; }

std::string Fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
  return buf;
}

std::string Shortest(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}

StatusOr<double> ParseMinutes(std::string_view text, std::string_view what) {
  double v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v) || v <= 0) {
    return InvalidArgument(std::string(what) + " is '" + std::string(text) +
                           "'; expected a number of minutes above 0, e.g. 120 or 0.5");
  }
  return v;
}

}  // namespace swarm::swci
