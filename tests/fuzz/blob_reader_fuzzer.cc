// Any bytes as a model blob: the reader either gives a model whose blob it would write back
// byte for byte, or an error; never a crash, a hang or an allocation the bytes do not back.

#include <cstddef>
#include <cstdint>
#include <span>

#include "core/blob_reader.h"
#include "core/blob_writer.h"
#include "core/byte_stream.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  swarm::SpanSource source(bytes);
  auto model = swarm::ReadModel(&source);
  if (!model.ok()) return 0;
  swarm::VectorSink sink;
  if (!swarm::WriteModel(*model, &sink).ok()) __builtin_trap();  // a model read back must write
  if (sink.bytes().size() != size) __builtin_trap();               // and be the same blob
  return 0;
}
