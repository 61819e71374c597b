// generate/internal/random: the generator's pseudo-random numbers — a fixed, documented algorithm
// so that a seed yields byte-identical output on every platform and compiler.
//
// xoshiro256** 1.0 (Blackman & Vigna, https://prng.di.unimi.it/xoshiro256starstar.c) seeded by
// four outputs of splitmix64 (https://prng.di.unimi.it/splitmix64.c). Integers in [0, n) come
// from the high 64 bits of the 128-bit product Next() * n (Lemire's multiply-shift); its bias is
// below n / 2^64, irrelevant here, and unlike std::uniform_int_distribution it is fully specified.
//
//   Rng rng(42);
//   uint64_t die = rng.Below(6) + 1;
//   if (rng.Percent(30)) { ... }
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace ctihub::generate::internal {

inline uint64_t SplitMix64(uint64_t* state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

class Rng {
 public:
  explicit Rng(uint64_t seed) {
    uint64_t x = seed;
    for (uint64_t& s : s_) s = SplitMix64(&x);
  }

  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }

  // An integer in [0, n); 0 when n is 0.
  uint64_t Below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >> 64);
  }
  // An integer in [lo, hi]. Precondition: lo <= hi.
  int64_t Between(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(Below(static_cast<uint64_t>(hi - lo) + 1));
  }
  // True with probability percent / 100.
  bool Percent(uint32_t percent) { return Below(100) < percent; }
  // True with probability permille / 1000.
  bool Permille(uint32_t permille) { return Below(1000) < permille; }

  template <typename T>
  const T& Pick(std::span<const T> items) {
    return items[Below(items.size())];
  }
  template <typename T, size_t N>
  const T& Pick(const T (&items)[N]) {
    return items[Below(N)];
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

// Index into `weights` drawn with probability proportional to each weight. Precondition: the sum
// is positive.
inline size_t PickWeighted(Rng& rng, std::span<const uint32_t> weights) {
  uint64_t total = 0;
  for (uint32_t w : weights) total += w;
  uint64_t x = rng.Below(total);
  for (size_t i = 0; i < weights.size(); ++i) {
    if (x < weights[i]) return i;
    x -= weights[i];
  }
  return weights.size() - 1;
}

}  // namespace ctihub::generate::internal
