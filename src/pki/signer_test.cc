#include "pki/signer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pki/test_certs.h"

namespace swarm::pki {
namespace {
using ::testing::HasSubstr;

std::span<const std::byte> Bytes(const std::string& s) { return std::as_bytes(std::span(s)); }

TEST(SignerTest, SignaturesVerifyAndNameTheSigner) {
  testing::TestCerts certs;
  auto trust = *TrustStore::Load(certs.capath());
  const TlsFiles files = certs.Files(Role::kSwci, 2);
  auto signer = Signer::Load(files.key, files.cert);
  ASSERT_TRUE(signer.ok()) << signer.status().ToString();
  const std::string tx = "create contract defaultbb.cqdb.sml.hpe";
  auto sig = signer->Sign(Bytes(tx));
  ASSERT_TRUE(sig.ok());
  auto who = VerifySignature(trust, signer->cert().Pem(), Bytes(tx), *sig);
  ASSERT_TRUE(who.ok()) << who.status().ToString();
  EXPECT_EQ(who->role, Role::kSwci);
  EXPECT_EQ(who->common_name, "swci-2");
  EXPECT_EQ(who->fingerprint, signer->cert().Fingerprint());

  // Any change to the data or the signature is caught.
  std::string tampered = tx;
  tampered[3] ^= 1;
  EXPECT_THAT(VerifySignature(trust, signer->cert().Pem(), Bytes(tampered), *sig).status().message(),
              HasSubstr("bad signature"));
  std::string bad_sig = *sig;
  bad_sig[bad_sig.size() / 2] ^= 1;
  EXPECT_FALSE(VerifySignature(trust, signer->cert().Pem(), Bytes(tx), bad_sig).ok());
  // Another node's certificate does not vouch for this signature.
  auto other = *Certificate::Load(certs.Files(Role::kSwci, 1).cert);
  EXPECT_THAT(VerifySignature(trust, other.Pem(), Bytes(tx), *sig).status().message(),
              HasSubstr("bad signature"));
}

TEST(SignerTest, UntrustedSignersAreRefused) {
  testing::TestCerts certs;
  auto trust = *TrustStore::Load(certs.capath());
  const TlsFiles files = certs.Files(Role::kSwci, 3);  // host 3's CA is not trusted
  auto signer = *Signer::Load(files.key, files.cert);
  const std::string tx = "reset contract";
  auto sig = *signer.Sign(Bytes(tx));
  EXPECT_THAT(VerifySignature(trust, signer.cert().Pem(), Bytes(tx), sig).status().message(),
              HasSubstr("unknown CA"));
}

TEST(SignerTest, KeyMustMatchCertificate) {
  testing::TestCerts certs;
  auto s = Signer::Load(certs.Files(Role::kSn, 1).key, certs.Files(Role::kSl, 1).cert);
  EXPECT_THAT(s.status().message(), HasSubstr("does not belong to certificate"));
}

}  // namespace
}  // namespace swarm::pki
