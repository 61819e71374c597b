#include "generate/telemetry.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <sstream>
#include <string>

namespace ctihub::generate {
namespace {

using pattern::SensorValue;
using pattern::SensorValueKind;

std::string Generate(TelemetryOptions options, TelemetrySummary* summary) {
  std::string out;
  Status s = GenerateTelemetry(options, [&](std::string_view chunk) {
    out.append(chunk);
    return Status::Ok();
  }, summary);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

std::vector<SensorValue> Values() {
  return {SensorValue{SensorValueKind::kIpv4, "203.0.113.77"},
          SensorValue{SensorValueKind::kDomain, "evil.example"},
          SensorValue{SensorValueKind::kUrl, "http://bad.example/x.php"},
          SensorValue{SensorValueKind::kSha256,
                      "aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f"},
          SensorValue{SensorValueKind::kEmail, "a@b.example"}};
}

// Counts records that contain one of the planted strings, independently of the generator.
uint64_t CountHits(const std::string& text) {
  uint64_t hits = 0;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    for (const char* needle : {"203.0.113.77", "evil.example", "bad.example", "aec0706"}) {
      if (line.find(needle) != std::string::npos) {
        ++hits;
        break;
      }
    }
  }
  return hits;
}

TEST(Telemetry, EveryLineIsJsonAndHitsAreCountedExactly) {
  for (TelemetryFormat format : {TelemetryFormat::kZeekJson, TelemetryFormat::kSuricataEve}) {
    TelemetryOptions o;
    o.records = 5000;
    o.hit_ppm = 50000;
    o.format = format;
    o.hit_values = Values();
    TelemetrySummary summary;
    std::string text = Generate(o, &summary);
    EXPECT_EQ(summary.records, 5000u);
    EXPECT_EQ(summary.values_unplantable, 1u);  // the e-mail address
    EXPECT_GT(summary.hits, 150u);
    EXPECT_LT(summary.hits, 350u);
    EXPECT_EQ(CountHits(text), summary.hits);
    std::istringstream lines(text);
    std::string line;
    size_t n = 0;
    int64_t last_ts = 0;
    while (std::getline(lines, line)) {
      boost::system::error_code ec;
      boost::json::value v = boost::json::parse(line, ec);
      ASSERT_FALSE(ec) << line;
      ASSERT_TRUE(v.is_object());
      if (format == TelemetryFormat::kZeekJson) {
        ASSERT_TRUE(v.get_object().contains("_path")) << line;
        double ts = v.get_object().at("ts").to_number<double>();
        EXPECT_GT(static_cast<int64_t>(ts * 1e6) + 1, last_ts) << line;
        last_ts = static_cast<int64_t>(ts * 1e6);
      } else {
        ASSERT_TRUE(v.get_object().contains("event_type")) << line;
      }
      ++n;
    }
    EXPECT_EQ(n, 5000u);
  }
}

TEST(Telemetry, SameSeedSameBytes) {
  TelemetryOptions o;
  o.records = 2000;
  o.hit_values = Values();
  TelemetrySummary a, b;
  EXPECT_EQ(Generate(o, &a), Generate(o, &b));
  o.seed = 2;
  TelemetrySummary c;
  EXPECT_NE(Generate(o, &c), Generate(TelemetryOptions{}, &a));
}

TEST(Telemetry, PrefixesPlantAddressesInsideThem) {
  TelemetryOptions o;
  o.records = 200;
  o.hit_ppm = 1000000;
  o.hit_values = {SensorValue{SensorValueKind::kIpv4Prefix, "100.64.8.0/24"}};
  TelemetrySummary summary;
  std::string text = Generate(o, &summary);
  EXPECT_EQ(summary.hits, 200u);
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) EXPECT_NE(line.find("\"100.64.8."), std::string::npos) << line;
}

TEST(Telemetry, RejectsAHitRateAboveOne) {
  TelemetryOptions o;
  o.hit_ppm = 1000001;
  Status s = GenerateTelemetry(o, [](std::string_view) { return Status::Ok(); }, nullptr);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ctihub::generate
