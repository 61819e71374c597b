// Fuzzes the STIX pattern parser and the ToString/Explain round trip.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "pattern/parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = ctihub::pattern::ParsePattern(text);
  if (!parsed.ok()) return 0;
  // Whatever parses must print as a pattern that parses again to the same text.
  std::string printed = parsed->ToString();
  auto again = ctihub::pattern::ParsePattern(printed);
  if (!again.ok() || again->ToString() != printed) std::abort();
  (void)ctihub::pattern::ExplainPattern(*parsed);
  return 0;
}
