#pragma once

// Model schemas on the ledger (swarm.v1.ModelSchema) and in blob files (core ModelSchema):
// a contribution names its schema, and a node whose model differs from the training's is
// told the first difference before it checks in (docs/rounds.md).

#include <filesystem>

#include "core/model.h"
#include "swarm/v1/model.pb.h"

namespace swarm::sl {

swarm::v1::ModelSchema ToProto(const ModelSchema& schema);
ModelSchema FromProto(const swarm::v1::ModelSchema& schema);
// The schema in the header of a blob file.
StatusOr<ModelSchema> ReadBlobSchema(const std::filesystem::path& path);

}  // namespace swarm::sl
