#pragma once

// The LibTorch adapter of the C++ client: a torch::nn::Module's trainable parameters as
// the ParameterViews a SwarmCallback exchanges, zero-copy.
//
//   auto net = std::make_shared<Net>();   // a torch::nn::Module
//   ASSIGN_OR_RETURN(auto params, swarm::TorchParameters(net));
//   ASSIGN_OR_RETURN(auto cb, swarm::SwarmCallback::Create(options, params));
//
// At every sync the callback copies the module's tensors out and writes the merged values
// straight back into them, bypassing autograd. That is safe for leaf parameters between
// optimizer steps (call on_batch_end() after optimizer.step()); the optimizer's own state
// (momentum buffers) stays local, as in HPE's PyTorch client.
//
// This header names torch types without including LibTorch, so it is cheap to include.

#include <memory>
#include <vector>

#include "client/swarm_callback.h"
#include "core/status.h"

namespace torch::nn {
class Module;
}  // namespace torch::nn

namespace swarm {

// Views of `module`'s trainable parameters: named_parameters() (recursive, registration
// order, names such as "fc1.weight") that require grad; frozen ones are left out. Each view
// points into the tensor's own storage and is valid until the tensor is reallocated (e.g. by
// module.to()). InvalidArgument, naming the parameter, if one is not on the CPU, not a
// contiguous dense tensor, or not f32, f64, f16 or bf16.
StatusOr<std::vector<ParameterView>> ViewTorchParameters(const torch::nn::Module& module);

// A SwarmCallback::Parameters for `module`, which it keeps alive. The parameters are checked
// now (the error above) and mapped afresh at every call, so the views follow the tensors.
// Changing a parameter's device, dtype or layout after this check is a programmer error: the
// function then prints the reason and aborts rather than hand out a pointer it cannot trust.
StatusOr<SwarmCallback::Parameters> TorchParameters(std::shared_ptr<torch::nn::Module> module);

}  // namespace swarm
