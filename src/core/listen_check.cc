#include "core/listen_check.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace swarm {

std::string WhyCannotListen(const std::string& host, int port) {
  const std::string why = ListenProblem(host, port);
  return why.empty() ? "the server did not start on " + host + ":" + std::to_string(port) +
                           " (the port may have been taken meanwhile)"
                     : why;
}

std::string ListenProblem(const std::string& host, int port) {
  const std::string where = host + ":" + std::to_string(port);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    return "'" + host + "' is not an address of this host: " + ::gai_strerror(rc);
  }
  int err = 0;
  for (addrinfo* a = found; a; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      err = errno;
      continue;
    }
    // As servers do: a port with only TIME_WAIT connections left is free to listen on.
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    err = ::bind(fd, a->ai_addr, a->ai_addrlen) == 0 ? 0 : errno;
    ::close(fd);
    if (err == 0 || err == EADDRINUSE) break;
  }
  ::freeaddrinfo(found);
  if (err == EADDRINUSE) {
    return "port " + std::to_string(port) + " is in use by another process (`ss -ltnp 'sport = :" +
           std::to_string(port) + "'` shows which); choose another port or stop that process";
  }
  if (err == EADDRNOTAVAIL) return "'" + host + "' is not an address of this host";
  if (err != 0) return "cannot bind " + where + ": " + std::strerror(err);
  return {};
}

std::string HostPort(const std::string& host, int port) {
  const bool bare_v6 = host.find(':') != std::string::npos && host.front() != '[';
  return (bare_v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string DefaultListenHost(const std::string& advertised) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(advertised.c_str(), "0", &hints, &found) != 0) return "0.0.0.0";
  std::string local;
  const bool v6 = found->ai_family == AF_INET6;
  for (addrinfo* a = found; a && local.empty(); a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    if (::bind(fd, a->ai_addr, a->ai_addrlen) == 0) {
      char text[NI_MAXHOST];
      if (::getnameinfo(a->ai_addr, a->ai_addrlen, text, sizeof(text), nullptr, 0, NI_NUMERICHOST) == 0)
        local = text;
    }
    ::close(fd);
  }
  ::freeaddrinfo(found);
  if (!local.empty()) return local;
  return v6 ? "::" : "0.0.0.0";
}

bool IsIpAddress(const std::string& host, bool* v6) {
  unsigned char buf[sizeof(in6_addr)];
  const bool four = inet_pton(AF_INET, host.c_str(), buf) == 1;
  const bool six = !four && inet_pton(AF_INET6, host.c_str(), buf) == 1;
  if (v6 != nullptr) *v6 = six;
  return four || six;
}

bool IsLoopbackHost(const std::string& host) {
  if (host == "localhost" || host == "::1" || host == "[::1]") return true;
  in_addr a{};
  return inet_pton(AF_INET, host.c_str(), &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

}  // namespace swarm
