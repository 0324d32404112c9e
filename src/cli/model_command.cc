#include "cli/model_command.h"

#include <chrono>
#include <cstdio>
#include <memory>
#include <sstream>

#include "core/blob_reader.h"
#include "core/blob_writer.h"
#include "core/merge.h"

namespace swarm::cli {
namespace {

// Errors end the process with a message that names the problem; exit status 1.
[[noreturn]] void Fail(const Status& status) {
  std::fprintf(stderr, "swarm: error: %s\n", status.message().c_str());
  std::exit(1);
}

std::string Shape(const TensorSpec& t) {
  std::ostringstream out;
  out << "[";
  for (size_t i = 0; i < t.shape.size(); ++i) out << (i ? "," : "") << t.shape[i];
  out << "]";
  return out.str();
}

// Pads to `width` characters, counting UTF-8 code points (names are valid UTF-8), so the
// columns line up with non-ASCII names too.
std::string PadRight(const std::string& s, size_t width) {
  size_t chars = 0;
  for (char c : s) chars += (static_cast<unsigned char>(c) & 0xc0) != 0x80;
  return chars >= width ? s : s + std::string(width - chars, ' ');
}

// Streams the blob through the reader without keeping the payload: every check runs.
void Info(const std::string& path) {
  BlobLayout layout;
  auto digest = CheckBlobFile(path, &layout);
  if (!digest.ok()) Fail(digest.status());
  std::printf("blob:       %s\n", path.c_str());
  std::printf("sha256:     %s\n", digest->Hex().c_str());
  std::printf("format:     version %u, %llu bytes\n", kBlobVersion,
              static_cast<unsigned long long>(layout.file_bytes()));
  std::printf("tensors:    %zu, %llu parameters\n", layout.schema.size(),
              static_cast<unsigned long long>(TotalElements(layout.schema)));
  for (size_t i = 0; i < layout.schema.size(); ++i) {
    const TensorSpec& t = layout.schema[i];
    std::printf("  %4zu  %s %-5s %-20s %llu bytes\n", i, PadRight(t.name, 40).c_str(),
                std::string(DTypeName(t.dtype)).c_str(), Shape(t).c_str(),
                static_cast<unsigned long long>(t.NumBytes()));
  }
}

struct MergeArgs {
  std::string method = "mean";
  std::vector<uint32_t> weights;
  std::vector<std::string> inputs;
  std::string output;
  bool force = false;
  int threads = 0;
};

// The merge writes a new file; it replaces an existing one only when told to, and never
// anything but a regular file (a device node, a FIFO, a directory).
void CheckOutput(const MergeArgs& args) {
  std::error_code ec;
  const std::filesystem::file_status st = std::filesystem::symlink_status(args.output, ec);
  if (ec || !std::filesystem::exists(st)) return;
  if (!std::filesystem::is_regular_file(st)) {
    Fail(InvalidArgument("--output '" + args.output +
                         "' exists and is not a regular file; the merge writes only regular files"));
  }
  if (!args.force) {
    Fail(AlreadyExists("--output '" + args.output + "' exists; add --force to replace it"));
  }
}

void Merge(const MergeArgs& args) {
  const auto method = ParseMergeMethod(args.method);
  if (!method)
    Fail(InvalidArgument("unknown merge method '" + args.method +
                         "'; expected mean, coordmedian or geomedian"));
  CheckOutput(args);
  std::vector<uint32_t> weights = args.weights;
  if (weights.empty()) weights.assign(args.inputs.size(), 1);
  if (weights.size() != args.inputs.size()) {
    Fail(InvalidArgument("got " + std::to_string(weights.size()) + " weights for " +
                         std::to_string(args.inputs.size()) + " inputs; give one weight per input or none"));
  }
  std::vector<Model> models;
  for (const std::string& path : args.inputs) {
    auto m = ReadModelFile(path);
    if (!m.ok()) Fail(m.status());
    models.push_back(std::move(m).value());
  }
  std::vector<const Model*> ptrs;
  for (const Model& m : models) ptrs.push_back(&m);
  MergeOptions options;
  options.method = *method;
  options.threads = args.threads;
  MergeReport report;
  const auto start = std::chrono::steady_clock::now();
  auto merged = MergeModels(ptrs, weights, options, &report);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!merged.ok()) Fail(merged.status());
  auto digest = WriteModelFile(*merged, args.output);
  if (!digest.ok()) Fail(digest.status());
  std::printf("merged %zu models with %s in %.3f s", models.size(), args.method.c_str(), seconds);
  if (*method == MergeMethod::kGeoMedian) {
    std::printf(" (%d iterations, %s, relative change %.3g)", report.iterations,
                report.converged ? "converged" : "stopped at the iteration limit", report.relative_change);
  }
  std::printf("\nwrote %s\nsha256: %s\n", args.output.c_str(), digest->Hex().c_str());
}

}  // namespace

void AddModelCommand(CLI::App& app) {
  CLI::App* model = app.add_subcommand("model", "Inspect, verify and merge model blobs");
  model->require_subcommand(1);

  auto path = std::make_shared<std::string>();
  CLI::App* info = model->add_subcommand("info", "Check a blob completely and print its digest and tensors");
  info->add_option("blob", *path, "Path of the model blob")->required()->check(CLI::ExistingFile);
  info->callback([path] { Info(*path); });

  auto args = std::make_shared<MergeArgs>();
  CLI::App* merge = model->add_subcommand("merge", "Merge model blobs of one schema into a new blob");
  merge->add_option("--method", args->method, "mean, coordmedian or geomedian")->capture_default_str();
  merge->add_option("--weights", args->weights, "One integer weight in 1..100 per input (default: all 1)")
      ->delimiter(',');
  merge->add_option("-o,--output", args->output, "Path of the merged blob")->required();
  merge->add_flag("--force", args->force, "Replace --output if it exists (a regular file only)");
  merge->add_option("--threads", args->threads, "Threads to merge with (0: all cores)")
      ->capture_default_str();
  merge->add_option("inputs", args->inputs, "Input blobs")->required()->check(CLI::ExistingFile);
  merge->callback([args] { Merge(*args); });
}

}  // namespace swarm::cli
