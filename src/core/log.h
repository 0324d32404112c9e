#pragma once

// Log lines in HPE Swarm Learning's format, "swarm.<component> : LEVEL : message", which
// users and their scripts grep for (e.g. "swarm.blCnt : INFO : Starting SWARM-API-SERVER
// on port: 30304"). Written to stderr through spdlog's default logger.

#include <spdlog/spdlog.h>

#include <string_view>

namespace swarm {

inline void LogInfo(std::string_view component, std::string_view message) {
  spdlog::info("swarm.{} : INFO : {}", component, message);
}
inline void LogWarning(std::string_view component, std::string_view message) {
  spdlog::warn("swarm.{} : WARNING : {}", component, message);
}
inline void LogError(std::string_view component, std::string_view message) {
  spdlog::error("swarm.{} : ERROR : {}", component, message);
}

// Sets spdlog to print just the message with a timestamp, flushing every line, so the
// lines above appear as written and promptly (tests and supervisors read them).
void InitLogging();

}  // namespace swarm
