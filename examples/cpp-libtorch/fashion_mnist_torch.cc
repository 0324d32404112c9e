// Swarm Learning from a C++ program: a Fashion-MNIST classifier trained with LibTorch and
// swarm::SwarmCallback (see README.md for a walk-through). It is also the C++ twin of
// examples/demo/fashion_mnist.py, with the same environment, model, data order and outputs,
// so the end-to-end tests run either the same way (tests/sl/fashion_mnist_test.py --program).
//
// Environment: DATA_DIR (the gzipped IDX files; default /usr/share/datasets/fashion-mnist),
// MODEL_DIR (where fashion_mnist_torch.pt, result.json and final_params.bin go; default .),
// MAX_EPOCHS (2),
// MIN_PEERS (2), SYNC_FREQUENCY (50 batches), NODE_CLASSES (labels this node trains on,
// e.g. "0,1,2,3"; default all), NODE_WEIGHT (1), MERGE_METHOD (mean), SEED (1: data order),
// USE_ADAPTIVE_SYNC (0). With SWARM_LOOPBACK=TRUE it trains alone: the local-only baseline.

#include <torch/torch.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "client/swarm_callback.h"
#include "client/torch_parameters.h"
#include "core/log.h"
#include "idx_file.h"

namespace swarm::ml {
namespace {

constexpr char kProgram[] = "fashion_mnist_torch";
constexpr int64_t kBatch = 64;

struct NetImpl : torch::nn::Module {
  NetImpl()
      : fc1(register_module("fc1", torch::nn::Linear(784, 64))),
        fc2(register_module("fc2", torch::nn::Linear(64, 10))) {}
  torch::Tensor forward(const torch::Tensor& x) { return fc2(torch::relu(fc1(x))); }
  torch::nn::Linear fc1, fc2;
};
TORCH_MODULE(Net);

struct Data {
  torch::Tensor x;  // [n, 784] float, pixels / 255
  torch::Tensor y;  // [n] int64 labels
};

std::string Env(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

StatusOr<int> ParseInt(const std::string& text, const std::string& what) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return InvalidArgument(what + " must be an integer; got '" + text + "'");
  }
  return value;
}

StatusOr<int> EnvInt(const char* name, int fallback) {
  const std::string v = Env(name, "");
  return v.empty() ? fallback : ParseInt(v, name);
}

StatusOr<std::vector<int64_t>> ParseClasses(const std::string& text) {
  std::vector<int64_t> classes;
  for (size_t start = 0; start <= text.size();) {
    const size_t comma = std::min(text.find(',', start), text.size());
    ASSIGN_OR_RETURN(int c, ParseInt(text.substr(start, comma - start), "each of NODE_CLASSES"));
    if (c < 0 || c > 9) return InvalidArgument("NODE_CLASSES: " + std::to_string(c) + " is not a label 0..9");
    classes.push_back(c);
    start = comma + 1;
  }
  return classes;
}

StatusOr<Data> Load(const std::string& dir, const std::string& prefix) {
  ASSIGN_OR_RETURN(IdxArray images, ReadIdxGz(dir + "/" + prefix + "-images-idx3-ubyte.gz", 3));
  ASSIGN_OR_RETURN(IdxArray labels, ReadIdxGz(dir + "/" + prefix + "-labels-idx1-ubyte.gz", 1));
  const int64_t n = images.shape[0];
  if (images.shape[1] != 28 || images.shape[2] != 28 || labels.shape[0] != n) {
    return DataLoss(dir + ": " + prefix + " has " + std::to_string(n) + " images of " +
                    std::to_string(images.shape[1]) + "x" + std::to_string(images.shape[2]) + " pixels and " +
                    std::to_string(labels.shape[0]) + " labels; expected 28x28 and one label per image");
  }
  // from_blob borrows the bytes; the conversions copy them before `images` goes away.
  return Data{torch::from_blob(images.data.data(), {n, 784}, torch::kUInt8).to(torch::kFloat32).div_(255),
              torch::from_blob(labels.data.data(), {n}, torch::kUInt8).to(torch::kInt64)};
}

Data Select(const Data& d, const std::vector<int64_t>& classes) {
  const torch::Tensor rows = torch::isin(d.y, torch::tensor(classes)).nonzero().squeeze(1);
  return {d.x.index_select(0, rows), d.y.index_select(0, rows)};
}

double Loss(Net& net, const Data& d) {
  torch::NoGradGuard no_grad;
  return torch::nn::functional::cross_entropy(net->forward(d.x), d.y).item<double>();
}

double Accuracy(Net& net, const Data& d) {
  torch::NoGradGuard no_grad;
  return net->forward(d.x).argmax(1).eq(d.y).to(torch::kFloat64).mean().item<double>();
}

// One epoch in SEED's order (the same permutation as torch.randperm in fashion_mnist.py); the
// optimizer steps before on_batch_end, so a sync hands over and overwrites stepped weights.
Status Epoch(Net& net, torch::optim::SGD& sgd, SwarmCallback& cb, const Data& train, at::Generator& gen,
             int epoch, int epochs) {
  const int64_t n = train.x.size(0);
  const torch::Tensor order = torch::randperm(n, gen);
  double total = 0;
  int64_t correct = 0;
  for (int64_t i = 0; i < n; i += kBatch) {
    const torch::Tensor rows = order.slice(0, i, std::min(i + kBatch, n));
    const torch::Tensor x = train.x.index_select(0, rows), y = train.y.index_select(0, rows);
    sgd.zero_grad();
    const torch::Tensor out = net->forward(x);
    const torch::Tensor loss = torch::nn::functional::cross_entropy(out, y);
    loss.backward();
    sgd.step();
    total += loss.item<double>() * static_cast<double>(rows.size(0));
    correct += out.argmax(1).eq(y).sum().item<int64_t>();
    RETURN_IF_ERROR(cb.on_batch_end());
  }
  const double mean_loss = total / static_cast<double>(n);
  cb.set_loss(mean_loss, static_cast<double>(correct) / static_cast<double>(n));
  char line[80];
  std::snprintf(line, sizeof line, "epoch %d/%d: training loss %.4f", epoch + 1, epochs, mean_loss);
  LogInfo(kProgram, line);
  return cb.on_epoch_end(epoch);
}

Status WriteOutputs(const std::string& dir, Net& net, double accuracy, int epochs, uint64_t rounds) {
  ASSIGN_OR_RETURN(std::vector<ParameterView> params, ViewTorchParameters(*net));
  std::ofstream bin(dir + "/final_params.bin", std::ios::binary);
  for (const auto& p : params) {  // all f32: the model is built in f32
    size_t n = sizeof(float);
    for (uint64_t d : p.shape) n *= d;
    bin.write(static_cast<const char*>(p.data), static_cast<std::streamsize>(n));
  }
  bin.close();
  torch::save(net, dir + "/fashion_mnist_torch.pt");  // load with torch::load into a Net
  const nlohmann::ordered_json result = {{"test_accuracy", accuracy}, {"epochs", epochs}, {"rounds", rounds}};
  std::ofstream json(dir + "/result.json");
  json << result.dump() << "\n";
  json.close();
  if (!bin || !json) return Internal(dir + ": cannot write final_params.bin and result.json");
  return Status::Ok();
}

struct Config {
  std::string data_dir, model_dir;
  int epochs = 0, seed = 0;
  std::vector<int64_t> classes;
  SwarmCallbackOptions swarm;  // all but ads_validation, which needs the model
};

StatusOr<Config> ReadConfig(const std::string& program_name) {
  Config c;
  c.data_dir = Env("DATA_DIR", "/usr/share/datasets/fashion-mnist");
  c.model_dir = Env("MODEL_DIR", ".");
  ASSIGN_OR_RETURN(c.epochs, EnvInt("MAX_EPOCHS", 2));
  if (c.epochs < 1) return InvalidArgument("MAX_EPOCHS must be at least 1; got " + std::to_string(c.epochs));
  ASSIGN_OR_RETURN(c.seed, EnvInt("SEED", 1));
  ASSIGN_OR_RETURN(c.classes, ParseClasses(Env("NODE_CLASSES", "0,1,2,3,4,5,6,7,8,9")));
  SwarmCallbackOptions& o = c.swarm;
  ASSIGN_OR_RETURN(o.sync_frequency, EnvInt("SYNC_FREQUENCY", 50));
  ASSIGN_OR_RETURN(o.min_peers, EnvInt("MIN_PEERS", 2));
  ASSIGN_OR_RETURN(o.node_weightage, EnvInt("NODE_WEIGHT", 1));
  ASSIGN_OR_RETURN(const int adaptive, EnvInt("USE_ADAPTIVE_SYNC", 0));
  o.use_adaptive_sync = adaptive == 1;
  o.merge_method = Env("MERGE_METHOD", "mean");
  o.total_epochs = c.epochs;
  o.program_name = program_name;
  return c;
}

Status Run(const std::string& program_name) {
  torch::set_num_threads(1);
  ASSIGN_OR_RETURN(Config c, ReadConfig(program_name));
  std::error_code ec;
  std::filesystem::create_directories(c.model_dir, ec);
  if (ec) return Internal("MODEL_DIR " + c.model_dir + ": " + ec.message());
  ASSIGN_OR_RETURN(const Data all_train, Load(c.data_dir, "train"));
  ASSIGN_OR_RETURN(const Data test, Load(c.data_dir, "t10k"));
  const Data train = Select(all_train, c.classes);
  const Data validation{test.x.slice(0, 0, 2000), test.y.slice(0, 0, 2000)};  // adsValData, as in the twin

  torch::manual_seed(0);  // every node starts from the same weights
  Net net;
  torch::optim::SGD sgd(net->parameters(), torch::optim::SGDOptions(0.05).momentum(0.9));
  c.swarm.ads_validation = [&]() -> StatusOr<double> { return Loss(net, validation); };
  ASSIGN_OR_RETURN(SwarmCallback::Parameters params, TorchParameters(net.ptr()));
  ASSIGN_OR_RETURN(std::unique_ptr<SwarmCallback> cb, SwarmCallback::Create(c.swarm, std::move(params)));

  at::Generator gen = at::detail::createCPUGenerator(static_cast<uint64_t>(c.seed));
  RETURN_IF_ERROR(cb->on_train_begin());
  for (int epoch = 0; epoch < c.epochs; ++epoch) {
    RETURN_IF_ERROR(Epoch(net, sgd, *cb, train, gen, epoch, c.epochs));
  }
  RETURN_IF_ERROR(cb->on_train_end());

  const double accuracy = Accuracy(net, test);
  RETURN_IF_ERROR(WriteOutputs(c.model_dir, net, accuracy, c.epochs, cb->rounds()));
  std::string shard;
  for (int64_t label : c.classes) shard += (shard.empty() ? "" : ", ") + std::to_string(label);
  std::printf("%s: classes [%s], test accuracy %.4f, %llu Swarm rounds\n", kProgram, shard.c_str(), accuracy,
              static_cast<unsigned long long>(cb->rounds()));
  return Status::Ok();
}

}  // namespace
}  // namespace swarm::ml

int main(int argc, char** argv) {
  swarm::InitLogging();
  // The SL names this program's log <program>_sw.log after the executable, as the Python twin
  // does after its script: the harness looks for fashion_mnist_torch_sw.log.
  const std::string name = argc > 0 ? std::filesystem::path(argv[0]).stem().string() : "";
  swarm::Status s;
  try {
    s = swarm::ml::Run(name.empty() ? swarm::ml::kProgram : name);
  } catch (const c10::Error& e) {  // LibTorch reports misuse and bad data by exception
    s = swarm::Internal(std::string("LibTorch: ") + e.what_without_backtrace());
  } catch (const std::exception& e) {
    s = swarm::Internal(e.what());
  }
  if (s.ok()) return 0;
  std::fprintf(stderr, "%s: %s\n", swarm::ml::kProgram, s.message().c_str());
  return 1;
}
