#pragma once

// A small client of etcd's v3 API, over the JSON gateway on the member's client URL
// (127.0.0.1 only: each SN talks to its own etcd, which is never exposed; with mutual TLS
// whose keys only that SN holds, see EtcdProcess). Every call has a deadline; errors name
// the operation and the endpoint.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/status.h"

namespace httplib {
class Client;
}

namespace swarm::ledger {

struct KeyValue {
  std::string key, value;
  int64_t create_revision = 0, mod_revision = 0, version = 0, lease = 0;
};

struct EtcdMember {
  uint64_t id = 0;
  std::string name;
  std::vector<std::string> peer_urls, client_urls;
};

// Keys in [key, range_end), at most `limit` of them (0: all).
struct KeyRange {
  std::string key, range_end;
  int64_t limit = 0;
};

// What a compare-and-swap did: the revision it wrote at, or, when the comparison failed and
// nothing was written, what each read asked for on failure found (in the same transaction,
// so the caller catches up without another round trip).
struct CasOutcome {
  std::optional<int64_t> revision;
  std::vector<std::vector<KeyValue>> reads;
};

// Mutual TLS to a member's client URL: the CA that issued its certificate, and ours.
struct EtcdTls {
  std::filesystem::path ca, cert, key;
};

class EtcdClient {
 public:
  EtcdClient(std::string host, int port, std::chrono::milliseconds timeout = std::chrono::seconds(5),
             std::optional<EtcdTls> tls = std::nullopt);
  ~EtcdClient();

  std::string endpoint() const { return host_ + ":" + std::to_string(port_); }

  Status Health();
  Status Put(const std::string& key, const std::string& value, int64_t lease = 0);
  StatusOr<std::optional<KeyValue>> Get(const std::string& key);
  // Keys in [key, range_end), in key order.
  StatusOr<std::vector<KeyValue>> GetRange(const std::string& key, const std::string& range_end);
  // Keys starting with `prefix`, in key order.
  StatusOr<std::vector<KeyValue>> GetPrefix(const std::string& prefix);
  // Writes every pair of `puts` in one transaction if `key`'s mod_revision is `expected`
  // (0: the key does not exist). Returns the revision of the write (the new mod_revision
  // of every key written), or, writing nothing if the comparison failed, what
  // `reads_on_failure` found.
  StatusOr<CasOutcome> PutIfModRevision(const std::string& key, int64_t expected,
                                        const std::vector<std::pair<std::string, std::string>>& puts,
                                        const std::vector<KeyRange>& reads_on_failure = {});

  StatusOr<int64_t> LeaseGrant(std::chrono::seconds ttl);
  Status LeaseKeepAlive(int64_t lease);
  Status LeaseRevoke(int64_t lease);

  StatusOr<std::vector<EtcdMember>> MemberList();
  // This member's id and the id of the member Raft's leader is (0: no leader now).
  struct MemberStatus {
    uint64_t id = 0, leader = 0;
  };
  StatusOr<MemberStatus> Leadership();
  StatusOr<EtcdMember> MemberAdd(const std::vector<std::string>& peer_urls);
  Status MemberRemove(uint64_t id);

 private:
  StatusOr<std::string> Post(const std::string& path, const std::string& body);
  // Post, then `read` the JSON reply; a reply that is not JSON, or that `read` cannot take
  // (a field of another type), is an error naming the call, not an exception.
  template <typename T>
  StatusOr<T> Call(const std::string& path, const std::string& body, const std::function<T(const nlohmann::json&)>& read);

  std::string host_;
  int port_;
  std::unique_ptr<httplib::Client> http_;
};

// The end of the range holding every key that starts with `prefix`.
std::string PrefixEnd(std::string prefix);

// Standard base64 (etcd's JSON gateway carries keys and values in it).
std::string Base64Encode(std::string_view bytes);
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace swarm::ledger
