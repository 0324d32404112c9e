// Training contracts: register, inspect, reset; PERFDATA shows each SL's progress.

#include <algorithm>
#include <map>

#include "ledger/round_rules.h"
#include "swci/command_env.h"
#include "swci/commands/commands.h"
#include "swci/commands/common.h"

namespace swarm::swci {
namespace {

// Keys of the contract records line up at this width, as SWCI always showed them.
constexpr size_t kKeyWidth = 14;

StatusOr<Result> CreateContract(CommandEnv& env, const Args& a) {
  swarm::v1::Transaction tx;
  tx.mutable_create_contract()->set_name(a.String("TrainingContractName"));
  return env.Submit(std::move(tx), "CONTRACT CREATED : " + a.String("TrainingContractName"));
}

StatusOr<Result> ResetContract(CommandEnv& env, const Args& a) {
  const std::string& name = a.String("TrainingContractName");
  bool force = false;
  if (a.Has("FORCE")) {
    if (Upper(a.String("FORCE")) != "FORCE") {
      return InvalidArgument("RESET CONTRACT takes FORCE after the contract's name; got '" +
                             a.String("FORCE") + "'");
    }
    force = true;
  }
  std::string note;
  if (!force) {
    // A training whose members are all gone is over, finished or not: no one is left to stop.
    ASSIGN_OR_RETURN(snapi::SnApi * api, env.Api());
    if (auto t = api->GetTraining(name); t.ok() && !t->done() && t->members_size() > 0) {
      bool alive = false;
      for (const auto& m : t->members()) alive |= m.alive();
      if (!alive) {
        force = true;
        note = "no member of its unfinished training is alive; ";
      }
    }
  }
  swarm::v1::Transaction tx;
  tx.mutable_reset_contract()->set_name(name);
  tx.mutable_reset_contract()->set_force(force);
  ASSIGN_OR_RETURN(Result done, env.Submit(std::move(tx), "CONTRACT RESET : " + name));
  if (note.empty()) return done;
  Result r = Result::Line("contract '" + name + "': " + note + "resetting it");
  for (Part& p : done.parts) r.Add(std::move(p));
  return r;
}

StatusOr<Result> GetContractInfo(CommandEnv& env, const Args& a) {
  ASSIGN_OR_RETURN(snapi::SnApi * api, env.Api());
  ASSIGN_OR_RETURN(swarm::v1::ContractInfo info, api->GetContract(a.String("TrainingContractName")));
  Record r;
  r.min_key_width = kKeyWidth;
  r.Add("Name", info.name())
      .Add("Created", BlockOf(info.created_height()))
      .Add("Creator", info.creator_fingerprint().empty() ? "-" : info.creator_fingerprint());
  return Result::Of(std::move(r));
}

std::string RoundState(const swarm::v1::RoundInfo& round) {
  std::string s = std::to_string(round.number()) + " (" + (round.closed() ? "closed" : "open");
  if (round.final()) s += ", final";
  s += ", " + std::to_string(round.checkins_size()) + " check-ins";
  if (round.closed() && !round.leader().empty()) s += ", leader " + round.leader();
  return s + ")";
}

std::string Members(const swarm::v1::TrainingInfo& t) {
  const auto finished =
      std::count_if(t.members().begin(), t.members().end(), [](auto& m) { return m.finished(); });
  const auto alive = std::count_if(t.members().begin(), t.members().end(), [](auto& m) { return m.alive(); });
  return std::to_string(t.members_size()) + " (" + std::to_string(finished) + " finished, " +
         std::to_string(alive) + " alive)";
}

StatusOr<Result> GetContractStatus(CommandEnv& env, const Args& a) {
  ASSIGN_OR_RETURN(snapi::SnApi * api, env.Api());
  const std::string& name = a.String("TrainingContractName");
  ASSIGN_OR_RETURN(swarm::v1::ContractInfo info, api->GetContract(name));
  ASSIGN_OR_RETURN(swarm::v1::TrainingInfo t, api->GetTraining(name));
  Record r;
  r.min_key_width = kKeyWidth;
  r.Add("Name", info.name())
      .Add("Resets", std::to_string(info.resets()))
      .Add("Last reset",
           info.resets() == 0 ? "never" : "ledger block " + std::to_string(info.last_reset_height()))
      .Add("Current round", RoundState(t.current()))
      .Add("Last merged", t.has_last() ? "round " + std::to_string(t.last().number()) : "-");
  if (t.has_last()) {
    // Contributions the last merge could not take in: the user sees who, and why.
    for (const auto& l : t.last().left_out()) r.Add("Left out", l.uid() + ": " + l.reason());
    for (const auto& c : t.last().checkins()) {
      if (const uint64_t late = ledger::Staleness(c); late > 0 && !c.model_digest().empty()) {
        r.Add("Late", c.uid() + ": built on round " + std::to_string(c.base_round()) +
                          ", merged with weight " + std::to_string(c.weight()) + "/" +
                          std::to_string(1 + late));
      }
    }
  }
  r.Add("Members", Members(t)).Add("Done", YesNo(t.done()));
  return Result::Of(std::move(r));
}

StatusOr<Result> ListContracts(CommandEnv& env, const Args&) {
  ASSIGN_OR_RETURN(snapi::SnApi * api, env.Api());
  ASSIGN_OR_RETURN(swarm::v1::ListContractsResponse resp, api->ListContracts());
  std::vector<std::string> lines;
  for (const auto& c : resp.contracts()) lines.push_back(c.name());
  return Result::Lines(std::move(lines));
}

// An SL's state as the training's members say: COMPLETED once it finished its local
// training, NOT ALIVE when its liveness lease ran out, RUNNING otherwise.
std::string SlStatus(const std::map<std::string, swarm::v1::MemberInfo>& members, const std::string& uid) {
  const auto it = members.find(uid);
  if (it == members.end()) return "RUNNING";
  if (it->second.finished()) return "COMPLETED";
  return it->second.alive() ? "RUNNING" : "NOT ALIVE";
}

// What node `uid` was in the last merged round: merged (late, with its staleness),
// left out, there without contributing, or not there.
std::string LastRound(const swarm::v1::TrainingInfo& t, const std::string& uid) {
  if (!t.has_last()) return "-";
  const auto& last = t.last();
  const std::string round = std::to_string(last.number()) + ": ";
  for (const auto& l : last.left_out()) {
    if (l.uid() == uid) return round + "left out";
  }
  for (const auto& c : last.checkins()) {
    if (c.uid() != uid) continue;
    if (c.model_digest().empty()) return round + "not contributing";
    const uint64_t late = ledger::Staleness(c);
    return round + (late ? "merged, " + std::to_string(late) + " late" : "merged");
  }
  return round + "not in it";
}

StatusOr<Result> PerfdataContract(CommandEnv& env, const Args& a) {
  ASSIGN_OR_RETURN(snapi::SnApi * api, env.Api());
  const std::string& name = a.String("SLContractName");
  ASSIGN_OR_RETURN(swarm::v1::TrainingInfo t, api->GetTraining(name));
  ASSIGN_OR_RETURN(swarm::v1::ListProgressResponse progress, api->ListProgress(name));
  std::map<std::string, swarm::v1::MemberInfo> members;
  for (const auto& m : t.members()) members[m.uid()] = m;
  std::vector<swarm::v1::Progress> rows(progress.progress().begin(), progress.progress().end());
  std::sort(rows.begin(), rows.end(), [](auto& x, auto& y) { return x.uid() < y.uid(); });
  Table table{
      {{"UID"}, {"STATUS"}, {"LOSS"}, {"METRIC"}, {"TOTAL EPOCHS"}, {"COMPLETED EPOCHS"}, {"LAST ROUND"}},
      {}};
  for (const auto& p : rows) {
    table.rows.push_back({p.uid(), SlStatus(members, p.uid()), Fixed(p.loss(), 4), Fixed(p.metric(), 4),
                          std::to_string(p.total_epochs()), std::to_string(p.epochs_done()),
                          LastRound(t, p.uid())});
  }
  return Result::Of(std::move(table));
}

}  // namespace

void RegisterContractCommands(CommandRegistry& r) {
  r.Add("CREATE CONTRACT <TrainingContractName : string>",
        "Registers a training contract in the Swarm network. Contracts are permanent: there is no delete.",
        CreateContract);
  r.Add(
      "GET CONTRACT INFO <TrainingContractName : string>",
      "Shows what never changes about a training contract: the ledger block that created it and its creator.",
      GetContractInfo);
  r.Add("GET CONTRACT STATUS <TrainingContractName : string>",
        "Shows where a training contract stands: its resets, the current sync round, the last merged round, "
        "the "
        "members (finished, alive) and whether the training is done.",
        GetContractStatus);
  r.Add("LIST CONTRACTS", "Lists the training contracts of the network, the built-in one first.",
        ListContracts);
  r.Add("RESET CONTRACT <TrainingContractName : string> [FORCE]",
        "Starts a training contract afresh so a new training can use it. It cannot be undone. Refused while "
        "its training is in progress (some member alive and the final round not merged); FORCE ends that "
        "training: each member stops, saying the contract was reset.",
        ResetContract);
  r.Add(
      "PERFDATA CONTRACT <SLContractName:string>",
      "Shows each SL's progress in the contract's training: its uid and status, the loss and metric it last "
      "reported, its completed and total epochs, and what it was in the last merged round (merged, merged "
      "late, left out: GET CONTRACT STATUS says why).",
      PerfdataContract);
}

}  // namespace swarm::swci
