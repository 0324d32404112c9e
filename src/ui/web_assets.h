#pragma once

// The web UI's own files (src/ui/web/), built into the binary by embed_assets.cmake.

#include <string>
#include <vector>

namespace swarm::ui {

struct WebAsset {
  std::string name;  // e.g. "app.js"
  std::string bytes;
};

const std::vector<WebAsset>& WebAssets();

}  // namespace swarm::ui
