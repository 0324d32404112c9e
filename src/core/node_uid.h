#pragma once

// A node's uid: 32 random hex digits, made once and kept in DIR/uid, so a restarted node
// (same data dir) is the same node on the ledger.

#include <filesystem>
#include <string>

#include "core/status.h"

namespace swarm {

StatusOr<std::string> LoadOrMakeUid(const std::filesystem::path& data_dir);

}  // namespace swarm
