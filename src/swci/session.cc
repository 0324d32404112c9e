#include "swci/session.h"

#include <algorithm>
#include <cctype>
#include <iomanip>
#include <ostream>
#include <thread>

#include "ledger/chain.h"
#include "swarm/v1/health.grpc.pb.h"
#include "swarm/v1/sn.grpc.pb.h"

namespace swarm::swci {
namespace {

using Args = std::vector<std::string>;

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// Words separated by blanks; "double quotes" keep blanks; # outside quotes starts a comment.
std::vector<std::string> Tokenize(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false, have = false;
  for (char c : line) {
    if (c == '"') {
      quoted = !quoted;
      have = true;
    } else if (!quoted && c == '#') {
      break;
    } else if (!quoted && std::isspace(static_cast<unsigned char>(c))) {
      if (have) out.push_back(cur);
      cur.clear();
      have = false;
    } else {
      cur += c;
      have = true;
    }
  }
  if (have) out.push_back(cur);
  return out;
}

StatusOr<int> ParseInt(const std::string& s, const char* what, int min, int max) {
  try {
    size_t used = 0;
    const long v = std::stol(s, &used);
    if (used == s.size() && v >= min && v <= max) return static_cast<int>(v);
  } catch (...) {
  }
  return InvalidArgument(std::string(what) + " '" + s + "' is not a number from " + std::to_string(min) +
                         " to " + std::to_string(max));
}

std::string NodeType(swarm::v1::NodeType t) {
  std::string s = swarm::v1::NodeType_Name(t);
  return s.substr(std::string("NODE_TYPE_").size());
}

std::string TimeOfMs(int64_t ms) {
  return pki::FormatTime(std::chrono::system_clock::time_point(std::chrono::milliseconds(ms)));
}

std::chrono::system_clock::time_point Deadline() {
  return std::chrono::system_clock::now() + std::chrono::seconds(30);
}

}  // namespace

struct Session::Command {
  std::vector<std::string> words;  // upper case
  std::string usage;
  std::string help;
  size_t min_args, max_args;
  Status (Session::*run)(const Args&);
};

Session::Session(pki::TlsIdentity identity, pki::Signer signer, std::ostream& out)
    : identity_(std::move(identity)), signer_(std::move(signer)), out_(out) {
  constexpr size_t kMany = 64;
  commands_ = {
      {{"CREATE", "CONTEXT"},
       "CREATE CONTEXT <contextName : string> WITH IP <ip : string> [port : string]",
       "Creates an SWCI context for the SN API server at ip (default port 30304), after checking that it is "
       "up.",
       4,
       5,
       &Session::CreateContext},
      {{"SWITCH", "CONTEXT"},
       "SWITCH CONTEXT <contextName : string>",
       "Makes the context the default one.",
       1,
       1,
       &Session::SwitchContext},
      {{"GET", "CONTEXT", "INFO"},
       "GET CONTEXT INFO [contextName : string]",
       "Prints a context's API server; the default context without a name.",
       0,
       1,
       &Session::GetContextInfo},
      {{"LIST", "CONTEXTS"},
       "LIST CONTEXTS",
       "Lists the contexts of this session.",
       0,
       0,
       &Session::ListContexts},
      {{"CREATE", "CONTRACT"},
       "CREATE CONTRACT <TrainingContractName : string>",
       "Registers the training contract in the Swarm Learning network. A contract is permanent.",
       1,
       1,
       &Session::CreateContract},
      {{"GET", "CONTRACT", "INFO"},
       "GET CONTRACT INFO <TrainingContractName : string>",
       "Displays the static information about the training contract.",
       1,
       1,
       &Session::GetContractInfo},
      {{"GET", "CONTRACT", "STATUS"},
       "GET CONTRACT STATUS <TrainingContractName : string>",
       "Reports the current dynamic status of the training contract.",
       1,
       1,
       &Session::GetContractStatus},
      {{"LIST", "CONTRACTS"},
       "LIST CONTRACTS",
       "Lists the training contracts registered in the network.",
       0,
       0,
       &Session::ListContracts},
      {{"RESET", "CONTRACT"},
       "RESET CONTRACT <TrainingContractName : string>",
       "Resets the training contract to its initial state, to reuse it for a new training. Reset only "
       "completed "
       "trainings.",
       1,
       1,
       &Session::ResetContract},
      {{"LIST", "NODES"},
       "LIST NODES",
       "Lists the active Swarm nodes: type, host, port, name, uid, parent uid and last i-am-alive time.",
       0,
       0,
       &Session::ListNodes},
      {{"WAIT", "FOR", "IP"},
       "WAIT FOR IP <ip : string> [port : string] [retries : string]",
       "Waits until the API server accepts connections, trying every 5 seconds (default retries 360: 30 "
       "minutes).",
       1,
       3,
       &Session::WaitForIp},
      {{"SLEEP"}, "SLEEP <seconds : int>", "Sleeps before the next command.", 1, 1, &Session::Sleep},
      {{"EXIT", "ON", "FAILURE"},
       "EXIT ON FAILURE [ON/OFF]",
       "Ends the session when a later command fails (default OFF).",
       0,
       1,
       &Session::ExitOnFailure},
      {{"EXIT"}, "EXIT", "Ends the session.", 0, 0, nullptr},
      {{"HELP"}, "HELP [command]", "Lists the commands, or describes one.", 0, kMany, &Session::Help},
  };
}

Session::~Session() = default;

bool Session::Execute(const std::string& line) {
  const std::vector<std::string> tokens = Tokenize(line);
  if (tokens.empty()) return true;
  ++count_;
  // The command whose words begin the line; the longest such (EXIT ON FAILURE over EXIT).
  const Command* best = nullptr;
  for (const Command& c : commands_) {
    if (c.words.size() > tokens.size()) continue;
    bool match = true;
    for (size_t i = 0; i < c.words.size() && match; ++i) match = Upper(tokens[i]) == c.words[i];
    if (match && (!best || c.words.size() > best->words.size())) best = &c;
  }
  Status s;
  if (best == nullptr) {
    s = InvalidArgument("unknown command '" + tokens[0] + (tokens.size() > 1 ? " " + tokens[1] : "") +
                        "'; type HELP for the list of commands");
  } else {
    const Args args(tokens.begin() + static_cast<long>(best->words.size()), tokens.end());
    if (args.size() < best->min_args || args.size() > best->max_args) {
      s = InvalidArgument("Usage: " + best->usage);
    } else if (best->run == nullptr) {
      exit_ = true;
    } else {
      s = Run(*best, args);
    }
  }
  if (!s.ok()) {
    out_ << "ERROR: " << s.message() << "\n";
    if (exit_on_failure_) {
      failed_ = true;
      return false;
    }
  }
  out_.flush();
  return !exit_;
}

Status Session::Run(const Command& c, const Args& args) { return (this->*c.run)(args); }

Status Session::CheckUp(const std::string& ip, int port, int retries, std::chrono::seconds pause) {
  auto stub = swarm::v1::Health::NewStub(pki::MakeSecureChannel(identity_, ip + ":" + std::to_string(port)));
  Status last;
  for (int attempt = 0; attempt < retries; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(pause);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    swarm::v1::HealthCheckResponse resp;
    last = pki::CheckCall(stub->Check(&ctx, {}, &resp), "Health/Check", ip + ":" + std::to_string(port));
    if (last.ok() && resp.status() == "OK") {
      out_ << "API Server is UP!\n";
      return Status::Ok();
    }
    if (last.code() == StatusCode::kUnauthenticated || last.code() == StatusCode::kPermissionDenied) break;
  }
  return Unavailable("API server at " + ip + ":" + std::to_string(port) + " is not up: " + last.message());
}

StatusOr<const Session::Context*> Session::Current() const {
  if (!default_) {
    return FailedPrecondition(
        "no default context; create one with CREATE CONTEXT and select it with SWITCH CONTEXT");
  }
  return &contexts_.at(*default_);
}

Status Session::CreateContext(const Args& a) {
  if (Upper(a[1]) != "WITH" || Upper(a[2]) != "IP") {
    return InvalidArgument(
        "Usage: CREATE CONTEXT <contextName : string> WITH IP <ip : string> [port : string]");
  }
  if (contexts_.count(a[0])) return AlreadyExists("context '" + a[0] + "' already exists");
  Context c{a[3], kDefaultSnApiPort, nullptr};
  if (a.size() == 5) {
    ASSIGN_OR_RETURN(c.port, ParseInt(a[4], "port", 1, 65535));
  }
  RETURN_IF_ERROR(CheckUp(c.ip, c.port, 1, std::chrono::seconds(0)));
  c.stub = swarm::v1::SwarmNetwork::NewStub(pki::MakeSecureChannel(identity_, Target(c)));
  contexts_[a[0]] = c;
  out_ << "CONTEXT CREATED : " << a[0] << "\n";
  return Status::Ok();
}

Status Session::SwitchContext(const Args& a) {
  if (!contexts_.count(a[0])) return NotFound("no context named '" + a[0] + "'; LIST CONTEXTS shows them");
  default_ = a[0];
  out_ << "DEFAULT CONTEXT SET TO : " << a[0] << "\n";
  return Status::Ok();
}

Status Session::GetContextInfo(const Args& a) {
  std::string name;
  if (!a.empty()) {
    name = a[0];
    if (!contexts_.count(name)) return NotFound("no context named '" + name + "'");
  } else {
    ASSIGN_OR_RETURN(const Context* c, Current());
    (void)c;
    name = *default_;
  }
  const Context& c = contexts_.at(name);
  out_ << "Name    : " << name << "\nIP      : " << c.ip << "\nPort    : " << c.port
       << "\nDefault : " << (default_ == name ? "yes" : "no") << "\n";
  return Status::Ok();
}

Status Session::ListContexts(const Args&) {
  for (const auto& [name, c] : contexts_) out_ << name << (default_ == name ? " (default)" : "") << "\n";
  return Status::Ok();
}

Status Session::Submit(const std::string& what, const swarm::v1::Transaction& tx) {
  ASSIGN_OR_RETURN(const Context* c, Current());
  ASSIGN_OR_RETURN(swarm::v1::SignedTransaction signed_tx, ledger::SignTransaction(tx, signer_));
  swarm::v1::SubmitRequest req;
  *req.add_transactions() = std::move(signed_tx);
  swarm::v1::SubmitResponse resp;
  grpc::ClientContext ctx;
  ctx.set_deadline(Deadline());
  return pki::CheckCall(c->stub->Submit(&ctx, req, &resp), what, Target(*c));
}

Status Session::CreateContract(const Args& a) {
  swarm::v1::Transaction tx;
  tx.mutable_create_contract()->set_name(a[0]);
  RETURN_IF_ERROR(Submit("CREATE CONTRACT", tx));
  out_ << "CONTRACT CREATED : " << a[0] << "\n";
  return Status::Ok();
}

Status Session::ResetContract(const Args& a) {
  swarm::v1::Transaction tx;
  tx.mutable_reset_contract()->set_name(a[0]);
  RETURN_IF_ERROR(Submit("RESET CONTRACT", tx));
  out_ << "CONTRACT RESET : " << a[0] << "\n";
  return Status::Ok();
}

namespace {
StatusOr<swarm::v1::ContractInfo> FetchContract(swarm::v1::SwarmNetwork::Stub& stub,
                                                const std::string& target, const std::string& name) {
  swarm::v1::GetContractRequest req;
  req.set_name(name);
  swarm::v1::ContractInfo info;
  grpc::ClientContext ctx;
  ctx.set_deadline(Deadline());
  RETURN_IF_ERROR(pki::CheckCall(stub.GetContract(&ctx, req, &info), "GET CONTRACT", target));
  return info;
}
}  // namespace

Status Session::GetContractInfo(const Args& a) {
  ASSIGN_OR_RETURN(const Context* c, Current());
  ASSIGN_OR_RETURN(swarm::v1::ContractInfo info, FetchContract(*c->stub, Target(*c), a[0]));
  out_ << "Name           : " << info.name() << "\n";
  out_ << "Created        : "
       << (info.created_height() == 0 ? std::string("built in")
                                      : "ledger block " + std::to_string(info.created_height()))
       << "\n";
  out_ << "Creator        : " << (info.creator_fingerprint().empty() ? "-" : info.creator_fingerprint())
       << "\n";
  return Status::Ok();
}

Status Session::GetContractStatus(const Args& a) {
  ASSIGN_OR_RETURN(const Context* c, Current());
  ASSIGN_OR_RETURN(swarm::v1::ContractInfo info, FetchContract(*c->stub, Target(*c), a[0]));
  out_ << "Name           : " << info.name() << "\n";
  out_ << "Resets         : " << info.resets() << "\n";
  out_ << "Last reset     : "
       << (info.resets() == 0 ? std::string("never")
                              : "ledger block " + std::to_string(info.last_reset_height()))
       << "\n";
  return Status::Ok();
}

Status Session::ListContracts(const Args&) {
  ASSIGN_OR_RETURN(const Context* c, Current());
  swarm::v1::ListContractsResponse resp;
  grpc::ClientContext ctx;
  ctx.set_deadline(Deadline());
  RETURN_IF_ERROR(pki::CheckCall(c->stub->ListContracts(&ctx, {}, &resp), "LIST CONTRACTS", Target(*c)));
  for (const auto& ct : resp.contracts()) out_ << ct.name() << "\n";
  return Status::Ok();
}

Status Session::ListNodes(const Args&) {
  ASSIGN_OR_RETURN(const Context* c, Current());
  swarm::v1::ListNodesResponse resp;
  grpc::ClientContext ctx;
  ctx.set_deadline(Deadline());
  RETURN_IF_ERROR(pki::CheckCall(c->stub->ListNodes(&ctx, {}, &resp), "LIST NODES", Target(*c)));
  out_ << std::left << std::setw(10) << "NODE TYPE" << std::setw(17) << "HOST" << std::setw(7) << "PORT"
       << std::setw(10) << "NAME" << std::setw(34) << "UID" << std::setw(34) << "PARENT UID"
       << "LAST I-AM-ALIVE\n";
  for (const auto& n : resp.nodes()) {
    if (!n.alive()) continue;  // registered but not active
    const auto& r = n.record();
    out_ << std::left << std::setw(10) << NodeType(r.type()) << std::setw(17) << r.host() << std::setw(7)
         << r.port() << std::setw(10) << r.name() << std::setw(34) << r.uid() << std::setw(34)
         << (r.parent_uid().empty() ? "-" : r.parent_uid()) << TimeOfMs(n.last_alive_unix_ms()) << "\n";
  }
  return Status::Ok();
}

Status Session::WaitForIp(const Args& a) {
  int port = kDefaultSnApiPort, retries = 360;
  if (a.size() > 1) {
    ASSIGN_OR_RETURN(port, ParseInt(a[1], "port", 1, 65535));
  }
  if (a.size() > 2) {
    ASSIGN_OR_RETURN(retries, ParseInt(a[2], "retries", 1, 1000000));
  }
  return CheckUp(a[0], port, retries, std::chrono::seconds(5));
}

Status Session::Sleep(const Args& a) {
  ASSIGN_OR_RETURN(int seconds, ParseInt(a[0], "seconds", 0, 86400));
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  return Status::Ok();
}

Status Session::ExitOnFailure(const Args& a) {
  if (a.empty() || Upper(a[0]) == "ON") {
    exit_on_failure_ = true;
  } else if (Upper(a[0]) == "OFF") {
    exit_on_failure_ = false;
  } else {
    return InvalidArgument("Usage: EXIT ON FAILURE [ON/OFF]");
  }
  out_ << "EXIT ON FAILURE : " << (exit_on_failure_ ? "ON" : "OFF") << "\n";
  return Status::Ok();
}

Status Session::Help(const Args& a) {
  if (a.empty()) {
    std::vector<std::string> names;
    for (const Command& c : commands_) {
      std::string n;
      for (const auto& w : c.words) n += (n.empty() ? "" : " ") + w;
      names.push_back(n);
    }
    std::sort(names.begin(), names.end());
    for (const auto& n : names) out_ << " " << n << "\n";
    return Status::Ok();
  }
  std::string asked;
  for (const auto& w : a) asked += (asked.empty() ? "" : " ") + Upper(w);
  for (const Command& c : commands_) {
    std::string n;
    for (const auto& w : c.words) n += (n.empty() ? "" : " ") + w;
    if (n == asked) {
      out_ << " " << c.usage << "\n\n" << c.help << "\n";
      return Status::Ok();
    }
  }
  return NotFound("no command '" + asked + "'; HELP lists them");
}

}  // namespace swarm::swci
