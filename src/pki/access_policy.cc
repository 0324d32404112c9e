#include "pki/access_policy.h"

namespace swarm::pki {

AccessPolicy& AccessPolicy::Allow(std::string method, std::initializer_list<Role> roles) {
  rules_[std::move(method)].insert(roles.begin(), roles.end());
  return *this;
}

AccessPolicy& AccessPolicy::AllowAnyRole(std::string method) {
  rules_[std::move(method)].insert(AllRoles().begin(), AllRoles().end());
  return *this;
}

Status AccessPolicy::Check(std::string_view method, Role caller) const {
  const auto it = rules_.find(method);
  if (it == rules_.end()) {
    return PermissionDenied("wrong role: no role may call " + std::string(method) + " on this server");
  }
  if (it->second.count(caller)) return Status::Ok();
  std::string allowed;
  for (Role r : it->second) allowed += (allowed.empty() ? "" : ", ") + std::string(RoleName(r));
  return PermissionDenied("wrong role: " + std::string(method) + " may be called by " + allowed +
                          ", not by " + std::string(RoleName(caller)));
}

}  // namespace swarm::pki
