#include "pki/openssl_util.h"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace swarm::pki {

std::string OpenSslErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    // "error:0480006C:PEM routines::no start line" -> keep the readable tail.
    std::string_view s(buf);
    if (const size_t p = s.find(':', s.find(':') + 1); p != std::string_view::npos) s.remove_prefix(p + 1);
    out += (out.empty() ? "" : "; ") + std::string(s);
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

StatusOr<std::string> ReadTextFile(const std::filesystem::path& path, std::string_view what) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return NotFound(std::string(what) + " '" + path.string() + "' does not exist");
  }
  if (std::filesystem::is_directory(path, ec)) {
    return InvalidArgument(std::string(what) + " '" + path.string() +
                           "' is a directory; expected a PEM file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return FailedPrecondition(std::string(what) + " '" + path.string() +
                              "' cannot be read: " + std::strerror(errno));
  }
  // PEM files are small; a bound keeps /dev/zero or a wrong huge file from taking all memory.
  constexpr size_t kMaxPemBytes = 1 << 20;
  std::string text(kMaxPemBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) {
    return FailedPrecondition(std::string(what) + " '" + path.string() + "' cannot be read: " + std::strerror(errno));
  }
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > kMaxPemBytes) {
    return InvalidArgument(std::string(what) + " '" + path.string() + "' is larger than 1 MiB; expected a PEM file");
  }
  return text;
}

namespace {
std::string BioText(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(n));
}
}  // namespace

std::string CertToPem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert);
  return BioText(bio.get());
}

std::string KeyToPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  return BioText(bio.get());
}

}  // namespace swarm::pki
