#include "cli/cert_command.h"

#include <cstdio>
#include <memory>

#include "pki/cert_gen.h"
#include "pki/certificate.h"

namespace swarm::cli {
namespace {

[[noreturn]] void Fail(const Status& status) {
  std::fprintf(stderr, "swarm: error: %s\n", status.message().c_str());
  std::exit(1);
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ", ") + s;
  return out.empty() ? "-" : out;
}

void GenCert(const pki::GenCertOptions& options) {
  auto result = pki::GenerateCertificates(options);
  if (!result.ok()) Fail(result.status());
  if (result->reused_ca) {
    std::printf("using the existing CA %s\n", pki::CaCertPath(result->cert_dir, options.host_index).c_str());
  }
  for (const auto& path : result->written) std::printf("wrote %s\n", path.c_str());
  std::printf("certificates for host %d are in %s (capath: %s)\n", options.host_index,
              result->cert_dir.c_str(), (result->cert_dir / "ca" / "capath").c_str());
}

void Show(const std::string& path) {
  auto cert = pki::Certificate::Load(path);
  if (!cert.ok()) Fail(cert.status());
  const auto role = cert->GetRole();
  const bool expired = cert->IsExpired();
  std::printf("file:        %s\n", path.c_str());
  std::printf("subject:     %s\n", cert->Subject().c_str());
  std::printf("issuer:      %s\n", cert->Issuer().c_str());
  std::printf("role:        %s\n", cert->IsCa() ? "CA"
                                   : role       ? std::string(pki::RoleName(*role)).c_str()
                                                : "none");
  std::printf("uri sans:    %s\n", Join(cert->UriSans()).c_str());
  std::printf("dns sans:    %s\n", Join(cert->DnsSans()).c_str());
  std::printf("ip sans:     %s\n", Join(cert->IpSans()).c_str());
  std::printf("not before:  %s\n", pki::FormatTime(cert->NotBefore()).c_str());
  std::printf("not after:   %s\n", pki::FormatTime(cert->NotAfter()).c_str());
  std::printf("expired:     %s\n", expired ? "yes" : "no");
  std::printf("sha256:      %s\n", cert->Fingerprint().c_str());
}

}  // namespace

void AddCertCommands(CLI::App& app) {
  auto o = std::make_shared<pki::GenCertOptions>();
  CLI::App* gen =
      app.add_subcommand("gen-cert", "Create a CA and sn, sl, swop, swci certificates for one host");
  gen->add_option("-e,--example", o->example, "Name of the example or workspace, e.g. mnist, cifar10")
      ->required();
  gen->add_option("-i,--host-index", o->host_index, "Host index: 1, 2, ...")->required();
  gen->add_option("-o,--out-dir", o->out_dir, "Directory the EXAMPLE/cert/ tree goes in")
      ->capture_default_str();
  gen->add_option("--host-ip", o->host_ips, "An IP address of this host, added to the SANs (repeatable)");
  gen->add_option("--dns", o->dns_names, "A DNS name of this host, added to the SANs (repeatable)");
  gen->add_option("--service", o->services,
                  "ROLE=FQDN: a reverse-proxy service name for that role's certificate only, e.g. "
                  "sn=api.sn-1.swarm sn=p2p.sn-1.swarm sl=fs.sl-1.swarm (repeatable)");
  gen->add_option("--days", o->days, "Validity of the role certificates in days (negative: already expired)")
      ->capture_default_str();
  gen->add_flag("--force", o->force, "Replace existing files, the CA included");
  gen->callback([o] { GenCert(*o); });

  auto path = std::make_shared<std::string>();
  CLI::App* cert = app.add_subcommand("cert", "Inspect certificates");
  cert->require_subcommand(1);
  CLI::App* show =
      cert->add_subcommand("show", "Print a certificate's subject, SANs, role, issuer and validity");
  show->add_option("file", *path, "PEM certificate")->required();
  show->callback([path] { Show(*path); });
}

}  // namespace swarm::cli
