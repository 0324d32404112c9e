#include "sl/file_server.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>

#include "core/byte_stream.h"
#include "core/log.h"
#include "pki/tls.h"

namespace swarm::sl {
namespace {

constexpr char kLog[] = "SL";

struct Counters {
  std::atomic<uint64_t> served_bytes{0}, served_fetches{0}, fetched_bytes{0}, fetches{0};
};
Counters g_counters;

}  // namespace

TransferTotals Transfers() {
  return {g_counters.served_bytes.load(), g_counters.served_fetches.load(), g_counters.fetched_bytes.load(),
          g_counters.fetches.load()};
}

FileServerService::~FileServerService() {
  const TransferTotals t = Transfers();
  LogInfo(kLog, "file server: served " + std::to_string(t.served_bytes) + " bytes in " +
                    std::to_string(t.served_fetches) + " fetches; fetched " +
                    std::to_string(t.fetched_bytes) + " bytes in " + std::to_string(t.fetches) + " fetches");
}

void FileServerService::SetAuthorizer(Authorizer authorize) {
  MutexLock lock(mu_);
  authorize_ = std::move(authorize);
}

grpc::Status FileServerService::Fetch(grpc::ServerContext* ctx, const swarm::v1::FetchRequest* req,
                                      grpc::ServerWriter<swarm::v1::Chunk>* out) {
  const std::optional<Digest> d = Digest::FromBytes(req->digest());
  if (!d) {
    return pki::ToGrpcStatus(
        InvalidArgument("a digest is 32 bytes (SHA-256); got " + std::to_string(req->digest().size())));
  }
  Authorizer authorize;
  {
    MutexLock lock(mu_);
    authorize = authorize_;
  }
  if (!authorize) return pki::ToGrpcStatus(Unavailable("this SL has not reached its SN yet; try again"));
  StatusOr<pki::PeerIdentity> caller = pki::PeerOf(*ctx);
  if (!caller.ok()) return pki::ToGrpcStatus(caller.status());
  if (Status s = authorize(*caller, *d); !s.ok()) {
    if (s.code() == StatusCode::kPermissionDenied) LogWarning(kLog, "file server: refused: " + s.message());
    return pki::ToGrpcStatus(s);
  }
  const auto path = store_->PathOf(*d);
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) return pki::ToGrpcStatus(NotFound("this file server has no blob " + d->Hex()));
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(path, ec);
  if (req->offset() > size) {
    return pki::ToGrpcStatus(OutOfRange("offset " + std::to_string(req->offset()) +
                                        " is past the end of blob " + d->Hex() + " (" + std::to_string(size) +
                                        " bytes)"));
  }
  const uint64_t end = req->length() == 0 ? size : std::min(size, req->offset() + req->length());
  std::fseek(f.get(), static_cast<long>(req->offset()), SEEK_SET);
  g_counters.served_fetches.fetch_add(1);
  swarm::v1::Chunk chunk;
  chunk.set_total_size(size);
  std::string buf;
  for (uint64_t at = req->offset(); at < end && !ctx->IsCancelled();) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(kChunkBytes, end - at));
    buf.resize(n);
    if (std::fread(buf.data(), 1, n, f.get()) != n) {
      return pki::ToGrpcStatus(
          DataLoss("blob " + d->Hex() + " could not be read at offset " + std::to_string(at)));
    }
    chunk.set_data(std::move(buf));
    if (!out->Write(chunk)) break;
    g_counters.served_bytes.fetch_add(n);
    buf = std::move(*chunk.mutable_data());
    chunk.clear_total_size();
    at += n;
  }
  return grpc::Status::OK;
}

void FetchCanceller::Cancel(std::string reason) {
  MutexLock lock(mu_);
  if (reason_.empty()) reason_ = reason.empty() ? "cancelled" : std::move(reason);
  for (grpc::ClientContext* ctx : active_) ctx->TryCancel();
}

std::string FetchCanceller::reason() const {
  MutexLock lock(mu_);
  return reason_;
}

bool FetchCanceller::Register(grpc::ClientContext* ctx) {
  MutexLock lock(mu_);
  if (!reason_.empty()) return false;
  active_.insert(ctx);
  return true;
}

void FetchCanceller::Unregister(grpc::ClientContext* ctx) {
  MutexLock lock(mu_);
  active_.erase(ctx);
}

namespace {

// A fetch's context registered with its canceller (if any) for the fetch's life.
class Registration {
 public:
  Registration(FetchCanceller* canceller, grpc::ClientContext* ctx)
      : canceller_(canceller && canceller->Register(ctx) ? canceller : nullptr),
        ctx_(ctx),
        refused_(canceller && !canceller_) {}
  ~Registration() {
    if (canceller_) canceller_->Unregister(ctx_);
  }
  Registration(const Registration&) = delete;
  Registration& operator=(const Registration&) = delete;
  // The canceller had already been cancelled: the fetch must not start.
  bool refused() const { return refused_; }

 private:
  FetchCanceller* canceller_;
  grpc::ClientContext* ctx_;
  bool refused_;
};

}  // namespace

namespace {

// One FileServer/Fetch of bytes [offset, offset + length) of blob `digest` (length 0: to its
// end), each chunk handed to `sink` as it arrives and counted in `*received`. A sink that
// fails cuts the stream; Cancel on `canceller` ends it, naming `what`.
Status StreamFetch(const std::shared_ptr<grpc::Channel>& channel, const std::string& endpoint,
                   const Digest& digest, uint64_t offset, uint64_t length, const RangeSink& sink,
                   std::chrono::milliseconds timeout, FetchCanceller* canceller, const std::string& what,
                   uint64_t* received) {
  auto stub = swarm::v1::FileServer::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + timeout);
  const auto cut = [&] {
    return Cancelled("the fetch of " + what + " was cut short: " + canceller->reason());
  };
  const Registration registered(canceller, &ctx);
  if (registered.refused()) return cut();
  swarm::v1::FetchRequest req;
  req.set_digest(std::string(digest.view()));
  req.set_offset(offset);
  req.set_length(length);
  auto reader = stub->Fetch(&ctx, req);
  swarm::v1::Chunk chunk;
  Status sunk;
  while (reader->Read(&chunk)) {
    const auto bytes = std::as_bytes(std::span(chunk.data().data(), chunk.data().size()));
    g_counters.fetched_bytes.fetch_add(bytes.size());
    if (length > 0 && *received + bytes.size() > length) {
      sunk = DataLoss(endpoint + " sent more than the " + std::to_string(length) + " bytes asked for");
    } else {
      sunk = sink(bytes);
    }
    *received += bytes.size();
    if (!sunk.ok()) {
      ctx.TryCancel();
      break;
    }
  }
  const grpc::Status finished = reader->Finish();
  g_counters.fetches.fetch_add(1);
  if (canceller && !canceller->reason().empty()) return cut();
  RETURN_IF_ERROR(sunk);
  return pki::CheckCall(finished, "FileServer/Fetch", endpoint);
}

// The line each fetch that moved bytes logs (the round benchmark reads it).
void LogFetched(uint64_t bytes, const Digest& digest, const std::string& endpoint, double seconds,
                double sync_seconds) {
  char rate[96];
  std::snprintf(rate, sizeof rate, " in %.3f s (%.0f MB/s; %.3f s of it syncing to disk)", seconds,
                static_cast<double>(bytes) / seconds / 1e6, sync_seconds);
  LogInfo(kLog, "fetched " + std::to_string(bytes) + " bytes of blob " + digest.Hex().substr(0, 12) + " from " +
                    endpoint + rate);
}

double SecondsSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

Status FetchBlob(const std::shared_ptr<grpc::Channel>& channel, const std::string& endpoint,
                 const Digest& digest, BlobStore* store, std::chrono::milliseconds timeout,
                 FetchCanceller* canceller) {
  if (store->Has(digest)) return Status::Ok();
  const auto start = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(std::unique_ptr<FileSink> sink, FileSink::Create(store->PathOf(digest)));
  Sha256 hash;
  uint64_t received = 0;
  RETURN_IF_ERROR(StreamFetch(
      channel, endpoint, digest, 0, 0,
      [&](std::span<const std::byte> bytes) {
        hash.Update(bytes);
        return sink->Write(bytes);
      },
      timeout, canceller, "blob " + digest.Hex().substr(0, 12) + " from " + endpoint, &received));
  const Digest got = hash.Finish();
  if (!(got == digest)) {  // the sink goes uncommitted
    return DataLoss("the blob from " + endpoint + " has SHA-256 " + got.Hex() + ", not " + digest.Hex() +
                    " as the ledger says; it was not kept");
  }
  const auto synced_from = std::chrono::steady_clock::now();
  RETURN_IF_ERROR(sink->Commit());
  LogFetched(received, digest, endpoint, SecondsSince(start), SecondsSince(synced_from));
  return Status::Ok();
}

Status FetchBlobRange(const std::shared_ptr<grpc::Channel>& channel, const std::string& endpoint,
                      const Digest& digest, uint64_t offset, uint64_t length, const RangeSink& sink,
                      std::chrono::milliseconds timeout, FetchCanceller* canceller) {
  if (length == 0) return Status::Ok();  // an empty range (a request for 0 means "to the end")
  const std::string what = "bytes " + std::to_string(offset) + ".." + std::to_string(offset + length) +
                           " of blob " + digest.Hex().substr(0, 12) + " from " + endpoint;
  const auto start = std::chrono::steady_clock::now();
  uint64_t received = 0;
  RETURN_IF_ERROR(
      StreamFetch(channel, endpoint, digest, offset, length, sink, timeout, canceller, what, &received));
  if (received != length) {
    return DataLoss(endpoint + " sent " + std::to_string(received) + " of the " + std::to_string(length) +
                    " bytes asked for (" + what + ")");
  }
  LogFetched(length, digest, endpoint, SecondsSince(start), 0);  // nothing is synced
  return Status::Ok();
}

namespace {

// Keeps one channel per peer: a new one per fetch cost a TCP connection, a TLS handshake
// and a cold HTTP/2 flow-control window, which for a 1 MB model was most of the fetch.
class TlsFetcher final : public PeerFetcher {
 public:
  TlsFetcher(const pki::TlsIdentity& identity, std::chrono::seconds timeout)
      : credentials_(pki::MakeChannelCredentials(identity)), timeout_(timeout) {}
  Status Fetch(const std::string& endpoint, const Digest& digest, BlobStore* store,
               std::chrono::milliseconds within) override {
    if (store->Has(digest)) return Status::Ok();
    const std::shared_ptr<grpc::Channel> channel = ChannelTo(endpoint);
    Status s = FetchBlob(channel, endpoint, digest, store,
                         std::min<std::chrono::milliseconds>(timeout_, within), &canceller_);
    // A channel whose peer failed waits out gRPC's reconnect backoff (a second and more)
    // before it dials again; a peer that restarts should be dialled at the next try.
    if (!s.ok()) Forget(endpoint, channel);
    return s;
  }
  Status FetchRange(const std::string& endpoint, const Digest& digest, uint64_t offset, uint64_t length,
                    const RangeSink& sink, std::chrono::milliseconds within) override {
    const std::shared_ptr<grpc::Channel> channel = ChannelTo(endpoint);
    Status s = FetchBlobRange(channel, endpoint, digest, offset, length, sink,
                              std::min<std::chrono::milliseconds>(timeout_, within), &canceller_);
    if (!s.ok()) Forget(endpoint, channel);
    return s;
  }
  void Cancel(std::string reason) override { canceller_.Cancel(std::move(reason)); }

 private:
  // A leader fetches from every participant; beyond this many peers the least recently used
  // channel is closed, so that a large swarm does not keep a connection to every node.
  static constexpr size_t kMaxChannels = 64;
  struct Cached {
    std::shared_ptr<grpc::Channel> channel;
    uint64_t used = 0;  // the fetch count when it was last used
  };

  std::shared_ptr<grpc::Channel> ChannelTo(const std::string& endpoint) {
    MutexLock lock(mu_);
    auto it = channels_.find(endpoint);
    if (it == channels_.end()) {
      if (channels_.size() >= kMaxChannels) {
        channels_.erase(
            std::min_element(channels_.begin(), channels_.end(),
                             [](const auto& a, const auto& b) { return a.second.used < b.second.used; }));
      }
      it = channels_.emplace(endpoint, Cached{grpc::CreateChannel(endpoint, credentials_)}).first;
    }
    it->second.used = ++uses_;
    return it->second.channel;
  }

  void Forget(const std::string& endpoint, const std::shared_ptr<grpc::Channel>& channel) {
    MutexLock lock(mu_);
    if (auto it = channels_.find(endpoint); it != channels_.end() && it->second.channel == channel) {
      channels_.erase(it);
    }
  }

  const std::shared_ptr<grpc::ChannelCredentials> credentials_;
  std::chrono::seconds timeout_;
  FetchCanceller canceller_;
  Mutex mu_;
  std::map<std::string, Cached> channels_ SWARM_GUARDED_BY(mu_);
  uint64_t uses_ SWARM_GUARDED_BY(mu_) = 0;
};

}  // namespace

std::unique_ptr<PeerFetcher> MakeTlsFetcher(const pki::TlsIdentity& identity, std::chrono::seconds timeout) {
  return std::make_unique<TlsFetcher>(identity, timeout);
}

}  // namespace swarm::sl
