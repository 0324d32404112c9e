// swarmlearning._native: the C++ SwarmCallback (src/client) for Python, so that the
// protocol with the SL exists once. The Python package (swarmlearning.pyt) checks types
// and the PyTorch-specific parameters, and gives this module the model's parameters as
// raw CPU memory: the callback writes them to the SL and loads the merged model straight
// back into the tensors, with no copy on the Python side.

#include <pybind11/functional.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "client/swarm_callback.h"

namespace py = pybind11;

namespace swarm {
namespace {

// Raised for every failure of the Swarm machinery (validation raises ValueError).
PyObject* g_swarm_error = nullptr;

void Check(const Status& s) {
  if (s.ok()) return;
  if (s.code() == StatusCode::kInvalidArgument) throw py::value_error(s.message());
  PyErr_SetString(g_swarm_error, s.message().c_str());
  throw py::error_already_set();
}

template <typename T>
T Get(const py::dict& d, const char* key, T fallback) {
  return d.contains(key) && !d[key].is_none() ? d[key].cast<T>() : fallback;
}

// The options, from HPE's keyword names (checked for type by the Python layer).
SwarmCallbackOptions OptionsFrom(const py::dict& d) {
  SwarmCallbackOptions o;
  o.sync_frequency = Get<int>(d, "syncFrequency", 0);
  o.min_peers = Get<int>(d, "minPeers", 0);
  o.training_contract = Get<std::string>(d, "trainingContract", o.training_contract);
  o.use_adaptive_sync = Get<bool>(d, "useAdaptiveSync", false);
  o.checkin_model_on_train_end = Get<std::string>(d, "checkinModelOnTrainEnd", o.checkin_model_on_train_end);
  o.node_weightage = Get<int>(d, "nodeWeightage", o.node_weightage);
  o.ml_platform = Get<std::string>(d, "mlPlatform", o.ml_platform);
  o.merge_method = Get<std::string>(d, "mergeMethod", o.merge_method);
  o.total_epochs = Get<int>(d, "totalEpochs", 0);
  o.program_name = Get<std::string>(d, "programName", o.program_name);
  o.model_dir = Get<std::string>(d, "modelDir", "");
  return o;
}

// parameters() returns [(name, dtype, shape, address)] of CPU-contiguous tensors.
std::vector<ParameterView> ViewsFrom(const py::function& parameters) {
  py::gil_scoped_acquire gil;
  std::vector<ParameterView> views;
  for (const py::handle item : parameters()) {
    auto t = item.cast<py::tuple>();
    ParameterView v;
    v.name = t[0].cast<std::string>();
    const auto dtype = ParseDType(t[1].cast<std::string>());
    if (!dtype)
      throw py::value_error("parameter " + v.name + ": unsupported dtype " + t[1].cast<std::string>());
    v.dtype = *dtype;
    v.shape = t[2].cast<std::vector<uint64_t>>();
    v.data = reinterpret_cast<void*>(t[3].cast<uintptr_t>());
    views.push_back(std::move(v));
  }
  return views;
}

class PyCallback {
 public:
  PyCallback(const py::dict& options, py::function parameters, py::object logger, py::object validation) {
    SwarmCallbackOptions o = OptionsFrom(options);
    if (!logger.is_none()) {
      auto log = logger.cast<py::function>();
      o.logger = [log](LogLevel level, const std::string& message) {
        py::gil_scoped_acquire gil;
        log(static_cast<int>(level), message);
      };
    }
    if (!validation.is_none()) {
      auto validate = validation.cast<py::function>();
      o.ads_validation = [validate]() -> StatusOr<double> {
        py::gil_scoped_acquire gil;
        return validate().cast<double>();
      };
    }
    auto cb = SwarmCallback::Create(std::move(o), [parameters] { return ViewsFrom(parameters); });
    Check(cb.status());
    cb_ = std::move(*cb);
  }

  void on_train_begin() {
    Run([&] { return cb_->on_train_begin(); });
  }
  void on_batch_end() {
    Run([&] { return cb_->on_batch_end(); });
  }
  void on_epoch_end(int epoch) {
    Run([&] { return cb_->on_epoch_end(epoch); });
  }
  void on_train_end() {
    Run([&] { return cb_->on_train_end(); });
  }
  void set_loss(double loss, double metric) { cb_->set_loss(loss, metric); }
  uint64_t rounds() const { return cb_->rounds(); }
  int sync_frequency() const { return cb_->sync_frequency(); }

 private:
  // Hooks may wait minutes for peers: other Python threads (data loaders) run meanwhile.
  template <typename F>
  void Run(F hook) {
    Status s;
    {
      py::gil_scoped_release release;
      s = hook();
    }
    Check(s);
  }

  std::unique_ptr<SwarmCallback> cb_;
};

}  // namespace
}  // namespace swarm

PYBIND11_MODULE(_native, m) {
  using swarm::PyCallback;
  m.doc() = "The C++ Swarm Learning client; use swarmlearning.pyt.SwarmCallback.";
  static py::exception<std::runtime_error> error(m, "SwarmError", PyExc_RuntimeError);
  swarm::g_swarm_error = error.ptr();
  m.def(
      "validate_options",
      [](const py::dict& options) { swarm::Check(ValidateOptions(swarm::OptionsFrom(options))); },
      "Checks the options as the SL will; raises ValueError naming the parameter and the rule.");
  m.attr("LOG_DEBUG") = static_cast<int>(swarm::LogLevel::kDebug);
  m.attr("LOG_INFO") = static_cast<int>(swarm::LogLevel::kInfo);
  m.attr("LOG_WARNING") = static_cast<int>(swarm::LogLevel::kWarning);
  m.attr("LOG_ERROR") = static_cast<int>(swarm::LogLevel::kError);
  py::class_<PyCallback>(m, "Callback")
      .def(py::init<const py::dict&, py::function, py::object, py::object>(), py::arg("options"),
           py::arg("parameters"), py::arg("logger") = py::none(), py::arg("validation") = py::none())
      .def("on_train_begin", &PyCallback::on_train_begin)
      .def("on_batch_end", &PyCallback::on_batch_end)
      .def("on_epoch_end", &PyCallback::on_epoch_end, py::arg("epoch"))
      .def("on_train_end", &PyCallback::on_train_end)
      .def("set_loss", &PyCallback::set_loss, py::arg("loss"), py::arg("metric"))
      .def_property_readonly("rounds", &PyCallback::rounds)
      .def_property_readonly("sync_frequency", &PyCallback::sync_frequency);
}
