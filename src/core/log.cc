#include "core/log.h"

#include <spdlog/sinks/stdout_sinks.h>

namespace swarm {

void InitLogging() {
  auto logger = spdlog::stderr_logger_mt("swarm");
  logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %v");
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

}  // namespace swarm
