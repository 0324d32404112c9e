// Per-block kernels of the merge methods. Each public kernel is compiled twice,
// for AVX2 and for baseline x86-64, and the loader picks one per CPU (target_clones),
// so one binary runs everywhere and uses wide vectors where they exist.

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <numeric>

#include "core/merge_internal.h"

#if defined(__x86_64__)
#define SWARM_KERNEL __attribute__((target_clones("avx2", "default")))
#else
#define SWARM_KERNEL
#endif
#define SWARM_INLINE inline __attribute__((always_inline))

namespace swarm::merge_internal {
namespace {

template <typename T>
SWARM_INLINE bool MeanBody(const T* const* x, const double* w, size_t n, size_t count, T* out, double* acc) {
  const T* last = x[n - 1];
  const double wl = w[n - 1];
  int bad = 0;
  if (n == 1) {
    for (size_t j = 0; j < count; ++j) {
      const double r = wl * last[j];
      out[j] = static_cast<T>(r);
      bad |= !(std::fabs(r) <= DBL_MAX);
    }
    return bad == 0;
  }
  const T* first = x[0];
  const double w0 = w[0];
  for (size_t j = 0; j < count; ++j) acc[j] = w0 * first[j];
  for (size_t i = 1; i + 1 < n; ++i) {
    const T* xi = x[i];
    const double wi = w[i];
    for (size_t j = 0; j < count; ++j) acc[j] += wi * xi[j];
  }
  for (size_t j = 0; j < count; ++j) {
    const double r = acc[j] + wl * last[j];
    out[j] = static_cast<T>(r);
    bad |= !(std::fabs(r) <= DBL_MAX);  // true for inf and NaN
  }
  return bad == 0;
}

// Vector types for the sorting network: one register of 32 bytes.
typedef float V8f __attribute__((vector_size(32)));
typedef int V8i __attribute__((vector_size(32)));
typedef double V4d __attribute__((vector_size(32)));
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

template <typename T>
SWARM_INLINE void GeoPairBody(const T* const* x, size_t n, size_t count, double* sums) {
  size_t p = 0;
  for (size_t j = 0; j < n; ++j) {
    for (size_t l = j + 1; l < n; ++l, ++p) {
      const T* a = x[j];
      const T* b = x[l];
      double s = 0;
#pragma omp simd reduction(+ : s)
      for (size_t t = 0; t < count; ++t) {
        const double d = static_cast<double>(a[t]) - b[t];
        s += d * d;
      }
      sums[p] += s;
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

SWARM_KERNEL bool MeanBlock(const float* const* x, const double* w, size_t n, size_t count, float* out,
                            double* acc) {
  return MeanBody(x, w, n, count, out, acc);
}
SWARM_KERNEL bool MeanBlock(const double* const* x, const double* w, size_t n, size_t count, double* out,
                            double* acc) {
  return MeanBody(x, w, n, count, out, acc);
}

SWARM_KERNEL bool CoordMedianBlock(const float* const* x, const float* w, size_t n, size_t count, float* out,
                                   const Network& net, bool equal) {
  if (n > kMaxNetworkInputs) return CoordMedianSorted(x, w, n, count, out);
  return CoordMedianBody(x, w, n, count, out, net, equal);
}
SWARM_KERNEL bool CoordMedianBlock(const double* const* x, const double* w, size_t n, size_t count,
                                   double* out, const Network& net, bool equal) {
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

// Batcher's odd-even merge sort for the next power of two, without the comparators
// that touch a position >= n: those positions would hold +infinity padding, which no
// comparator ever moves, so the rest sorts the first n positions.
Network SortingNetwork(size_t n) {
  Network net;
  size_t p2 = 1;
  while (p2 < n) p2 *= 2;
  for (size_t p = 1; p < p2; p *= 2) {
    for (size_t k = p; k >= 1; k /= 2) {
      for (size_t j = k % p; j + k < p2; j += 2 * k) {
        for (size_t i = 0; i < std::min(k, p2 - j - k); ++i) {
          const size_t a = i + j, b = i + j + k;
          if (a / (2 * p) == b / (2 * p) && b < n) {
            net.emplace_back(static_cast<uint16_t>(a), static_cast<uint16_t>(b));
          }
        }
      }
    }
  }
  return net;
}

}  // namespace swarm::merge_internal
