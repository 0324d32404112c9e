#pragma once

// Why a connection to a node failed, in words a user can act on, for the failures gRPC
// reports in its own terms: a name that does not resolve, a server whose certificate does
// not carry the name dialled (a reverse proxy's route to the wrong node, or a certificate
// without the service's DNS SAN), a connection closed before TLS began (a proxy without a
// route for the name). CheckCall adds it to the call's error.

#include <chrono>
#include <string>
#include <string_view>

namespace swarm::pki {

// The explanation for `grpc_message` (a failed call's message) on `target` ("host:port"),
// or "" when it is none of the above. For a name mismatch it connects to the target once
// more (TLS with the name as server name, at most `probe_timeout`) to say whose certificate
// is served there and which names it carries.
std::string DiagnoseConnectFailure(std::string_view grpc_message, std::string_view target,
                                   std::chrono::milliseconds probe_timeout = std::chrono::seconds(3));

// The certificate served at `target` for the TLS server name `server_name`: "'sn-1' (role
// sn), names sn-1, localhost, 127.0.0.1", or why it could not be read.
std::string DescribeServedCertificate(std::string_view target, std::string_view server_name,
                                      std::chrono::milliseconds timeout);

}  // namespace swarm::pki
