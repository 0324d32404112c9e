#pragma once

// Why a server could not listen on host:port, found by trying to bind it once: the port is
// taken, the address is not this host's, or another reason. For the error a node gives when
// its gRPC server does not start (gRPC itself only says that it failed).

#include <string>

namespace swarm {

std::string WhyCannotListen(const std::string& host, int port);

// Empty when host:port can be bound now, else why not (as above).
std::string ListenProblem(const std::string& host, int port);

// "host:port", an IPv6 address in brackets ("[::1]:30304"; one given in brackets stays as it
// is), as dialers and listeners take it.
std::string HostPort(const std::string& host, int port);

// The address a server listens on when peers reach it at `advertised` (its --host-ip, an IP
// or a name): that address when it is one of this host's (for a name, the first it resolves
// to that is), else every interface of its family, 0.0.0.0 or ::, as behind NAT or a port
// mapping, where the address peers dial is not this host's.
std::string DefaultListenHost(const std::string& advertised);

// Whether `host` is an IPv4 or IPv6 address (not bracketed); `v6` says which.
bool IsIpAddress(const std::string& host, bool* v6 = nullptr);

// Whether `host` is a loopback address or name: 127.0.0.0/8, ::1 (bracketed or not), localhost.
bool IsLoopbackHost(const std::string& host);

}  // namespace swarm
