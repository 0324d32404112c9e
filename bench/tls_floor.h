#pragma once

// The floor for moving model bytes on this machine: one TLS 1.3 connection over
// 127.0.0.1 (OpenSSL, the same library and certificates the SLs' gRPC channels use), no
// gRPC framing, no hashing, no disk.

#include <cstdint>
#include <string>

#include "core/status.h"
#include "pki/tls.h"

namespace swarm::bench {

struct TlsPush {
  double seconds = 0;  // from the first byte written to the receiver's acknowledgement
  std::string cipher;  // the negotiated suite, e.g. TLS_AES_256_GCM_SHA384
};

// Pushes `bytes` from this thread to a server thread, which presents `server` (key and
// certificate) and acknowledges when all bytes have arrived. The handshake is not timed.
StatusOr<TlsPush> PushThroughTls(uint64_t bytes, const pki::TlsFiles& server);

}  // namespace swarm::bench
