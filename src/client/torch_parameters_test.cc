#include "client/torch_parameters.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

namespace swarm {
namespace {
using ::testing::ElementsAre;
using ::testing::HasSubstr;

struct NetImpl : torch::nn::Module {
  NetImpl()
      : fc1(register_module("fc1", torch::nn::Linear(3, 4))),
        fc2(register_module("fc2", torch::nn::Linear(4, 2))) {}
  torch::Tensor forward(torch::Tensor x) { return fc2(torch::relu(fc1(x))); }
  torch::nn::Linear fc1, fc2;
};
TORCH_MODULE(Net);

std::vector<std::string> Names(const std::vector<ParameterView>& views) {
  std::vector<std::string> names;
  for (const auto& v : views) names.push_back(v.name);
  return names;
}

TEST(TorchParametersTest, ViewsAreTheModulesOwnTensorsInRegistrationOrder) {
  Net net;
  auto views = ViewTorchParameters(*net);
  ASSERT_TRUE(views.ok()) << views.status().message();
  EXPECT_THAT(Names(*views), ElementsAre("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"));
  EXPECT_THAT((*views)[0].shape, ElementsAre(4, 3));
  EXPECT_THAT((*views)[1].shape, ElementsAre(4));
  EXPECT_THAT((*views)[2].shape, ElementsAre(2, 4));
  EXPECT_THAT((*views)[3].shape, ElementsAre(2));
  for (const auto& v : *views) EXPECT_EQ(v.dtype, DType::kF32) << v.name;
  EXPECT_EQ((*views)[0].data, net->fc1->weight.data_ptr());
  EXPECT_EQ((*views)[3].data, net->fc2->bias.data_ptr());
}

TEST(TorchParametersTest, FrozenParametersAreLeftOut) {
  Net net;
  net->fc1->weight.requires_grad_(false);
  auto views = ViewTorchParameters(*net);
  ASSERT_TRUE(views.ok()) << views.status().message();
  EXPECT_THAT(Names(*views), ElementsAre("fc1.bias", "fc2.weight", "fc2.bias"));
}

TEST(TorchParametersTest, MapsFloatingPointDtypes) {
  const auto dtype_of = [](torch::Dtype type) {
    Net net;
    net->to(type);
    auto views = ViewTorchParameters(*net);
    EXPECT_TRUE(views.ok()) << views.status().message();
    return views.ok() ? (*views)[0].dtype : DType::kF32;
  };
  EXPECT_EQ(dtype_of(torch::kFloat64), DType::kF64);
  EXPECT_EQ(dtype_of(torch::kFloat16), DType::kF16);
  EXPECT_EQ(dtype_of(torch::kBFloat16), DType::kBF16);
}

TEST(TorchParametersTest, RefusesANonContiguousParameterByName) {
  Net net;
  net->register_parameter("transposed", torch::zeros({3, 4}).t());
  auto views = ViewTorchParameters(*net);
  ASSERT_FALSE(views.ok());
  EXPECT_EQ(views.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(views.status().message(), HasSubstr("parameter 'transposed' is not a contiguous"));
  EXPECT_FALSE(TorchParameters(net.ptr()).ok());
}

TEST(TorchParametersTest, RefusesAnUnsupportedDtypeByName) {
  Net net;
  net->register_parameter("phase", torch::zeros({2}, torch::kComplexFloat));
  auto views = ViewTorchParameters(*net);
  ASSERT_FALSE(views.ok());
  EXPECT_THAT(views.status().message(), HasSubstr("parameter 'phase' has dtype ComplexFloat"));
}

TEST(TorchParametersTest, WritesThroughTheViewsChangeTheModuleAndTrainingGoesOn) {
  Net net;
  auto parameters = TorchParameters(net.ptr());
  ASSERT_TRUE(parameters.ok()) << parameters.status().message();
  // What the callback does with a merged model: overwrite every element in place.
  for (const auto& v : (*parameters)()) {
    float* data = static_cast<float*>(v.data);
    uint64_t n = 1;
    for (uint64_t d : v.shape) n *= d;
    for (uint64_t i = 0; i < n; ++i) data[i] = 0.5f;
  }
  for (const auto& p : net->parameters()) EXPECT_TRUE(torch::all(p == 0.5f).item<bool>());

  torch::optim::SGD sgd(net->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
  sgd.zero_grad();
  net->forward(torch::ones({5, 3})).sum().backward();
  sgd.step();
  EXPECT_FALSE(torch::all(net->fc2->weight == 0.5f).item<bool>());
}

}  // namespace
}  // namespace swarm
