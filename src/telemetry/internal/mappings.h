// telemetry/internal/mappings: record → SCOs for each sensor format. docs/telemetry-mapping.md
// is the prose version of these functions; keep them in step.
#pragma once

#include <simdjson.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "telemetry/internal/builder.h"

namespace ctihub::telemetry::internal {

// The Zeek fields a mapping reads (docs/telemetry-mapping.md); a record keeps only these.
// clang-format off
enum class ZeekName : uint8_t {
  kPath, kTs, kOrigH, kOrigP, kRespH, kRespP, kProto, kService, kOrigIpBytes, kRespIpBytes,
  kOrigPkts, kRespPkts, kQuery, kAnswers, kHost, kUri, kMethod, kVersion, kUserAgent, kReferrer,
  kServerName, kCertChainFps, kCertSerial, kCertSubject, kCertIssuer, kCertNotBefore,
  kCertNotAfter, kFingerprint, kSanDns, kSanIp, kSanEmail, kFilename, kMimeType, kTotalBytes,
  kSeenBytes, kMd5, kSha1, kSha256, kTxHosts, kRxHosts, kFrom, kMailFrom, kTo, kRcptTo, kSubject,
  kSrc, kDst, kP, kName, kUnparsedVersion, kUser, kClient, kCc, kReplyTo,
  kCount
};
// clang-format on
static_assert(static_cast<size_t>(ZeekName::kCount) <= 64, "ZeekRecord keeps a 64-bit mask");

// The field a mapping reads under `name` ("id.orig_h"), or nullopt.
std::optional<ZeekName> ZeekNameOf(std::string_view name);

// One field of a Zeek record, whichever way it was written (JSON or TSV).
struct ZeekField {
  enum class Kind { kText, kNumber, kBool, kList } kind = Kind::kText;
  std::string_view text;               // kText, and the raw text of kNumber from TSV
  double number = 0;                   // kNumber
  bool boolean = false;                // kBool
  std::vector<std::string_view> list;  // kList (string members only)
};

// A Zeek record: the fields a mapping reads, by ZeekName. Each name is resolved once as the
// record is read and every later look-up is an array index: finding a dozen names per record in
// a table of all its fields was a tenth of reading a Zeek log.
class ZeekRecord {
 public:
  void Clear() { present_ = 0; }
  // The field to fill for `name`; null when no mapping reads it, or when the record had it
  // already (with a name given twice the first counts, as a JSON object look-up finds it).
  ZeekField* Append(std::string_view name) {
    std::optional<ZeekName> id = ZeekNameOf(name);
    return id ? Append(*id) : nullptr;
  }
  ZeekField* Append(ZeekName name) {
    const uint64_t bit = uint64_t{1} << static_cast<unsigned>(name);
    if (present_ & bit) return nullptr;
    present_ |= bit;
    ZeekField& f = fields_[static_cast<size_t>(name)];
    f.kind = ZeekField::Kind::kText;
    f.text = {};
    f.list.clear();
    return &f;
  }
  const ZeekField* Find(ZeekName name) const {
    const uint64_t bit = uint64_t{1} << static_cast<unsigned>(name);
    return present_ & bit ? &fields_[static_cast<size_t>(name)] : nullptr;
  }
  std::optional<std::string_view> Text(ZeekName name) const;
  std::optional<int64_t> Integer(ZeekName name) const;
  const std::vector<std::string_view>* List(ZeekName name) const;

 private:
  // Reused between records: no allocation once warm.
  std::array<ZeekField, static_cast<size_t>(ZeekName::kCount)> fields_;
  uint64_t present_ = 0;
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
