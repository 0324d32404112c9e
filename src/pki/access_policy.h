#pragma once

// Which roles may call which RPC. Every server states its rules; a method without a rule
// is refused, so a new RPC is closed until someone decides who may call it.

#include <initializer_list>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "core/status.h"
#include "pki/role.h"

namespace swarm::pki {

class AccessPolicy {
 public:
  // `method` is gRPC's full name, "/swarm.v1.Health/Check".
  AccessPolicy& Allow(std::string method, std::initializer_list<Role> roles);
  AccessPolicy& AllowAnyRole(std::string method);

  // OK, or PERMISSION_DENIED naming the method, the caller's role and the roles allowed.
  Status Check(std::string_view method, Role caller) const;

 private:
  std::map<std::string, std::set<Role>, std::less<>> rules_;
};

}  // namespace swarm::pki
