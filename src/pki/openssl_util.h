#pragma once

// Owning pointers for OpenSSL objects and the error text OpenSSL leaves behind.

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <filesystem>
#include <memory>
#include <string>

#include "core/status.h"

namespace swarm::pki {

template <typename T, void (*Free)(T*)>
struct OpenSslDeleter {
  void operator()(T* p) const { Free(p); }
};
using X509Ptr = std::unique_ptr<X509, OpenSslDeleter<X509, X509_free>>;
using PKeyPtr = std::unique_ptr<EVP_PKEY, OpenSslDeleter<EVP_PKEY, EVP_PKEY_free>>;
using BioPtr = std::unique_ptr<BIO, OpenSslDeleter<BIO, BIO_free_all>>;

// OpenSSL's queued errors as one line (and clears the queue), e.g. "PEM routines::no start line".
std::string OpenSslErrors();

// The whole file, or an error naming it and why it cannot be read.
StatusOr<std::string> ReadTextFile(const std::filesystem::path& path, std::string_view what);

// PEM text of a certificate or key.
std::string CertToPem(X509* cert);
std::string KeyToPem(EVP_PKEY* key);

}  // namespace swarm::pki
