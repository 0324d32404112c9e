#include "pki/connect_diagnosis.h"

#include <fcntl.h>
#include <netdb.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "core/listen_check.h"
#include "pki/certificate.h"
#include "pki/role.h"

namespace swarm::pki {
namespace {

struct Target {
  std::string host, port;
};

Target Split(std::string_view target) {
  const std::string t(target);
  if (!t.empty() && t.front() == '[') {
    const size_t close = t.find(']');
    return {t.substr(1, close - 1), close + 2 <= t.size() ? t.substr(close + 2) : ""};
  }
  const size_t colon = t.rfind(':');
  if (colon == std::string::npos) return {t, ""};
  return {t.substr(0, colon), t.substr(colon + 1)};
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

// A TCP connection to host:port within `timeout`; -1 with `why` set otherwise.
int Connect(const Target& t, std::chrono::milliseconds timeout, std::string& why) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (const int rc = ::getaddrinfo(t.host.c_str(), t.port.c_str(), &hints, &found); rc != 0) {
    why = "cannot resolve " + t.host + ": " + gai_strerror(rc);
    return -1;
  }
  int fd = -1;
  for (addrinfo* a = found; a && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
      why = std::strerror(errno);
      ::close(fd);
      fd = -1;
      continue;
    }
    pollfd p{fd, POLLOUT, 0};
    int err = 0;
    socklen_t len = sizeof(err);
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1 ||
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
      why = err != 0 ? std::strerror(err) : "no answer within " + std::to_string(timeout.count()) + " ms";
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(found);
  if (fd >= 0) {
    const int flags = ::fcntl(fd, F_GETFL);
    ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    timeval tv{static_cast<time_t>(timeout.count() / 1000),
               static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  }
  return fd;
}

}  // namespace

std::string DescribeServedCertificate(std::string_view target, std::string_view server_name,
                                      std::chrono::milliseconds timeout) {
  const Target t = Split(target);
  std::string why;
  const int fd = Connect(t, timeout, why);
  if (fd < 0) return "its certificate could not be read (" + why + ")";
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(ctx.get()), SSL_free);
  SSL_set_fd(ssl.get(), fd);
  const std::string name(server_name);
  SSL_set_tlsext_host_name(ssl.get(), name.c_str());
  // Only to read the certificate: nothing is sent after the handshake.
  SSL_set_verify(ssl.get(), SSL_VERIFY_NONE, nullptr);
  std::string out;
  if (SSL_connect(ssl.get()) != 1) {
    out = "its certificate could not be read (the TLS handshake failed)";
  } else if (X509* peer = SSL_get1_peer_certificate(ssl.get()); peer == nullptr) {
    out = "it presented no certificate";
  } else {
    const Certificate cert = Certificate::Share(peer);
    X509_free(peer);
    const std::optional<Role> role = cert.GetRole();
    std::vector<std::string> names = cert.DnsSans();
    for (const auto& ip : cert.IpSans()) names.push_back(ip);
    out = "it presents the certificate of '" + cert.CommonName() + "' (role " +
          (role ? std::string(RoleName(*role)) : "none") + "), whose names are " + Join(names);
    SSL_shutdown(ssl.get());
  }
  ::close(fd);
  return out;
}

std::string DiagnoseConnectFailure(std::string_view message, std::string_view target,
                                   std::chrono::milliseconds probe_timeout) {
  const Target t = Split(target);
  if (message.find("DNS resolution failed") != std::string_view::npos ||
      message.find("Domain name not found") != std::string_view::npos) {
    return t.host +
           " does not resolve: no DNS server this host uses (/etc/resolv.conf; for the SLs a SWOP "
           "starts, its profile's dns) has an address for it";
  }
  if (message.find("is not in peer certificate") != std::string_view::npos) {
    return "the server reached as " + std::string(target) + " is not " + t.host + ": " +
           DescribeServedCertificate(target, t.host, probe_timeout) +
           ". Behind a reverse proxy, the route for " + t.host +
           " points to another node, or that node's certificate lacks the DNS name " + t.host +
           " (swarm gen-cert --service ROLE=" + t.host + ")";
  }
  if (!t.host.empty() && !IsIpAddress(t.host) && message.find("Socket closed") != std::string_view::npos) {
    return "the connection to " + std::string(target) +
           " was closed before TLS began: behind a reverse proxy, it has no route for " + t.host +
           ", or the node it routes to does not answer";
  }
  return "";
}

}  // namespace swarm::pki
