#pragma once

// An SL's model blobs, one file per blob named by its SHA-256 (DIR/<hex>.blob): what its
// file server serves and where fetched and merged models land. Files are complete or
// absent (written under a temporary name and renamed).

#include <chrono>
#include <filesystem>
#include <mutex>
#include <vector>

#include "core/sha256.h"
#include "core/status.h"

namespace swarm::sl {

class BlobStore {
 public:
  explicit BlobStore(std::filesystem::path dir) : dir_(std::move(dir)) {}
  Status Init();

  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path PathOf(const Digest& d) const { return dir_ / (d.Hex() + ".blob"); }
  bool Has(const Digest& d) const { return std::filesystem::exists(PathOf(d)); }

  // Checks the blob at `path` completely (every CRC, the format) and moves it into the
  // store under its digest. The error names the file and what is wrong with it.
  StatusOr<Digest> Adopt(const std::filesystem::path& path);
  // Moves a blob that this node wrote itself into the store under `digest`, which its
  // BlobWriter computed while writing, without reading it again (a merged model).
  StatusOr<Digest> AdoptWritten(const std::filesystem::path& path, const Digest& digest);
  // Where an ML program writes the blobs it hands over (Hello's blob_dir).
  std::filesystem::path incoming() const { return dir_ / "incoming"; }
  // Adopt for a path an ML program gave: only a regular file directly in incoming() is
  // taken; nothing else on disk is moved into the store.
  StatusOr<Digest> AdoptIncoming(const std::string& path);

  // Removes every stored blob but those in `keep`, leaving alone any changed in the last
  // `grace` (a fetch or a merge may just have landed it). Returns how many it removed.
  size_t Prune(const std::vector<Digest>& keep, std::chrono::seconds grace = std::chrono::seconds(5));

 private:
  std::filesystem::path dir_;
};

}  // namespace swarm::sl
