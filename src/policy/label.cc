#include "policy/label.h"

#include <algorithm>
#include <cctype>

namespace ctihub::policy {
namespace {

struct LevelName {
  std::string_view name;  // normalised: lower case, spaces and underscores as '-'
  Classification level;
};

// The scale's own names first, then NATO (AC/35-D/2002), EU (Council Decision 2013/488/EU),
// and common national equivalents of member states. Anything else is an error, never a guess.
constexpr LevelName kLevelNames[] = {
    {"public", Classification::kPublic},
    {"unclassified", Classification::kUnclassified},
    {"restricted", Classification::kRestricted},
    {"confidential", Classification::kConfidential},
    {"secret", Classification::kSecret},
    {"top-secret", Classification::kTopSecret},
    {"nato-unclassified", Classification::kUnclassified},
    {"nato-restricted", Classification::kRestricted},
    {"nato-confidential", Classification::kConfidential},
    {"nato-secret", Classification::kSecret},
    {"cosmic-top-secret", Classification::kTopSecret},
    {"eu-restricted", Classification::kRestricted},
    {"restreint-ue", Classification::kRestricted},
    {"restreint-ue/eu-restricted", Classification::kRestricted},
    {"eu-confidential", Classification::kConfidential},
    {"confidentiel-ue", Classification::kConfidential},
    {"confidentiel-ue/eu-confidential", Classification::kConfidential},
    {"eu-secret", Classification::kSecret},
    {"secret-ue", Classification::kSecret},
    {"secret-ue/eu-secret", Classification::kSecret},
    {"eu-top-secret", Classification::kTopSecret},
    {"tres-secret-ue", Classification::kTopSecret},
    {"très-secret-ue", Classification::kTopSecret},
    {"tres-secret-ue/eu-top-secret", Classification::kTopSecret},
    {"très-secret-ue/eu-top-secret", Classification::kTopSecret},
    {"vs-nfd", Classification::kRestricted},               // DE
    {"vs-vertraulich", Classification::kConfidential},     // DE
    {"geheim", Classification::kSecret},                   // DE
    {"streng-geheim", Classification::kTopSecret},         // DE
    {"diffusion-restreinte", Classification::kRestricted},  // FR
    {"secret-defense", Classification::kSecret},           // FR (since 2021: SECRET)
    {"tres-secret", Classification::kTopSecret},           // FR
    {"official-sensitive", Classification::kRestricted},   // UK
    {"u", Classification::kUnclassified},                  // ISA/ACS control_set codes
    {"c", Classification::kConfidential},
    {"s", Classification::kSecret},
    {"ts", Classification::kTopSecret},
};

std::string Normalise(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == ' ' || c == '_') c = '-';
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

}  // namespace

std::string_view ClassificationName(Classification c) {
  switch (c) {
    case Classification::kPublic: return "public";
    case Classification::kUnclassified: return "unclassified";
    case Classification::kRestricted: return "restricted";
    case Classification::kConfidential: return "confidential";
    case Classification::kSecret: return "secret";
    case Classification::kTopSecret: return "top-secret";
  }
  return "?";
}

Result<Classification> ParseClassification(std::string_view text) {
  std::string key = Normalise(text);
  for (const LevelName& n : kLevelNames) {
    if (n.name == key) return n.level;
  }
  return InvalidArgument("unknown classification '" + std::string(text) +
                         "' (use public, unclassified, restricted, confidential, secret, "
                         "top-secret, or a NATO/EU name such as 'NATO SECRET' or 'RESTREINT UE')");
}

std::string_view TlpName(TlpLevel level) {
  switch (level) {
    case TlpLevel::kClear: return "CLEAR";
    case TlpLevel::kGreen: return "GREEN";
    case TlpLevel::kAmber: return "AMBER";
    case TlpLevel::kAmberStrict: return "AMBER+STRICT";
    case TlpLevel::kRed: return "RED";
  }
  return "?";
}

Result<TlpLevel> ParseTlp(std::string_view text) {
  std::string key = Normalise(text);
  if (key.rfind("tlp:", 0) == 0) key = key.substr(4);
  if (key == "clear" || key == "white") return TlpLevel::kClear;
  if (key == "green") return TlpLevel::kGreen;
  if (key == "amber") return TlpLevel::kAmber;
  if (key == "amber+strict") return TlpLevel::kAmberStrict;
  if (key == "red") return TlpLevel::kRed;
  return InvalidArgument("unknown TLP level '" + std::string(text) +
                         "' (use clear, green, amber, amber+strict or red)");
}

void Label::Join(const Label& other) {
  if (other.tlp && (!tlp || *other.tlp > *tlp)) tlp = other.tlp;
  classification = std::max(classification, other.classification);
  for (const auto& set : other.rel_to) {
    if (std::find(rel_to.begin(), rel_to.end(), set) == rel_to.end()) rel_to.push_back(set);
  }
  caveats.insert(other.caveats.begin(), other.caveats.end());
  unresolved.insert(unresolved.end(), other.unresolved.begin(), other.unresolved.end());
  from.insert(from.end(), other.from.begin(), other.from.end());
}

std::string Label::ToString() const {
  std::string out = tlp ? "TLP:" + std::string(TlpName(*tlp)) : "no TLP";
  out += ", " + std::string(ClassificationName(classification));
  for (const auto& set : rel_to) {
    out += ", REL TO {";
    bool first = true;
    for (const std::string& s : set) {
      out += (first ? "" : ", ") + s;
      first = false;
    }
    out += "}";
  }
  if (!caveats.empty()) {
    out += ", caveats {";
    bool first = true;
    for (const std::string& s : caveats) {
      out += (first ? "" : ", ") + s;
      first = false;
    }
    out += "}";
  }
  for (const std::string& u : unresolved) out += ", UNRESOLVED " + u;
  return out;
}

}  // namespace ctihub::policy
