#include "proxy/proxy_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace swarm::proxy {
namespace {
using ::testing::HasSubstr;
using ::testing::Not;

TEST(ProxyConfigTest, RoutesAndRecordsAreCheckedAsTheyAreRead) {
  auto r = ParseRoute("API.sn-1.swarm=10.0.0.3:30304");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->service, "api.sn-1.swarm");  // server names compare without case
  EXPECT_EQ(r->node.ToString(), "10.0.0.3:30304");
  EXPECT_THAT(ParseRoute("api.sn-1.swarm").status().message(), HasSubstr("expected SERVICE=HOST:PORT"));
  EXPECT_THAT(ParseRoute("api.sn-1.swarm=10.0.0.3").status().message(), HasSubstr("is not one HOST:PORT"));
  EXPECT_THAT(ParseRoute("10.0.0.9=10.0.0.3:1").status().message(), HasSubstr("is an IP address"));
  EXPECT_THAT(ParseRoute("api.swarm:443=10.0.0.3:1").status().message(), HasSubstr("without a port"));
  EXPECT_THAT(ParseRoute("api.swarm=10.0.0.3:99999").status().message(), HasSubstr("expected a port from 1"));

  auto d = ParseRecord("fs.sl-1.swarm=172.1.1.1");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->address, "172.1.1.1");
  EXPECT_THAT(ParseRecord("fs.sl-1.swarm=host-1").status().message(),
              HasSubstr("'host-1' is not an IP address"));
  EXPECT_THAT(ParseRecord("fs_sl.swarm=1.2.3.4").status().message(), HasSubstr("is not a DNS name"));
}

TEST(ProxyConfigTest, NginxRoutesByServerNameWithoutTerminatingTls) {
  NginxOptions o;
  o.routes = {*ParseRoute("api.sn-1.swarm=10.0.0.3:30304"), *ParseRoute("fs.sl-1.swarm=10.0.0.6:30305")};
  o.run_dir = "/run/rp";
  o.stream_module = "/usr/lib/nginx/modules/ngx_stream_module.so";
  auto c = NginxConfig(o);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_THAT(*c, HasSubstr("load_module /usr/lib/nginx/modules/ngx_stream_module.so;"));
  EXPECT_THAT(*c, HasSubstr("pid /run/rp/nginx.pid;"));
  EXPECT_THAT(*c, HasSubstr("map $ssl_preread_server_name $swarm_upstream {\n"
                            "        api.sn-1.swarm swarm_api_sn_1_swarm;\n"
                            "        fs.sl-1.swarm  swarm_fs_sl_1_swarm;\n"));
  EXPECT_THAT(*c, HasSubstr("upstream swarm_api_sn_1_swarm {\n        server 10.0.0.3:30304;\n    }"));
  EXPECT_THAT(*c, HasSubstr("listen 443;\n        ssl_preread on;"));
  EXPECT_THAT(*c, HasSubstr("proxy_pass $swarm_upstream;"));
  // TCP streams only: nothing that would end TLS at the proxy.
  EXPECT_THAT(*c, Not(HasSubstr("ssl_certificate")));
  EXPECT_THAT(*c, Not(HasSubstr("http {")));

  o.listen = "10.0.0.1:8443";
  EXPECT_THAT(*NginxConfig(o), HasSubstr("listen 10.0.0.1:8443;"));
  o.listen = "ten";
  EXPECT_THAT(NginxConfig(o).status().message(), HasSubstr("--listen 'ten' is not PORT or IP:PORT"));
  o.listen = "";
  EXPECT_THAT(NginxConfig(o).status().message(), HasSubstr("--listen '' is not PORT or IP:PORT"));
  o.listen = "10.0.0.1";
  EXPECT_THAT(NginxConfig(o).status().message(), HasSubstr("--listen '10.0.0.1' is not PORT or IP:PORT"));
  o.listen = "70000";
  EXPECT_THAT(NginxConfig(o).status().message(), HasSubstr("is not PORT or IP:PORT"));
  o.listen = "443";
  o.routes.push_back(*ParseRoute("api.sn-1.swarm=10.0.0.4:30304"));
  EXPECT_THAT(NginxConfig(o).status().message(), HasSubstr("service 'api.sn-1.swarm' is routed twice"));
  o.routes.clear();
  EXPECT_THAT(NginxConfig(o).status().message(), HasSubstr("no routes; give each service with --route"));
}

TEST(ProxyConfigTest, Bind9ServesTheZonesRecordsOnly) {
  Bind9Options o;
  o.records = {*ParseRecord("api.sn-1.swarm=172.1.1.1"), *ParseRecord("fs.sl-1.swarm=172.1.1.1"),
               *ParseRecord("p2p.sn-2.swarm=fd00::2")};
  o.listen_ip = "10.0.0.53";
  o.dir = "/run/dns";
  auto f = Bind9Config(o);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->zone_file_name, "db.swarm");
  EXPECT_THAT(f->named_conf, HasSubstr("listen-on port 53 { 10.0.0.53; };"));
  EXPECT_THAT(f->named_conf, HasSubstr("recursion no;"));
  EXPECT_THAT(f->named_conf,
              HasSubstr("zone \"swarm\" {\n    type primary;\n    file \"/run/dns/db.swarm\";"));
  EXPECT_THAT(f->zone_file, HasSubstr("@ IN SOA ns.swarm. hostmaster.swarm."));
  EXPECT_THAT(f->zone_file, HasSubstr("api.sn-1.swarm. IN A 172.1.1.1\nfs.sl-1.swarm. IN A 172.1.1.1\n"
                                      "p2p.sn-2.swarm. IN AAAA fd00::2\n"));

  o.records.push_back(*ParseRecord("api.sn-1.example=1.2.3.4"));
  EXPECT_THAT(Bind9Config(o).status().message(),
              HasSubstr("record 'api.sn-1.example' is not in the zone 'swarm'"));
  o.records.pop_back();
  o.records.push_back(*ParseRecord("api.sn-1.swarm=1.2.3.4"));
  EXPECT_THAT(Bind9Config(o).status().message(), HasSubstr("record 'api.sn-1.swarm' is given twice"));
  o.records.pop_back();
  o.listen_ip = "dns-host";
  EXPECT_THAT(Bind9Config(o).status().message(), HasSubstr("--listen-ip 'dns-host' is not an IP address"));
}

}  // namespace
}  // namespace swarm::proxy
