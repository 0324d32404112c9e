#include "sl/model_schema.h"

#include "core/blob_reader.h"
#include "core/byte_stream.h"

namespace swarm::sl {

swarm::v1::ModelSchema ToProto(const ModelSchema& schema) {
  swarm::v1::ModelSchema out;
  for (const TensorSpec& t : schema) {
    auto* p = out.add_tensors();
    p->set_name(t.name);
    p->set_dtype(static_cast<swarm::v1::DType>(t.dtype));  // same numbers (core/dtype.h)
    for (uint64_t d : t.shape) p->add_shape(d);
  }
  return out;
}

ModelSchema FromProto(const swarm::v1::ModelSchema& schema) {
  ModelSchema out;
  for (const auto& p : schema.tensors()) {
    out.push_back({p.name(), static_cast<DType>(p.dtype()), {p.shape().begin(), p.shape().end()}});
  }
  return out;
}

StatusOr<ModelSchema> ReadBlobSchema(const std::filesystem::path& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<FileSource> source, FileSource::Open(path.string()));
  BlobReader reader(source.get());
  RETURN_IF_ERROR(reader.Open().WithContext(path.string()));
  return reader.schema();
}

}  // namespace swarm::sl
