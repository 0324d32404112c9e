#pragma once

// The SL's file server: streams the blobs of its store, whole or by byte range, in 1 MiB
// chunks, to other SLs (mutual TLS, SL role only; see sl_node.cc). And the client side:
// fetching a blob by digest into the local store, verified while it streams. Both sides
// count the bytes they move; the SL logs the totals when its file server goes down.

#include <grpcpp/grpcpp.h>

#include <functional>
#include <set>

#include "core/mutex.h"
#include "pki/tls.h"
#include "sl/blob_store.h"
#include "sl/range_stream.h"
#include "swarm/v1/sl.grpc.pb.h"

namespace swarm::sl {

// A fetch's message size. Small enough that the fetcher hashes and writes one chunk while
// the next is on its way (a 1 MB model in one message waited for all of it: 5 ms a fetch on
// loopback against 3.5 ms in 256 KiB chunks); large enough that 100 MB moves as fast.
inline constexpr size_t kChunkBytes = 1 << 18;

class FileServerService final : public swarm::v1::FileServer::Service {
 public:
  // Says whether a caller may fetch a blob (sl/fetch_policy.h): Ok, or why not.
  using Authorizer = std::function<Status(const pki::PeerIdentity& caller, const Digest& digest)>;

  explicit FileServerService(const BlobStore* store) : store_(store) {}
  // Until it is set (the SL reaches its SN), every fetch is refused as Unavailable.
  void SetAuthorizer(Authorizer authorize);
  // Logs this process's transfer totals (one line; the round benchmark reads it).
  ~FileServerService() override;
  grpc::Status Fetch(grpc::ServerContext* ctx, const swarm::v1::FetchRequest* req,
                     grpc::ServerWriter<swarm::v1::Chunk>* out) override;

 private:
  const BlobStore* store_;
  Mutex mu_;
  Authorizer authorize_ SWARM_GUARDED_BY(mu_);
};

// Bytes this process's file server sent and FetchBlob received, as payload on the wire.
// Process-wide: an SL process has one file server, and FetchBlob is a free function.
struct TransferTotals {
  uint64_t served_bytes = 0, served_fetches = 0, fetched_bytes = 0, fetches = 0;
};
TransferTotals Transfers();

// Cuts fetches short: Cancel() ends every fetch in flight that registered with it, and
// refuses those that start later, with its reason (the SL is stopping, its program died).
class FetchCanceller {
 public:
  void Cancel(std::string reason);
  // Empty until Cancel.
  std::string reason() const;

  // For FetchBlob: `ctx` is cancelled with the others; false (and nothing registered) once
  // Cancel was called.
  bool Register(grpc::ClientContext* ctx);
  void Unregister(grpc::ClientContext* ctx);

 private:
  mutable Mutex mu_;
  std::set<grpc::ClientContext*> active_ SWARM_GUARDED_BY(mu_);
  std::string reason_ SWARM_GUARDED_BY(mu_);
};

// Fetches blob `digest` from the file server behind `channel` into `store` (a no-op if it
// is there). The bytes are hashed as they arrive; a blob whose digest differs is refused
// and nothing is kept. Logs the size and time of each fetch that moved bytes. With
// `canceller`, its Cancel ends the fetch at once (Cancelled; nothing is kept).
Status FetchBlob(const std::shared_ptr<grpc::Channel>& channel, const std::string& endpoint,
                 const Digest& digest, BlobStore* store, std::chrono::milliseconds timeout,
                 FetchCanceller* canceller = nullptr);

// Fetches bytes [offset, offset + length) of blob `digest` from the file server behind
// `channel` into `sink` (a shard merger's merge, sl/range_stream.h). A range cannot be
// checked against the blob's digest: it comes over mutual TLS from the node whose
// contribution it is. Exactly `length` bytes, or an error.
Status FetchBlobRange(const std::shared_ptr<grpc::Channel>& channel, const std::string& endpoint,
                      const Digest& digest, uint64_t offset, uint64_t length, const RangeSink& sink,
                      std::chrono::milliseconds timeout, FetchCanceller* canceller = nullptr);

// How an SL gets a blob from a peer's file server: FetchBlob over mutual TLS in production
// (MakeTlsFetcher); the round protocol's tests serve from other nodes' stores in memory.
class PeerFetcher {
 public:
  virtual ~PeerFetcher() = default;
  // Fetches blob `digest` from the file server at `endpoint` into `store` (a no-op if it is
  // there), verified against the digest: DataLoss when the bytes differ. A fetch takes at
  // most `within` (and at most the fetcher's own timeout).
  virtual Status Fetch(const std::string& endpoint, const Digest& digest, BlobStore* store,
                       std::chrono::milliseconds within) = 0;
  // FetchBlobRange from the file server at `endpoint`.
  virtual Status FetchRange(const std::string& endpoint, const Digest& digest, uint64_t offset,
                            uint64_t length, const RangeSink& sink, std::chrono::milliseconds within) = 0;
  // Ends the fetches in flight and refuses later ones, Cancelled with `reason`.
  virtual void Cancel(std::string reason) = 0;
};

// Fetches over mutual TLS with `identity` (which must outlive it), each fetch within `timeout`.
std::unique_ptr<PeerFetcher> MakeTlsFetcher(const pki::TlsIdentity& identity,
                                            std::chrono::seconds timeout = std::chrono::seconds(600));

}  // namespace swarm::sl
