#include "sn/writer_link.h"

namespace swarm::sn {

Status WriterLink::Advertise() {
  ASSIGN_OR_RETURN(const ledger::EtcdClient::MemberStatus status, etcd_->Leadership());
  if (status.leader == 0 || status.leader != status.id) return Status::Ok();  // another SN's turn
  MutexLock lock(advertise_mu_);
  if (lease_ != 0 && !etcd_->LeaseKeepAlive(lease_).ok()) lease_ = 0;  // expired: take a new one
  if (lease_ == 0) {
    ASSIGN_OR_RETURN(lease_, etcd_->LeaseGrant(kLease));
  }
  return etcd_->Put(kWriterKey, self_, lease_);
}

std::optional<WriterLink::Target> WriterLink::Writer() {
  {
    // One caller a second reads the advertisement; the others go on with the writer known
    // until then, rather than waiting behind that read.
    MutexLock lock(mu_);
    const auto now = std::chrono::steady_clock::now();
    if (now < next_read_) return writer_;
    next_read_ = now + kRefresh;
  }
  auto kv = etcd_->Get(kWriterKey);
  std::optional<std::string> address;  // none advertised (or unreadable now), or this SN is the writer
  if (kv.ok() && kv->has_value() && (*kv)->value != self_ && !(*kv)->value.empty()) address = (*kv)->value;
  MutexLock lock(mu_);
  if (!address) {
    writer_.reset();
  } else if (!writer_ || writer_->address != *address) {
    writer_ = Target{*address, swarm::v1::SwarmNetwork::NewStub(pki::MakeSecureChannel(*identity_, *address))};
  }
  return writer_;
}

}  // namespace swarm::sn
