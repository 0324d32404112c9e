#include "cli/proxy_command.h"

#include <cstdio>
#include <iostream>

#include "cli/port_flag.h"
#include "core/byte_stream.h"
#include "proxy/proxy_config.h"

namespace swarm::cli {
namespace {
namespace fs = std::filesystem;

[[noreturn]] void Fail(const Status& s) {
  std::fprintf(stderr, "swarm: error: %s\n", s.message().c_str());
  std::exit(2);
}

// Writes `text` as the whole of `path` (WriteWholeFile), or to stdout for "-".
void Write(const fs::path& path, const std::string& text) {
  if (path == "-") {
    std::cout << text;
    return;
  }
  if (Status s = WriteWholeFile(path, text); !s.ok()) Fail(s);
  std::fprintf(stderr, "wrote %s\n", path.c_str());
}

template <typename T, typename Parse>
std::vector<T> ParseAll(const std::vector<std::string>& texts, Parse parse) {
  std::vector<T> out;
  for (const std::string& t : texts) {
    StatusOr<T> one = parse(t);
    if (!one.ok()) Fail(one.status());
    out.push_back(std::move(one).value());
  }
  return out;
}

}  // namespace

void AddProxyCommand(CLI::App& app) {
  CLI::App* proxy = app.add_subcommand(
      "proxy-config",
      "Write the reverse proxy's configuration: NGINX routing by TLS server name, BIND9 names");
  proxy->require_subcommand(1);

  struct NginxArgs {
    std::vector<std::string> routes;
    proxy::NginxOptions o;
    fs::path out = "-";
  };
  auto n = std::make_shared<NginxArgs>();
  CLI::App* nginx = proxy->add_subcommand(
      "nginx",
      "nginx.conf: one port (443) whose connections go, by their TLS server name, to the node serving it");
  nginx
      ->add_option("--route", n->routes,
                   "SERVICE=HOST:PORT: the service's connections go to HOST:PORT (repeatable)")
      ->required();
  nginx->add_option("--listen", n->o.listen, "Where NGINX listens: PORT or IP:PORT")->capture_default_str();
  nginx->add_option("--run-dir", n->o.run_dir, "Directory for NGINX's pid file and logs")->required();
  nginx->add_option("-o,--output", n->out, "The file to write (- for stdout)")->capture_default_str();
  nginx->callback([n] {
    n->o.routes = ParseAll<proxy::Route>(n->routes, proxy::ParseRoute);
    n->o.stream_module = proxy::FindStreamModule();
    StatusOr<std::string> conf = proxy::NginxConfig(n->o);
    if (!conf.ok()) Fail(conf.status());
    Write(n->out, *conf);
  });

  struct Bind9Args {
    std::vector<std::string> records;
    proxy::Bind9Options o;
  };
  auto b = std::make_shared<Bind9Args>();
  CLI::App* bind9 = proxy->add_subcommand(
      "bind9", "named.conf and a zone file: the service names resolve to where their proxy is reached");
  bind9->add_option("--zone", b->o.zone, "The zone (the names' common suffix)")->capture_default_str();
  bind9->add_option("--record", b->records, "NAME=IP (repeatable)")->required();
  bind9->add_option("--listen-ip", b->o.listen_ip, "Where named answers")->required();
  bind9->add_option("--port", b->o.port, "Its port")->check(PortNumber())->capture_default_str();
  bind9->add_option("--dir", b->o.dir, "Directory for named.conf, the zone file and named's own files")
      ->required();
  bind9->callback([b] {
    b->o.records = ParseAll<proxy::Record>(b->records, proxy::ParseRecord);
    StatusOr<proxy::Bind9Files> files = proxy::Bind9Config(b->o);
    if (!files.ok()) Fail(files.status());
    std::error_code ec;
    fs::create_directories(b->o.dir, ec);
    if (ec) Fail(FailedPrecondition("cannot make '" + b->o.dir.string() + "': " + ec.message()));
    Write(b->o.dir / "named.conf", files->named_conf);
    Write(b->o.dir / files->zone_file_name, files->zone_file);
  });
}

}  // namespace swarm::cli
