// app/wording: counts in plain English for the text summaries ("1 object", "2 objects").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ctihub::app {

// "1 object", "0 objects", "3 new versions"; `plural` defaults to `singular` + "s".
inline std::string Count(uint64_t n, std::string_view singular, std::string_view plural = {}) {
  std::string out = std::to_string(n) + ' ';
  if (n == 1) return out.append(singular);
  if (plural.empty()) return out.append(singular).append("s");
  return out.append(plural);
}

}  // namespace ctihub::app
