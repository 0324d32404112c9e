#include "client/torch_parameters.h"

#include <torch/nn/module.h>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

namespace swarm {
namespace {

std::optional<DType> FromTorch(c10::ScalarType type) {
  switch (type) {
    case c10::ScalarType::Float: return DType::kF32;
    case c10::ScalarType::Double: return DType::kF64;
    case c10::ScalarType::Half: return DType::kF16;
    case c10::ScalarType::BFloat16: return DType::kBF16;
    default: return std::nullopt;
  }
}

StatusOr<ParameterView> View(const std::string& name, const at::Tensor& t) {
  const std::string what = "parameter '" + name + "' ";
  if (!t.device().is_cpu()) {
    return InvalidArgument(what + "is on " + t.device().str() + "; Swarm exchanges CPU tensors only");
  }
  if (t.layout() != c10::kStrided || !t.is_contiguous()) {
    return InvalidArgument(what + "is not a contiguous dense tensor; make it contiguous before training");
  }
  const std::optional<DType> dtype = FromTorch(t.scalar_type());
  if (!dtype) {
    return InvalidArgument(what + "has dtype " + std::string(c10::toString(t.scalar_type())) +
                           "; Swarm exchanges float32, float64, float16 and bfloat16");
  }
  ParameterView v{name, *dtype, {}, t.data_ptr()};
  for (int64_t d : t.sizes()) v.shape.push_back(static_cast<uint64_t>(d));
  return v;
}

}  // namespace

StatusOr<std::vector<ParameterView>> ViewTorchParameters(const torch::nn::Module& module) {
  std::vector<ParameterView> views;
  for (const auto& item : module.named_parameters(/*recurse=*/true)) {
    if (!item.value().defined() || !item.value().requires_grad()) continue;
    ASSIGN_OR_RETURN(ParameterView v, View(item.key(), item.value()));
    views.push_back(std::move(v));
  }
  return views;
}

StatusOr<SwarmCallback::Parameters> TorchParameters(std::shared_ptr<torch::nn::Module> module) {
  if (!module) return InvalidArgument("TorchParameters: the module is null");
  RETURN_IF_ERROR(ViewTorchParameters(*module).status());
  return SwarmCallback::Parameters([module = std::move(module)] {
    StatusOr<std::vector<ParameterView>> views = ViewTorchParameters(*module);
    if (!views.ok()) {
      std::fprintf(stderr, "swarm: the module changed under its SwarmCallback: %s\n",
                   views.status().message().c_str());
      std::abort();
    }
    return std::move(views).value();
  });
}

}  // namespace swarm
