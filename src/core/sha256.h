#pragma once

// SHA-256 over a stream of bytes (OpenSSL). A blob's digest is its name.

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace swarm {

struct Digest {
  std::array<uint8_t, 32> bytes{};

  std::string Hex() const;
  static std::optional<Digest> FromHex(std::string_view hex);
  // The 32 raw bytes, as protobuf `bytes` fields and the ledger carry them.
  std::string_view view() const { return {reinterpret_cast<const char*>(bytes.data()), bytes.size()}; }
  static std::optional<Digest> FromBytes(std::string_view raw);
  bool operator==(const Digest&) const = default;
};

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(std::span<const std::byte> bytes);
  // Ends the stream; the object must not be updated afterwards.
  Digest Finish();

  static Digest Of(std::span<const std::byte> bytes);

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

}  // namespace swarm
