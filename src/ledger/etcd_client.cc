#include "ledger/etcd_client.h"

#include <httplib.h>

#include <charconv>
#include <functional>
#include <nlohmann/json.hpp>

namespace swarm::ledger {
namespace {
using json = nlohmann::json;

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// The gateway writes 64-bit integers as strings; absent fields, and values that are not
// integers, are zero (never an exception).
template <typename T>
T Integer(const json& j, const char* field) {
  if (!j.is_object() || !j.contains(field)) return 0;
  const json& v = j[field];
  if (v.is_number_integer()) return v.get<T>();
  if (!v.is_string()) return 0;
  const std::string& text = v.get_ref<const std::string&>();
  T out = 0;
  const auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), out);
  return err == std::errc() && end == text.data() + text.size() ? out : 0;
}
int64_t Int(const json& j, const char* field) { return Integer<int64_t>(j, field); }
uint64_t UInt(const json& j, const char* field) { return Integer<uint64_t>(j, field); }

KeyValue ParseKv(const json& j) {
  KeyValue kv;
  kv.key = Base64Decode(j.value("key", "")).value_or("");
  kv.value = Base64Decode(j.value("value", "")).value_or("");
  kv.create_revision = Int(j, "create_revision");
  kv.mod_revision = Int(j, "mod_revision");
  kv.version = Int(j, "version");
  kv.lease = Int(j, "lease");
  return kv;
}

std::vector<KeyValue> ParseKvs(const json& j) {
  std::vector<KeyValue> kvs;
  for (const auto& kv : j.value("kvs", json::array())) kvs.push_back(ParseKv(kv));
  return kvs;
}

EtcdMember ParseMember(const json& j) {
  EtcdMember m;
  m.id = UInt(j, "ID");
  m.name = j.value("name", "");
  for (const auto& u : j.value("peerURLs", json::array())) m.peer_urls.push_back(u.get<std::string>());
  for (const auto& u : j.value("clientURLs", json::array())) m.client_urls.push_back(u.get<std::string>());
  return m;
}

}  // namespace

std::string PrefixEnd(std::string prefix) {
  while (!prefix.empty()) {
    if (static_cast<unsigned char>(prefix.back()) < 0xff) {
      ++prefix.back();
      return prefix;
    }
    prefix.pop_back();
  }
  return std::string(1, '\0');  // every key
}

std::string Base64Encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  for (size_t i = 0; i < in.size(); i += 3) {
    uint32_t v = static_cast<uint8_t>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<uint8_t>(in[i + 1]) << 8;
    if (i + 2 < in.size()) v |= static_cast<uint8_t>(in[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += i + 2 < in.size() ? kAlphabet[v & 63] : '=';
  }
  return out;
}

std::optional<std::string> Base64Decode(std::string_view in) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    const char* p = std::strchr(kAlphabet, c);
    if (p == nullptr || c == '\0') return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(p - kAlphabet);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

EtcdClient::EtcdClient(std::string host, int port, std::chrono::milliseconds timeout, std::optional<EtcdTls> tls)
    : host_(std::move(host)), port_(port) {
  if (tls) {
    http_ = std::make_unique<httplib::Client>("https://" + host_ + ":" + std::to_string(port_), tls->cert.string(),
                                              tls->key.string());
    http_->set_ca_cert_path(tls->ca.string());
    http_->enable_server_certificate_verification(true);
  } else {
    http_ = std::make_unique<httplib::Client>(host_, port_);
  }
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(timeout);
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(timeout - s);
  http_->set_connection_timeout(s.count(), us.count());
  http_->set_read_timeout(s.count(), us.count());
  http_->set_write_timeout(s.count(), us.count());
  http_->set_keep_alive(true);
  http_->set_tcp_nodelay(true);  // else Nagle holds each body back for a delayed ACK (40 ms)
}

EtcdClient::~EtcdClient() = default;

StatusOr<std::string> EtcdClient::Post(const std::string& path, const std::string& body) {
  auto res = http_->Post(path, body, "application/json");
  if (!res) {
    return Unavailable("etcd at " + endpoint() + " did not answer " + path + ": " +
                       httplib::to_string(res.error()));
  }
  if (res->status != 200) {
    std::string message = res->body;
    if (auto j = json::parse(res->body, nullptr, false); !j.is_discarded() && j.contains("message")) {
      message = j["message"].get<std::string>();
    }
    return Unavailable("etcd at " + endpoint() + " refused " + path + " (HTTP " +
                       std::to_string(res->status) + "): " + message);
  }
  return std::move(res->body);
}

template <typename T>
StatusOr<T> EtcdClient::Call(const std::string& path, const std::string& body,
                             const std::function<T(const nlohmann::json&)>& read) {
  ASSIGN_OR_RETURN(std::string out, Post(path, body));
  const json j = json::parse(out, nullptr, false);
  const auto unreadable = [&](const std::string& why) {
    return Unavailable("etcd at " + endpoint() + " answered " + path + " with a reply this client cannot read (" +
                       why + "): " + out.substr(0, 200));
  };
  if (j.is_discarded()) return unreadable("not JSON");
  try {  // a field of an unexpected type, or a number that is not one
    return read(j);
  } catch (const std::exception& e) {
    return unreadable(e.what());
  }
}

Status EtcdClient::Health() {
  auto res = http_->Get("/health");
  if (!res)
    return Unavailable("etcd at " + endpoint() + " is not answering: " + httplib::to_string(res.error()));
  auto j = json::parse(res->body, nullptr, false);
  if (res->status != 200 || j.is_discarded() || j.value("health", "") != "true") {
    return Unavailable("etcd at " + endpoint() + " is not healthy: " + res->body);
  }
  return Status::Ok();
}

Status EtcdClient::Put(const std::string& key, const std::string& value, int64_t lease) {
  json body = {{"key", Base64Encode(key)}, {"value", Base64Encode(value)}};
  if (lease != 0) body["lease"] = std::to_string(lease);
  return Post("/v3/kv/put", body.dump()).status();
}

StatusOr<std::optional<KeyValue>> EtcdClient::Get(const std::string& key) {
  return Call<std::optional<KeyValue>>("/v3/kv/range", json{{"key", Base64Encode(key)}}.dump(), [](const json& j) {
    if (!j.contains("kvs") || j["kvs"].empty()) return std::optional<KeyValue>();
    return std::optional<KeyValue>(ParseKv(j["kvs"][0]));
  });
}

StatusOr<std::vector<KeyValue>> EtcdClient::GetPrefix(const std::string& prefix) {
  return GetRange(prefix, PrefixEnd(prefix));
}

StatusOr<std::vector<KeyValue>> EtcdClient::GetRange(const std::string& key, const std::string& range_end) {
  const json body = {{"key", Base64Encode(key)}, {"range_end", Base64Encode(range_end)}};
  return Call<std::vector<KeyValue>>("/v3/kv/range", body.dump(), ParseKvs);
}

StatusOr<CasOutcome> EtcdClient::PutIfModRevision(const std::string& key, int64_t expected,
                                                  const std::vector<std::pair<std::string, std::string>>& puts,
                                                  const std::vector<KeyRange>& reads_on_failure) {
  json success = json::array(), failure = json::array();
  for (const auto& [k, v] : puts) {
    success.push_back({{"requestPut", {{"key", Base64Encode(k)}, {"value", Base64Encode(v)}}}});
  }
  for (const KeyRange& r : reads_on_failure) {
    json range = {{"key", Base64Encode(r.key)}, {"range_end", Base64Encode(r.range_end)}};
    if (r.limit > 0) range["limit"] = std::to_string(r.limit);
    failure.push_back({{"requestRange", range}});
  }
  json body = {{"compare",
                {{{"key", Base64Encode(key)},
                  {"target", "MOD"},
                  {"result", "EQUAL"},
                  {"mod_revision", std::to_string(expected)}}}},
               {"success", success}};
  if (!failure.empty()) body["failure"] = failure;
  ASSIGN_OR_RETURN(CasOutcome outcome, Call<CasOutcome>("/v3/kv/txn", body.dump(), [](const json& reply) {
                     CasOutcome o;
                     if (reply.value("succeeded", false)) {
                       o.revision = reply.contains("header") ? Int(reply["header"], "revision") : 0;
                       return o;
                     }
                     for (const auto& r : reply.value("responses", json::array())) {
                       // The gateway names the field as the proto does; accept its JSON name too.
                       const char* field = r.contains("response_range") ? "response_range" : "responseRange";
                       o.reads.push_back(ParseKvs(r.value(field, json::object())));
                     }
                     return o;
                   }));
  if (outcome.revision && *outcome.revision <= 0) {
    return Unavailable("etcd at " + endpoint() + " wrote without a revision");
  }
  if (!outcome.revision && outcome.reads.size() != reads_on_failure.size()) {
    return Unavailable("etcd at " + endpoint() + " answered " + std::to_string(outcome.reads.size()) + " of the " +
                       std::to_string(reads_on_failure.size()) + " reads of a failed transaction");
  }
  return outcome;
}

StatusOr<int64_t> EtcdClient::LeaseGrant(std::chrono::seconds ttl) {
  ASSIGN_OR_RETURN(const int64_t id,
                   Call<int64_t>("/v3/lease/grant", json{{"TTL", std::to_string(ttl.count())}}.dump(),
                                 [](const json& j) { return Int(j, "ID"); }));
  if (id == 0) return Unavailable("etcd at " + endpoint() + " granted no lease");
  return id;
}

Status EtcdClient::LeaseKeepAlive(int64_t lease) {
  ASSIGN_OR_RETURN(std::string out, Post("/v3/lease/keepalive", json{{"ID", std::to_string(lease)}}.dump()));
  // The gateway streams {"result": {...}}; a lease that has expired comes back with TTL 0 or absent.
  const json j = json::parse(out.substr(0, out.find('\n')), nullptr, false);
  const json& r = !j.is_discarded() && j.contains("result") ? j["result"] : j;
  if (j.is_discarded() || Int(r, "TTL") <= 0)
    return NotFound("lease " + std::to_string(lease) + " has expired");
  return Status::Ok();
}

Status EtcdClient::LeaseRevoke(int64_t lease) {
  return Post("/v3/lease/revoke", json{{"ID", std::to_string(lease)}}.dump()).status();
}

StatusOr<std::vector<EtcdMember>> EtcdClient::MemberList() {
  return Call<std::vector<EtcdMember>>("/v3/cluster/member/list", "{}", [](const json& j) {
    std::vector<EtcdMember> members;
    for (const auto& m : j.value("members", json::array())) members.push_back(ParseMember(m));
    return members;
  });
}

StatusOr<EtcdClient::MemberStatus> EtcdClient::Leadership() {
  return Call<MemberStatus>("/v3/maintenance/status", "{}", [](const json& j) {
    return MemberStatus{UInt(j.value("header", json::object()), "member_id"), UInt(j, "leader")};
  });
}

StatusOr<EtcdMember> EtcdClient::MemberAdd(const std::vector<std::string>& peer_urls) {
  return Call<EtcdMember>("/v3/cluster/member/add", json{{"peerURLs", peer_urls}}.dump(),
                          [](const json& j) { return ParseMember(j.value("member", json::object())); });
}

Status EtcdClient::MemberRemove(uint64_t id) {
  return Post("/v3/cluster/member/remove", json{{"ID", std::to_string(id)}}.dump()).status();
}

}  // namespace swarm::ledger
