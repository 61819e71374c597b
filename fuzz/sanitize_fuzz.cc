// Fuzzes what rewrites objects on their way out: the sanitizer with every step on (RE2 text
// rules, pattern rewriting, Boost.JSON edits, SCO ids), victims' identities, places and host
// names included (a fixed directory, so the seeds can name them), and granular redaction with
// selectors taken from the input. Any crash, hang, leak or UB report is a bug; so is a rewritten
// object that the validator would reject (both promise valid STIX or nothing).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "policy/redact.h"
#include "sanitize/sanitizer.h"
#include "stix/json_reader.h"
#include "stix/validator.h"

namespace {

// One victim organisation, its plant, its web host and an internal address: ids the seeds use.
class FixedVictims final : public ctihub::sanitize::VictimDirectory {
 public:
  std::optional<ctihub::sanitize::VictimFacts> Find(std::string_view id) const override {
    if (id != "identity--acae0001-0000-4000-8000-00000000000a") return std::nullopt;
    return ctihub::sanitize::VictimFacts{"organization", {"energy"}, {"DE"}, {}};
  }
  bool IsVictimPlace(std::string_view id) const override {
    return id == "location--10ca0001-0000-4000-8000-000000000001";
  }
  bool IsVictimArea(std::string_view id) const override {
    return id == "location--10ca0002-0000-4000-8000-000000000002";
  }
  std::optional<std::string> ReferencedText(std::string_view id) const override {
    if (id == "domain-name--3c10e93f-798e-5a26-a0c1-08156efab7f5") {
      return std::string(
          R"({"type":"domain-name","spec_version":"2.1","id":"domain-name--3c10e93f-798e-5a26-a0c1-08156efab7f5","value":"mail.ministry.example"})");
    }
    if (id == "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd") {
      return std::string(
          R"({"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd","value":"10.0.0.1"})");
    }
    return std::nullopt;
  }
  bool Holds(std::string_view id) const override { return ReferencedText(id).has_value(); }
  std::vector<std::string> IdsStartingWith(std::string_view prefix, size_t max) const override {
    std::vector<std::string> out;
    for (const char* id : {"identity--acae0001-0000-4000-8000-00000000000a",
                           "location--10ca0001-0000-4000-8000-000000000001",
                           "location--10ca0002-0000-4000-8000-000000000002",
                           "domain-name--3c10e93f-798e-5a26-a0c1-08156efab7f5",
                           "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd"}) {
      if (std::string_view(id).starts_with(prefix) && out.size() < max) out.emplace_back(id);
    }
    return out;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const ctihub::sanitize::Sanitizer* sanitizer = [] {
    ctihub::sanitize::SanitizeProfile p;
    p.name = "fuzz";
    p.internal_addresses = p.victims = p.pseudonymise = p.personal_data = p.defang = true;
    p.pseudonymise_sources = true;
    p.key = "fuzzing-community-key";
    p.node_identity = "identity--d3d3c1b1-8ba4-4ba4-b1a4-2b7c0c3a9b1e";
    p.victim_domains = {"ministry.example"};
    return new ctihub::sanitize::Sanitizer(p);
  }();
  static const FixedVictims victims;
  static ctihub::stix::Validator* validator = new ctihub::stix::Validator();
  auto valid = [](const std::string& text) {
    ctihub::stix::RawObject raw;
    raw.text = text;
    return validator->ValidateObject(raw, [](const ctihub::stix::Finding&) {}) == 0;
  };
  std::string input(reinterpret_cast<const char*>(data), size);
  ctihub::sanitize::Sanitized out = sanitizer->Apply(input, &victims);
  if (!out.dropped && out.changed && !valid(out.text)) std::abort();
  // First line: comma-separated selectors; the rest: the object to redact.
  size_t newline = input.find('\n');
  if (newline != std::string::npos) {
    std::vector<std::string> selectors;
    std::string_view list(input.data(), newline);
    while (!list.empty()) {
      size_t comma = list.find(',');
      selectors.emplace_back(list.substr(0, comma));
      list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    }
    auto redacted = ctihub::policy::Redact(std::string_view(input).substr(newline + 1), selectors);
    if (redacted.ok() && redacted->valid && !valid(redacted->text)) std::abort();
  }
  return 0;
}
