#include "client/swarm_callback.h"

#include <grpcpp/grpcpp.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "client/callback_options.h"
#include "core/blob_reader.h"
#include "core/blob_writer.h"
#include "core/byte_stream.h"
#include "core/log.h"
#include "swarm/v1/sl.grpc.pb.h"

namespace swarm {
namespace {

// The SL API version this client speaks (sl/bridge_service.h has the SL's).
constexpr uint32_t kClientApiVersion = 1;
constexpr char kLog[] = "SwarmCallback";

Status FromGrpc(const grpc::Status& s, const std::string& what) {
  if (s.ok()) return Status::Ok();
  return Status(static_cast<StatusCode>(s.error_code()), what + ": " + s.error_message());
}

ModelSchema SchemaOf(const std::vector<ParameterView>& params) {
  ModelSchema schema;
  for (const auto& p : params) schema.push_back({p.name, p.dtype, p.shape});
  return schema;
}

}  // namespace

struct SwarmCallback::Channel {
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<swarm::v1::SwarmLearning::Stub> stub;
};

swarm::v1::CallbackOptions ToProto(const SwarmCallbackOptions& o) {
  swarm::v1::CallbackOptions p;
  p.set_training_contract(o.training_contract);
  p.set_min_peers(o.min_peers);
  p.set_node_weightage(o.node_weightage);
  p.set_merge_method(o.merge_method);
  p.set_checkin_model_on_train_end(o.checkin_model_on_train_end);
  p.set_sync_frequency(o.sync_frequency);
  p.set_total_epochs(o.total_epochs);
  p.set_ml_platform(o.ml_platform);
  p.set_use_adaptive_sync(o.use_adaptive_sync);
  return p;
}

Status ValidateOptions(const SwarmCallbackOptions& o) {
  RETURN_IF_ERROR(ValidateCallbackOptions(ToProto(o)));
  if (o.use_adaptive_sync && !o.ads_validation) {
    return InvalidArgument("useAdaptiveSync needs adsValData: the validation data to judge each round by");
  }
  return Status::Ok();
}

StatusOr<std::unique_ptr<SwarmCallback>> SwarmCallback::Create(SwarmCallbackOptions options,
                                                               Parameters parameters) {
  RETURN_IF_ERROR(ValidateOptions(options));
  std::unique_ptr<SwarmCallback> cb(new SwarmCallback(std::move(options), std::move(parameters)));
  const char* loopback = std::getenv("SWARM_LOOPBACK");
  cb->loopback_ = loopback && std::string(loopback) == "TRUE";
  return cb;
}

SwarmCallback::SwarmCallback(SwarmCallbackOptions o, Parameters p)
    : o_(std::move(o)), parameters_(std::move(p)), adaptive_(o_.sync_frequency) {}
SwarmCallback::~SwarmCallback() = default;

void SwarmCallback::Log(LogLevel level, const std::string& message) const {
  if (o_.logger) return o_.logger(level, message);
  switch (level) {
    case LogLevel::kDebug: return spdlog::debug("swarm.{} : DEBUG : {}", kLog, message);
    case LogLevel::kInfo: return LogInfo(kLog, message);
    case LogLevel::kWarning: return LogWarning(kLog, message);
    case LogLevel::kError: return LogError(kLog, message);
  }
}

void SwarmCallback::set_loss(double loss, double metric) {
  loss_ = loss;
  metric_ = metric;
}

Status SwarmCallback::on_train_begin() {
  if (loopback_) return Status::Ok();
  std::string socket = o_.socket;
  if (socket.empty()) {
    const char* env = std::getenv("SWARM_SL_SOCKET");
    if (!env || !*env) {
      return FailedPrecondition(
          "no SL to talk to: SWARM_SL_SOCKET is not set (swarm sl --ml-cmd sets it); "
          "set SWARM_LOOPBACK=TRUE to train without Swarm");
    }
    socket = env;
  }
  if (o_.total_epochs == 0)
    Log(LogLevel::kWarning, "totalEpochs is not given: training progress cannot show an ETA");
  std::string model_dir = o_.model_dir;
  if (model_dir.empty()) {
    const char* env = std::getenv("MODEL_DIR");
    std::error_code ec;
    model_dir = env && *env ? env : std::filesystem::current_path(ec).string();
  }
  {
    // Absolute, as this program sees it: the SL runs elsewhere (another cwd, or outside this
    // program's view of the file system) and maps it.
    std::error_code ec;
    const std::filesystem::path abs = std::filesystem::absolute(model_dir, ec);
    if (!ec) model_dir = abs.lexically_normal().string();
  }
  channel_ = std::make_unique<Channel>();
  channel_->channel = grpc::CreateChannel("unix:" + socket, grpc::InsecureChannelCredentials());
  channel_->stub = swarm::v1::SwarmLearning::NewStub(channel_->channel);
  swarm::v1::HelloRequest req;
  req.set_api_version(kClientApiVersion);
  req.set_program_name(o_.program_name);
  req.set_model_dir(model_dir);
  *req.mutable_options() = ToProto(o_);
  swarm::v1::HelloResponse out;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  ctx.set_wait_for_ready(true);  // the SL may still be starting
  RETURN_IF_ERROR(FromGrpc(channel_->stub->Hello(&ctx, req, &out), "the SL at " + socket + " refused Hello"));
  if (out.api_version() != kClientApiVersion) {
    return FailedPrecondition("the SL speaks API version " + std::to_string(out.api_version()) +
                              ", this client speaks version " + std::to_string(kClientApiVersion));
  }
  blob_dir_ = out.blob_dir();
  if (out.resume_blob_path().empty()) {
    Log(LogLevel::kInfo, "connected to SL node " + out.uid() + "; starting Swarm training");
    return Status::Ok();
  }
  // The training is in progress (this node restarted, or joins late): start from its
  // latest merged model, not from this program's first weights.
  std::vector<ParameterView> params = parameters_();
  RETURN_IF_ERROR(Load(out.resume_blob_path(), params, SchemaOf(params)));
  Log(LogLevel::kInfo, "connected to SL node " + out.uid() +
                           "; resuming Swarm training from the merged model of round " +
                           std::to_string(out.resume_round()));
  return Status::Ok();
}

Status SwarmCallback::Load(const std::string& path, const std::vector<ParameterView>& params,
                           const ModelSchema& schema) {
  ASSIGN_OR_RETURN(std::unique_ptr<FileSource> source, FileSource::Open(path));
  BlobReader reader(source.get());
  RETURN_IF_ERROR(reader.Open().WithContext(path));
  RETURN_IF_ERROR(CompareSchemas(schema, reader.schema(), "this program's model", "the merged model"));
  std::vector<std::span<std::byte>> tensors;
  for (size_t i = 0; i < params.size(); ++i) {
    tensors.emplace_back(static_cast<std::byte*>(params[i].data), schema[i].NumBytes());
  }
  return ReadPayload(reader, tensors).status().WithContext(path);
}

Status SwarmCallback::on_batch_end() {
  if (loopback_) return Status::Ok();
  if (++batches_ < adaptive_.frequency()) return Status::Ok();
  batches_ = 0;
  RETURN_IF_ERROR(Exchange(false));
  if (!o_.use_adaptive_sync) return Status::Ok();
  ASSIGN_OR_RETURN(double loss, o_.ads_validation());
  const int before = adaptive_.frequency();
  adaptive_.Update(loss);
  std::string line = "adaptive sync: validation loss " + std::to_string(loss);
  if (adaptive_.has_previous()) line += " (previous " + std::to_string(adaptive_.previous_loss()) + ")";
  Log(LogLevel::kInfo,
      line + ", syncFrequency " + std::to_string(before) + " -> " + std::to_string(adaptive_.frequency()));
  return Status::Ok();
}

Status SwarmCallback::on_epoch_end(int epoch) {
  if (loopback_) return Status::Ok();
  epochs_done_ = epoch + 1;
  swarm::v1::ProgressRequest req;
  req.set_loss(loss_);
  req.set_metric(metric_);
  req.set_epochs_done(static_cast<uint32_t>(epochs_done_));
  swarm::v1::ProgressResponse out;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  Status s = FromGrpc(channel_->stub->ReportProgress(&ctx, req, &out), "reporting progress");
  if (!s.ok()) Log(LogLevel::kWarning, s.message());  // progress is for display; training goes on
  return Status::Ok();
}

Status SwarmCallback::on_train_end() {
  if (loopback_) return Status::Ok();
  RETURN_IF_ERROR(Exchange(true));
  Log(LogLevel::kInfo, "All peers and Swarm training rounds finished. Final Swarm model was loaded.");
  return Status::Ok();
}

// Writes the parameters as a blob in the SL's directory (one pass over the program's
// memory), hands it over, and reads the merged blob straight back into that memory.
Status SwarmCallback::Exchange(bool final) {
  if (!channel_) return FailedPrecondition("on_train_begin() must come first");
  std::vector<ParameterView> params = parameters_();
  const ModelSchema schema = SchemaOf(params);
  const std::string path = blob_dir_ + "/local-" + std::to_string(++handed_) + ".blob";
  {
    ASSIGN_OR_RETURN(std::unique_ptr<FileSink> sink, FileSink::Create(path));
    BlobWriter writer(sink.get(), schema);
    RETURN_IF_ERROR(writer.Begin());
    for (size_t i = 0; i < params.size(); ++i) {
      RETURN_IF_ERROR(writer.Append({static_cast<const std::byte*>(params[i].data), schema[i].NumBytes()}));
    }
    RETURN_IF_ERROR(writer.Finish().status());
    RETURN_IF_ERROR(sink->Commit());
  }
  swarm::v1::SyncResponse out;
  grpc::ClientContext ctx;  // no deadline: a round waits for its peers (the SL logs why)
  grpc::Status s;
  if (final) {
    swarm::v1::TrainEndRequest req;
    req.set_blob_path(path);
    s = channel_->stub->TrainEnd(&ctx, req, &out);
  } else {
    swarm::v1::SyncRequest req;
    req.set_blob_path(path);
    req.set_epoch(static_cast<uint32_t>(epochs_done_));
    s = channel_->stub->Sync(&ctx, req, &out);
  }
  RETURN_IF_ERROR(FromGrpc(s, final ? "the final Swarm round" : "the Swarm sync round"));

  RETURN_IF_ERROR(Load(out.blob_path(), params, schema));
  ++rounds_;
  Log(LogLevel::kInfo, std::string(out.contributed() ? "merged model of round "
                                                     : "caught up with the merged model of round ") +
                           std::to_string(out.round()) + " loaded");
  return Status::Ok();
}

}  // namespace swarm
