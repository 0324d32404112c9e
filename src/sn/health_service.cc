#include "sn/health_service.h"

#include "core/version.h"

namespace swarm::sn {

grpc::Status HealthService::Check(grpc::ServerContext*, const swarm::v1::HealthCheckRequest*,
                                  swarm::v1::HealthCheckResponse* out) {
  out->set_status("OK");
  out->set_version(kVersion);
  out->set_api_version(kApiVersion);
  return grpc::Status::OK;
}

}  // namespace swarm::sn
