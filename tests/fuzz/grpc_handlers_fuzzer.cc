// Every handler of the SN's API and of the SL's file server, fed arbitrary requests through
// the real servers: a sentinel SnNode with its own etcd member and an SL file server with
// its fetch policy, both over mutual TLS on loopback with real certificates. Each input
// picks a caller (SL, SWCI, SWOP or SN certificate), a method and a request; the request
// is built through reflection from the input (fuzz/proto_fill.h), or is the raw bytes left.
// A Submit mostly carries transactions signed by the caller's own key, so that they pass
// the signature check and reach the contracts; the ledger grows as the run goes on.
//
// Besides what ASan and UBSan catch in the handlers (they run in this process), two
// properties are checked: every call ends before its deadline (no handler waits without
// one) and a refusal's message stays short (pki::ToGrpcStatus bounds it; a long one breaks
// gRPC's metadata limit on the way back).
//
// Left out on purpose: Join from an SN certificate, which adds an etcd member as asked (an
// SN is trusted with that; a member that never comes up costs the one-member cluster its
// quorum and would end the run, not find a bug). Join from every other role is fuzzed.

#include <arpa/inet.h>
#include <google/protobuf/stubs/logging.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "core/blob_writer.h"
#include "core/test_util.h"
#include "fuzz/proto_fill.h"
#include "ledger/transaction.h"
#include "pki/test_certs.h"
#include "sl/blob_store.h"
#include "sl/fetch_policy.h"
#include "sl/file_server.h"
#include "sn/sn_node.h"
#include "snapi/grpc_sn_api.h"
#include "swarm/v1/sl.pb.h"
#include "swarm/v1/sn.pb.h"

namespace {

namespace fs = std::filesystem;
using google::protobuf::MethodDescriptor;
using swarm::pki::Role;

// Below scripts/fuzz's per-input -timeout=10, so that a call that never ends is reported
// here, with its method and caller, rather than as libFuzzer's bare timeout.
constexpr auto kCallDeadline = std::chrono::seconds(5);
constexpr size_t kMaxRefusalBytes = 2048;

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "grpc_handlers fuzzer: %s\n", why.c_str());
  std::abort();
}

template <typename T>
T OrDie(swarm::StatusOr<T> v, const std::string& what) {
  if (!v.ok()) Die(what + ": " + v.status().message());
  return std::move(v).value();
}

int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    Die("cannot pick a free port");
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

struct Caller {
  std::string name;
  Role role;
  swarm::pki::Signer signer;
  std::shared_ptr<grpc::Channel> sn, fs;
};

struct Method {
  const MethodDescriptor* descriptor;
  bool on_file_server;
  std::string path() const { return "/" + descriptor->service()->full_name() + "/" + descriptor->name(); }
};

// The servers and the callers, started once for the whole run.
class World {
 public:
  World() {
    // Refusals are the common case here: logging each would cost more than the call.
    spdlog::set_level(spdlog::level::err);
    google::protobuf::SetLogHandler([](google::protobuf::LogLevel, const char*, int, const std::string&) {});
    sn_port_ = FreePort();
    swarm::sn::SnOptions o;
    o.sentinel = true;
    o.api_port = sn_port_;
    o.p2p_port = FreePort();
    o.tls = certs_.Files(Role::kSn, 1);
    o.data_dir = dir_.path() / "sn";
    sn_ = OrDie(swarm::sn::SnNode::Start(o), "starting the SN");

    if (!blobs_.Init().ok()) Die("cannot make the blob store");
    swarm::Model m(swarm::ModelSchema{{"w", swarm::DType::kF32, {256}}});
    if (!swarm::WriteModelFile(m, blobs_.dir() / "m.tmp").ok()) Die("cannot write a model");
    blob_ = OrDie(blobs_.Adopt(blobs_.dir() / "m.tmp"), "adopting the model");

    const swarm::pki::TlsIdentity sl = certs_.Identity(Role::kSl, 1);
    swarm::snapi::GrpcSnApiOptions api;
    api.endpoints = {{"127.0.0.1", sn_port_}};
    api.call_deadline = std::chrono::seconds(5);
    policy_sn_ = OrDie(swarm::snapi::MakeGrpcSnApi(sl, std::nullopt, api), "the fetch policy's SN client");
    policy_ = std::make_unique<swarm::sl::FetchPolicy>(policy_sn_.get(), [] { return std::string("c1"); });
    fs_service_.SetAuthorizer([p = policy_.get()](const swarm::pki::PeerIdentity& caller,
                                                  const swarm::Digest& d) { return p->Allow(caller, d); });
    grpc::ServerBuilder b;
    int fs_port = 0;
    b.AddListeningPort(
        "127.0.0.1:0",
        swarm::pki::MakeServerCredentials(
            sl, swarm::pki::AccessPolicy().Allow("/swarm.v1.FileServer/Fetch", {Role::kSl}), "fuzz"),
        &fs_port);
    b.RegisterService(&fs_service_);
    fs_server_ = b.BuildAndStart();
    if (!fs_server_ || fs_port == 0) Die("cannot start the file server");

    const std::string sn_target = "127.0.0.1:" + std::to_string(sn_port_);
    const std::string fs_target = "127.0.0.1:" + std::to_string(fs_port);
    for (const auto& [role, host] :
         {std::pair{Role::kSl, 1}, std::pair{Role::kSl, 2}, std::pair{Role::kSwci, 1},
          std::pair{Role::kSwop, 2}, std::pair{Role::kSn, 2}}) {
      const swarm::pki::TlsFiles f = certs_.Files(role, host);
      const swarm::pki::TlsIdentity id = certs_.Identity(role, host);
      callers_.push_back({std::string(swarm::pki::RoleName(role)) + std::to_string(host), role,
                          OrDie(swarm::pki::Signer::Load(f.key, f.cert), "loading a signer"),
                          swarm::pki::MakeSecureChannel(id, sn_target),
                          swarm::pki::MakeSecureChannel(id, fs_target)});
    }

    const auto* pool = google::protobuf::DescriptorPool::generated_pool();
    for (const auto& [service, on_fs] :
         {std::pair{"swarm.v1.SwarmNetwork", false}, std::pair{"swarm.v1.Health", false},
          std::pair{"swarm.v1.FileServer", true}}) {
      const auto* s = pool->FindServiceByName(service);
      if (s == nullptr) Die(std::string("no service ") + service);
      for (int i = 0; i < s->method_count(); ++i) methods_.push_back({s->method(i), on_fs});
    }

    words_ = {"c1",        "c2",
              "u1",        "u2",
              sn_->uid(),  "defaultbb.cqdb.sml.hpe",
              "127.0.0.1", fs_target,
              sn_target,   std::string(blob_.view()),
              blob_.Hex(), "ROOTTASK",
              "t1",        "tr1",
              "sn1",       "https://127.0.0.1:1",
              "",          "x",
              "sl1",       "swci1"};
  }

  const std::vector<Caller>& callers() const { return callers_; }
  const std::vector<Method>& methods() const { return methods_; }
  const std::vector<std::string>& words() const { return words_; }

 private:
  swarm::pki::testing::TestCerts certs_;
  swarm::testing::ScopedTempDir dir_{"fuzz_grpc_handlers"};
  int sn_port_ = 0;
  std::unique_ptr<swarm::sn::SnNode> sn_;
  swarm::sl::BlobStore blobs_{dir_.path() / "blobs"};
  swarm::Digest blob_;
  std::unique_ptr<swarm::snapi::SnApi> policy_sn_;
  std::unique_ptr<swarm::sl::FetchPolicy> policy_;
  swarm::sl::FileServerService fs_service_{&blobs_};
  std::unique_ptr<grpc::Server> fs_server_;
  std::vector<Caller> callers_;
  std::vector<Method> methods_;
  std::vector<std::string> words_;
};

World& TheWorld() {
  static World world;  // at exit, stops the SN (and its etcd) and removes the temporary dir
  return world;
}

// A Submit of 1..3 transactions of any kind, signed by the caller's key (now and then by
// another caller's, which the SN must refuse).
std::string SignedSubmit(FuzzedDataProvider& in, const Caller& caller, const World& w) {
  swarm::v1::SubmitRequest req;
  const auto* body = swarm::v1::Transaction::descriptor()->FindOneofByName("body");
  const int n = in.ConsumeIntegralInRange<int>(1, 3);
  for (int i = 0; i < n && in.remaining_bytes() > 0; ++i) {
    swarm::v1::Transaction tx;
    const auto* kind = body->field(in.ConsumeIntegralInRange<int>(0, body->field_count() - 1));
    swarm::fuzz::Fill(*tx.GetReflection()->MutableMessage(&tx, kind), in, w.words());
    const Caller& signer = in.ConsumeIntegralInRange<int>(0, 7) == 0
                               ? w.callers()[in.ConsumeIntegralInRange<size_t>(0, w.callers().size() - 1)]
                               : caller;
    auto signed_tx = swarm::ledger::SignTransaction(std::move(tx), signer.signer);
    if (signed_tx.ok()) *req.add_transactions() = std::move(signed_tx).value();
  }
  return req.SerializeAsString();
}

bool Next(grpc::CompletionQueue& cq) {
  void* tag = nullptr;
  bool ok = false;
  return cq.Next(&tag, &ok) && ok;
}

// One call of `method` with `request` as its serialized message; its status.
grpc::Status Call(const std::shared_ptr<grpc::Channel>& channel, const Method& method,
                  const std::string& request) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
  grpc::Slice slice(request);
  grpc::ByteBuffer req(&slice, 1), resp;
  grpc::CompletionQueue cq;
  grpc::Status status;
  if (!method.descriptor->server_streaming()) {
    auto call = stub.PrepareUnaryCall(&ctx, method.path(), req, &cq);
    call->StartCall();
    call->Finish(&resp, &status, nullptr);
    Next(cq);
  } else {
    auto call = stub.PrepareCall(&ctx, method.path(), &cq);
    call->StartCall(nullptr);
    if (Next(cq)) {
      call->Write(req, nullptr);
      if (Next(cq)) {
        call->WritesDone(nullptr);
        Next(cq);
        for (int chunks = 0; chunks < 64; ++chunks) {
          call->Read(&resp, nullptr);
          if (!Next(cq)) break;
        }
      }
    }
    ctx.TryCancel();  // a stream longer than we read
    call->Finish(&status, nullptr);
    Next(cq);
  }
  cq.Shutdown();
  void* tag;
  bool ok;
  while (cq.Next(&tag, &ok)) {
  }
  return status;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  World& w = TheWorld();
  FuzzedDataProvider in(data, size);
  const Caller& caller = w.callers()[in.ConsumeIntegralInRange<size_t>(0, w.callers().size() - 1)];
  const Method& method = w.methods()[in.ConsumeIntegralInRange<size_t>(0, w.methods().size() - 1)];
  if (method.descriptor->name() == "Join" && caller.role == Role::kSn) return 0;  // see the top

  std::string request;
  const int how = in.ConsumeIntegralInRange<int>(0, 7);
  if (how == 0) {
    request = in.ConsumeRemainingBytesAsString();  // not even a message, often
  } else if (method.descriptor->name() == "Submit" && how > 2) {
    request = SignedSubmit(in, caller, w);
  } else {
    const auto* prototype =
        google::protobuf::MessageFactory::generated_factory()->GetPrototype(method.descriptor->input_type());
    std::unique_ptr<google::protobuf::Message> m(prototype->New());
    swarm::fuzz::Fill(*m, in, w.words());
    request = m->SerializeAsString();
  }

  const grpc::Status s = Call(method.on_file_server ? caller.fs : caller.sn, method, request);
  if (s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    Die(method.path() + " from " + caller.name + " did not end within its deadline: " + s.error_message());
  }
  if (s.error_message().size() > kMaxRefusalBytes) {
    Die(method.path() + " from " + caller.name + " refused with a message of " +
        std::to_string(s.error_message().size()) + " bytes: " + s.error_message().substr(0, 200));
  }
  return 0;
}
