#include "stix/markings.h"

namespace ctihub::stix {
namespace {

// Ids from STIX 2.1 §7.2.1.4 (TLP 1.0) and oasis-open/cti-stix-common-objects (TLP 2.0); see
// shared/docs/POLICY.md §1.2 for the alias.
constexpr TlpMarking kTlpMarkings[] = {
    {"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", 1, TlpLevel::kClear, "white", "WHITE"},
    {"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", 1, TlpLevel::kGreen, "green", "GREEN"},
    {"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", 1, TlpLevel::kAmber, "amber", "AMBER"},
    {"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", 1, TlpLevel::kRed, "red", "RED"},
    {"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", 2, TlpLevel::kClear, "clear", "CLEAR"},
    {"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", 2, TlpLevel::kGreen, "green", "GREEN"},
    {"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", 2, TlpLevel::kAmber, "amber", "AMBER"},
    {"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", 2, TlpLevel::kAmberStrict, "amber+strict", "AMBER+STRICT"},
    {"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", 2, TlpLevel::kRed, "red", "RED"},
    // OpenCTI's AMBER+STRICT (not an OASIS id; connectors#5740).
    {"marking-definition--826578e1-40ad-459f-bc73-ede076f81f37", 0, TlpLevel::kAmberStrict, "amber+strict", "AMBER+STRICT"},
};

}  // namespace

const TlpMarking* FindTlpMarking(std::string_view id) {
  for (const TlpMarking& m : kTlpMarkings) {
    if (m.id == id) return &m;
  }
  return nullptr;
}

const TlpMarking& Tlp20Marking(TlpLevel level) {
  for (const TlpMarking& m : kTlpMarkings) {
    if (m.version == 2 && m.level == level) return m;
  }
  return kTlpMarkings[4];  // unreachable: every level has a TLP 2.0 marking
}

}  // namespace ctihub::stix
