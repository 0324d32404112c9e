#pragma once

// SnApi over gRPC with mutual TLS: the implementation every part uses.

#include <optional>

#include "pki/signer.h"
#include "pki/tls.h"
#include "snapi/sn_api.h"

namespace swarm::snapi {

struct GrpcSnApiOptions {
  std::vector<Endpoint> endpoints;  // tried in order; at least one
  std::chrono::milliseconds call_deadline{std::chrono::seconds(30)};
  std::chrono::milliseconds health_deadline{std::chrono::seconds(5)};
};

// `signer` signs submitted transactions; without one, Submit fails (read-only clients).
StatusOr<std::unique_ptr<SnApi>> MakeGrpcSnApi(const pki::TlsIdentity& identity,
                                               std::optional<pki::Signer> signer, GrpcSnApiOptions options);

// A call's gRPC outcome as a Status. Refusals by the SN's own logic (bad arguments, not
// found, already exists, failed preconditions) keep the SN's words as they are; transport
// and TLS failures are explained and logged by pki::CheckCall.
Status FromCall(const grpc::Status& status, std::string_view method, std::string_view target);

// Whether a failed call may be tried on the next SN: the SN could not be reached, so
// nothing happened there.
bool IsUnreachable(const Status& status);

}  // namespace swarm::snapi
