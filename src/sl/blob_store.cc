#include "sl/blob_store.h"

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

StatusOr<Digest> BlobStore::Adopt(const fs::path& path) {
  ASSIGN_OR_RETURN(Digest d, CheckBlobFile(path));
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
