#pragma once

// Pieces that several command groups share: reaching an API server, and how times,
// ledger blocks and numbers are shown.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "snapi/sn_api.h"
#include "swci/command_env.h"

namespace swarm::swci {

// Asks the API server at `endpoint` for its health up to `tries` times, `pause` apart (a
// stop ends the pauses). Returns its client once it answers; a certificate refusal ends
// the tries at once. The error names the endpoint and the last failure.
StatusOr<std::unique_ptr<snapi::SnApi>> WaitUntilUp(CommandEnv& env, const snapi::Endpoint& endpoint,
                                                    long tries, std::chrono::milliseconds pause);

inline constexpr std::string_view kApiServerUp = "API Server is UP!";

// "2026-12-02 07:48:00 UTC"; "-" for 0 (never).
std::string TimeOfMs(int64_t unix_ms);
// "built in" for 0 (existed from the start), else "ledger block N".
std::string BlockOf(uint64_t height);
// A ledger event: "ledger block N at TIME".
std::string BlockAt(uint64_t height, int64_t unix_ms);
std::string YesNo(bool b);
// `v` with `decimals` digits after the point.
std::string Fixed(double v, int decimals);
// The shortest form of `v` ("120", "0.05").
std::string Shortest(double v);

// A number of minutes as SWCI_TASK_MAX_WAIT_TIME takes it: positive, decimals allowed.
StatusOr<double> ParseMinutes(std::string_view text, std::string_view what);

}  // namespace swarm::swci
