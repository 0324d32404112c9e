#include "bench/tls_floor.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <memory>
#include <vector>

namespace swarm::bench {
namespace {

constexpr size_t kWriteBytes = 1 << 20;  // as the file server's chunks

using Ctx = std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)>;
using Ssl = std::unique_ptr<SSL, decltype(&SSL_free)>;

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// As gRPC does: otherwise the last partial record waits for a delayed ACK (40 ms).
void NoDelay(int fd) {
  const int on = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

Status SslError(const std::string& what) {
  char buf[256] = "no OpenSSL error queued";
  if (const unsigned long e = ERR_get_error()) ERR_error_string_n(e, buf, sizeof buf);
  return Internal("TLS floor: " + what + ": " + buf);
}

StatusOr<Ctx> MakeCtx(bool server, const pki::TlsFiles& tls) {
  Ctx ctx(SSL_CTX_new(server ? TLS_server_method() : TLS_client_method()), &SSL_CTX_free);
  if (!ctx || !SSL_CTX_set_min_proto_version(ctx.get(), TLS1_3_VERSION)) return SslError("SSL_CTX_new");
  if (server && (SSL_CTX_use_certificate_chain_file(ctx.get(), tls.cert.c_str()) != 1 ||
                 SSL_CTX_use_PrivateKey_file(ctx.get(), tls.key.c_str(), SSL_FILETYPE_PEM) != 1)) {
    return SslError("loading " + tls.cert.string());
  }
  // The client does not verify: verification costs only handshake time, which is not timed.
  return ctx;
}

// Accepts one connection, reads `bytes`, and acknowledges with one byte.
Status Receive(int listener, SSL_CTX* ctx, uint64_t bytes) {
  Fd conn{::accept(listener, nullptr, nullptr)};
  if (conn.fd < 0) return Internal("TLS floor: accept failed");
  NoDelay(conn.fd);
  Ssl ssl(SSL_new(ctx), &SSL_free);
  SSL_set_fd(ssl.get(), conn.fd);
  if (SSL_accept(ssl.get()) != 1) return SslError("SSL_accept");
  std::vector<char> buf(kWriteBytes);
  for (uint64_t got = 0; got < bytes;) {
    const int n = SSL_read(ssl.get(), buf.data(), static_cast<int>(buf.size()));
    if (n <= 0) return SslError("SSL_read after " + std::to_string(got) + " bytes");
    got += static_cast<uint64_t>(n);
  }
  if (SSL_write(ssl.get(), "k", 1) != 1) return SslError("SSL_write of the acknowledgement");
  SSL_shutdown(ssl.get());
  return Status::Ok();
}

StatusOr<TlsPush> Send(int port, SSL_CTX* ctx, uint64_t bytes) {
  Fd sock{::socket(AF_INET, SOCK_STREAM, 0)};
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(sock.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return Internal("TLS floor: cannot connect to 127.0.0.1:" + std::to_string(port));
  }
  NoDelay(sock.fd);
  Ssl ssl(SSL_new(ctx), &SSL_free);
  SSL_set_fd(ssl.get(), sock.fd);
  if (SSL_connect(ssl.get()) != 1) return SslError("SSL_connect");
  const std::vector<char> buf(kWriteBytes, 'x');
  const auto start = std::chrono::steady_clock::now();
  for (uint64_t sent = 0; sent < bytes;) {
    const int n = static_cast<int>(std::min<uint64_t>(buf.size(), bytes - sent));
    if (SSL_write(ssl.get(), buf.data(), n) != n) return SslError("SSL_write");
    sent += static_cast<uint64_t>(n);
  }
  char ack = 0;
  if (SSL_read(ssl.get(), &ack, 1) != 1) return SslError("SSL_read of the acknowledgement");
  TlsPush r;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.cipher = SSL_get_cipher_name(ssl.get());
  SSL_shutdown(ssl.get());
  return r;
}

}  // namespace

StatusOr<TlsPush> PushThroughTls(uint64_t bytes, const pki::TlsFiles& server) {
  ASSIGN_OR_RETURN(Ctx server_ctx, MakeCtx(true, server));
  ASSIGN_OR_RETURN(Ctx client_ctx, MakeCtx(false, server));
  Fd listener{::socket(AF_INET, SOCK_STREAM, 0)};
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(listener.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listener.fd, 1) != 0 ||
      ::getsockname(listener.fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return Internal("TLS floor: cannot listen on 127.0.0.1");
  }
  auto received = std::async(std::launch::async, Receive, listener.fd, server_ctx.get(), bytes);
  StatusOr<TlsPush> sent = Send(ntohs(addr.sin_port), client_ctx.get(), bytes);
  // A failed sender leaves the receiver in accept or read: closing the listener ends accept,
  // and the sender's socket is closed by now, which ends the read.
  if (!sent.ok()) ::shutdown(listener.fd, SHUT_RDWR);
  RETURN_IF_ERROR(received.get());
  return sent;
}

}  // namespace swarm::bench
