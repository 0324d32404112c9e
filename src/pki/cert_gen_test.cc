#include "pki/cert_gen.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include "pki/certificate.h"
#include "pki/test_certs.h"
#include "pki/trust_store.h"

namespace swarm::pki {
namespace {
namespace fs = std::filesystem;
using ::testing::Contains;
using ::testing::HasSubstr;

class CertGenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/swarm_cert_gen_test_XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  void TearDown() override { fs::remove_all(dir_); }
  GenCertOptions Options(int host = 1) {
    GenCertOptions o;
    o.example = "mnist";
    o.host_index = host;
    o.out_dir = dir_;
    return o;
  }
  fs::path dir_;
};

mode_t Mode(const fs::path& p) {
  struct stat st;
  ::stat(p.c_str(), &st);
  return st.st_mode & 0777;
}

TEST_F(CertGenTest, WritesHpeLayoutWithPrivateKeysOnlyReadableByTheOwner) {
  GenCertOptions o = Options(2);
  o.host_ips = {"172.2.2.2"};
  o.dns_names = {"node2.example.org"};
  auto r = GenerateCertificates(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const fs::path cert = dir_ / "mnist" / "cert";
  EXPECT_EQ(r->cert_dir, cert);
  EXPECT_EQ(Mode(cert / "ca" / "ca-2-key.pem"), 0600);
  EXPECT_EQ(Mode(cert / "ca" / "capath" / "ca-2-cert.pem"), 0644);
  for (const char* role : {"sn", "sl", "swop", "swci"}) {
    EXPECT_EQ(Mode(cert / (std::string(role) + "-2-key.pem")), 0600) << role;
    EXPECT_EQ(Mode(cert / (std::string(role) + "-2-cert.pem")), 0644) << role;
  }
  EXPECT_EQ(r->written.size(), 10u);
}

TEST_F(CertGenTest, CertificatesCarryRoleSansUsagesAndValidity) {
  GenCertOptions o = Options(1);
  o.host_ips = {"10.0.0.7"};
  o.dns_names = {"swarm-host-1"};
  ASSERT_TRUE(GenerateCertificates(o).ok());
  const fs::path dir = dir_ / "mnist" / "cert";
  auto ca = *Certificate::Load(CaCertPath(dir, 1));
  EXPECT_TRUE(ca.IsCa());
  auto trust = *TrustStore::FromCertificates({ca});
  for (Role role : AllRoles()) {
    auto cert = *Certificate::Load(RoleCertPath(dir, role, 1));
    const std::string cn = std::string(RoleName(role)) + "-1";
    EXPECT_EQ(cert.Subject(), "OU=Swarm-Learning, CN=" + cn);
    EXPECT_EQ(cert.Issuer(), "OU=Swarm-Learning, CN=ca-1");
    EXPECT_EQ(cert.GetRole(), role);
    EXPECT_THAT(cert.UriSans(), Contains("spiffe://swarm.learning/swarm/" + std::string(RoleName(role))));
    EXPECT_THAT(cert.DnsSans(), ::testing::ElementsAre(cn, "localhost", "swarm-host-1"));
    EXPECT_THAT(cert.IpSans(), ::testing::ElementsAre("127.0.0.1", "10.0.0.7"));
    EXPECT_FALSE(cert.IsCa());
    // Usable as both TLS server and TLS client, with ECDSA P-256 and SHA-256.
    EXPECT_EQ(X509_check_purpose(cert.get(), X509_PURPOSE_SSL_SERVER, 0), 1);
    EXPECT_EQ(X509_check_purpose(cert.get(), X509_PURPOSE_SSL_CLIENT, 0), 1);
    EXPECT_EQ(X509_get_signature_nid(cert.get()), NID_ecdsa_with_SHA256);
    EXPECT_EQ(EVP_PKEY_get_bits(X509_get0_pubkey(cert.get())), 256);
    const auto days =
        std::chrono::duration_cast<std::chrono::hours>(cert.NotAfter() - std::chrono::system_clock::now());
    EXPECT_NEAR(days.count() / 24.0, 365, 1);
    auto id = trust.Verify(cert);
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    EXPECT_EQ(id->role, role);
    EXPECT_EQ(id->fingerprint.size(), 64u);
  }
}

// A service name goes on its role's certificate only: a route to another node's port then
// fails the client's server-name check.
TEST_F(CertGenTest, ServiceNamesGoOnTheirRolesCertificateOnly) {
  GenCertOptions o = Options(1);
  o.services = {"sn=api.sn-1.swarm", "sn=p2p.sn-1.swarm", "sl=fs.sl-1.swarm"};
  ASSERT_TRUE(GenerateCertificates(o).ok());
  const fs::path dir = dir_ / "mnist" / "cert";
  EXPECT_THAT(Certificate::Load(RoleCertPath(dir, Role::kSn, 1))->DnsSans(),
              ::testing::ElementsAre("sn-1", "localhost", "api.sn-1.swarm", "p2p.sn-1.swarm"));
  EXPECT_THAT(Certificate::Load(RoleCertPath(dir, Role::kSl, 1))->DnsSans(),
              ::testing::ElementsAre("sl-1", "localhost", "fs.sl-1.swarm"));
  EXPECT_THAT(Certificate::Load(RoleCertPath(dir, Role::kSwci, 1))->DnsSans(),
              ::testing::ElementsAre("swci-1", "localhost"));
}

TEST_F(CertGenTest, NeverOverwritesWithoutForce) {
  ASSERT_TRUE(GenerateCertificates(Options()).ok());
  const fs::path key = dir_ / "mnist" / "cert" / "sn-1-key.pem";
  const auto before = fs::last_write_time(key);
  auto again = GenerateCertificates(Options());
  ASSERT_FALSE(again.ok());
  EXPECT_THAT(again.status().message(), HasSubstr("sn-1-key.pem' exists; not overwriting it (use --force"));
  EXPECT_EQ(fs::last_write_time(key), before);
  GenCertOptions forced = Options();
  forced.force = true;
  auto r = GenerateCertificates(forced);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->reused_ca);
}

TEST_F(CertGenTest, ReusesAnExistingCaForMoreCertificates) {
  ASSERT_TRUE(GenerateCertificates(Options()).ok());
  const fs::path dir = dir_ / "mnist" / "cert";
  const std::string ca_before = Certificate::Load(CaCertPath(dir, 1))->Fingerprint();
  for (Role role : AllRoles()) {
    fs::remove(RoleKeyPath(dir, role, 1));
    fs::remove(RoleCertPath(dir, role, 1));
  }
  auto r = GenerateCertificates(Options());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->reused_ca);
  EXPECT_EQ(Certificate::Load(CaCertPath(dir, 1))->Fingerprint(), ca_before);
  auto trust = *TrustStore::Load(dir / "ca" / "capath");  // also reads the OpenSSL hash link once
  EXPECT_EQ(trust.cas().size(), 1u);
  EXPECT_TRUE(trust.Verify(*Certificate::Load(RoleCertPath(dir, Role::kSl, 1))).ok());
}

TEST_F(CertGenTest, BadOptionsAreRefusedBeforeAnythingIsWritten) {
  auto bad = [&](auto change) {
    GenCertOptions o = Options();
    change(o);
    return GenerateCertificates(o).status().message();
  };
  EXPECT_THAT(bad([](auto& o) { o.host_index = 0; }), HasSubstr("host index 0 is not valid"));
  EXPECT_THAT(bad([](auto& o) { o.example = "a/b"; }), HasSubstr("example name 'a/b'"));
  EXPECT_THAT(bad([](auto& o) { o.host_ips = {"300.1.1.1"}; }), HasSubstr("--host-ip '300.1.1.1' is not"));
  EXPECT_THAT(bad([](auto& o) { o.days = 0; }), HasSubstr("--days 0"));
  EXPECT_THAT(bad([](auto& o) { o.services = {"api.sn-1.swarm"}; }), HasSubstr("is not ROLE=FQDN"));
  EXPECT_THAT(bad([](auto& o) { o.services = {"db=api.sn-1.swarm"}; }),
              HasSubstr("'db=api.sn-1.swarm' is not"));
  EXPECT_FALSE(fs::exists(dir_ / "mnist"));
}

TEST(TrustStoreTest, ReasonsForRefusal) {
  testing::TestCerts certs;
  auto trust = *TrustStore::Load(certs.capath());
  EXPECT_EQ(trust.cas().size(), 2u);
  auto unknown = trust.Verify(*Certificate::Load(certs.Files(Role::kSl, 3).cert));
  EXPECT_EQ(unknown.status().code(), StatusCode::kUnauthenticated);
  EXPECT_THAT(unknown.status().message(), HasSubstr("unknown CA: certificate 'OU=Swarm-Learning, CN=sl-3' is "
                                                    "issued by 'OU=Swarm-Learning, CN=ca-3'"));
  auto expired = trust.Verify(*Certificate::Load(certs.Expired(Role::kSl).cert));
  EXPECT_THAT(expired.status().message(),
              HasSubstr("expired: certificate 'OU=Swarm-Learning, CN=sl-1' expired on"));
  EXPECT_TRUE(trust.Verify(*Certificate::Load(certs.Files(Role::kSwci, 2).cert)).ok());
  // A CA certificate is not a peer: it has no role.
  auto ca = trust.Verify(trust.cas()[0]);
  EXPECT_THAT(ca.status().message(), HasSubstr("carries no Swarm role"));
}

// A verdict is remembered only within the period its chain is valid: the same certificate
// asked about after it expired, or before it is valid, is refused as the first time.
TEST(TrustStoreTest, ARememberedVerdictHoldsOnlyWhileTheChainIsValid) {
  testing::TestCerts certs;
  auto trust = *TrustStore::Load(certs.capath());
  const Certificate cert = *Certificate::Load(certs.Files(Role::kSl, 1).cert);
  ASSERT_TRUE(trust.Verify(cert).ok());
  ASSERT_TRUE(trust.Verify(cert).ok());  // remembered
  auto later = trust.Verify(cert, {}, cert.NotAfter() + std::chrono::hours(1));
  EXPECT_THAT(later.status().message(), HasSubstr("expired: certificate 'OU=Swarm-Learning, CN=sl-1' expired on"));
  auto earlier = trust.Verify(cert, {}, cert.NotBefore() - std::chrono::hours(1));
  EXPECT_THAT(earlier.status().message(), HasSubstr("not yet valid"));
  EXPECT_TRUE(trust.Verify(cert).ok());
  // A copy of the store trusts the same CAs and shares what it remembered; another store
  // with other CAs does not.
  const TrustStore copy = trust;
  EXPECT_TRUE(copy.Verify(cert).ok());
  auto other = *TrustStore::FromCertificates({*Certificate::Load(CaCertPath(certs.CertDir(3), 3))});
  EXPECT_FALSE(other.Verify(cert).ok());
}

TEST(TrustStoreTest, CapathErrorsNameThePath) {
  EXPECT_THAT(TrustStore::Load("/nonexistent/capath").status().message(),
              HasSubstr("capath '/nonexistent/capath' does not exist"));
  char tmpl[] = "/tmp/swarm_capath_XXXXXX";
  const fs::path empty = ::mkdtemp(tmpl);
  EXPECT_THAT(TrustStore::Load(empty).status().message(), HasSubstr("holds no CA certificate"));
  fs::remove_all(empty);
}

}  // namespace
}  // namespace swarm::pki
