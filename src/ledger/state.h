#pragma once

// The ledger's state: what replaying the chain yields. Plain values, no I/O.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "swarm/v1/ledger.pb.h"
#include "taskdef/task_def.h"

namespace swarm::ledger {

// HPE's default training contract; it exists in every network from the start.
inline constexpr char kDefaultContract[] = "defaultbb.cqdb.sml.hpe";
// HPE's default taskrunner and the root of every task's prereq chain: both exist from the start.
inline constexpr char kDefaultTaskRunner[] = "defaulttaskbb.taskdb.sml.hpe";
using taskdef::kRootTask;

// Where a transaction sits: the height of its block and its own timestamp (part of the
// signed transaction, so every SN replaying the chain records the same time).
struct TxStamp {
  uint64_t height = 0;
  int64_t unix_ms = 0;
};

// One node's check-in to a sync round: the transaction as accepted, and its block.
struct CheckInRecord {
  swarm::v1::CheckIn checkin;  // an empty model_digest: takes part without contributing
  uint64_t height = 0;
};

// A sync round: open (check-ins arrive), closed (participants and leader order fixed,
// the leader merges), then merged (its result recorded; the next round opens).
// One coordinate range of a sharded round (ledger/training.h ShardCount) and its merge.
struct Shard {
  size_t step = 0;                          // its merger is leaders[(index + step) % leaders.size()]
  std::string digest, endpoint, merged_by;  // once recorded
};

struct Round {
  uint64_t number = 1;
  std::map<std::string, CheckInRecord> checkins;  // by uid
  bool closed = false;
  bool final = false;                // closing this round ends the training
  std::vector<std::string> leaders;  // leader order, fixed at close
  size_t leader_index = 0;           // leaders[leader_index] leads now
  uint64_t closed_height = 0;
  std::string merged_digest, merged_endpoint, merged_by;
  uint64_t merged_height = 0;
  uint32_t redos = 0;  // times its merged model was lost and it was merged again
  std::vector<swarm::v1::LeftOut> left_out;  // contributions its merge left out, and why
  // Sharded rounds: the shards, fixed at close, and the method every shard is merged with.
  std::vector<Shard> shards;
  std::string merge_method;

  const std::string& leader() const { return leaders[leader_index]; }
  const std::string& ShardMerger(size_t i) const { return leaders[(i + shards[i].step) % leaders.size()]; }
};

// The sync-round state of one training contract.
struct Training {
  Round current;                        // open, or closed and merging
  std::optional<Round> last;            // the latest merged round
  std::optional<Round> previous;        // the one before: `last` again if last's model is lost
  std::map<std::string, bool> members;  // uid -> finished its local training
  bool done = false;                    // the final round was merged
  // The model schema every contribution must have, fixed by the first one.
  swarm::v1::ModelSchema schema;
  std::string schema_digest;  // empty until then
  std::string schema_uid;
};

struct Contract {
  std::string name;
  uint64_t created_height = 0;  // 0: exists from the start (the default contract)
  std::string creator;          // fingerprint of the SWCI certificate that created it
  uint64_t resets = 0;
  uint64_t last_reset_height = 0;
  Training training;  // a reset starts it afresh
};

struct Node {
  swarm::v1::NodeRecord record;
  std::string signer;  // fingerprint of the certificate that registered it
  uint64_t registered_height = 0;
  uint64_t updated_height = 0;
};

// A task definition (HPE's task schema; docs/swop.md): created with its header, its body
// set line by line, then finalized; a finalized task never changes and cannot be deleted.
struct Task {
  std::string name;
  std::string type;  // RUN_SWARM, MAKE_SWARM_USER_CONTENT, MAKE_USER_CONTAINER, PULL_IMAGE
  std::string author, prereq, outcome;
  std::vector<std::string> body;  // line 1 is body[0]; a line never set is ""
  bool finalized = false;
  std::string creator;  // fingerprint of the SWCI certificate that created it
  TxStamp created, finalized_at;
};

// A SWOP enrolled on a taskrunner.
struct EnrolledSwop {
  std::string uid;
  TxStamp enrolled;
};

// A SWOP's latest report on an assignment (docs/swop.md).
struct PeerReport {
  swarm::v1::ReportTaskPeer report;
  TxStamp at;
};

enum class AssignmentState { kActive, kCompleted, kFailed };

// One task given to a taskrunner: ACTIVE until its SWOPs' reports make it COMPLETED or
// FAILED; after that only a new assignment or a reset changes it.
struct Assignment {
  uint64_t number = 0;  // 1, 2, ... on its taskrunner; never reused
  std::string task, task_type;
  uint32_t peers_needed = 0;  // RUN_SWARM: SL/ML pairs; other types: SWOPs
  AssignmentState state = AssignmentState::kActive;
  TxStamp assigned, finished;
  std::map<std::string, PeerReport> reports;  // by SWOP uid
};

// A taskrunner contract: runs one task at a time on the SWOPs enrolled on it.
struct TaskRunner {
  std::string name;
  std::string creator;              // fingerprint of the SWCI certificate; "" for the default one
  TxStamp created;                  // height 0: exists from the start
  std::vector<EnrolledSwop> swops;  // in enrolment order: the swopIndex
  uint64_t assignments = 0;         // how many were ever made: the last number given
  std::optional<Assignment> current;
  uint64_t resets = 0;
  TxStamp last_reset;
};

struct State {
  uint64_t height = 0;  // of the last block applied
  std::map<std::string, Contract> contracts;
  std::map<std::string, Node> nodes;  // by uid
  std::map<std::string, Task> tasks;
  std::map<std::string, TaskRunner> task_runners;

  // The state before any block: the default contract, the default taskrunner and ROOTTASK.
  static State Genesis();
};

}  // namespace swarm::ledger
