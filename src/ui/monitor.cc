#include "ui/monitor.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>

#include "core/listen_check.h"
#include "core/sha256.h"

namespace swarm::ui {
namespace {

using json = nlohmann::ordered_json;

bool IsSn(const swarm::v1::NodeRecord& r) {
  return r.type() == swarm::v1::NODE_TYPE_SN || r.type() == swarm::v1::NODE_TYPE_SENTINEL;
}

// LIST NODES' type name, the sentinel counted among the SNs (the view marks it apart).
std::string TypeName(const swarm::v1::NodeRecord& r) {
  return IsSn(r) ? "SN" : swarm::v1::NodeType_Name(r.type()).substr(std::string_view("NODE_TYPE_").size());
}

std::string Endpoint(const swarm::v1::NodeRecord& r) { return HostPort(r.host(), static_cast<int>(r.port())); }

// A protobuf message as JSON with the .proto's field names, enums by name.
json ToJson(const google::protobuf::Message& m) {
  google::protobuf::util::JsonPrintOptions o;
  o.preserve_proto_field_names = true;
  o.always_print_primitive_fields = true;
  std::string text;
  if (!google::protobuf::util::MessageToJsonString(m, &text, o).ok()) return json::object();
  return json::parse(text, nullptr, false);
}

std::string Hex(const std::string& bytes) {
  auto d = Digest::FromBytes(bytes);
  return d ? d->Hex() : std::string();
}

}  // namespace

uint64_t ModelBytes(const swarm::v1::ModelSchema& schema) {
  uint64_t total = 0;
  for (const auto& t : schema.tensors()) {
    uint64_t n = 1;
    for (uint64_t d : t.shape()) n *= d;
    const uint64_t size = t.dtype() == swarm::v1::DTYPE_F64 ? 8 : t.dtype() == swarm::v1::DTYPE_F32 ? 4 : 2;
    total += n * size;
  }
  return total;
}

struct Monitor::Read {
  swarm::v1::ListNodesResponse nodes;
  std::string version;
  std::vector<swarm::v1::TrainingInfo> trainings;
  std::vector<swarm::v1::Progress> progress;
  swarm::v1::ListTasksResponse tasks;
  std::vector<swarm::v1::TaskRunnerInfo> task_runners;
  std::map<std::string, StatusOr<uint64_t>> heights;  // by SN uid
};

Monitor::Monitor(snapi::SnApi* sn, Connect connect, std::function<int64_t()> now_ms, MonitorOptions options)
    : sn_(sn), connect_(std::move(connect)), now_ms_(std::move(now_ms)), o_(options) {
  MutexLock lock(mu_);
  Publish();
}

Status Monitor::ReadSwarm(Read& r) {
  ASSIGN_OR_RETURN(r.nodes, sn_->ListNodes());
  if (auto v = sn_->GetVersion(); v.ok()) r.version = v->version();
  ASSIGN_OR_RETURN(swarm::v1::ListContractsResponse contracts, sn_->ListContracts());
  for (const auto& c : contracts.contracts()) {
    ASSIGN_OR_RETURN(swarm::v1::TrainingInfo t, sn_->GetTraining(c.name()));
    r.trainings.push_back(std::move(t));
  }
  ASSIGN_OR_RETURN(swarm::v1::ListProgressResponse progress, sn_->ListProgress(""));
  r.progress.assign(progress.progress().begin(), progress.progress().end());
  ASSIGN_OR_RETURN(r.tasks, sn_->ListTasks());
  ASSIGN_OR_RETURN(swarm::v1::ListTaskRunnersResponse runners, sn_->ListTaskRunners());
  for (const auto& tr : runners.task_runners()) {
    auto full = sn_->GetTaskRunner(tr.name());  // with its peers
    r.task_runners.push_back(full.ok() ? *full : tr);
  }
  // Each SN's height, from that SN: one that lags or cannot be reached shows as such.
  for (const auto& n : r.nodes.nodes()) {
    if (!IsSn(n.record())) continue;
    auto client = ClientOf(n.record().uid(), Endpoint(n.record()));
    if (!client.ok()) {
      r.heights.emplace(n.record().uid(), client.status());
      continue;
    }
    auto blocks = (*client)->ListBlocks(0, 0);
    r.heights.emplace(n.record().uid(), blocks.ok() ? StatusOr<uint64_t>(blocks->height())
                                                    : StatusOr<uint64_t>(blocks.status()));
  }
  return Status::Ok();
}

Status Monitor::Poll() {
  Read r;
  Status s = ReadSwarm(r);
  const int64_t now = now_ms_();
  MutexLock lock(mu_);
  if (!s.ok()) {
    sn_error_ = "cannot read the swarm from SN " + sn_->target() + ": " + s.message();
  } else {
    sn_error_.clear();
    Fold(r, now);
  }
  Publish();
  return s;
}

Status Monitor::Watch(const std::string& contract, std::chrono::milliseconds wait) {
  std::string version;
  {
    MutexLock lock(mu_);
    auto it = contracts_.find(contract);
    if (it == contracts_.end()) return NotFound("no contract '" + contract + "' seen yet");
    version = it->second.training.version();
  }
  ASSIGN_OR_RETURN(swarm::v1::TrainingInfo t, sn_->WaitTraining(contract, version, wait));
  const int64_t now = now_ms_();
  MutexLock lock(mu_);
  FoldTraining(contracts_[contract], t, now);
  Publish();
  return Status::Ok();
}

std::vector<std::string> Monitor::Contracts() const {
  MutexLock lock(mu_);
  std::vector<std::string> out;
  for (const auto& [name, c] : contracts_) out.push_back(name);
  return out;
}

void Monitor::Fold(Read& r, int64_t now) {
  sn_version_ = r.version;
  for (const auto& n : r.nodes.nodes()) {
    NodeSeen& seen = nodes_[n.record().uid()];
    seen.info = n;
    if (n.alive()) seen.last_alive_ms = now;
  }
  // A node the ledger still lists but that is gone leaves the page after keep_gone.
  for (auto it = nodes_.begin(); it != nodes_.end();) {
    const bool stale = !it->second.info.alive() && now - it->second.last_alive_ms > o_.keep_gone.count();
    it = stale ? nodes_.erase(it) : std::next(it);
  }
  for (const auto& [uid, height] : r.heights) {
    SnView& v = sns_[uid];
    v.error = height.ok() ? "" : height.status().message();
    if (height.ok()) v.height = *height;
  }
  for (auto it = sns_.begin(); it != sns_.end();)
    it = nodes_.count(it->first) ? std::next(it) : sns_.erase(it);
  for (auto& t : r.trainings) FoldTraining(contracts_[t.contract()], t, now);
  for (const auto& p : r.progress) {
    auto c = contracts_.find(p.contract());
    if (c == contracts_.end()) continue;
    NodeRow& row = c->second.rows[p.uid()];
    if (row.points.empty() || row.points.back().at_ms != p.updated_unix_ms()) {
      row.points.push_back({p.updated_unix_ms(), p.loss(), p.metric(), p.epochs_done()});
      if (row.points.size() > o_.max_points) row.points.erase(row.points.begin());
    }
    row.last = p;
  }
  // Rows of nodes that left long ago go; the others stay, marked done or gone.
  for (auto& [name, c] : contracts_) {
    for (auto it = c.rows.begin(); it != c.rows.end();) {
      const auto node = nodes_.find(it->first);
      const bool alive = node != nodes_.end() && node->second.info.alive();
      const bool stale = !alive && now - it->second.last.updated_unix_ms() > o_.keep_gone.count();
      it = stale ? c.rows.erase(it) : std::next(it);
    }
  }
  tasks_ = json::array();
  for (const auto& t : r.tasks.tasks()) {
    json j = ToJson(t);
    j.erase("body");
    tasks_.push_back(std::move(j));
  }
  task_runners_ = json::array();
  for (const auto& tr : r.task_runners) task_runners_.push_back(ToJson(tr));
}

void Monitor::FoldTraining(ContractView& c, const swarm::v1::TrainingInfo& t, int64_t now) {
  if (c.training.resets() != t.resets()) {  // RESET CONTRACT: a new training, a new history
    c.rounds.clear();
    c.opened_ms.clear();
    c.rows.clear();
    c.last_recorded = 0;
  }
  c.training = t;
  if (!t.current().closed() || t.current().checkins_size() > 0)
    c.opened_ms.emplace(t.current().number(), now);
  if (!t.has_last() || t.last().number() <= c.last_recorded) return;
  const auto& r = t.last();
  c.last_recorded = r.number();
  json participants = json::array(), left_out = json::array();
  for (const auto& ci : r.checkins()) participants.push_back(ci.uid());
  for (const auto& l : r.left_out()) left_out.push_back(l.uid());
  const uint64_t model = ModelBytes(t.schema());
  const auto opened = c.opened_ms.find(r.number());
  json row = {{"round", r.number()},
              {"participants", participants},
              {"contributors", r.contributors()},
              {"leader", r.leader()},
              {"merged_by", r.merged_by()},
              {"merge_method", r.merge_method().empty() ? "mean" : r.merge_method()},
              {"shards", r.shards_size()},
              {"left_out", left_out},
              {"redos", r.redos()},
              {"final", r.final()},
              {"merged_digest", Hex(r.merged_digest()).substr(0, 12)},
              // Each contribution goes to the merger(s) once, the merged model to every other participant.
              {"bytes_moved", model * (r.contributors() + std::max(r.checkins_size(), 1) - 1)},
              {"merged_at_ms", now},
              {"duration_ms", opened == c.opened_ms.end() ? json() : json(now - opened->second)}};
  c.rounds.push_back(std::move(row));
  if (c.rounds.size() > o_.max_rounds) c.rounds.erase(c.rounds.begin());
  c.opened_ms.erase(c.opened_ms.begin(), c.opened_ms.upper_bound(r.number()));
}

StatusOr<snapi::SnApi*> Monitor::ClientOf(const std::string& uid, const std::string& endpoint) {
  if (endpoint == sn_->target()) return sn_;
  MutexLock lock(clients_mu_);
  auto it = sn_clients_.find(uid);
  if (it != sn_clients_.end() && it->second->target() == endpoint) return it->second.get();
  if (!connect_) return Unavailable("SN " + endpoint + " is not the UI's, and this UI asks only its own");
  ASSIGN_OR_RETURN(std::vector<snapi::Endpoint> e, snapi::ParseEndpoints(endpoint, snapi::kDefaultSnApiPort));
  ASSIGN_OR_RETURN(std::unique_ptr<snapi::SnApi> client, connect_(e.front()));
  snapi::SnApi* out = client.get();
  sn_clients_[uid] = std::move(client);
  return out;
}

StatusOr<swarm::v1::VerifyResponse> Monitor::Verify(const std::string& uid) {
  std::string endpoint = sn_->target();
  std::string who = uid;
  {
    MutexLock lock(mu_);
    if (!uid.empty()) {
      auto it = nodes_.find(uid);
      if (it == nodes_.end() || !IsSn(it->second.info.record())) {
        return NotFound("no SN with uid '" + uid + "' in LIST NODES; the Ledger page lists the SNs");
      }
      endpoint = Endpoint(it->second.info.record());
    }
  }
  ASSIGN_OR_RETURN(snapi::SnApi * client, ClientOf(uid, endpoint));
  auto r = client->Verify();
  MutexLock lock(mu_);
  if (who.empty()) {  // the UI's own SN: find its uid to show the result beside it
    for (const auto& [id, n] : nodes_) {
      if (Endpoint(n.info.record()) == endpoint) who = id;
    }
  }
  if (r.ok() && !who.empty()) {
    sns_[who].verify = {{"ok", r->ok()},
                        {"blocks", r->blocks()},
                        {"first_bad_height", r->first_bad_height()},
                        {"reason", r->reason()},
                        {"at_ms", now_ms_()}};
    Publish();
  }
  return r;
}

StatusOr<json> Monitor::Blocks(uint32_t limit, uint64_t below_height) {
  ASSIGN_OR_RETURN(swarm::v1::ListBlocksResponse r, sn_->ListBlocks(limit, below_height));
  json blocks = json::array();
  for (const auto& b : r.blocks()) {
    json txs = json::array();
    for (const auto& t : b.transactions()) txs.push_back(ToJson(t));
    blocks.push_back({{"height", b.height()},
                      {"hash", Hex(b.hash())},
                      {"timestamp_unix_ms", b.timestamp_unix_ms()},
                      {"appended_by", b.appended_by()},
                      {"transactions", txs}});
  }
  return json{{"sn", sn_->target()}, {"height", r.height()}, {"blocks", blocks}};
}

void Monitor::Publish() {
  json nodes = json::array();
  json sns = json::array();
  std::map<std::string, std::string> sn_by_endpoint;
  for (const auto& [uid, n] : nodes_) {
    if (IsSn(n.info.record())) sn_by_endpoint[Endpoint(n.info.record())] = uid;
  }
  for (const auto& [uid, n] : nodes_) {
    const auto& rec = n.info.record();
    const std::string type = TypeName(rec);
    auto sn = sn_by_endpoint.find(rec.sn_endpoint());
    nodes.push_back({{"uid", uid},
                     {"type", type},
                     {"sentinel", rec.type() == swarm::v1::NODE_TYPE_SENTINEL},
                     {"name", rec.name()},
                     {"host", rec.host()},
                     {"port", rec.port()},
                     {"parent", rec.parent_uid()},
                     {"sn", sn == sn_by_endpoint.end() ? "" : sn->second},
                     {"alive", n.info.alive()},
                     {"last_alive_ms", n.last_alive_ms},
                     {"registered_height", n.info.registered_height()}});
    if (type == "SN") {
      const auto v = sns_.find(uid);
      sns.push_back({{"uid", uid},
                     {"name", rec.name()},
                     {"endpoint", Endpoint(rec)},
                     {"alive", n.info.alive()},
                     {"height", v == sns_.end() ? 0 : v->second.height},
                     {"error", v == sns_.end() ? "" : v->second.error},
                     {"verify", v == sns_.end() ? json() : v->second.verify}});
    }
  }
  json contracts = json::array();
  for (const auto& [name, c] : contracts_) {
    std::map<std::string, const swarm::v1::MemberInfo*> members;
    for (const auto& m : c.training.members()) members[m.uid()] = &m;
    json rows = json::array();
    json series = json::object();
    for (const auto& [uid, row] : c.rows) {
      const auto node = nodes_.find(uid);
      const auto member = members.find(uid);
      const bool alive = node != nodes_.end() && node->second.info.alive();
      const bool finished =
          (member != members.end() && member->second->finished()) ||
          (row.last.total_epochs() > 0 && row.last.epochs_done() >= row.last.total_epochs()) ||
          c.training.done();
      const std::string status = finished ? "done" : alive ? "training" : "gone";
      // The time left at the pace of the epochs seen so far.
      json eta;
      if (!finished && row.points.size() >= 2) {
        const Point& a = row.points.front();
        const Point& b = row.points.back();
        if (b.epochs > a.epochs && b.at_ms > a.at_ms && row.last.total_epochs() > b.epochs) {
          const double ms_per_epoch = static_cast<double>(b.at_ms - a.at_ms) / (b.epochs - a.epochs);
          eta = static_cast<int64_t>(ms_per_epoch * (row.last.total_epochs() - b.epochs) / 1000.0);
        }
      }
      rows.push_back({{"uid", uid},
                      {"name", node == nodes_.end() ? uid.substr(0, 8) : node->second.info.record().name()},
                      {"status", status},
                      {"epochs_done", row.last.epochs_done()},
                      {"total_epochs", row.last.total_epochs()},
                      {"rounds_done", row.last.rounds_done()},
                      {"loss", row.last.loss()},
                      {"metric", row.last.metric()},
                      {"updated_ms", row.last.updated_unix_ms()},
                      {"eta_s", eta}});
      json points = json::array();
      for (const Point& p : row.points) points.push_back({p.at_ms, p.loss, p.metric});
      series[uid] = std::move(points);
    }
    const auto& cur = c.training.current();
    contracts.push_back({{"name", name},
                         {"resets", c.training.resets()},
                         {"done", c.training.done()},
                         {"current_round", cur.number()},
                         {"checked_in", cur.checkins_size()},
                         {"last_round", c.training.has_last() ? c.training.last().number() : 0},
                         {"model_bytes", ModelBytes(c.training.schema())},
                         {"nodes", rows},
                         {"series", series},
                         {"rounds", c.rounds}});
  }
  json view = {{"sn", {{"target", sn_->target()}, {"version", sn_version_}, {"error", sn_error_}}},
               {"nodes", nodes},
               {"sns", sns},
               {"contracts", contracts},
               {"tasks", tasks_},
               {"task_runners", task_runners_}};
  std::string text = view.dump();
  if (text != view_text_) {
    ++version_;
    view_text_ = std::move(text);
    view_ = std::move(view);
  }
}

json Monitor::View() const {
  MutexLock lock(mu_);
  json v = view_;
  v["version"] = version_;
  return v;
}

uint64_t Monitor::version() const {
  MutexLock lock(mu_);
  return version_;
}

}  // namespace swarm::ui
