#include "cli/doctor_command.h"

#include <sys/statvfs.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "cli/port_flag.h"
#include "core/clock.h"
#include "core/data_dir.h"
#include "core/listen_check.h"
#include "pki/certificate.h"
#include "pki/signer.h"
#include "pki/tls.h"
#include "sl/bridge_service.h"
#include "sn/health_service.h"
#include "snapi/grpc_sn_api.h"

namespace swarm::cli {
namespace {
namespace fs = std::filesystem;

struct DoctorArgs {
  pki::TlsFiles tls;
  std::string role;      // expected role, if given
  std::string host_ip;   // the address peers dial for this node
  std::string sn_ip;     // SN endpoints to reach
  int sn_api_port = snapi::kDefaultSnApiPort;
  std::vector<int> listen_ports;  // ports this node will listen on
  std::vector<std::string> data_dirs;
  double min_free_gib = 1.0;
  double max_skew_seconds = 2.0;
};

// Prints one check's outcome; a failure says how to fix it.
class Report {
 public:
  void Pass(const std::string& check, const std::string& detail) { Line("PASS", check, detail, ""); }
  void Fail(const std::string& check, const std::string& detail, const std::string& fix) {
    ++failed_;
    Line("FAIL", check, detail, fix);
  }
  int failed() const { return failed_; }

 private:
  static void Line(const char* verdict, const std::string& check, const std::string& detail, const std::string& fix) {
    std::printf("%s  %-16s %s\n", verdict, check.c_str(), detail.c_str());
    if (!fix.empty()) std::printf("      %-16s fix: %s\n", "", fix.c_str());
  }
  int failed_ = 0;
};

std::string Days(std::chrono::system_clock::duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::hours>(d).count() / 24) + " days";
}

// Certificate, chain, key and SANs: what peers judge before they say anything else.
void CheckIdentity(const DoctorArgs& a, Report& r) {
  auto cert = pki::Certificate::Load(a.tls.cert);
  if (!cert.ok()) {
    r.Fail("certificate", cert.status().message(), "give --cert the node's PEM certificate (swarm gen-cert makes one)");
    return;
  }
  const auto now = std::chrono::system_clock::now();
  if (cert->IsExpired(now)) {
    r.Fail("certificate", cert->Subject() + " expired on " + pki::FormatTime(cert->NotAfter()),
           "issue a new one (swarm gen-cert --force) and restart the node with it");
  } else {
    r.Pass("certificate", cert->Subject() + ", valid until " + pki::FormatTime(cert->NotAfter()) + " (" +
                              Days(cert->NotAfter() - now) + " left)");
  }
  const auto role = cert->GetRole();
  if (!role) {
    r.Fail("role", "the certificate carries no Swarm role (URI SAN spiffe://swarm.learning/swarm/ROLE)",
           "use a certificate made by swarm gen-cert (or HPE's gen-cert)");
  } else if (!a.role.empty() && a.role != pki::RoleName(*role)) {
    r.Fail("role", "the certificate has role " + std::string(pki::RoleName(*role)) + ", this node needs " + a.role,
           "use the " + a.role + "-N-cert.pem of this host");
  } else {
    r.Pass("role", std::string(pki::RoleName(*role)));
  }
  auto trust = pki::TrustStore::Load(a.tls.capath);
  if (!trust.ok()) {
    r.Fail("capath", trust.status().message(), "give --capath the directory of trusted CA certificates");
  } else if (auto who = trust->Verify(*cert); !who.ok()) {
    r.Fail("chain", who.status().message(),
           "put the CA that issued this certificate into --capath on every host (copy ca/capath/*.pem)");
  } else {
    r.Pass("chain", "issued by " + cert->Issuer() + ", a CA in " + a.tls.capath.string());
  }
  if (auto signer = pki::Signer::Load(a.tls.key, a.tls.cert); !signer.ok()) {
    r.Fail("key", signer.status().message(), "give --key the private key made with this certificate");
  } else {
    r.Pass("key", "belongs to the certificate");
  }
  if (!a.host_ip.empty()) {
    const auto ips = cert->IpSans(), names = cert->DnsSans();
    if (std::find(ips.begin(), ips.end(), a.host_ip) != ips.end() ||
        std::find(names.begin(), names.end(), a.host_ip) != names.end()) {
      r.Pass("sans", a.host_ip + " is among the certificate's names, so peers dialing it accept it");
    } else {
      std::string have;
      for (const auto& s : ips) have += (have.empty() ? "" : ", ") + s;
      for (const auto& s : names) have += (have.empty() ? "" : ", ") + s;
      r.Fail("sans", a.host_ip + " is not among the certificate's names (" + have + "): peers dialing it refuse the TLS handshake",
             "issue the certificate with swarm gen-cert --host-ip " + a.host_ip + " (or --dns NAME)");
    }
  }
}

void CheckSn(const DoctorArgs& a, const pki::TlsIdentity& id, Report& r) {
  auto endpoints = snapi::ParseEndpoints(a.sn_ip, a.sn_api_port);
  if (!endpoints.ok()) {
    r.Fail("sn", endpoints.status().message(), "give --sn-ip as host[:port][,host[:port]...]");
    return;
  }
  for (const snapi::Endpoint& e : *endpoints) {
    snapi::GrpcSnApiOptions o;
    o.endpoints = {e};
    o.call_deadline = std::chrono::seconds(5);
    auto sn = snapi::MakeGrpcSnApi(id, std::nullopt, o);
    if (!sn.ok()) {
      r.Fail("sn " + e.ToString(), sn.status().message(), "check --sn-ip and --sn-api-port");
      continue;
    }
    if (Status h = (*sn)->Health(); !h.ok()) {
      r.Fail("sn " + e.ToString(), h.message(),
             "start the SN there, open its API port in the firewall, or fix --sn-ip/--sn-api-port");
      continue;
    }
    const int64_t sent = UnixMillis();
    auto v = (*sn)->GetVersion();
    const int64_t back = UnixMillis();
    if (!v.ok()) {
      r.Fail("sn " + e.ToString(), v.status().message(), "use an SN of this release");
      continue;
    }
    if (v->api_version() != sn::kApiVersion) {
      r.Fail("sn " + e.ToString(),
             "speaks SN API version " + std::to_string(v->api_version()) + ", this node " +
                 std::to_string(sn::kApiVersion),
             "run the same Swarm release on every host");
      continue;
    }
    r.Pass("sn " + e.ToString(), "answers its health check, release " + v->version());
    if (v->now_unix_ms() == 0) continue;  // an SN of a release without its clock in the answer
    const double skew = (v->now_unix_ms() - (sent + back) / 2.0) / 1000.0;
    char text[96];
    std::snprintf(text, sizeof(text), "%+.3f s against the SN's clock (round trip %lld ms)", skew,
                  static_cast<long long>(back - sent));
    if (std::abs(skew) > a.max_skew_seconds) {
      r.Fail("clock", text,
             "run NTP (systemd-timesyncd or chrony) on every host: leases and certificate validity depend on it");
    } else {
      r.Pass("clock", text);
    }
  }
}

void CheckPorts(const DoctorArgs& a, Report& r) {
  const std::string host = a.host_ip.empty() ? "0.0.0.0" : a.host_ip;
  for (int port : a.listen_ports) {
    const std::string why = ListenProblem(host, port);
    if (why.empty()) {
      r.Pass("port " + std::to_string(port), "free on " + host + " for this node to listen on");
    } else {
      r.Fail("port " + std::to_string(port), why,
             why.find("not an address of this host") != std::string::npos
                 ? "give --host-ip an address of this host (ip -brief address lists them)"
                 : "choose another port, or stop what holds it");
    }
  }
}

void CheckDataDirs(const DoctorArgs& a, Report& r) {
  for (const std::string& d : a.data_dirs) {
    const fs::path dir = fs::absolute(d);
    std::error_code ec;
    fs::path probe = dir;
    while (!fs::exists(probe, ec) && probe.has_parent_path() && probe != probe.parent_path()) probe = probe.parent_path();
    struct statvfs st {};
    if (::statvfs(probe.c_str(), &st) != 0) {
      r.Fail("disk " + d, "cannot read the free space of " + probe.string(), "check the path");
      continue;
    }
    const double free_gib = static_cast<double>(st.f_bavail) * st.f_frsize / (1024.0 * 1024 * 1024);
    char text[128];
    std::snprintf(text, sizeof(text), "%.1f GiB free on the file system of %s", free_gib, dir.c_str());
    if (free_gib < a.min_free_gib) {
      r.Fail("disk " + d, text, "free space there or use a --data-dir on a larger file system");
    } else {
      r.Pass("disk " + d, text);
    }
    if (!fs::exists(dir, ec)) continue;  // the node makes it
    if (const auto holder = DirLock::Holder(dir)) {
      r.Fail("data dir " + d, "is in use by another process (pid " + *holder + ", which holds " + (dir / "LOCK").string() + ")",
             "stop that process or give this node its own --data-dir");
    } else if (::access(dir.c_str(), W_OK) != 0) {
      r.Fail("data dir " + d, "not writable by this user", "chown it to the user that runs the node");
    } else {
      r.Pass("data dir " + d, "writable, held by no running node");
    }
  }
}

void RunDoctor(const DoctorArgs& a) {
  Report r;
  std::printf("swarm doctor: SL API version %u, SN API version %u\n", sl::kSlApiVersion, sn::kApiVersion);
  CheckIdentity(a, r);
  if (!a.sn_ip.empty()) {
    if (auto id = pki::TlsIdentity::Load(a.tls); id.ok()) {
      CheckSn(a, *id, r);
    } else {
      r.Fail("sn", "not tried: " + id.status().message(), "fix the certificate, key or capath first (see above)");
    }
  }
  CheckPorts(a, r);
  CheckDataDirs(a, r);
  std::printf("%s\n", r.failed() ? (std::to_string(r.failed()) + " check(s) failed").c_str() : "all checks passed");
  std::exit(r.failed() ? 1 : 0);
}

}  // namespace

void AddDoctorCommand(CLI::App& app) {
  auto a = std::make_shared<DoctorArgs>();
  CLI::App* doctor = app.add_subcommand(
      "doctor", "Check this host's setup: certificate, CA chain, role, names, SN reachability, clock, ports, disk");
  doctor->add_option("--key", a->tls.key, "The node's private key (PEM)")->required();
  doctor->add_option("--cert", a->tls.cert, "The node's certificate (PEM)")->required();
  doctor->add_option("--capath", a->tls.capath, "Directory of trusted CA certificates")->required();
  doctor->add_option("--role", a->role, "The role this node needs: sn, sl, swop or swci")
      ->check(CLI::IsMember({"sn", "sl", "swop", "swci"}));
  doctor->add_option("--host-ip", a->host_ip, "The address peers dial for this node (checked against the SANs)");
  doctor->add_option("--sn-ip", a->sn_ip, "SN(s) this node uses: host[:port][,host[:port]...]");
  doctor->add_option("--sn-api-port", a->sn_api_port, "API port of the SN(s) given without one")
      ->check(PortNumber())
      ->capture_default_str();
  doctor->add_option("--listen-port", a->listen_ports, "A port this node will listen on (repeatable)")
      ->check(PortNumber())
      ->allow_extra_args(false);
  doctor->add_option("--data-dir", a->data_dirs, "A data dir this node will use (repeatable)")->allow_extra_args(false);
  doctor->add_option("--min-free-gib", a->min_free_gib, "Free space a data dir needs")->capture_default_str();
  doctor->add_option("--max-clock-skew", a->max_skew_seconds, "Seconds of clock skew against the SN allowed")
      ->capture_default_str();
  doctor->callback([a] { RunDoctor(*a); });
}

}  // namespace swarm::cli
