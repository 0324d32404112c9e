#include "cli/ui_command.h"

#include <openssl/rand.h>
#include <stdlib.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "cli/port_flag.h"
#include "cli/run_node.h"
#include "cli/swci_command.h"
#include "core/listen_check.h"
#include "snapi/grpc_sn_api.h"
#include "swci/session.h"
#include "ui/ui_server.h"

namespace swarm::cli {
namespace {

struct UiArgs {
  pki::TlsFiles tls;
  std::vector<std::string> sn_hosts = {"127.0.0.1"};
  int sn_api_port = snapi::kDefaultSnApiPort;
  std::string host = "127.0.0.1";
  int port = ui::kDefaultPort;
  std::string token;
  bool no_token = false;
  std::string assets_dir = "/usr/share/javascript";
};

[[noreturn]] void Fail(const std::string& message) {
  std::fprintf(stderr, "swarm: error: %s\n", message.c_str());
  std::exit(1);
}

std::atomic<int> g_stop{0};
void OnSignal(int sig) { g_stop.store(sig); }

// 24 random bytes as hex, as notebook servers make theirs.
std::string MakeToken() {
  unsigned char bytes[24];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) Fail("cannot make an access token: the random source failed");
  std::string out;
  for (unsigned char b : bytes) {
    static const char kHex[] = "0123456789abcdef";
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

void RunUi(UiArgs& a) {
  InitLogging();
  // The UI talks to the SN as an operator.
  const SwciIdentity id = LoadSwciIdentity(a.tls, "the UI");
  auto endpoints = snapi::EndpointsFromFlags(a.sn_hosts, a.sn_api_port);
  if (!endpoints.ok()) Fail(endpoints.status().message());
  if (const char* t = std::getenv("SWARM_UI_TOKEN"); a.token.empty() && t != nullptr) a.token = t;
  if (a.no_token && !a.token.empty())
    Fail("--no-token and --token (or SWARM_UI_TOKEN) contradict each other");
  if (!a.no_token && a.token.empty()) a.token = MakeToken();

  // The monitor reads through one client that fails over along the SN list; another SN of
  // the network is asked through a client of its own (its height, its Verify).
  const auto connect = [tls = id.tls, s = id.signer](const std::vector<snapi::Endpoint>& e) {
    snapi::GrpcSnApiOptions o;
    o.endpoints = e;
    o.call_deadline = std::chrono::seconds(10);
    return snapi::MakeGrpcSnApi(tls, s, o);
  };
  auto sn = connect(*endpoints);
  if (!sn.ok()) Fail(sn.status().message());
  ui::Monitor monitor(
      sn->get(), [connect](const snapi::Endpoint& e) { return connect({e}); },
      [] {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
            .count();
      });
  // The write actions run as SWCI commands in a session whose context is the UI's SN list.
  swci::Services services;
  const std::vector<snapi::Endpoint> all = *endpoints;
  services.connect = [connect, all](const snapi::Endpoint& e) {
    std::vector<snapi::Endpoint> list = {e};
    for (const auto& other : all) {
      if (other.ToString() != e.ToString()) list.push_back(other);
    }
    return connect(list);
  };
  services.getenv = swci::ProcessEnvironment();
  // Task definitions created from the page are uploaded here, this UI's own, removed at exit.
  std::string dir = (std::filesystem::temp_directory_path() / "swarm-ui-XXXXXX").string();
  if (::mkdtemp(dir.data()) == nullptr) Fail("cannot make a directory for uploaded task definitions in /tmp");
  swci::Session session(std::move(services), dir);
  swci::NoProgress quiet;
  const snapi::Endpoint& first = endpoints->front();
  for (const std::string& line :
       {"CREATE CONTEXT ui WITH IP " + first.host + " " + std::to_string(first.port),
        std::string("SWITCH CONTEXT ui")}) {
    swci::Outcome o = session.Execute(line, quiet);
    if (!o.status.ok()) LogWarning("ui", "write actions: " + line + ": " + o.status.message());
  }

  ui::UiOptions o;
  o.http.host = a.host;
  o.http.port = a.port;
  if (!IsLoopbackHost(a.host)) o.http.tls = id.tls;
  o.token = a.token;
  o.assets_dir = a.assets_dir;
  auto server = ui::UiServer::Start(monitor, session, std::move(o));
  if (!server.ok()) Fail(server.status().message());
  std::cout << "Swarm UI: open " << (*server)->Url() << " (SN " << (*endpoints)[0].ToString()
            << (a.token.empty() ? "; no access token: the write actions are off"
                                : "; the token in the address logs you in")
            << ")" << std::endl;
  signal(SIGINT, OnSignal);
  signal(SIGTERM, OnSignal);
  while (g_stop.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  (*server)->Stop();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  std::cout << "Swarm UI: stopped" << std::endl;
  std::exit(0);
}

}  // namespace

void AddUiCommand(CLI::App& app) {
  auto a = std::make_shared<UiArgs>();
  CLI::App* ui =
      app.add_subcommand("ui", "The web UI: the swarm's nodes, topology, trainings, tasks and ledger, live");
  ui->add_option(
        "--sn-ip", a->sn_hosts,
        "SN to read from: host or host:port; several (repeated, or a comma-separated list) fail over in turn")
      ->capture_default_str();
  ui->add_option("--sn-api-port", a->sn_api_port, "API port of the SN (for hosts given without one)")
      ->check(PortNumber())
      ->capture_default_str();
  ui->add_option("--key", a->tls.key, "The UI's private key (PEM)")->required();
  ui->add_option("--cert", a->tls.cert, "The UI's certificate (PEM, role swci); also its HTTPS certificate")
      ->required();
  ui->add_option("--capath", a->tls.capath, "Directory of trusted CA certificates (or one bundle file)")
      ->required();
  ui->add_option(
        "--host", a->host,
        "Address to listen on; any other than loopback serves HTTPS and needs the token for every request")
      ->capture_default_str();
  ui->add_option("--port", a->port, "Port to listen on")->check(PortNumber(true))->capture_default_str();
  ui->add_option("--token", a->token,
                 "Access token (default SWARM_UI_TOKEN, else a new one, printed at start)");
  ui->add_flag("--no-token", a->no_token, "No access token: the write actions are off (loopback only)");
  ui->add_option("--assets-dir", a->assets_dir,
                 "Where libjs-chart.js and libjs-bootstrap5 installed their files")
      ->capture_default_str();
  ui->callback([a] { RunUi(*a); });
}

}  // namespace swarm::cli
