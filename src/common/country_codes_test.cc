#include "common/country_codes.h"

#include <gtest/gtest.h>

namespace ctihub {
namespace {

TEST(CountryCodes, EitherFormInAnyCaseNamesOneCountry) {
  for (std::string_view code : {"FR", "fr", "FRA", "fRa"}) {
    std::optional<CountryCode> c = FindCountryCode(code);
    ASSERT_TRUE(c) << code;
    EXPECT_EQ(c->alpha2, "FR");
    EXPECT_EQ(c->alpha3, "FRA");
  }
  EXPECT_EQ(FindCountryCode("GBR")->alpha2, "GB");
  EXPECT_EQ(FindCountryCode("ZW")->alpha3, "ZWE");  // the last of the table
  EXPECT_EQ(FindCountryCode("AD")->alpha3, "AND");  // the first
  EXPECT_EQ(FindCountryCode("XK")->alpha3, "XKX");  // Kosovo, user-assigned, as the EU uses it
  EXPECT_EQ(CountryCodeForms(*FindCountryCode("fra")),
            (std::vector<std::string_view>{"FR", "FRA"}));
  EXPECT_EQ(CountryCodeForms(*FindCountryCode("GB")),
            (std::vector<std::string_view>{"GB", "GBR", "UK"}));
  EXPECT_EQ(CountryCodeForms(*FindCountryCode("eu")), (std::vector<std::string_view>{"EU"}));
  // Exceptionally reserved codes in common use.
  EXPECT_EQ(FindCountryCode("uk")->alpha3, "GBR");
  EXPECT_EQ(FindCountryCode("EU")->alpha2, "EU");
  EXPECT_EQ(FindCountryCode("EU")->alpha3, "");
  for (std::string_view bad : {"", "F", "SU", "XX", "FRAN", "France", "F1", "ZZZ", "EUE"}) {
    EXPECT_FALSE(FindCountryCode(bad)) << bad;
  }
}

}  // namespace
}  // namespace ctihub
