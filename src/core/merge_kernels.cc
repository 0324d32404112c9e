// Per-block kernels of the merge methods. Each public kernel is compiled twice,
// for AVX2 and for baseline x86-64, and the loader picks one per CPU (target_clones),
// so one binary runs everywhere and uses wide vectors where they exist.

#include <algorithm>
#include <array>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <numeric>
#include <utility>

#include "core/merge_internal.h"

// The vector helpers below are always inlined into their kernel, so the ABI of passing
// 32-byte vectors in the baseline build never applies.
#pragma GCC diagnostic ignored "-Wpsabi"

#if defined(__x86_64__)
#define SWARM_KERNEL __attribute__((target_clones("avx2", "default")))
#else
#define SWARM_KERNEL
#endif
#define SWARM_INLINE inline __attribute__((always_inline))

namespace swarm::merge_internal {
namespace {

// Batcher's odd-even merge sort for the next power of two, without the comparators
// that touch a position >= n: those positions would hold +infinity padding, which no
// comparator ever moves, so the rest sorts the first n positions. Calls f(a, b) for
// each comparator in order.
template <typename F>
constexpr void ForEachComparator(size_t n, F&& f) {
  size_t p2 = 1;
  while (p2 < n) p2 *= 2;
  for (size_t p = 1; p < p2; p *= 2) {
    for (size_t k = p; k >= 1; k /= 2) {
      for (size_t j = k % p; j + k < p2; j += 2 * k) {
        for (size_t i = 0; i < std::min(k, p2 - j - k); ++i) {
          const size_t a = i + j, b = i + j + k;
          if (a / (2 * p) == b / (2 * p) && b < n) f(a, b);
        }
      }
    }
  }
}

template <size_t N>
constexpr auto FixedNetwork() {
  constexpr size_t kSize = [] {
    size_t c = 0;
    ForEachComparator(N, [&](size_t, size_t) { ++c; });
    return c;
  }();
  std::array<std::pair<uint16_t, uint16_t>, kSize> net{};
  size_t c = 0;
  ForEachComparator(N, [&](size_t a, size_t b) {
    net[c++] = {static_cast<uint16_t>(a), static_cast<uint16_t>(b)};
  });
  return net;
}

typedef float V4f __attribute__((vector_size(16)));
typedef double V4d __attribute__((vector_size(32)));

constexpr size_t kPrefetchBytes = 512;  // measured best of 256..4096 at N = 4 and 16

// Loads 4 elements as f64.
SWARM_INLINE V4d Load4(const float* p) {
  V4f v;
  std::memcpy(&v, p, sizeof(v));
  return __builtin_convertvector(v, V4d);
}
SWARM_INLINE V4d Load4(const double* p) {
  V4d v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
SWARM_INLINE void Store4(float* p, V4d v) {
  const V4f f = __builtin_convertvector(v, V4f);
  std::memcpy(p, &f, sizeof(f));
}
SWARM_INLINE void Store4(double* p, V4d v) { std::memcpy(p, &v, sizeof(v)); }

// All inputs are read side by side, 8 coordinates at a time, with the sums in
// registers: every input is one sequential stream, which keeps the hardware
// prefetchers busy (a block-at-a-time loop over inputs restarts them per block).
template <typename T>
SWARM_INLINE bool MeanBody(const T* const* x, const double* w, size_t n, size_t count, T* out) {
  V4d check = {};  // a - a is 0 for finite a, NaN otherwise
  size_t j = 0;
  // Sums start at -0.0, the additive identity of IEEE arithmetic (+0.0 is not: it would
  // turn a single input's -0.0 into +0.0), so one input comes back bit for bit.
  constexpr V4d kZero = {-0.0, -0.0, -0.0, -0.0};
  for (; j + 16 <= count; j += 16) {
    V4d a0 = kZero, a1 = kZero, a2 = kZero, a3 = kZero;
    for (size_t i = 0; i < n; ++i) {
      const T* p = x[i] + j;
      // Many concurrent streams outrun the hardware prefetchers; ask ahead.
      __builtin_prefetch(p + kPrefetchBytes / sizeof(T));
      if constexpr (sizeof(T) == 8) __builtin_prefetch(p + kPrefetchBytes / sizeof(T) + 8);
      a0 += w[i] * Load4(p);
      a1 += w[i] * Load4(p + 4);
      a2 += w[i] * Load4(p + 8);
      a3 += w[i] * Load4(p + 12);
    }
    Store4(out + j, a0);
    Store4(out + j + 4, a1);
    Store4(out + j + 8, a2);
    Store4(out + j + 12, a3);
    check += (a0 - a0) + (a1 - a1) + (a2 - a2) + (a3 - a3);
  }
  double tail_check = 0;
  for (; j < count; ++j) {
    double a = -0.0;
    for (size_t i = 0; i < n; ++i) a += w[i] * x[i][j];
    out[j] = static_cast<T>(a);
    tail_check += a - a;
  }
  return check[0] == 0 && check[1] == 0 && check[2] == 0 && check[3] == 0 && tail_check == 0;
}

// Vector types for the sorting network: one register of 32 bytes.
typedef float V8f __attribute__((vector_size(32)));
typedef int V8i __attribute__((vector_size(32)));
typedef long long V4l __attribute__((vector_size(32)));

template <typename T>
struct Lanes;
template <>
struct Lanes<float> {
  using V = V8f;
  using M = V8i;
  static constexpr size_t kCount = 8;
};
template <>
struct Lanes<double> {
  using V = V4d;
  using M = V4l;
  static constexpr size_t kCount = 4;
};

// Weighted median of L coordinates at once (docs/merge.md): sort the n values of each
// lane with the network, carrying weights, then take the first sorted position whose
// cumulative weight reaches half the total; exactly half takes the midpoint with the next.
template <typename T>
SWARM_INLINE typename Lanes<T>::V MedianLanes(typename Lanes<T>::V* v, typename Lanes<T>::V* wv, size_t n,
                                              T total, const Network& net, bool equal) {
  using V = typename Lanes<T>::V;
  using M = typename Lanes<T>::M;
  if (equal) {
    for (auto [a, b] : net) {
      const V va = v[a], vb = v[b];
      const M m = vb < va;
      v[a] = m ? vb : va;
      v[b] = m ? va : vb;
    }
    if (n % 2 == 1) return v[n / 2];
    return v[n / 2 - 1] * T(0.5) + v[n / 2] * T(0.5);
  }
  for (auto [a, b] : net) {
    const V va = v[a], vb = v[b], wa = wv[a], wb = wv[b];
    const M m = vb < va;
    v[a] = m ? vb : va;
    v[b] = m ? va : vb;
    wv[a] = m ? wb : wa;
    wv[b] = m ? wa : wb;
  }
  const V half2 = V{} + total;  // compare 2*cumulative with the total: exact for integer weights
  V cum = {}, res = {};
  M found = {};
  for (size_t k = 0; k < n; ++k) {
    cum += wv[k];
    const V twice = cum + cum;
    const M reach = twice >= half2;
    const M over = twice > half2;
    const V mid = k + 1 < n ? v[k] * T(0.5) + v[k + 1] * T(0.5) : v[k];
    const V val = over ? v[k] : mid;
    res = (reach & ~found) ? val : res;
    found |= reach;
  }
  return res;
}

template <typename T>
SWARM_INLINE bool CoordMedianBody(const T* const* x, const T* w, size_t n, size_t count, T* out,
                                  const Network& net, bool equal) {
  using V = typename Lanes<T>::V;
  constexpr size_t L = Lanes<T>::kCount;
  V v[kMaxNetworkInputs], wv[kMaxNetworkInputs];
  const T total = std::accumulate(w, w + n, T(0));
  V check = {};  // x - x is 0 for finite x and NaN otherwise
  for (size_t j = 0; j < count; j += L) {
    const size_t lanes = std::min(L, count - j);
    for (size_t i = 0; i < n; ++i) {
      if (lanes == L) {
        std::memcpy(&v[i], x[i] + j, sizeof(V));
      } else {
        v[i] = V{};
        std::memcpy(&v[i], x[i] + j, lanes * sizeof(T));
      }
      check += v[i] - v[i];
      wv[i] = V{} + w[i];
    }
    const V r = MedianLanes<T>(v, wv, n, total, net, equal);
    std::memcpy(out + j, &r, lanes * sizeof(T));
  }
  for (size_t l = 0; l < L; ++l) {
    if (check[l] != 0) return false;
  }
  return true;
}

// The same with the input count known at compile time: the network unrolls and the
// values stay in registers. Used for the common swarm sizes.
inline constexpr size_t kMaxFixedInputs = 16;

template <typename T, size_t N, bool kEqual>
SWARM_INLINE bool CoordMedianFixed(const T* const* x, const T* w, size_t count, T* out) {
  using V = typename Lanes<T>::V;
  using M = typename Lanes<T>::M;
  constexpr size_t L = Lanes<T>::kCount;
  static constexpr auto kNet = FixedNetwork<N>();
  const T* xp[N];
  V wb[N];
  T total = 0;
  for (size_t i = 0; i < N; ++i) {
    xp[i] = x[i];
    wb[i] = V{} + w[i];
    total += w[i];
  }
  const V total_v = V{} + total;
  V check = {};
  for (size_t j = 0; j < count; j += L) {
    const size_t lanes = std::min(L, count - j);
    V v[N], wv[N];
#pragma GCC unroll 64
    for (size_t i = 0; i < N; ++i) {
      if (lanes == L) {
        std::memcpy(&v[i], xp[i] + j, sizeof(V));
      } else {
        v[i] = V{};
        std::memcpy(&v[i], xp[i] + j, lanes * sizeof(T));
      }
      check += v[i] - v[i];
      wv[i] = wb[i];
    }
#pragma GCC unroll 1024
    for (size_t c = 0; c < kNet.size(); ++c) {
      const size_t a = kNet[c].first, b = kNet[c].second;
      const V va = v[a], vb = v[b];
      const M m = vb < va;
      v[a] = m ? vb : va;
      v[b] = m ? va : vb;
      if constexpr (!kEqual) {
        const V wa = wv[a], wbb = wv[b];
        wv[a] = m ? wbb : wa;
        wv[b] = m ? wa : wbb;
      }
    }
    V res;
    if constexpr (kEqual) {
      res = N % 2 == 1 ? v[N / 2] : v[N / 2 - 1] * T(0.5) + v[N / 2] * T(0.5);
    } else {
      V cum = {};
      res = V{};
      M found = {};
#pragma GCC unroll 64
      for (size_t k = 0; k < N; ++k) {
        cum += wv[k];
        const V twice = cum + cum;
        const M reach = twice >= total_v;
        const M over = twice > total_v;
        V val = v[k];
        if (k + 1 < N) val = over ? v[k] : v[k] * T(0.5) + v[k + 1] * T(0.5);
        res = (reach & ~found) ? val : res;
        found |= reach;
      }
    }
    std::memcpy(out + j, &res, lanes * sizeof(T));
  }
  for (size_t l = 0; l < L; ++l) {
    if (check[l] != 0) return false;
  }
  return true;
}

// Calls the kernel for n = Ns + 1 inside the caller, so it is compiled for the
// caller's target (a function pointer would get the baseline build).
template <typename T, size_t... Ns>
SWARM_INLINE bool CoordMedianDispatch(std::index_sequence<Ns...>, const T* const* x, const T* w, size_t n,
                                      size_t count, T* out, bool equal) {
  bool ok = true;
  ((n == Ns + 1 ? (ok = equal ? CoordMedianFixed<T, Ns + 1, true>(x, w, count, out)
                              : CoordMedianFixed<T, Ns + 1, false>(x, w, count, out),
                   true)
                : false) ||
   ...);
  return ok;
}

// More inputs than the vector network handles: sort each coordinate's pairs.
template <typename T>
bool CoordMedianSorted(const T* const* x, const T* w, size_t n, size_t count, T* out) {
  const T total = std::accumulate(w, w + n, T(0));
  std::vector<std::pair<T, T>> p(n);
  for (size_t j = 0; j < count; ++j) {
    for (size_t i = 0; i < n; ++i) {
      if (!std::isfinite(x[i][j])) return false;
      p[i] = {x[i][j], w[i]};
    }
    std::sort(p.begin(), p.end());
    T cum = 0;
    for (size_t k = 0; k < n; ++k) {
      cum += p[k].second;
      if (cum + cum < total) continue;
      out[j] = (cum + cum > total || k + 1 == n) ? p[k].first : p[k].first * T(0.5) + p[k + 1].first * T(0.5);
      break;
    }
  }
  return true;
}

template <typename T>
SWARM_INLINE bool GeoPassBody(const T* const* x, const double* c, size_t n, size_t count, const T* y_cur,
                              T* y_next, double* acc, double* sums) {
  for (size_t j = 0; j < count; ++j) acc[j] = c[0] * x[0][j];
  for (size_t i = 1; i < n; ++i) {
    const T* xi = x[i];
    const double ci = c[i];
    for (size_t j = 0; j < count; ++j) acc[j] += ci * xi[j];
  }
  int bad = 0;
  double change = 0, norm = 0;
  if (y_cur != nullptr) {
#pragma omp simd reduction(+ : change, norm) reduction(| : bad)
    for (size_t j = 0; j < count; ++j) {
      const T y = static_cast<T>(acc[j]);
      y_next[j] = y;
      const double d = static_cast<double>(y) - y_cur[j];
      change += d * d;
      norm += static_cast<double>(y) * y;
      bad |= !(std::fabs(acc[j]) <= DBL_MAX);
    }
  } else {
#pragma omp simd reduction(+ : norm) reduction(| : bad)
    for (size_t j = 0; j < count; ++j) {
      const T y = static_cast<T>(acc[j]);
      y_next[j] = y;
      norm += static_cast<double>(y) * y;
      bad |= !(std::fabs(acc[j]) <= DBL_MAX);
    }
  }
  sums[n] += change;
  sums[n + 1] += norm;
  for (size_t i = 0; i < n; ++i) {
    const T* xi = x[i];
    double s = 0;
#pragma omp simd reduction(+ : s)
    for (size_t j = 0; j < count; ++j) {
      const double d = static_cast<double>(xi[j]) - y_next[j];
      s += d * d;
    }
    sums[i] += s;
  }
  return bad == 0;
}

template <typename T>
SWARM_INLINE void GeoDistanceBody(const T* const* x, size_t n, size_t count, const T* y, double* sums) {
  for (size_t i = 0; i < n; ++i) {
    const T* xi = x[i];
    double s = 0;
#pragma omp simd reduction(+ : s)
    for (size_t j = 0; j < count; ++j) {
      const double d = static_cast<double>(xi[j]) - y[j];
      s += d * d;
    }
    sums[i] += s;
  }
}

// Pairwise squared distances. Differences are taken in the input type (exact when
// models are close, which is the usual case), squared and summed in vectors over
// at most kPairBlock coordinates, then added to the f64 totals. Sub-blocks keep every
// input's slice in L1 while all pairs are visited.
inline constexpr size_t kPairBlock = 512;

template <typename T>
SWARM_INLINE void GeoPairBody(const T* const* x, size_t n, size_t count, double* sums) {
  using V = typename Lanes<T>::V;
  constexpr size_t L = Lanes<T>::kCount;
  for (size_t s0 = 0; s0 < count; s0 += kPairBlock) {
    const size_t len = std::min(kPairBlock, count - s0);
    size_t p = 0;
    for (size_t j = 0; j < n; ++j) {
      for (size_t l = j + 1; l < n; ++l, ++p) {
        const T* a = x[j] + s0;
        const T* b = x[l] + s0;
        V acc[4] = {};
        size_t t = 0;
        for (; t + 4 * L <= len; t += 4 * L) {
#pragma GCC unroll 4
          for (size_t u = 0; u < 4; ++u) {
            V va, vb;
            std::memcpy(&va, a + t + u * L, sizeof(V));
            std::memcpy(&vb, b + t + u * L, sizeof(V));
            const V d = va - vb;
            acc[u] += d * d;
          }
        }
        const V all = (acc[0] + acc[1]) + (acc[2] + acc[3]);
        double s = 0;
        for (size_t k = 0; k < L; ++k) s += all[k];
        for (; t < len; ++t) {
          const double d = static_cast<double>(a[t]) - b[t];
          s += d * d;
        }
        sums[p] += s;
      }
    }
  }
}

}  // namespace

SWARM_KERNEL void GeoPairBlock(const float* const* x, size_t n, size_t count, double* sums) {
  GeoPairBody(x, n, count, sums);
}
SWARM_KERNEL void GeoPairBlock(const double* const* x, size_t n, size_t count, double* sums) {
  GeoPairBody(x, n, count, sums);
}

SWARM_KERNEL bool MeanBlock(const float* const* x, const double* w, size_t n, size_t count, float* out) {
  return MeanBody(x, w, n, count, out);
}
SWARM_KERNEL bool MeanBlock(const double* const* x, const double* w, size_t n, size_t count, double* out) {
  return MeanBody(x, w, n, count, out);
}

SWARM_KERNEL bool CoordMedianBlock(const float* const* x, const float* w, size_t n, size_t count, float* out,
                                   const Network& net, bool equal) {
  if (n <= kMaxFixedInputs) {
    return CoordMedianDispatch(std::make_index_sequence<kMaxFixedInputs>(), x, w, n, count, out, equal);
  }
  if (n > kMaxNetworkInputs) return CoordMedianSorted(x, w, n, count, out);
  return CoordMedianBody(x, w, n, count, out, net, equal);
}
SWARM_KERNEL bool CoordMedianBlock(const double* const* x, const double* w, size_t n, size_t count,
                                   double* out, const Network& net, bool equal) {
  if (n <= kMaxFixedInputs) {
    return CoordMedianDispatch(std::make_index_sequence<kMaxFixedInputs>(), x, w, n, count, out, equal);
  }
  if (n > kMaxNetworkInputs) return CoordMedianSorted(x, w, n, count, out);
  return CoordMedianBody(x, w, n, count, out, net, equal);
}

SWARM_KERNEL bool GeoPassBlock(const float* const* x, const double* c, size_t n, size_t count,
                               const float* y_cur, float* y_next, double* acc, double* sums) {
  return GeoPassBody(x, c, n, count, y_cur, y_next, acc, sums);
}
SWARM_KERNEL bool GeoPassBlock(const double* const* x, const double* c, size_t n, size_t count,
                               const double* y_cur, double* y_next, double* acc, double* sums) {
  return GeoPassBody(x, c, n, count, y_cur, y_next, acc, sums);
}
SWARM_KERNEL void GeoDistanceBlock(const float* const* x, size_t n, size_t count, const float* y,
                                   double* sums) {
  GeoDistanceBody(x, n, count, y, sums);
}
SWARM_KERNEL void GeoDistanceBlock(const double* const* x, size_t n, size_t count, const double* y,
                                   double* sums) {
  GeoDistanceBody(x, n, count, y, sums);
}

Network SortingNetwork(size_t n) {
  Network net;
  ForEachComparator(
      n, [&](size_t a, size_t b) { net.emplace_back(static_cast<uint16_t>(a), static_cast<uint16_t>(b)); });
  return net;
}

}  // namespace swarm::merge_internal
