#pragma once

// An SWCI session: the command language of HPE's SWCI (contexts, contracts, nodes, waits),
// run against the SN API with the SWCI certificate. Commands are case-insensitive and a
// `#` starts a comment. Each command prints its result or, when it fails, an error line;
// a wrong command or wrong arguments print the command's usage.

#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pki/signer.h"
#include "pki/tls.h"
#include "swarm/v1/ledger.pb.h"
#include "swarm/v1/sn.grpc.pb.h"

namespace swarm::swci {

inline constexpr int kDefaultSnApiPort = 30304;

class Session {
 public:
  Session(pki::TlsIdentity identity, pki::Signer signer, std::ostream& out);
  ~Session();

  // Runs one line. Returns false when the session must end: after EXIT, or after a
  // failed command while EXIT ON FAILURE is ON (failed() tells which).
  bool Execute(const std::string& line);
  bool failed() const { return failed_; }
  // The prompt, "SWCI:N > ", N counting the commands run.
  std::string Prompt() const { return "SWCI:" + std::to_string(count_) + " > "; }

  struct Command;

 private:
  struct Context {
    std::string ip;
    int port = kDefaultSnApiPort;
    // One channel per context, made when it is created: commands reuse its connection.
    std::shared_ptr<swarm::v1::SwarmNetwork::Stub> stub;
  };
  Status Run(const Command& c, const std::vector<std::string>& args);
  Status CheckUp(const std::string& ip, int port, int retries, std::chrono::seconds pause);
  StatusOr<const Context*> Current() const;
  std::string Target(const Context& c) const { return c.ip + ":" + std::to_string(c.port); }

  Status CreateContext(const std::vector<std::string>& a);
  Status SwitchContext(const std::vector<std::string>& a);
  Status GetContextInfo(const std::vector<std::string>& a);
  Status ListContexts(const std::vector<std::string>& a);
  Status CreateContract(const std::vector<std::string>& a);
  Status ResetContract(const std::vector<std::string>& a);
  Status GetContractInfo(const std::vector<std::string>& a);
  Status GetContractStatus(const std::vector<std::string>& a);
  Status ListContracts(const std::vector<std::string>& a);
  Status ListNodes(const std::vector<std::string>& a);
  Status WaitForIp(const std::vector<std::string>& a);
  Status Sleep(const std::vector<std::string>& a);
  Status ExitOnFailure(const std::vector<std::string>& a);
  Status Help(const std::vector<std::string>& a);
  Status Submit(const std::string& what, const swarm::v1::Transaction& tx);

  pki::TlsIdentity identity_;
  pki::Signer signer_;
  std::ostream& out_;
  std::map<std::string, Context> contexts_;
  std::optional<std::string> default_;
  bool exit_on_failure_ = false;
  bool exit_ = false;
  bool failed_ = false;
  int count_ = 0;
  std::vector<Command> commands_;
};

}  // namespace swarm::swci
