// common/country_codes: ISO 3166-1 country codes, alpha-2 and alpha-3, so that a nation given
// either way ("FR", "FRA") names one country. Releasability markings use both forms (ISA/ACS and
// NATO write trigraphs, much else digraphs); a recipient of one form must match the other.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace ctihub {

struct CountryCode {
  std::string_view alpha2;  // "FR"
  std::string_view alpha3;  // "FRA"; empty for EU
};

// The country `code` names, alpha-2 or alpha-3 in any case; nullopt for anything else. Besides
// the assigned codes: XK/XKX (Kosovo, user-assigned, as the EU and NATO use it), and the
// exceptionally reserved EU (the European Union) and UK (the United Kingdom: GB, GBR).
std::optional<CountryCode> FindCountryCode(std::string_view code);

// Every code that names `country`: its alpha-2, its alpha-3, and UK for GB.
std::vector<std::string_view> CountryCodeForms(const CountryCode& country);

}  // namespace ctihub
