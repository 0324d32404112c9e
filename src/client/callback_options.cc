#include "client/callback_options.h"

#include "core/merge.h"

namespace swarm {

Status ValidateCallbackOptions(const swarm::v1::CallbackOptions& o) {
  if (o.sync_frequency() <= 0) {
    return InvalidArgument("syncFrequency must be a positive integer; got " +
                           std::to_string(o.sync_frequency()));
  }
  if (o.min_peers() <= 0) {
    return InvalidArgument("minPeers must be a positive integer; got " + std::to_string(o.min_peers()));
  }
  if (o.node_weightage() < static_cast<int>(kMinWeight) ||
      o.node_weightage() > static_cast<int>(kMaxWeight)) {
    return InvalidArgument("nodeWeightage must be an integer from 1 to 100; got " +
                           std::to_string(o.node_weightage()));
  }
  if (!ParseMergeMethod(o.merge_method())) {
    return InvalidArgument("mergeMethod must be one of mean, coordmedian, geomedian; got '" +
                           o.merge_method() + "'");
  }
  const std::string& m = o.checkin_model_on_train_end();
  if (m != "snapshot" && m != "inactive" && m != "active") {
    return InvalidArgument("checkinModelOnTrainEnd must be one of snapshot, inactive, active; got '" + m +
                           "'");
  }
  if (o.total_epochs() < 0) {
    return InvalidArgument("totalEpochs must be a positive integer; got " + std::to_string(o.total_epochs()));
  }
  if (o.ml_platform() != "PYTORCH" && o.ml_platform() != "TF" && o.ml_platform() != "KERAS") {
    return InvalidArgument("mlPlatform must be one of TF, KERAS, PYTORCH; got '" + o.ml_platform() + "'");
  }
  if (o.training_contract().empty()) return InvalidArgument("trainingContract must not be empty");
  return Status::Ok();
}

}  // namespace swarm
