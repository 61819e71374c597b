#include "alerts/alerts.h"

#include <gtest/gtest.h>

#include <string>

#include "stix/validator.h"

namespace ctihub::alerts {
namespace {

Alert At(const std::string& time, const std::string& indicator = "indicator--11111111-1111-4111-8111-111111111111") {
  Alert a;
  a.indicator_id = indicator;
  a.indicator_name = "C2 \"node\"";
  a.values = {{"ipv4-addr:value", "203.0.113.7"}};
  a.time = *Timestamp::Parse(time);
  a.source = "conn.log";
  a.line = 12;
  a.sensor = "zeek:conn";
  return a;
}

TEST(Alerts, AlertIsOneJsonLineWithEverythingAnAnalystNeeds) {
  EXPECT_EQ(AlertJson(At("2024-01-01T10:00:00.5Z")),
            R"({"indicator":{"id":"indicator--11111111-1111-4111-8111-111111111111","name":"C2 \"node\""},)"
            R"("matched":[{"path":"ipv4-addr:value","value":"203.0.113.7"}],)"
            R"("time":"2024-01-01T10:00:00.500000Z","source":"conn.log","line":12,"sensor":"zeek:conn"})");
}

TEST(Alerts, SightingsAggregatePerIndicatorAndWindowAndAreValidStix) {
  SightingOptions options;
  options.sighted_by = "identity--22222222-2222-4222-8222-222222222222";
  SightingAggregator agg(options);
  agg.Add(At("2024-01-01T10:05:00Z"));
  agg.Add(At("2024-01-01T10:59:00Z"));
  agg.Add(At("2024-01-01T11:01:00Z"));  // next hour: a second sighting
  agg.Add(At("2024-01-01T10:30:00Z", "indicator--33333333-3333-4333-8333-333333333333"));
  std::vector<std::string> sightings = agg.TakeAll();
  ASSERT_EQ(sightings.size(), 3u);
  EXPECT_NE(sightings[0].find(R"("first_seen":"2024-01-01T10:05:00.000Z","last_seen":"2024-01-01T10:59:00.000Z","count":2)"),
            std::string::npos) << sightings[0];
  EXPECT_NE(sightings[0].find(R"("where_sighted_refs":["identity--22222222-2222-4222-8222-222222222222"])"),
            std::string::npos);
  stix::Validator validator;
  for (const std::string& s : sightings) {
    stix::RawObject raw;
    raw.text.reserve(s.size() + 64);  // simdjson reads past the end
    raw.text = s;
    size_t errors = validator.ValidateObject(raw, [&](const stix::Finding& f) {
      ADD_FAILURE() << s << ": " << f.message;
    });
    EXPECT_EQ(errors, 0u);
  }
  // Same input, same bytes: a re-run imports as duplicates.
  SightingAggregator again(options);
  again.Add(At("2024-01-01T10:05:00Z"));
  again.Add(At("2024-01-01T10:59:00Z"));
  again.Add(At("2024-01-01T11:01:00Z"));
  again.Add(At("2024-01-01T10:30:00Z", "indicator--33333333-3333-4333-8333-333333333333"));
  EXPECT_EQ(again.TakeAll(), sightings);
}

// A Sighting names its indicator and quotes what matched: it carries the indicator's markings.
// Its id depends on the node's secret and on the window's length, so a partner cannot test
// candidate victims (sighted_by) against it, and windows of other lengths never share an id.
TEST(Alerts, SightingsCarryTheIndicatorsMarkingsAndKeyedIds) {
  const std::string red = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";
  SightingOptions options;
  options.sighted_by = "identity--22222222-2222-4222-8222-222222222222";
  options.id_key = "secret-1";
  auto one = [&](SightingOptions o) {
    SightingAggregator agg(o);
    Alert a = At("2024-01-01T10:05:00Z");
    a.markings = {red};
    agg.Add(a);
    std::vector<std::string> out = agg.TakeAll();
    return out.empty() ? std::string() : out[0];
  };
  auto id_of = [](const std::string& s) { return s.substr(s.find("sighting--"), 46); };
  const std::string sighting = one(options);
  EXPECT_NE(sighting.find(R"("object_marking_refs":[")" + red + R"("])"), std::string::npos)
      << sighting;
  EXPECT_EQ(id_of(one(options)), id_of(sighting));
  SightingOptions other_key = options;
  other_key.id_key = "secret-2";
  EXPECT_NE(id_of(one(other_key)), id_of(sighting));
  SightingOptions other_window = options;
  other_window.window_micros = int64_t{900} * 1000000;
  EXPECT_NE(id_of(one(other_window)), id_of(sighting));
}

TEST(Alerts, ClosedWindowsAreReleasedSoMemoryStaysBounded) {
  SightingAggregator agg(SightingOptions{});
  agg.Add(At("2024-01-01T10:05:00Z"));
  agg.Add(At("2024-01-01T12:05:00Z"));
  EXPECT_TRUE(agg.TakeClosed(*Timestamp::Parse("2024-01-01T11:30:00Z")).empty());
  EXPECT_EQ(agg.TakeClosed(*Timestamp::Parse("2024-01-01T12:00:00Z")).size(), 1u);
  EXPECT_EQ(agg.open_windows(), 1u);
}

}  // namespace
}  // namespace ctihub::alerts
