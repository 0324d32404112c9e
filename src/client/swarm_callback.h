#pragma once

// The ML program's side of Swarm Learning (C++). A program creates one SwarmCallback
// with HPE's parameters and calls its hooks from its training loop; at every sync point
// the callback hands the program's parameters to its SL (over the Unix socket in
// SWARM_SL_SOCKET) and loads the merged ones back into the program's own memory.
//
//   swarm::SwarmCallbackOptions o;
//   o.sync_frequency = 128;
//   o.min_peers = 2;
//   auto cb = swarm::SwarmCallback::Create(o, [&] { return MyParameters(); });
//   cb->on_train_begin();
//   for (...) { train one batch; cb->on_batch_end(); }   // per epoch: cb->on_epoch_end(e)
//   cb->on_train_end();   // returns with the final Swarm model loaded
//
// Every hook returns a Status; a failure names the problem (the SL's words included).

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "client/adaptive_sync.h"
#include "core/dtype.h"
#include "core/model.h"
#include "core/status.h"
#include "swarm/v1/sl.pb.h"

namespace swarm {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

struct SwarmCallbackOptions {
  int sync_frequency = 0;  // syncFrequency: batches between sync rounds (required, > 0)
  int min_peers = 0;       // minPeers (required, > 0)
  std::string training_contract = "defaultbb.cqdb.sml.hpe";  // trainingContract
  std::string checkin_model_on_train_end = "snapshot";       // snapshot, inactive or active
  int node_weightage = 1;                                    // nodeWeightage, 1..100
  std::string merge_method = "mean";                         // mean, coordmedian, geomedian
  std::string ml_platform = "PYTORCH";                       // mlPlatform
  int total_epochs = 0;                                      // totalEpochs (0: not given)
  bool use_adaptive_sync = false;                            // useAdaptiveSync
  // adsValData: the loss of the program's model on its validation data, for adaptive sync
  // (called after each round, with the merged weights loaded).
  std::function<StatusOr<double>()> ads_validation;
  std::string program_name = "ml";  // names the log the SL writes: <program_name>_sw.log
  std::string model_dir;            // where that log goes; default $MODEL_DIR, else the working dir
  std::string socket;               // the SL's socket; default $SWARM_SL_SOCKET
  // logger: where the callback's log lines go; default stderr as "swarm.SwarmCallback : LEVEL : ...".
  std::function<void(LogLevel, const std::string&)> logger;
};

// Checks the options as HPE's client does (client/callback_options.h; the SL runs the same
// check); the error names the parameter and the rule.
Status ValidateOptions(const SwarmCallbackOptions& o);
// The options as they travel to the SL.
swarm::v1::CallbackOptions ToProto(const SwarmCallbackOptions& o);

// One trainable parameter, in the program's memory (contiguous, little-endian).
struct ParameterView {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<uint64_t> shape;
  void* data = nullptr;
};

class SwarmCallback {
 public:
  using Parameters = std::function<std::vector<ParameterView>()>;

  // Validates the options; with SWARM_LOOPBACK=TRUE every hook then does nothing.
  static StatusOr<std::unique_ptr<SwarmCallback>> Create(SwarmCallbackOptions options, Parameters parameters);
  ~SwarmCallback();

  Status on_train_begin();
  Status on_batch_end();
  Status on_epoch_end(int epoch);
  Status on_train_end();

  // The latest loss and metric, reported to the SN with the next epoch end.
  void set_loss(double loss, double metric);
  // Sync rounds this program took part in (merged models loaded).
  uint64_t rounds() const { return rounds_; }
  // Batches between sync rounds now (changes with adaptive sync).
  int sync_frequency() const { return adaptive_.frequency(); }

 private:
  struct Channel;
  SwarmCallback(SwarmCallbackOptions o, Parameters p);
  Status Exchange(bool final);
  // Reads the blob at `path` straight into the program's parameters (its schema must match).
  Status Load(const std::string& path, const std::vector<ParameterView>& params, const ModelSchema& schema);
  void Log(LogLevel level, const std::string& message) const;

  SwarmCallbackOptions o_;
  Parameters parameters_;
  bool loopback_ = false;
  std::unique_ptr<Channel> channel_;
  std::string blob_dir_;
  AdaptiveSync adaptive_;
  int batches_ = 0, epochs_done_ = 0;  // batches since the last sync
  uint64_t rounds_ = 0, handed_ = 0;
  double loss_ = 0, metric_ = 0;
};

}  // namespace swarm
