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

// VerifySigner judges the certificate alone, at the time asked for: the ledger checks a
// transaction's signature once and its signer again at the time of the block.
TEST(SignerTest, SignersAreJudgedAtTheTimeAsked) {
  testing::TestCerts certs;
  auto trust = *TrustStore::Load(certs.capath());
  const auto pem = Certificate::Load(certs.Files(Role::kSl, 1).cert)->Pem();
  auto who = VerifySigner(trust, pem, std::chrono::system_clock::now());
  ASSERT_TRUE(who.ok()) << who.status().ToString();
  EXPECT_EQ(who->common_name, "sl-1");
  const auto later = std::chrono::system_clock::now() + std::chrono::hours(24 * 365 * 50);
  EXPECT_THAT(VerifySigner(trust, pem, later).status().message(), HasSubstr("expired"));
  const auto stranger = Certificate::Load(certs.Files(Role::kSl, 3).cert)->Pem();  // host 3: untrusted CA
  EXPECT_THAT(VerifySigner(trust, stranger, std::chrono::system_clock::now()).status().message(),
              HasSubstr("unknown CA"));
  EXPECT_THAT(VerifySigner(trust, "not a certificate", std::chrono::system_clock::now()).status().message(),
              HasSubstr("not a PEM certificate"));
}

// Bundles are parsed once and then shared; a second parse gives the same certificates.
TEST(SignerTest, BundlesParseTheSameTwice) {
  testing::TestCerts certs;
  const std::string bundle = Certificate::Load(certs.Files(Role::kSl, 1).cert)->Pem() +
                             Certificate::Load(certs.Files(Role::kSn, 2).cert)->Pem();
  for (int i = 0; i < 2; ++i) {
    auto all = Certificate::AllFromPem(bundle, "bundle");
    ASSERT_TRUE(all.ok()) << all.status().ToString();
    ASSERT_EQ(all->size(), 2u);
    EXPECT_EQ((*all)[0].CommonName(), "sl-1");
    EXPECT_EQ((*all)[1].CommonName(), "sn-2");
  }
  EXPECT_THAT(Certificate::AllFromPem("no pem here", "bundle").status().message(),
              HasSubstr("holds no PEM certificate"));
}

TEST(SignerTest, KeyMustMatchCertificate) {
  testing::TestCerts certs;
  auto s = Signer::Load(certs.Files(Role::kSn, 1).key, certs.Files(Role::kSl, 1).cert);
  EXPECT_THAT(s.status().message(), HasSubstr("does not belong to certificate"));
}

}  // namespace
}  // namespace swarm::pki
