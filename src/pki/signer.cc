#include "pki/signer.h"

#include <openssl/err.h>
#include <openssl/pem.h>

namespace swarm::pki {
namespace {
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, OpenSslDeleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
}  // namespace

StatusOr<Signer> Signer::Load(const std::filesystem::path& key_path, const std::filesystem::path& cert_path) {
  ASSIGN_OR_RETURN(std::string pem, ReadTextFile(key_path, "private key"));
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PKeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) {
    return InvalidArgument("private key '" + key_path.string() + "' is not a PEM key (" + OpenSslErrors() +
                           ")");
  }
  ASSIGN_OR_RETURN(Certificate cert, Certificate::Load(cert_path));
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    return InvalidArgument("private key '" + key_path.string() + "' does not belong to certificate '" +
                           cert_path.string() + "'");
  }
  return Signer(std::move(key), std::move(cert));
}

StatusOr<std::string> Signer::Sign(std::span<const std::byte> data) const {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  size_t n = 0;
  if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &n, reinterpret_cast<const unsigned char*>(data.data()),
                     data.size()) != 1) {
    return Internal("signing failed: " + OpenSslErrors());
  }
  std::string sig(n, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &n,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
    return Internal("signing failed: " + OpenSslErrors());
  }
  sig.resize(n);
  return sig;
}

StatusOr<PeerIdentity> VerifySigner(const TrustStore& trust, std::string_view signer_cert_pem,
                                    std::chrono::system_clock::time_point at) {
  ASSIGN_OR_RETURN(Certificate cert, Certificate::FromPem(signer_cert_pem, "the signer's certificate"));
  return trust.Verify(cert, {}, at);
}

StatusOr<PeerIdentity> VerifySignature(const TrustStore& trust, std::string_view signer_cert_pem,
                                       std::span<const std::byte> data, std::string_view signature,
                                       std::chrono::system_clock::time_point at) {
  ASSIGN_OR_RETURN(Certificate cert, Certificate::FromPem(signer_cert_pem, "the signer's certificate"));
  ASSIGN_OR_RETURN(PeerIdentity signer, trust.Verify(cert, {}, at));
  MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY* key = X509_get0_pubkey(cert.get());
  const int ok =
      key != nullptr && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) == 1 &&
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                       reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  if (!ok) {
    ERR_clear_error();
    return Unauthenticated("bad signature: the data was not signed by '" + cert.Subject() +
                           "' (fingerprint " + signer.fingerprint.substr(0, 16) +
                           "…) or was changed after signing");
  }
  return signer;
}

}  // namespace swarm::pki
