#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "pki/signer.h"
#include "pki/tls.h"

namespace swarm::cli {

// The identity of SWCI, or of another operator's tool (the UI): a certificate of role swci
// and the key that signs its transactions. Exits naming the problem when they are not.
struct SwciIdentity {
  pki::TlsIdentity tls;
  pki::Signer signer;
};
SwciIdentity LoadSwciIdentity(const pki::TlsFiles& files, const std::string& who);

// `swarm swci`: HPE's SWCI command interface, interactive or from a script.
void AddSwciCommand(CLI::App& app);

}  // namespace swarm::cli
