// Ledger commit throughput and latency through real `swarm sn` processes (real etcd
// members, mutual TLS), first with one SN, then with a network of three.
//
// Clients are threads, each with its own channel, submitting CREATE CONTRACT transactions
// signed with the SWCI key of host 1 (ahead of the measured window) and waiting for each
// commit before the next; with several SNs the clients are spread over them. A transaction counts when its
// Submit returned OK: it is then in a block appended to the chain. Prints one JSON document.
//
//   ledger_benchmark [--seconds S] [--clients 1,16,64] [--sns 1,3]

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "core/clock.h"
#include "ledger/chain.h"
#include "ledger/etcd_process.h"
#include "pki/cert_gen.h"
#include "pki/tls.h"
#include "support/child_process.h"
#include "support/sn_command.h"
#include "swarm/v1/sn.grpc.pb.h"

namespace swarm {
namespace {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "ledger_benchmark: %s\n", message.c_str());
  std::exit(1);
}

std::vector<int> ParseList(const char* text) {
  std::vector<int> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) out.push_back(std::stoi(item));
  return out;
}

// A network of `n` SNs on loopback, host i using host i's certificates.
class Network {
 public:
  Network(const fs::path& dir, int n) {
    for (int i = 0; i < n; ++i) {
      api_.push_back(*ledger::FreeLocalPort());
      const int p2p = *ledger::FreeLocalPort();
      const fs::path certs = dir / "ws" / "bench" / "cert";
      const pki::TlsFiles tls{pki::RoleKeyPath(certs, pki::Role::kSn, i + 1),
                              pki::RoleCertPath(certs, pki::Role::kSn, i + 1), certs / "ca" / "capath"};
      const auto args = testing::SnCommand(SWARM_BIN, tls, api_[i], p2p,
                                           dir / ("sn" + std::to_string(n) + "-" + std::to_string(i)),
                                           i == 0 ? 0 : api_[0]);
      const fs::path log = dir / ("sn" + std::to_string(n) + "-" + std::to_string(i) + ".log");
      sns_.push_back(std::make_unique<testing::ChildProcess>(args, log));
      if (!sns_.back()->WaitForLog("Starting SWARM-API-SERVER on port: " + std::to_string(api_[i]))) {
        Die("SN " + std::to_string(i) + " did not start:\n" + sns_.back()->Log());
      }
    }
  }
  ~Network() {
    for (auto it = sns_.rbegin(); it != sns_.rend(); ++it) (*it)->Kill(SIGTERM);
  }
  int size() const { return static_cast<int>(api_.size()); }
  std::string target(int i) const { return "127.0.0.1:" + std::to_string(api_[i]); }

 private:
  std::vector<int> api_;
  std::vector<std::unique_ptr<testing::ChildProcess>> sns_;
};

struct Result {
  int sns = 0, clients = 0;
  double seconds = 0;
  uint64_t committed = 0, failed = 0;
  std::set<uint64_t> heights;
  std::vector<double> latencies_ms;
  std::string first_error;
};

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

// Runs `clients` submitters for a warm-up second, then measures for `seconds`.
Result Measure(const Network& net, const pki::TlsIdentity& id, const pki::Signer& signer, int clients,
               double seconds, int round) {
  Result r;
  r.sns = net.size();
  r.clients = clients;
  r.seconds = seconds;
  std::mutex mu;
  std::atomic<bool> stop{false};
  // Enough for 4,000 tx/s over the warm-up and the window, spread over the clients.
  const int presigned = static_cast<int>(4000 * (seconds + 1)) / clients + 1;
  const auto start = Clock::now() + std::chrono::seconds(1) +
                     std::chrono::milliseconds(presigned * clients / 20);  // signing: ~30 us each, 2 cores
  const auto end =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      auto stub = swarm::v1::SwarmNetwork::NewStub(pki::MakeSecureChannel(id, net.target(c % net.size())));
      std::vector<double> lat;
      std::vector<uint64_t> heights;
      uint64_t failed = 0;
      std::string error;
      // Signed ahead, so that the load generator's own signing (on a client's host in a real
      // network, here on the same two cores as the SNs) stays out of the window; the SN
      // still verifies every signature. A client that uses up its batch signs on the fly.
      const auto sign = [&](int i) {
        swarm::v1::Transaction tx;
        tx.set_timestamp_unix_ms(static_cast<uint64_t>(UnixMillis()));
        tx.mutable_create_contract()->set_name("bench-" + std::to_string(round) + "-" + std::to_string(c) +
                                               "-" + std::to_string(i));
        return *ledger::SignTransaction(tx, signer);
      };
      std::vector<swarm::v1::SignedTransaction> ready;
      for (int i = 0; i < presigned; ++i) ready.push_back(sign(i));
      for (int i = 0; !stop.load(); ++i) {
        swarm::v1::SubmitRequest req;
        *req.add_transactions() = i < presigned ? std::move(ready[i]) : sign(i);
        swarm::v1::SubmitResponse resp;
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
        const auto t0 = Clock::now();
        const grpc::Status s = stub->Submit(&ctx, req, &resp);
        const auto t1 = Clock::now();
        if (t0 < start || t1 > end) {
          if (t0 >= end) break;
          continue;  // warm-up, or straddling the end of the window
        }
        if (s.ok()) {
          lat.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
          heights.push_back(resp.height());
        } else {
          ++failed;
          if (error.empty()) error = s.error_message();
        }
      }
      std::lock_guard lock(mu);
      r.latencies_ms.insert(r.latencies_ms.end(), lat.begin(), lat.end());
      r.heights.insert(heights.begin(), heights.end());
      r.failed += failed;
      if (r.first_error.empty()) r.first_error = error;
    });
  }
  std::this_thread::sleep_until(end);
  stop = true;
  for (auto& t : threads) t.join();
  r.committed = r.latencies_ms.size();
  return r;
}

std::string Json(Result& r) {
  char buf[512];
  const double p50 = Percentile(r.latencies_ms, 0.50), p99 = Percentile(r.latencies_ms, 0.99);
  std::snprintf(
      buf, sizeof(buf),
      "{\"sns\": %d, \"clients\": %d, \"seconds\": %.1f, \"committed\": %llu, \"failed\": %llu, "
      "\"tx_per_s\": %.0f, \"p50_ms\": %.2f, \"p99_ms\": %.2f, \"blocks\": %zu, \"tx_per_block\": %.1f}",
      r.sns, r.clients, r.seconds, static_cast<unsigned long long>(r.committed),
      static_cast<unsigned long long>(r.failed), static_cast<double>(r.committed) / r.seconds, p50, p99,
      r.heights.size(),
      r.heights.empty() ? 0.0 : static_cast<double>(r.committed) / static_cast<double>(r.heights.size()));
  return buf;
}

int Main(int argc, char** argv) {
  double seconds = 5;
  std::vector<int> clients = {1, 16, 64}, sns = {1, 3};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc)
      Die("option " + a + " needs a value; usage: [--seconds S] [--clients 1,16] [--sns 1,3]");
    if (a == "--seconds") {
      seconds = std::stod(argv[++i]);
    } else if (a == "--clients") {
      clients = ParseList(argv[++i]);
    } else if (a == "--sns") {
      sns = ParseList(argv[++i]);
    } else {
      Die("unknown option '" + a + "'; usage: [--seconds S] [--clients 1,16] [--sns 1,3]");
    }
  }
  char tmpl[] = "/tmp/swarm_ledger_bench_XXXXXX";
  const fs::path dir = ::mkdtemp(tmpl);
  for (int host = 1; host <= 3; ++host) {
    pki::GenCertOptions o;
    o.example = "bench";
    o.host_index = host;
    o.out_dir = dir / "ws";
    if (auto s = pki::GenerateCertificates(o); !s.ok()) Die(s.status().ToString());
  }
  const fs::path certs = dir / "ws" / "bench" / "cert";
  const pki::TlsFiles swci{pki::RoleKeyPath(certs, pki::Role::kSwci, 1),
                           pki::RoleCertPath(certs, pki::Role::kSwci, 1), certs / "ca" / "capath"};
  auto id = pki::TlsIdentity::Load(swci);
  auto signer = pki::Signer::Load(swci.key, swci.cert);
  if (!id.ok() || !signer.ok()) Die("cannot load the SWCI identity");

  std::vector<std::string> rows;
  int round = 0;
  for (int n : sns) {
    Network net(dir, n);
    for (int c : clients) {
      Result r = Measure(net, *id, *signer, c, seconds, round++);
      if (r.failed)
        std::fprintf(stderr, "ledger_benchmark: %llu submits failed, first: %s\n",
                     static_cast<unsigned long long>(r.failed), r.first_error.c_str());
      rows.push_back(Json(r));
      std::fprintf(stderr, "%s\n", rows.back().c_str());
    }
  }
  fs::remove_all(dir);
  std::cout << "{\"benchmark\": \"ledger_commit\", \"transaction\": \"create_contract\", \"runs\": [\n  ";
  for (size_t i = 0; i < rows.size(); ++i) std::cout << (i ? ",\n  " : "") << rows[i];
  std::cout << "\n]}\n";
  return 0;
}

}  // namespace
}  // namespace swarm

int main(int argc, char** argv) { return swarm::Main(argc, argv); }
