#include "http/server.h"

#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <chrono>

#include "core/listen_check.h"
#include "pki/openssl_util.h"

namespace swarm::http {
namespace {

// Loads the node's certificate and key into `ctx`, asks clients for a certificate and names
// the trusted CAs in the request, so that a client holding several picks the right one.
bool SetUpTls(SSL_CTX& ctx, const pki::TlsIdentity& id, bool ask_client_certificate) {
  SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(&ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION);
  if (SSL_CTX_use_certificate(&ctx, id.cert().get()) != 1) return false;
  pki::BioPtr bio(BIO_new_mem_buf(id.key_pem().data(), static_cast<int>(id.key_pem().size())));
  pki::PKeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key || SSL_CTX_use_PrivateKey(&ctx, key.get()) != 1) return false;
  if (!ask_client_certificate) {
    SSL_CTX_set_verify(&ctx, SSL_VERIFY_NONE, nullptr);
    return true;
  }
  STACK_OF(X509_NAME)* names = sk_X509_NAME_new_null();
  for (const pki::Certificate& ca : id.trust().cas()) {
    sk_X509_NAME_push(names, X509_NAME_dup(X509_get_subject_name(ca.get())));
  }
  SSL_CTX_set_client_CA_list(&ctx, names);
  // Every certificate passes the handshake; ClientIdentity judges it with the trust store,
  // whose errors a user can act on. The handshake still proves that the client holds the
  // certificate's key.
  SSL_CTX_set_verify(&ctx, SSL_VERIFY_PEER, [](int, X509_STORE_CTX*) { return 1; });
  return true;
}

std::string RoleList(const std::set<pki::Role>& roles) {
  std::string out;
  for (pki::Role r : roles) out += (out.empty() ? "" : " or ") + std::string(pki::RoleName(r));
  return out;
}

}  // namespace

StatusOr<std::unique_ptr<Server>> Server::Create(ServerOptions options) {
  std::unique_ptr<Server> s(new Server(std::move(options)));
  if (s->options_.tls) {
    const pki::TlsIdentity& id = *s->options_.tls;
    const bool ask = s->options_.ask_client_certificate;
    auto ssl =
        std::make_unique<httplib::SSLServer>([&id, ask](SSL_CTX& ctx) { return SetUpTls(ctx, id, ask); });
    if (!ssl->is_valid()) {
      return Internal(s->options_.name +
                      ": cannot set up TLS with its certificate and key: " + pki::OpenSslErrors());
    }
    s->server_ = std::move(ssl);
  } else {
    s->server_ = std::make_unique<httplib::Server>();
  }
  s->server_->set_read_timeout(s->options_.io_timeout_s, 0);
  s->server_->set_write_timeout(s->options_.io_timeout_s, 0);
  s->server_->set_payload_max_length(16 << 20);
  // SO_REUSEADDR only: cpp-httplib's default adds SO_REUSEPORT, with which a second server on
  // a port in use would start and share it instead of failing.
  s->server_->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  return s;
}

Server::~Server() { Stop(); }

Status Server::Start() {
  const int bound = options_.port == 0
                        ? server_->bind_to_any_port(options_.host)
                        : (server_->bind_to_port(options_.host, options_.port) ? options_.port : -1);
  if (bound <= 0) {
    return Unavailable(options_.name + ": " + WhyCannotListen(options_.host, options_.port));
  }
  port_ = bound;
  thread_ = std::thread([this] {
    server_->listen_after_bind();
    listening_done_ = true;
  });
  // cpp-httplib's stop() does nothing until its loop runs: a Stop() right after Start() would
  // leave the loop running and the join waiting for ever. So Start returns once it runs. No
  // deadline is needed: the loop marks itself running as the first thing it does, or returns.
  while (!server_->is_running() && !listening_done_) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (listening_done_) {
    thread_.join();
    return Unavailable(options_.name + ": the server bound port " + std::to_string(port_) +
                       " but its accept loop ended at once");
  }
  return Status::Ok();
}

void Server::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

std::string Server::Url() const {
  return std::string(https() ? "https://" : "http://") + HostPort(options_.host, port_);
}

StatusOr<pki::PeerIdentity> Server::ClientIdentity(const httplib::Request& req,
                                                   const std::set<pki::Role>& roles) const {
  const std::string expected = "a certificate of role " + RoleList(roles) + " from a CA that " +
                               options_.name + " trusts (its --capath)";
  if (!options_.tls || req.ssl == nullptr) {
    return Unauthenticated(options_.name + " takes requests over HTTPS only, with " + expected);
  }
  X509* leaf = SSL_get1_peer_certificate(req.ssl);
  if (leaf == nullptr) return Unauthenticated("no client certificate was presented; expected " + expected);
  pki::Certificate cert{pki::X509Ptr(leaf)};
  std::vector<pki::Certificate> intermediates;
  if (STACK_OF(X509)* chain = SSL_get_peer_cert_chain(req.ssl)) {
    for (int i = 0; i < sk_X509_num(chain); ++i) {
      X509* c = sk_X509_value(chain, i);
      if (X509_cmp(c, leaf) != 0) intermediates.push_back(pki::Certificate::Share(c));
    }
  }
  auto peer = options_.tls->trust().Verify(cert, intermediates);
  if (!peer.ok()) {
    return Unauthenticated("the client certificate '" + cert.Subject() +
                           "' is not accepted: " + peer.status().message() + "; expected " + expected);
  }
  if (roles.count(peer->role) == 0) {
    return PermissionDenied("the client certificate '" + cert.Subject() + "' has role " +
                            std::string(pki::RoleName(peer->role)) + "; " + options_.name + " takes " +
                            expected);
  }
  return peer;
}

}  // namespace swarm::http
