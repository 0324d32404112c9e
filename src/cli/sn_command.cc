#include "cli/sn_command.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "cli/port_flag.h"
#include "cli/run_node.h"
#include "core/log.h"
#include "ledger/etcd_process.h"
#include "sn/sn_node.h"

namespace swarm::cli {
namespace {
namespace fs = std::filesystem;

std::atomic<sn::SnNode*> g_node{nullptr};

void OnSignal(int) {
  if (sn::SnNode* node = g_node.load()) node->Stop();
}

[[noreturn]] void Fail(const Status& status) {
  LogError("blCnt", status.message());
  std::exit(1);
}

void RunSn(const sn::SnOptions& options) {
  if (!options.sentinel && options.sentinel_ip.empty() && options.sentinel_api_service.empty()) {
    std::fprintf(stderr,
                 "swarm: error: either --sentinel or --sentinel-ip must be specified (or, behind a reverse "
                 "proxy, --sentinel-api-service)\n");
    std::exit(2);
  }
  // Checked here rather than by CLI11: `swarm sn verify` needs none of them.
  for (const auto& [flag, value] :
       {std::pair{"--key", &options.tls.key}, std::pair{"--cert", &options.tls.cert},
        std::pair{"--capath", &options.tls.capath}}) {
    if (value->empty()) {
      std::fprintf(stderr, "swarm: error: %s is required\n", flag);
      std::exit(2);
    }
  }
  if (options.data_dir.empty()) {
    std::fprintf(stderr, "swarm: error: --data-dir is required: the SN keeps its ledger member there\n");
    std::exit(2);
  }
  IgnoreBrokenPipes();
  InitLogging();
  auto node = sn::SnNode::Start(options);
  if (!node.ok()) Fail(node.status());
  g_node = node->get();
  signal(SIGINT, OnSignal);
  signal(SIGTERM, OnSignal);
  const int code = (*node)->Wait();
  g_node = nullptr;
  node->reset();
  std::exit(code);
}

// Reads the chain from a copy of the SN's etcd data (the SN may be running or not) and
// checks every block.
void Verify(const fs::path& data_dir, fs::path capath) {
  InitLogging();
  if (!fs::exists(data_dir / "etcd" / "member")) {
    Fail(NotFound("'" + data_dir.string() +
                  "' holds no SN ledger (no etcd/member); expected an SN's --data-dir"));
  }
  if (capath.empty()) capath = data_dir / "peer-ca.pem";
  auto trust = pki::TrustStore::Load(capath);
  if (!trust.ok()) Fail(trust.status());
  char tmpl[] = "/tmp/swarm_sn_verify_XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) {
    Fail(FailedPrecondition(std::string("cannot make a temporary directory under /tmp: ") +
                            std::strerror(errno)));
  }
  const fs::path copy = tmpl;
  std::error_code ec;
  fs::copy(data_dir / "etcd", copy / "etcd", fs::copy_options::recursive, ec);
  if (ec) Fail(FailedPrecondition("cannot copy '" + (data_dir / "etcd").string() + "': " + ec.message()));
  ledger::EtcdOptions o;
  o.name = "verify";
  o.data_dir = copy / "etcd";
  o.log_file = copy / "etcd.log";
  auto port = ledger::FreeLocalPort();
  if (!port.ok()) {
    fs::remove_all(copy, ec);
    Fail(port.status());
  }
  o.peer_port = *port;
  o.force_new_cluster = true;
  auto etcd = ledger::EtcdProcess::Start(o);
  if (!etcd.ok()) {
    fs::remove_all(copy, ec);
    Fail(etcd.status());
  }
  ledger::LedgerStore store(&(*etcd)->client(), *trust);
  auto chain = store.LoadChain();
  const Status head = chain.ok() ? store.CheckHead(chain->size()) : Status::Ok();
  (*etcd)->Stop();
  fs::remove_all(copy, ec);
  if (!chain.ok()) Fail(chain.status());
  const ledger::ChainReport r = ledger::VerifyChain(*chain, *trust);
  if (r.first_bad_height) {
    std::printf("ledger BAD at height %llu: %s\n%llu blocks before it verified\n",
                static_cast<unsigned long long>(*r.first_bad_height), r.reason.c_str(),
                static_cast<unsigned long long>(r.blocks));
    std::exit(1);
  }
  if (!head.ok()) {
    std::printf("ledger BAD: %s\n%llu blocks verified\n", head.message().c_str(),
                static_cast<unsigned long long>(r.blocks));
    std::exit(1);
  }
  std::printf("ledger OK: %llu blocks, every hash and signature verified; %zu contracts, %zu nodes\n",
              static_cast<unsigned long long>(r.blocks), r.state.contracts.size(), r.state.nodes.size());
}

}  // namespace

void AddSnCommand(CLI::App& app) {
  auto o = std::make_shared<sn::SnOptions>();
  CLI::App* sn = app.add_subcommand("sn", "Run a Swarm Network node (keeps the ledger)");
  sn->add_flag("--sentinel", o->sentinel, "This SN starts the network");
  sn->add_option("--sentinel-ip", o->sentinel_ip, "Address of the sentinel SN to join");
  sn->add_option("--sentinel-api-port", o->sentinel_api_port, "API port of the sentinel SN")
      ->check(PortNumber())
      ->capture_default_str();
  sn->add_option("--host-ip", o->host_ip, "This host's address, where peers reach it")->capture_default_str();
  sn->add_option(
      "--listen-ip", o->listen_ip,
      "Address the API and the ledger peers listen on (default: --host-ip when it is this host's, else "
      "every interface, as behind NAT)");
  sn->add_option("--sn-api-advertised-port", o->advertised_api_port,
                 "Port peers dial for the API, when a port mapping (NAT, NodePort) makes it another than "
                 "--sn-api-port")
      ->check(PortNumber());
  sn->add_option(
        "--sn-p2p-advertised-port", o->advertised_p2p_port,
        "Port other SNs dial for the ledger, when a port mapping makes it another than --sn-p2p-port")
      ->check(PortNumber());
  sn->add_option("--sn-api-service", o->api_service,
                 "FQDN[:PORT] (default port 443) that peers dial for the API through a reverse proxy, "
                 "instead of --host-ip and --sn-api-port");
  sn->add_option("--sn-p2p-service", o->p2p_service,
                 "FQDN[:PORT] (default port 30303) that other SNs dial for the ledger, instead of --host-ip "
                 "and --sn-p2p-port");
  sn->add_option("--sentinel-api-service", o->sentinel_api_service,
                 "The sentinel's API service, FQDN[:PORT] (default port 443), instead of --sentinel-ip");
  sn->add_flag("--allow-loopback", o->allow_loopback,
               "Join with a loopback --host-ip even though the sentinel is on another host");
  sn->add_option("--sn-api-port", o->api_port, "Port of this SN's API")
      ->check(PortNumber())
      ->capture_default_str();
  sn->add_option("--sn-p2p-port", o->p2p_port, "Port of this SN's ledger peer traffic")
      ->check(PortNumber())
      ->capture_default_str();
  sn->add_option("--key", o->tls.key, "This SN's private key (PEM)");
  sn->add_option("--cert", o->tls.cert, "This SN's certificate (PEM, role sn)");
  sn->add_option("--capath", o->tls.capath, "Directory of trusted CA certificates (or one bundle file)");
  sn->add_option("--data-dir", o->data_dir,
                 "Where this SN keeps its ledger member; a restart with it resumes");
  sn->add_option("--join-timeout", o->join_timeout, "Seconds to wait for the sentinel")
      ->capture_default_str();

  auto data_dir = std::make_shared<fs::path>();
  auto capath = std::make_shared<fs::path>();
  CLI::App* verify = sn->add_subcommand("verify", "Replay an SN's ledger and check every hash and signature");
  verify->add_option("--data-dir", *data_dir, "The SN's --data-dir")->required();
  verify->add_option("--capath", *capath, "Trusted CAs (default: the SN's own copy in its data dir)");
  verify->callback([data_dir, capath] { Verify(*data_dir, *capath); });

  sn->callback([sn, o, verify] {
    if (verify->parsed()) return;
    ListenEverywhereBehindAService(*sn, {"--sn-api-service", "--sn-p2p-service"}, o->listen_ip);
    RunSn(*o);
  });
}

}  // namespace swarm::cli
