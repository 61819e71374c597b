// stix/markings: the well-known marking-definitions — TLP 1.0 (STIX 2.1 §7.2.1.4), TLP 2.0 (the
// OASIS property extension), and known non-standard aliases seen in the wild (OpenCTI's
// AMBER+STRICT id). The policy module builds labels on top of this table.
//
//   if (const TlpMarking* tlp = FindTlpMarking(ref)) level = tlp->level;
#pragma once

#include <string_view>

namespace ctihub::stix {

enum class TlpLevel : unsigned char { kClear = 0, kGreen, kAmber, kAmberStrict, kRed };

struct TlpMarking {
  std::string_view id;
  int version;              // 1 = TLP 1.0, 2 = TLP 2.0, 0 = a non-standard alias
  TlpLevel level;
  std::string_view colour;  // definition.tlp (1.0) or tlp_2_0 (2.0) value
  std::string_view name;    // upper-case label without "TLP:", e.g. "AMBER+STRICT"
};

inline constexpr std::string_view kTlp20ExtensionId =
    "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d";

// nullptr when `id` is not a known TLP marking id.
const TlpMarking* FindTlpMarking(std::string_view id);

// The OASIS TLP 2.0 marking-definition of `level`.
const TlpMarking& Tlp20Marking(TlpLevel level);

}  // namespace ctihub::stix
