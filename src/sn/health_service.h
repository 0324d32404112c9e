#pragma once

// The health check every Swarm server answers (HPE's `is_up`): "OK" once serving.

#include "swarm/v1/health.grpc.pb.h"

namespace swarm::sn {

inline constexpr uint32_t kApiVersion = 1;

class HealthService final : public swarm::v1::Health::Service {
 public:
  grpc::Status Check(grpc::ServerContext*, const swarm::v1::HealthCheckRequest*,
                     swarm::v1::HealthCheckResponse* out) override;
};

}  // namespace swarm::sn
