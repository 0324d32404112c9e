// Sync-round time through real processes on loopback: a sentinel `swarm sn` and N `swarm sl`
// nodes, each with round_bench_ml as its program (a synthetic model, no training). Each row
// (model size × N) gets a fresh SN, fresh SLs and a temporary directory removed afterwards.
//
// Round time: per timed round, from the moment the last node entered its sync call to the
// moment the last node had the merged model loaded (steady clock, shared by the processes);
// also the slowest node's whole sync call, which includes waiting for the stragglers of the
// previous round. Bytes: counted by the SLs' file servers and fetches (their log lines),
// payload only, per node per round. Floor: the busiest node's bytes, and one model, pushed
// through one TLS 1.3 connection on 127.0.0.1. Peak RSS: of the busiest SL and ML program
// over the row, as the programs read it at their end. Prints one JSON document.
//
//   round_benchmark [--sizes 1,100,400] [--sls 2,4,8] [--rounds 3] [--keep]
//
// Sizes are in MB (10^6 bytes). --keep leaves the row directories (logs, blobs) in /tmp.

#include <signal.h>
#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bench/round_log.h"
#include "bench/tls_floor.h"
#include "ledger/etcd_process.h"
#include "pki/cert_gen.h"
#include "support/child_process.h"
#include "support/sn_command.h"

namespace swarm::bench {
namespace {
namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;
using Process = testing::ChildProcess;

volatile sig_atomic_t g_interrupted = 0;

struct Config {
  std::vector<int> sizes_mb = {1, 100, 400}, sls = {2, 4, 8};
  int rounds = 3;
  bool keep = false;
  fs::path dir;
  pki::TlsFiles sn_tls, sl_tls;  // every SL shares one certificate, as HPE's examples allow
};

// A row's directory, removed on every path out of the row unless kept.
class RowDir {
 public:
  RowDir(fs::path p, bool keep) : path_(std::move(p)), keep_(keep) { fs::create_directories(path_); }
  ~RowDir() {
    std::error_code ec;
    if (!keep_) fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
  bool keep_;
};

// The SN stops with SIGTERM (its etcd member with it) on every path out of the row.
struct Sn {
  std::unique_ptr<Process> process;
  ~Sn() {
    if (process) process->Kill(SIGTERM);
  }
};

std::string Tail(const std::string& text, size_t lines = 15) {
  size_t at = text.size();
  for (size_t n = 0; n <= lines && at != std::string::npos && at > 0; ++n) at = text.rfind('\n', at - 1);
  return at == std::string::npos ? text : text.substr(at + 1);
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

std::vector<std::string> SlCommand(const Config& c, const fs::path& dir, int i, int n, int sn_port,
                                   int fs_port, uint64_t bytes) {
  const std::string id = std::to_string(i + 1);
  const fs::path data = dir / ("sl" + id);
  fs::create_directories(data);
  return {SWARM_BIN,         "sl",
          "--host-ip",       "127.0.0.1",
          "--sn-ip",         "127.0.0.1",
          "--sn-api-port",   std::to_string(sn_port),
          "--sl-fs-port",    std::to_string(fs_port),
          "--key",           c.sl_tls.key.string(),
          "--cert",          c.sl_tls.cert.string(),
          "--capath",        c.sl_tls.capath.string(),
          "--data-dir",      data.string(),
          "--ml-name",       "bench-" + id,
          "--ml-entrypoint", ROUND_BENCH_ML_BIN,
          "--ml-w",          data.string(),
          "--ml-e",          "RB_SEED=" + id,
          "--ml-e",          "RB_PEERS=" + std::to_string(n),
          "--ml-e",          "RB_ROUNDS=" + std::to_string(c.rounds),
          "--ml-e",          "RB_MODEL_BYTES=" + std::to_string(bytes),
          "--ml-e",          "RB_OUT=" + (dir / ("out" + id + ".json")).string()};
}

// Waits for every SL to exit 0; the first failure, the deadline or an interrupt ends the row.
Status WaitAll(std::vector<std::unique_ptr<Process>>& sls, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (size_t done = 0; done < sls.size();) {
    done = 0;
    for (size_t i = 0; i < sls.size(); ++i) {
      if (!sls[i]->Exited()) continue;
      if (const int code = sls[i]->Kill(0); code != 0) {
        return Internal("SL " + std::to_string(i + 1) + " exited with " + std::to_string(code) +
                        "; its log ends:\n" + Tail(sls[i]->Log()));
      }
      ++done;
    }
    if (g_interrupted) return Internal("interrupted");
    if (std::chrono::steady_clock::now() > deadline) {
      return Internal("the row did not finish in " + std::to_string(timeout.count()) +
                      " s; SL 1's log ends:\n" + Tail(sls[0]->Log()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return Status::Ok();
}

// The median of three pushes, so that one scheduling hiccup does not set the floor.
StatusOr<TlsPush> Floor(uint64_t bytes, const pki::TlsFiles& tls) {
  std::vector<double> seconds;
  TlsPush push;
  for (int i = 0; i < 3; ++i) {
    ASSIGN_OR_RETURN(push, PushThroughTls(bytes, tls));
    seconds.push_back(push.seconds);
  }
  push.seconds = Median(seconds);
  return push;
}

using Timings = std::vector<std::vector<std::pair<int64_t, int64_t>>>;  // node, sync: [start, end] ns

// What the programs wrote: their syncs' times, and the largest peak RSS of a program and of an SL.
struct Outputs {
  Timings t;
  int64_t ml_peak_rss_kib = 0, sl_peak_rss_kib = 0;
};

StatusOr<Outputs> ReadOutputs(const fs::path& dir, int n, int syncs) {
  Outputs o{Timings(n)};
  for (int i = 0; i < n; ++i) {
    const fs::path p = dir / ("out" + std::to_string(i + 1) + ".json");
    try {
      const Json j = Json::parse(testing::ReadAll(p));
      o.t[i] = j.at("syncs").get<std::vector<std::pair<int64_t, int64_t>>>();
      o.ml_peak_rss_kib = std::max(o.ml_peak_rss_kib, j.at("ml_peak_rss_kib").get<int64_t>());
      o.sl_peak_rss_kib = std::max(o.sl_peak_rss_kib, j.at("sl_peak_rss_kib").get<int64_t>());
    } catch (const std::exception& e) {
      return DataLoss("cannot read " + p.string() + ": " + e.what());
    }
    if (static_cast<int>(o.t[i].size()) != syncs) {
      return DataLoss(p.string() + " has " + std::to_string(o.t[i].size()) + " syncs, not " +
                      std::to_string(syncs));
    }
  }
  return o;
}

// Generous: 50 MB/s for every node's bytes in every round, and two minutes to start.
std::chrono::seconds RowTimeout(const Config& c, int n, uint64_t bytes) {
  const uint64_t moved = static_cast<uint64_t>(c.rounds + 2) * 2 * static_cast<uint64_t>(n) * bytes;
  return std::chrono::seconds(120 + moved / 50'000'000);
}

// What one timed round (sync k) shows: times from the programs, bytes from the SLs' logs.
struct RoundStats {
  double span = 0, slowest = 0;  // last node in to last node out; the longest sync call
  double max_bytes = 0, mean_bytes = 0, leader_bytes = 0;
  double leader_fetch = 0, member_fetch = 0, disk_sync = 0;  // the longest fetch of each kind
};

StatusOr<RoundStats> StatsOf(int k, const Timings& t, const std::vector<SlLog>& logs,
                             const std::vector<int>& ports) {
  RoundStats r;
  int64_t last_in = 0, last_out = 0, longest = 0;
  for (const auto& node : t) {
    last_in = std::max(last_in, node[k].first);
    last_out = std::max(last_out, node[k].second);
    longest = std::max(longest, node[k].second - node[k].first);
  }
  r.span = static_cast<double>(last_out - last_in) / 1e9;
  r.slowest = static_cast<double>(longest) / 1e9;
  const uint64_t round = logs[0].rounds[k];
  const std::vector<uint64_t> moved = BytesMoved(logs, ports, round);
  // A sharded round has no leader: the node that recorded its merged model stands for one.
  auto led = std::find_if(logs.begin(), logs.end(), [&](const SlLog& l) { return l.led.count(round); });
  if (led == logs.end())
    led = std::find_if(logs.begin(), logs.end(), [&](const SlLog& l) { return l.recorded.count(round); });
  if (led == logs.end())
    return Internal("no SL says it led round " + std::to_string(round) + " or recorded its merge");
  const size_t leader = static_cast<size_t>(led - logs.begin());
  for (size_t i = 0; i < logs.size(); ++i) {
    r.max_bytes = std::max(r.max_bytes, static_cast<double>(moved[i]));
    r.mean_bytes += static_cast<double>(moved[i]) / static_cast<double>(logs.size());
    for (const LoggedFetch& f : logs[i].fetches) {
      if (f.round != round) continue;
      double& longest_fetch = i == leader ? r.leader_fetch : r.member_fetch;
      longest_fetch = std::max(longest_fetch, f.seconds);
      r.disk_sync = std::max(r.disk_sync, f.sync_seconds);
    }
  }
  r.leader_bytes = static_cast<double>(moved[leader]);
  return r;
}

// Four significant digits, for reading: the timings vary more than that from run to run.
double Round4(double x) { return std::stod(fmt::format("{:.4g}", x)); }

// The row's figures (medians over the timed rounds) and the floor for its bytes.
StatusOr<Json> Summarize(const Config& c, int mb, const Timings& t, const std::vector<SlLog>& logs,
                         const std::vector<int>& ports) {
  if (static_cast<int>(logs[0].rounds.size()) != c.rounds + 2) {
    return Internal("SL 1 checked in to " + std::to_string(logs[0].rounds.size()) + " rounds, not " +
                    std::to_string(c.rounds + 2) + " (warm-up, timed, final)");
  }
  std::vector<RoundStats> rounds;
  for (int k = 1; k <= c.rounds; ++k) {  // sync 0 is the warm-up
    ASSIGN_OR_RETURN(RoundStats r, StatsOf(k, t, logs, ports));
    rounds.push_back(r);
  }
  const auto median = [&](double RoundStats::*field) {
    std::vector<double> v(rounds.size());
    std::transform(rounds.begin(), rounds.end(), v.begin(), [&](const RoundStats& r) { return r.*field; });
    return Median(v);
  };
  const uint64_t busiest = static_cast<uint64_t>(median(&RoundStats::max_bytes));
  ASSIGN_OR_RETURN(const TlsPush model_floor, Floor(static_cast<uint64_t>(mb) * 1'000'000, c.sl_tls));
  ASSIGN_OR_RETURN(const TlsPush busiest_floor, Floor(busiest, c.sl_tls));
  Json row;
  row["model_mb"] = mb;
  row["sls"] = logs.size();
  row["rounds"] = c.rounds;
  row["round_seconds_median"] = Round4(median(&RoundStats::span));
  row["slowest_sync_seconds_median"] = Round4(median(&RoundStats::slowest));
  row["round_seconds"] = Json::array();
  for (const auto& r : rounds) row["round_seconds"].push_back(Round4(r.span));
  row["bytes_per_node_max"] = busiest;
  row["bytes_per_node_mean"] = static_cast<uint64_t>(median(&RoundStats::mean_bytes));
  row["bytes_leader"] = static_cast<uint64_t>(median(&RoundStats::leader_bytes));
  row["leader_fetch_seconds"] = Round4(median(&RoundStats::leader_fetch));
  row["member_fetch_seconds"] = Round4(median(&RoundStats::member_fetch));
  row["fetch_disk_sync_seconds"] = Round4(median(&RoundStats::disk_sync));
  row["floor_model_seconds"] = Round4(model_floor.seconds);
  row["floor_busiest_seconds"] = Round4(busiest_floor.seconds);
  row["floor_gb_per_s"] = Round4(static_cast<double>(busiest) / busiest_floor.seconds / 1e9);
  row["ratio"] = Round4(median(&RoundStats::span) / busiest_floor.seconds);
  row["cipher"] = busiest_floor.cipher;
  std::string warning = CheckTotals(logs, ports);
  for (size_t i = 0; i < logs.size(); ++i) {
    if (logs[i].leader_replaced) warning += "SL " + std::to_string(i + 1) + " replaced a leader; ";
  }
  if (!warning.empty()) row["warning"] = warning;
  return row;
}

StatusOr<Json> RunRow(const Config& c, int mb, int n) {
  const uint64_t bytes = static_cast<uint64_t>(mb) * 1'000'000;
  RowDir dir(c.dir / ("row-" + std::to_string(mb) + "mb-" + std::to_string(n) + "sl"), c.keep);
  ASSIGN_OR_RETURN(const int api, ledger::FreeLocalPort());
  ASSIGN_OR_RETURN(const int p2p, ledger::FreeLocalPort());
  Sn sn;
  sn.process = std::make_unique<Process>(testing::SnCommand(SWARM_BIN, c.sn_tls, api, p2p, dir.path() / "sn"),
                                         dir.path() / "sn.log");
  if (!sn.process->WaitForLog("Starting SWARM-API-SERVER on port: " + std::to_string(api))) {
    return Unavailable("the SN did not start; its log ends:\n" + Tail(sn.process->Log()));
  }
  std::vector<int> ports;
  std::vector<std::unique_ptr<Process>> sls;  // killed (if still running) before the SN stops
  for (int i = 0; i < n; ++i) {
    ASSIGN_OR_RETURN(const int port, ledger::FreeLocalPort());
    ports.push_back(port);
    sls.push_back(std::make_unique<Process>(SlCommand(c, dir.path(), i, n, api, port, bytes),
                                            dir.path() / ("sl" + std::to_string(i + 1) + ".log")));
  }
  const auto start = std::chrono::steady_clock::now();
  RETURN_IF_ERROR(WaitAll(sls, RowTimeout(c, n, bytes)));
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  sn.process->Kill(SIGTERM);
  std::vector<SlLog> logs;
  for (int i = 0; i < n; ++i) {
    StatusOr<SlLog> log = ParseSlLog(sls[i]->Log());
    if (!log.ok()) return log.status().WithContext("the log of SL " + std::to_string(i + 1));
    logs.push_back(*std::move(log));
  }
  ASSIGN_OR_RETURN(const Outputs out, ReadOutputs(dir.path(), n, c.rounds + 2));
  ASSIGN_OR_RETURN(Json row, Summarize(c, mb, out.t, logs, ports));
  row["row_wall_seconds"] = Round4(wall);
  // Peak RSS of the busiest SL over the whole row, also as a multiple of the model.
  row["sl_peak_rss_mib"] = Round4(static_cast<double>(out.sl_peak_rss_kib) / 1024);
  row["sl_peak_rss_over_model"] =
      Round4(static_cast<double>(out.sl_peak_rss_kib) * 1024 / static_cast<double>(bytes));
  row["ml_peak_rss_mib"] = Round4(static_cast<double>(out.ml_peak_rss_kib) / 1024);
  return row;
}

// Upper bound of what a row's SLs store: per round every node's model and the merged
// one, and the leader's copies of the others' (blobs are kept until the row ends).
Status CheckDisk(const Config& c, int mb, int n) {
  const double need = (c.rounds + 2.0) * (3.0 * n - 1) * mb * 1e6;
  std::error_code ec;
  const double free = static_cast<double>(fs::space(c.dir, ec).available);
  if (!ec && free < need * 1.1) {
    return FailedPrecondition("needs up to " + std::to_string(static_cast<int>(need / 1e9)) +
                              " GB of disk in " + c.dir.string() + ", " +
                              std::to_string(static_cast<int>(free / 1e9)) + " GB free");
  }
  return Status::Ok();
}

std::vector<int> ParseList(const std::string& text) {
  std::vector<int> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) out.push_back(std::stoi(item));
  return out;
}

int Main(int argc, char** argv) {
  Config c;
  const std::string usage = "usage: round_benchmark [--sizes 1,100,400] [--sls 2,4,8] [--rounds 3] [--keep]";
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      if (a == "--keep") {
        c.keep = true;
      } else if (i + 1 < argc && a == "--sizes") {
        c.sizes_mb = ParseList(argv[++i]);
      } else if (i + 1 < argc && a == "--sls") {
        c.sls = ParseList(argv[++i]);
      } else if (i + 1 < argc && a == "--rounds") {
        c.rounds = std::stoi(argv[++i]);
      } else {
        throw std::invalid_argument("bad option '" + a + "'");
      }
    }
  } catch (const std::exception& e) {  // std::stoi's, or ours
    std::fprintf(stderr, "round_benchmark: %s; %s\n", e.what(), usage.c_str());
    return 2;
  }
  char tmpl[] = "/tmp/swarm_round_bench_XXXXXX";
  if (!::mkdtemp(tmpl)) {
    std::perror("round_benchmark: mkdtemp");
    return 1;
  }
  c.dir = tmpl;
  pki::GenCertOptions o;
  o.example = "bench";
  o.host_index = 1;
  o.out_dir = c.dir / "ws";
  if (auto s = pki::GenerateCertificates(o); !s.ok()) {
    std::fprintf(stderr, "round_benchmark: %s\n", s.status().ToString().c_str());
    fs::remove_all(c.dir);
    return 1;
  }
  const fs::path certs = c.dir / "ws" / "bench" / "cert";
  c.sn_tls = {pki::RoleKeyPath(certs, pki::Role::kSn, 1), pki::RoleCertPath(certs, pki::Role::kSn, 1),
              certs / "ca" / "capath"};
  c.sl_tls = {pki::RoleKeyPath(certs, pki::Role::kSl, 1), pki::RoleCertPath(certs, pki::Role::kSl, 1),
              certs / "ca" / "capath"};
  // The grace period matters only if a node is late; the leader's deadline must never
  // pass in a healthy round, even for 8 × 400 MB on two cores (a replacement is reported).
  ::setenv("SL_WAIT_FOR_FULL_QUORUM_SECONDS", "1", 1);
  ::setenv("SL_LEADER_FAILURE_BASE_TIMEOUT", "600", 1);
  ::signal(SIGINT, [](int) { g_interrupted = 1; });
  ::signal(SIGTERM, [](int) { g_interrupted = 1; });

  std::vector<Json> rows;
  bool failed = false;
  for (int mb : c.sizes_mb) {
    for (int n : c.sls) {
      if (g_interrupted) break;
      std::fprintf(stderr, "round_benchmark: %d MB, %d SLs ...\n", mb, n);
      Status disk = CheckDisk(c, mb, n);
      StatusOr<Json> row = disk.ok() ? RunRow(c, mb, n) : StatusOr<Json>(disk);
      if (!row.ok()) {
        failed = true;
        row = Json{{"model_mb", mb}, {"sls", n}, {"error", row.status().message()}};
      }
      rows.push_back(*row);
      std::fprintf(stderr, "%s\n", row->dump().c_str());
    }
  }
  if (!c.keep) fs::remove_all(c.dir);
  std::cout << "{\"benchmark\": \"sync_round\", \"floor\": \"one TLS 1.3 connection on 127.0.0.1 (OpenSSL), "
               "bytes pushed one way\", \"rows\": [\n  ";
  for (size_t i = 0; i < rows.size(); ++i) std::cout << (i ? ",\n  " : "") << rows[i].dump();
  std::cout << "\n]}\n";
  return g_interrupted ? 130 : failed ? 1 : 0;
}

}  // namespace
}  // namespace swarm::bench

int main(int argc, char** argv) { return swarm::bench::Main(argc, argv); }
