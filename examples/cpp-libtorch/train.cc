// Swarm Learning from a C++ program: an ordinary LibTorch training loop on Fashion-MNIST
// with swarm::SwarmCallback added. `swarm sl --ml-entrypoint <this binary> --ml-e KEY=VALUE`
// starts it as the SL's sidecar; at every sync round the callback hands the model's
// parameters to the SL and loads the merged ones back. README.md walks through it.
//
// Environment, as in HPE's example programs:
//   DATA_DIR     the gzipped IDX files (default /usr/share/datasets/fashion-mnist)
//   MODEL_DIR    where model.pt, final_params.bin and result.json go (default .)
//   SCRATCH_DIR  where the local model of each epoch goes (default MODEL_DIR)
//   MAX_EPOCHS   local epochs (default 2)           MIN_PEERS  minPeers (default 2)
//   SYNC_FREQUENCY  batches between sync rounds (default 32)
//   NODE_INDEX, NODE_COUNT  this node trains on part NODE_INDEX of NODE_COUNT equal parts
//                of the training set (default 1 of 1)
// With SWARM_LOOPBACK=TRUE the callback does nothing: the program trains alone.

#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "client/swarm_callback.h"    // swarm::SwarmCallback, swarm::SwarmCallbackOptions
#include "client/torch_parameters.h"  // swarm::TorchParameters: a module's parameters for the callback
#include "core/log.h"                 // swarm::InitLogging: the callback's log lines, timestamped
#include "core/status.h"              // swarm::Status, StatusOr, RETURN_IF_ERROR, ASSIGN_OR_RETURN
#include "idx_file.h"                 // swarm::ml::ReadIdxGz: the gzipped IDX format

namespace {

using swarm::Status;
using swarm::StatusOr;

constexpr char kProgram[] = "cpp_libtorch_example";
constexpr int64_t kBatchSize = 64;

// ---- The model: a plain LibTorch module; nothing in it knows about Swarm. ----------------

struct ClassifierImpl : torch::nn::Module {
  ClassifierImpl()
      : hidden(register_module("hidden", torch::nn::Linear(28 * 28, 128))),
        output(register_module("output", torch::nn::Linear(128, 10))) {}
  torch::Tensor forward(const torch::Tensor& images) { return output(torch::relu(hidden(images))); }
  torch::nn::Linear hidden, output;
};
TORCH_MODULE(Classifier);

// ---- Settings from the environment. -------------------------------------------------------

struct Settings {
  std::string data_dir, model_dir, scratch_dir;
  int max_epochs = 0, min_peers = 0, sync_frequency = 0, node_index = 0, node_count = 0;
};

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

StatusOr<int> PositiveEnv(const char* name, int fallback) {
  const std::string text = EnvOr(name, std::to_string(fallback));
  char* end = nullptr;
  const long value = std::strtol(text.c_str(), &end, 10);
  if (*end != '\0' || value < 1 || value > 1'000'000) {
    return swarm::InvalidArgument(std::string(name) + " must be a positive integer; got '" + text + "'");
  }
  return static_cast<int>(value);
}

StatusOr<Settings> ReadSettings() {
  Settings s;
  s.data_dir = EnvOr("DATA_DIR", "/usr/share/datasets/fashion-mnist");
  s.model_dir = EnvOr("MODEL_DIR", ".");
  s.scratch_dir = EnvOr("SCRATCH_DIR", s.model_dir);
  ASSIGN_OR_RETURN(s.max_epochs, PositiveEnv("MAX_EPOCHS", 2));
  ASSIGN_OR_RETURN(s.min_peers, PositiveEnv("MIN_PEERS", 2));
  ASSIGN_OR_RETURN(s.sync_frequency, PositiveEnv("SYNC_FREQUENCY", 32));
  ASSIGN_OR_RETURN(s.node_index, PositiveEnv("NODE_INDEX", 1));
  ASSIGN_OR_RETURN(s.node_count, PositiveEnv("NODE_COUNT", 1));
  if (s.node_index > s.node_count) {
    return swarm::InvalidArgument("NODE_INDEX must be between 1 and NODE_COUNT (" +
                                  std::to_string(s.node_count) + "); got " + std::to_string(s.node_index));
  }
  for (const std::string& dir : {s.model_dir, s.scratch_dir}) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return swarm::Internal("cannot create " + dir + ": " + ec.message());
  }
  return s;
}

// ---- Data: Fashion-MNIST's gzipped IDX files as tensors. ------------------------------------

struct Images {
  torch::Tensor x;  // [n, 784] float32 in [0, 1]
  torch::Tensor y;  // [n] int64 labels 0..9
};

StatusOr<Images> LoadImages(const std::string& dir, const std::string& prefix) {
  ASSIGN_OR_RETURN(swarm::ml::IdxArray images,
                   swarm::ml::ReadIdxGz(dir + "/" + prefix + "-images-idx3-ubyte.gz", 3));
  ASSIGN_OR_RETURN(swarm::ml::IdxArray labels,
                   swarm::ml::ReadIdxGz(dir + "/" + prefix + "-labels-idx1-ubyte.gz", 1));
  const int64_t n = images.shape[0];
  if (images.shape[1] != 28 || images.shape[2] != 28 || labels.shape[0] != n) {
    return swarm::DataLoss(dir + ": the " + prefix + " files do not hold one label per 28x28 image");
  }
  // from_blob borrows the bytes; .to() copies them before `images` and `labels` go away.
  return Images{
      torch::from_blob(images.data.data(), {n, 28 * 28}, torch::kUInt8).to(torch::kFloat32).div_(255),
      torch::from_blob(labels.data.data(), {n}, torch::kUInt8).to(torch::kInt64)};
}

// Part `index` (1-based) of `count` equal, disjoint parts: each node trains on its own data.
Images PartOf(const Images& all, int index, int count) {
  const int64_t n = all.x.size(0), begin = n * (index - 1) / count, end = n * index / count;
  return {all.x.slice(0, begin, end), all.y.slice(0, begin, end)};
}

double Accuracy(Classifier& model, const Images& data) {
  torch::NoGradGuard no_grad;
  return model->forward(data.x).argmax(1).eq(data.y).to(torch::kFloat64).mean().item<double>();
}

// ---- Outputs. -------------------------------------------------------------------------------

// The trainable parameters' raw bytes, in registration order, so that nodes can be compared
// byte for byte (run prints their SHA-256).
Status WriteParameters(const std::string& path, Classifier& model) {
  std::ofstream out(path, std::ios::binary);
  for (const torch::Tensor& p : model->parameters()) {
    const torch::Tensor cpu = p.detach().contiguous();
    out.write(static_cast<const char*>(cpu.data_ptr()), static_cast<std::streamsize>(cpu.nbytes()));
  }
  out.close();
  return out ? Status::Ok() : swarm::Internal("cannot write " + path);
}

Status WriteResult(const std::string& path, const nlohmann::ordered_json& result) {
  std::ofstream out(path);
  out << result.dump() << "\n";
  out.close();
  return out ? Status::Ok() : swarm::Internal("cannot write " + path);
}

// ---- Training. ------------------------------------------------------------------------------

Status Train() {
  ASSIGN_OR_RETURN(const Settings s, ReadSettings());
  torch::set_num_threads(1);  // the nodes share this machine's cores
  ASSIGN_OR_RETURN(const Images all_train, LoadImages(s.data_dir, "train"));
  ASSIGN_OR_RETURN(const Images test, LoadImages(s.data_dir, "t10k"));
  const Images train = PartOf(all_train, s.node_index, s.node_count);
  std::printf("%s: node %d of %d, training on %lld images\n", kProgram, s.node_index, s.node_count,
              static_cast<long long>(train.x.size(0)));

  torch::manual_seed(0);  // every node starts from the same weights
  Classifier model;
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.05).momentum(0.9));

  // (1) The callback's options: HPE's SwarmCallback keywords (syncFrequency, minPeers,
  // totalEpochs, ...) as struct fields. Create() checks them as HPE's client does.
  swarm::SwarmCallbackOptions options;
  options.sync_frequency = s.sync_frequency;
  options.min_peers = s.min_peers;
  options.total_epochs = s.max_epochs;
  options.program_name = kProgram;  // the SL writes its log for us to MODEL_DIR/<program_name>_sw.log
  options.model_dir = s.model_dir;

  // (2) The LibTorch adapter: the module's trainable parameters, which the callback reads
  // and overwrites in place at every sync (no copies to manage).
  ASSIGN_OR_RETURN(swarm::SwarmCallback::Parameters parameters, swarm::TorchParameters(model.ptr()));
  ASSIGN_OR_RETURN(std::unique_ptr<swarm::SwarmCallback> swarm_callback,
                   swarm::SwarmCallback::Create(options, std::move(parameters)));

  // (3) The hooks, where Keras or PyTorch Lightning would call them.
  RETURN_IF_ERROR(swarm_callback->on_train_begin());  // connects to the SL
  at::Generator shuffle = at::detail::createCPUGenerator(static_cast<uint64_t>(s.node_index));
  for (int epoch = 0; epoch < s.max_epochs; ++epoch) {
    const int64_t n = train.x.size(0);
    const torch::Tensor order = torch::randperm(n, shuffle);
    double loss_sum = 0;
    int64_t correct = 0;
    for (int64_t first = 0; first < n; first += kBatchSize) {
      const torch::Tensor rows = order.slice(0, first, std::min(first + kBatchSize, n));
      const torch::Tensor x = train.x.index_select(0, rows), y = train.y.index_select(0, rows);
      optimizer.zero_grad();
      const torch::Tensor logits = model->forward(x);
      const torch::Tensor loss = torch::nn::functional::cross_entropy(logits, y);
      loss.backward();
      optimizer.step();
      // After optimizer.step(): every sync_frequency batches this hands the stepped weights
      // to the SL and returns with the merged Swarm weights loaded into `model`.
      RETURN_IF_ERROR(swarm_callback->on_batch_end());
      loss_sum += loss.item<double>() * static_cast<double>(rows.size(0));
      correct += logits.argmax(1).eq(y).sum().item<int64_t>();
    }
    const double mean_loss = loss_sum / static_cast<double>(n);
    swarm_callback->set_loss(mean_loss, static_cast<double>(correct) / static_cast<double>(n));
    RETURN_IF_ERROR(swarm_callback->on_epoch_end(epoch));  // reports progress to the SN
    std::printf("%s: epoch %d/%d, training loss %.4f, %llu Swarm rounds so far\n", kProgram, epoch + 1,
                s.max_epochs, mean_loss, static_cast<unsigned long long>(swarm_callback->rounds()));
    torch::save(model, s.scratch_dir + "/model_epoch" + std::to_string(epoch + 1) + ".pt");
  }
  // Returns once every peer has finished, with the final Swarm model loaded into `model`.
  RETURN_IF_ERROR(swarm_callback->on_train_end());

  // (4) The final Swarm model: the same on every node.
  const double accuracy = Accuracy(model, test);
  torch::save(model, s.model_dir + "/model.pt");  // torch::load(model, "model.pt") reads it back
  RETURN_IF_ERROR(WriteParameters(s.model_dir + "/final_params.bin", model));
  RETURN_IF_ERROR(WriteResult(s.model_dir + "/result.json", {{"test_accuracy", accuracy},
                                                             {"rounds", swarm_callback->rounds()},
                                                             {"epochs", s.max_epochs},
                                                             {"node_index", s.node_index},
                                                             {"train_images", train.x.size(0)},
                                                             {"test_images", test.x.size(0)}}));
  std::printf("%s: test accuracy %.4f on %lld test images after %llu Swarm rounds; model %s/model.pt\n",
              kProgram, accuracy, static_cast<long long>(test.x.size(0)),
              static_cast<unsigned long long>(swarm_callback->rounds()), s.model_dir.c_str());
  return Status::Ok();
}

}  // namespace

int main() {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // the SL's log shows our lines as they come
  swarm::InitLogging();
  Status status;
  try {
    status = Train();
  } catch (const c10::Error& e) {  // LibTorch reports errors by exception
    status = swarm::Internal(std::string("LibTorch: ") + e.what_without_backtrace());
  }
  if (status.ok()) return 0;
  std::fprintf(stderr, "%s: %s\n", kProgram, status.message().c_str());
  return 1;
}
