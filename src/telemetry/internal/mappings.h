// telemetry/internal/mappings: record → SCOs for each sensor format. docs/telemetry-mapping.md
// is the prose version of these functions; keep them in step.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "common/status.h"
#include "telemetry/internal/builder.h"

namespace ctihub::telemetry::internal {

// A Zeek record, whichever way it was written (JSON or TSV): flat, dotted field names.
struct ZeekField {
  std::string_view name;
  enum class Kind { kText, kNumber, kBool, kList } kind = Kind::kText;
  std::string_view text;           // kText, and the raw text of kNumber from TSV
  double number = 0;               // kNumber
  bool boolean = false;            // kBool
  std::vector<std::string_view> list;  // kList (string members only)
  uint32_t next_same_hash = 0;     // the next field in its Find bucket (kNoField: none)
};

// Fields are found by name through a small hash table filled as the record is: mapping looks a
// dozen names up per record, and each lookup scanned every field (a few per cent of reading a
// Zeek log). Buckets chain fields in order, so with duplicate names the first wins.
class ZeekRecord {
 public:
  ZeekRecord() { Clear(); }
  void Clear() {
    size_ = 0;
    std::fill(std::begin(head_), std::end(head_), kNoField);
  }
  // A new field called `name`, filed for Find.
  ZeekField& Append(std::string_view name) {
    if (size_ == fields_.size()) fields_.emplace_back();
    const uint32_t index = static_cast<uint32_t>(size_++);
    ZeekField& f = fields_[index];
    f.list.clear();
    f.kind = ZeekField::Kind::kText;
    f.name = name;
    f.next_same_hash = kNoField;
    const uint32_t bucket = Bucket(name);
    if (head_[bucket] == kNoField) {
      head_[bucket] = index;
    } else {
      fields_[tail_[bucket]].next_same_hash = index;
    }
    tail_[bucket] = index;
    return f;
  }
  const ZeekField* Find(std::string_view name) const;
  std::optional<std::string_view> Text(std::string_view name) const;
  std::optional<int64_t> Integer(std::string_view name) const;
  const std::vector<std::string_view>* List(std::string_view name) const;

 private:
  static constexpr uint32_t kNoField = UINT32_MAX;
  static constexpr size_t kBuckets = 64;
  static uint32_t Bucket(std::string_view name) {
    if (name.empty()) return 0;
    size_t n = name.size();
    return static_cast<uint32_t>(n * 31 + static_cast<unsigned char>(name[0]) * 7 +
                                 static_cast<unsigned char>(name[n / 2]) * 3 +
                                 static_cast<unsigned char>(name[n - 1])) % kBuckets;
  }
  std::vector<ZeekField> fields_;  // reused between records: no allocation once warm
  size_t size_ = 0;
  uint32_t head_[kBuckets];  // first field of each bucket, kNoField when empty
  uint32_t tail_[kBuckets];  // last field of each non-empty bucket
};

// Maps a Zeek record of log `path` ("conn", "dns", …; `_path` in JSON, #path in TSV). Returns
// InvalidArgument when the record has no usable time.
Status MapZeek(std::string_view path, const ZeekRecord& record, ObservationBuilder* out);

// Fills `record` from one Zeek JSON object.
Status ZeekFromJson(simdjson::dom::object object, ZeekRecord* record);
// The same from one line of a Zeek JSON log, which must have SIMDJSON_PADDING readable bytes
// after it; the record's texts live in `parser` until its next use. An error for a line that is
// not well-formed JSON or not an object (the caller asks the DOM parser to say why).
simdjson::error_code ZeekFromLine(simdjson::ondemand::parser& parser, std::string_view line,
                                  ZeekRecord* record);

// Maps one Suricata EVE event; its `event_type` is returned through *sensor_kind (a view into
// the event, valid as long as it is).
Status MapSuricata(simdjson::dom::object event, ObservationBuilder* out,
                   std::string_view* sensor_kind);

}  // namespace ctihub::telemetry::internal
