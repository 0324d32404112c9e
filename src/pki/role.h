#pragma once

// The roles a Swarm certificate can carry. A certificate names its role in a URI SAN,
// spiffe://swarm.learning/swarm/<role>; servers decide what a caller may do from it.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace swarm::pki {

enum class Role { kSn, kSl, kSwop, kSwci };

inline constexpr std::string_view kRoleUriPrefix = "spiffe://swarm.learning/swarm/";

// "sn", "sl", "swop", "swci".
std::string_view RoleName(Role role);
std::optional<Role> ParseRole(std::string_view name);
// The URI SAN that carries `role`.
std::string RoleUri(Role role);
// The role named by a URI SAN, if it is one of ours.
std::optional<Role> RoleFromUri(std::string_view uri);
const std::vector<Role>& AllRoles();

}  // namespace swarm::pki
