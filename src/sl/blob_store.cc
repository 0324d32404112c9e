#include "sl/blob_store.h"

#include <algorithm>

#include "core/blob_reader.h"

namespace swarm::sl {
namespace fs = std::filesystem;

Status BlobStore::Init() {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec)
    return FailedPrecondition("cannot create the blob directory '" + dir_.string() + "': " + ec.message());
  return Status::Ok();
}

size_t BlobStore::Prune(const std::vector<Digest>& keep, std::chrono::seconds grace) {
  std::vector<std::string> kept;
  for (const Digest& d : keep) kept.push_back(PathOf(d).filename().string());
  const auto cutoff = fs::file_time_type::clock::now() - grace;
  size_t removed = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir_, ec)) {
    const std::string name = e.path().filename().string();
    if (name.size() != 64 + 5 || !name.ends_with(".blob")) continue;  // <sha256 hex>.blob only
    if (std::find(kept.begin(), kept.end(), name) != kept.end()) continue;
    std::error_code t;
    if (e.last_write_time(t) > cutoff || t) continue;
    if (fs::remove(e.path(), t)) ++removed;
  }
  return removed;
}

StatusOr<Digest> BlobStore::AdoptIncoming(const std::string& given) {
  const fs::path path = fs::path(given).lexically_normal();
  std::error_code ec;
  if (!path.is_absolute() || path.parent_path() != incoming().lexically_normal() ||
      !fs::is_regular_file(fs::symlink_status(path, ec))) {
    return InvalidArgument("the blob '" + given + "' is not a file in this SL's blob dir '" + incoming().string() +
                           "' (Hello's blob_dir)");
  }
  return Adopt(path);
}

StatusOr<Digest> BlobStore::Adopt(const fs::path& path) {
  ASSIGN_OR_RETURN(Digest d, CheckBlobFile(path));
  return AdoptWritten(path, d);
}

StatusOr<Digest> BlobStore::AdoptWritten(const fs::path& path, const Digest& d) {
  std::error_code ec;
  fs::rename(path, PathOf(d), ec);
  if (ec) {  // another file system: copy, then remove
    fs::copy_file(path, PathOf(d), fs::copy_options::overwrite_existing, ec);
    if (ec)
      return FailedPrecondition("cannot store '" + path.string() + "' in '" + dir_.string() +
                                "': " + ec.message());
    fs::remove(path, ec);
  }
  return d;
}

}  // namespace swarm::sl
