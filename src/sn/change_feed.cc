#include "sn/change_feed.h"

#include <algorithm>

namespace swarm::sn {

ChangeFeed::ChangeFeed(Probe probe, std::chrono::milliseconds every)
    : probe_(std::move(probe)), every_(every), thread_([this] { Run(); }) {}

ChangeFeed::~ChangeFeed() {
  Stop();
  thread_.join();
}

void ChangeFeed::Stop() {
  {
    MutexLock lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  changed_.notify_all();
}

uint64_t ChangeFeed::version() {
  MutexLock lock(mu_);
  return version_;
}

void ChangeFeed::Poke() {
  {
    MutexLock lock(mu_);
    if (waiters_ == 0) return;  // nobody to tell: a probe would only compete with the appends
    poked_ = true;
  }
  wake_.notify_all();
}

uint64_t ChangeFeed::WaitPast(uint64_t seen, std::chrono::steady_clock::time_point deadline,
                              const std::function<bool()>& cancelled) {
  constexpr auto kAskEvery = std::chrono::milliseconds(100);
  MutexLock lock(mu_);
  if (waiters_++ == 0) wake_.notify_all();  // the feed was idle: probe from now on
  while (version_ <= seen && !stop_) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) break;
    lock.WaitUntil(changed_, std::min(deadline, now + kAskEvery));
    if (version_ > seen || stop_) break;
    lock.Unlock();
    const bool gone = cancelled && cancelled();
    lock.Lock();
    if (gone) break;
  }
  --waiters_;
  return version_;
}

void ChangeFeed::Run() {
  MutexLock lock(mu_);
  while (!stop_) {
    if (waiters_ == 0 && !poked_) {  // nobody waits: no reads
      lock.Wait(wake_);
      continue;
    }
    poked_ = false;
    lock.Unlock();
    StatusOr<std::string> now = probe_();
    lock.Lock();
    if (now.ok() && *now != fingerprint_) {
      fingerprint_ = std::move(*now);
      ++version_;
      changed_.notify_all();
    }
    if (!poked_ && !stop_) lock.WaitUntil(wake_, std::chrono::steady_clock::now() + every_);
  }
}

}  // namespace swarm::sn
