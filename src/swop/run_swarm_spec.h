#pragma once

// How a RUN_SWARM task and one node of the SWOP profile become an SlLaunchSpec: pure, so
// every mapping rule is unit-tested.
//
//  - SL: --host-ip slhostip (default 127.0.0.1; none behind a service), --sl-fs-port slport
//    (default: any free port), --sl-fs-service slfsservice; its SN apisrv.locator.service
//    (port 443 unless given), else host:port, else the SWOP's own SNs; the profile's dns as
//    its and its program's name servers; the identity's
//    KEY, CERT and CAPATH (or CACERT) files, its data dir DATA_DIR/<groupname>/sl-<idx>;
//    environment: the SWOP's, then the profile's envvars, then the node's slenvvars
//    (a ~ value removes the variable).
//  - ML program: Entrypoint + Command in WorkingDir; environment: its SL's (which it
//    inherits), then the task's Envvars, then the node's usrenvvars; mounts: PrivateContent <-
//    privatedata.src, every SharedContent Tgt <- Src (BIND: a host path, relative to --usr-dir; VOLUME: the
//    content a MAKE_SWARM_USER_CONTENT task made under that name).

#include "swop/launch_spec.h"
#include "swop/task_run.h"
#include "taskdef/task_def.h"

namespace swarm::swop {

// The SL's data dir of `node`: DATA_DIR/<groupname>/sl-<idx> (its uid stays across tasks).
std::filesystem::path SlDataDir(const TaskEnv& env, const SlNodeDef& node);

StatusOr<SlLaunchSpec> RunSwarmSpec(const taskdef::RunSwarmBody& body, const swarm::v1::TaskInfo& task,
                                    const SlNodeDef& node, const TaskEnv& env, char** environment);

}  // namespace swarm::swop
