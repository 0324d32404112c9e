#include "pki/role.h"

namespace swarm::pki {

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kSn: return "sn";
    case Role::kSl: return "sl";
    case Role::kSwop: return "swop";
    case Role::kSwci: return "swci";
  }
  return "unknown";
}

std::optional<Role> ParseRole(std::string_view name) {
  for (Role r : AllRoles()) {
    if (RoleName(r) == name) return r;
  }
  return std::nullopt;
}

std::string RoleUri(Role role) { return std::string(kRoleUriPrefix) + std::string(RoleName(role)); }

std::optional<Role> RoleFromUri(std::string_view uri) {
  if (!uri.starts_with(kRoleUriPrefix)) return std::nullopt;
  return ParseRole(uri.substr(kRoleUriPrefix.size()));
}

const std::vector<Role>& AllRoles() {
  static const std::vector<Role> roles = {Role::kSn, Role::kSl, Role::kSwop, Role::kSwci};
  return roles;
}

}  // namespace swarm::pki
