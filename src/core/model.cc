#include "core/model.h"

#include <algorithm>
#include <limits>
#include <set>
#include <sstream>

namespace swarm {

uint64_t TensorSpec::NumElements() const {
  uint64_t n = 1;
  for (uint64_t d : shape) n *= d;
  return n;
}

std::string TensorSpec::ToString() const {
  std::ostringstream out;
  out << "'" << name << "' " << DTypeName(dtype) << "[";
  for (size_t i = 0; i < shape.size(); ++i) out << (i ? "," : "") << shape[i];
  out << "]";
  return out.str();
}

namespace {

// Position of the first byte that makes `name` other than well-formed UTF-8 without
// control characters (names are printed in messages and logs), or name.size().
size_t FirstBadNameByte(std::string_view name) {
  const auto* s = reinterpret_cast<const unsigned char*>(name.data());
  for (size_t i = 0; i < name.size();) {
    const unsigned char c = s[i];
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7f) return i;
      ++i;
      continue;
    }
    // Lead byte: length and the smallest code point it may encode (rejects overlong forms).
    size_t len = 0;
    uint32_t min = 0;
    if ((c & 0xe0) == 0xc0) {
      len = 2;
      min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3;
      min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4;
      min = 0x10000;
    } else {
      return i;
    }
    if (i + len > name.size()) return i;
    uint32_t cp = c & (0x7fu >> len);
    for (size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xc0) != 0x80) return i;
      cp = (cp << 6) | (s[i + k] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += len;
  }
  return name.size();
}

}  // namespace

Status ValidateSchema(const ModelSchema& schema) {
  std::set<std::string_view> names;
  for (size_t i = 0; i < schema.size(); ++i) {
    const TensorSpec& t = schema[i];
    const std::string where = "tensor " + std::to_string(i);
    if (t.name.empty()) return InvalidArgument(where + " has an empty name; expected a non-empty name");
    if (const size_t bad = FirstBadNameByte(t.name); bad != t.name.size()) {
      return InvalidArgument(where + " name has an invalid byte at position " + std::to_string(bad) +
                             "; expected UTF-8 text without control characters");
    }
    if (t.name.size() > kMaxTensorNameBytes) {
      return InvalidArgument(where + " name is " + std::to_string(t.name.size()) +
                             " bytes; expected at most " + std::to_string(kMaxTensorNameBytes));
    }
    if (!names.insert(t.name).second) {
      return InvalidArgument(where + " '" + t.name + "' repeats an earlier name; names must be unique");
    }
    if (t.shape.size() > kMaxTensorRank) {
      return InvalidArgument(where + " '" + t.name + "' has rank " + std::to_string(t.shape.size()) +
                             "; expected at most " + std::to_string(kMaxTensorRank));
    }
    // Guard the element count against overflow: no model has 2^60 elements. An empty
    // tensor (a zero dimension) has none, whatever its other dimensions.
    if (std::find(t.shape.begin(), t.shape.end(), 0) == t.shape.end()) {
      uint64_t n = 1;
      for (uint64_t d : t.shape) {
        if (n > (uint64_t{1} << 60) / d) {
          return InvalidArgument(where + " " + t.ToString() + " is too large (over 2^60 elements)");
        }
        n *= d;
      }
    }
  }
  return Status::Ok();
}

Status CompareSchemas(const ModelSchema& a, const ModelSchema& b, const std::string& a_label,
                      const std::string& b_label) {
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    if (a[i] == b[i]) continue;
    return InvalidArgument("schema mismatch at tensor " + std::to_string(i) + ": " + a_label + " has " +
                           a[i].ToString() + ", " + b_label + " has " + b[i].ToString());
  }
  if (a.size() != b.size()) {
    const ModelSchema& longer = a.size() > b.size() ? a : b;
    return InvalidArgument("schema mismatch at tensor " + std::to_string(n) + ": " + a_label + " has " +
                           std::to_string(a.size()) + " tensors, " + b_label + " has " +
                           std::to_string(b.size()) + " (first extra tensor " + longer[n].ToString() + ")");
  }
  return Status::Ok();
}

uint64_t TotalElements(const ModelSchema& schema) {
  uint64_t n = 0;
  for (const TensorSpec& t : schema) n += t.NumElements();
  return n;
}

Model::Model(const ModelSchema& schema) {
  tensors_.reserve(schema.size());
  for (const TensorSpec& spec : schema) tensors_.push_back(Tensor{spec, AlignedBuffer(spec.NumBytes())});
}

Model Model::Clone() const {
  Model copy;
  copy.tensors_.reserve(tensors_.size());
  for (const Tensor& t : tensors_) copy.tensors_.push_back(Tensor{t.spec, t.data.Clone()});
  return copy;
}

ModelSchema Model::schema() const {
  ModelSchema s;
  s.reserve(tensors_.size());
  for (const Tensor& t : tensors_) s.push_back(t.spec);
  return s;
}

uint64_t Model::NumBytes() const {
  uint64_t n = 0;
  for (const Tensor& t : tensors_) n += t.data.size();
  return n;
}

}  // namespace swarm
