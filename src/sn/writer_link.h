#pragma once

// Appends go through one SN at a time: the one whose etcd member leads Raft, "the writer".
// That SN advertises its API address under kWriterKey, on a lease it renews every second;
// the other SNs forward the Submits they take to it (rpc Append), so a block gathers every
// SN's callers and no two SNs race for the chain's head. (Racing starved the SNs whose
// member did not lead: the leader's SN always landed its compare-and-swap first, and with
// three SNs under load two thirds of the callers waited until the append deadline.) With no
// advertisement, or a writer that cannot be reached, an SN appends itself: the
// compare-and-swap keeps the chain linear either way; forwarding keeps it fair and fast.

#include <chrono>
#include <memory>
#include <string>

#include "core/mutex.h"
#include "ledger/etcd_client.h"
#include "pki/tls.h"
#include "swarm/v1/sn.grpc.pb.h"

namespace swarm::sn {

inline constexpr char kWriterKey[] = "/swarm/ledger/writer";

class WriterLink {
 public:
  // `self` is this SN's API address (host:port) as the other SNs dial it.
  WriterLink(ledger::EtcdClient* etcd, const pki::TlsIdentity* identity, std::string self)
      : etcd_(etcd), identity_(identity), self_(std::move(self)) {}

  // Advertises this SN as the writer while its etcd member leads (the SN calls it every
  // second; the advertisement lapses kLease after the last call that found it leading).
  Status Advertise();

  struct Target {
    std::string address;
    std::shared_ptr<swarm::v1::SwarmNetwork::Stub> stub;
  };
  // The writer to forward to, or nullopt when this SN appends itself (it is the writer, or
  // none is advertised). Reads the advertisement at most once per kRefresh.
  std::optional<Target> Writer();

  static constexpr std::chrono::seconds kLease{3};
  static constexpr std::chrono::seconds kRefresh{1};

 private:
  ledger::EtcdClient* etcd_;
  const pki::TlsIdentity* identity_;
  const std::string self_;

  Mutex advertise_mu_;
  int64_t lease_ SWARM_GUARDED_BY(advertise_mu_) = 0;

  Mutex mu_;
  std::chrono::steady_clock::time_point next_read_ SWARM_GUARDED_BY(mu_){};
  std::optional<Target> writer_ SWARM_GUARDED_BY(mu_);
};

}  // namespace swarm::sn
