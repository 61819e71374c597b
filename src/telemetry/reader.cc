#include <fcntl.h>
#include <simdjson.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <deque>
#include <memory>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "common/input_file.h"
#include "common/utf8.h"
#include "telemetry/internal/builder.h"
#include "telemetry/internal/mapped_json.h"
#include "telemetry/internal/mappings.h"
#include "telemetry/telemetry.h"

namespace ctihub::telemetry {

Result<LogFormat> ParseLogFormat(std::string_view name) {
  if (name == "auto") return LogFormat::kAuto;
  if (name == "zeek-json") return LogFormat::kZeekJson;
  if (name == "zeek-tsv") return LogFormat::kZeekTsv;
  if (name == "suricata-eve") return LogFormat::kSuricataEve;
  if (name == "stix") return LogFormat::kStix;
  if (name == "json") return LogFormat::kMappedJson;
  return Status(StatusCode::kInvalidArgument,
                "unknown log format '" + std::string(name) +
                    "' (auto, zeek-json, zeek-tsv, suricata-eve, stix, json)");
}

Status CheckMappingFile(const std::string& path) {
  return internal::JsonMapping::Load(path).status();
}

namespace {

using internal::ObservationBuilder;

// ---------------------------------------------------------------------------------------------
// Byte sources

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Up to `size` bytes; 0 only at the end.
  virtual Result<size_t> Read(char* buffer, size_t size) = 0;
};

class InputFileSource final : public ByteSource {
 public:
  explicit InputFileSource(std::unique_ptr<InputFile> in) : in_(std::move(in)) {}
  Result<size_t> Read(char* buffer, size_t size) override { return in_->Read(buffer, size); }

 private:
  std::unique_ptr<InputFile> in_;
};

class TextSource final : public ByteSource {
 public:
  explicit TextSource(std::string text) : text_(std::move(text)) {}
  Result<size_t> Read(char* buffer, size_t size) override {
    size_t n = std::min(size, text_.size() - pos_);
    std::memcpy(buffer, text_.data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  std::string text_;
  size_t pos_ = 0;
};

// `tail -F`: at the end of the file, waits for more; reopens when the file is replaced (log
// rotation: another inode) or truncated. Returns 0 only once `stop` is set.
class FollowSource final : public ByteSource {
 public:
  static Result<std::unique_ptr<FollowSource>> Open(const std::string& path,
                                                    const ReaderOptions& options) {
    auto source = std::unique_ptr<FollowSource>(new FollowSource(path, options));
    CTI_RETURN_IF_ERROR(source->Reopen());
    return source;
  }
  ~FollowSource() override {
    if (fd_ >= 0) ::close(fd_);
  }

  Result<size_t> Read(char* buffer, size_t size) override {
    for (;;) {
      CTI_ASSIGN_OR_RETURN(size_t n, ReadNow(buffer, size));
      if (n > 0) return n;
      if (options_.stop != nullptr && options_.stop->load()) return size_t{0};
      std::this_thread::sleep_for(std::chrono::milliseconds(options_.follow_poll_ms));
      struct stat st;
      if (::stat(path_.c_str(), &st) != 0) continue;  // renamed away, the new one not made yet
      if (st.st_ino != inode_) {
        // Rotated (renamed, a new file in its place): what the sensor wrote to the old file
        // before it moved on is read to its end first, as `tail -F` does.
        CTI_ASSIGN_OR_RETURN(n, ReadNow(buffer, size));
        if (n > 0) return n;
        CTI_RETURN_IF_ERROR(Reopen());
      } else if (static_cast<uint64_t>(st.st_size) < offset_ || Rewritten()) {
        CTI_RETURN_IF_ERROR(Reopen());
      }
    }
  }

 private:
  FollowSource(std::string path, const ReaderOptions& options)
      : path_(std::move(path)), options_(options) {}

  // What the open file holds past what was read: its byte count, 0 at its end (for now).
  Result<size_t> ReadNow(char* buffer, size_t size) {
    while (fd_ >= 0) {
      ssize_t n = ::read(fd_, buffer, size);
      if (n > 0) {
        offset_ += static_cast<uint64_t>(n);
        Remember(buffer, static_cast<size_t>(n));
        return static_cast<size_t>(n);
      }
      if (n == 0) break;
      if (errno != EINTR) {
        return Status(StatusCode::kUnavailable, path_ + ": read failed: " + std::strerror(errno));
      }
    }
    return size_t{0};
  }

  Status Reopen() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
      return Status(StatusCode::kNotFound, path_ + ": " + std::strerror(errno));
    }
    struct stat st;
    if (::fstat(fd_, &st) == 0) inode_ = st.st_ino;
    offset_ = 0;
    last_.clear();
    return Status::Ok();
  }

  // The last bytes read, to recognise the file under them.
  void Remember(const char* data, size_t n) {
    if (n >= kLastBytes) {
      last_.assign(data + n - kLastBytes, kLastBytes);
    } else {
      last_.append(data, n);
      if (last_.size() > kLastBytes) last_.erase(0, last_.size() - kLastBytes);
    }
  }
  // logrotate's copytruncate empties the file in place while the sensor keeps writing: when more
  // is written before the next poll than was there, the size never looks smaller, and reading on
  // from the old offset would skip the start of the new content (or start mid-line). The bytes
  // just before the offset tell: they are not what was read there.
  bool Rewritten() const {
    if (last_.empty() || offset_ < last_.size()) return false;
    std::string now(last_.size(), '\0');
    ssize_t n = ::pread(fd_, now.data(), now.size(), static_cast<off_t>(offset_ - last_.size()));
    return n != static_cast<ssize_t>(now.size()) || now != last_;
  }
  // Several lines' worth: log lines share long runs (a record's constant tail), and a window
  // inside one could not tell a rewritten file from the old one.
  static constexpr size_t kLastBytes = 4096;
  std::string last_;

  std::string path_;
  ReaderOptions options_;
  int fd_ = -1;
  ino_t inode_ = 0;
  uint64_t offset_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Lines, with simdjson's padding after the buffer so a line can be parsed where it lies.

class LineReader {
 public:
  explicit LineReader(std::unique_ptr<ByteSource> source)
      : source_(std::move(source)), buffer_(kInitial + simdjson::SIMDJSON_PADDING) {}

  // Longer lines are skipped whole (a log is no place for them, and holding one would let a
  // newline-free stream take all memory): Next returns an empty line and too_long() is true.
  static constexpr size_t kMaxLine = size_t{64} << 20;

  // The next line without its '\n' (and '\r'), and the first without a UTF-8 byte order mark
  // (a log saved by a Windows tool); false at the end.
  Result<bool> Next(std::string_view* line) {
    CTI_ASSIGN_OR_RETURN(bool more, NextLine(line));
    if (more && first_) *line = WithoutUtf8Bom(*line);
    first_ = false;
    return more;
  }

  Result<bool> NextLine(std::string_view* line) {
    too_long_ = false;
    bool skipping = false;
    for (;;) {
      if (const void* nl = std::memchr(buffer_.data() + pos_, '\n', end_ - pos_)) {
        size_t at = static_cast<const char*>(nl) - buffer_.data();
        *line = skipping ? std::string_view()
                         : Trim(std::string_view(buffer_.data() + pos_, at - pos_));
        too_long_ = skipping;
        pos_ = at + 1;
        return true;
      }
      if (eof_) {
        if (pos_ == end_ && !skipping) return false;
        *line = skipping ? std::string_view()
                         : Trim(std::string_view(buffer_.data() + pos_, end_ - pos_));
        too_long_ = skipping;
        pos_ = end_;
        return true;
      }
      if (skipping || end_ - pos_ >= kMaxLine) {
        skipping = true;
        pos_ = end_;  // drop what there is of it
      }
      CTI_RETURN_IF_ERROR(Fill());
    }
  }
  // Whether the line Next returned last was longer than kMaxLine (and so skipped).
  bool too_long() const { return too_long_; }

  // Everything not yet returned, to the end of the input.
  Result<std::string> Rest() {
    std::string out(buffer_.data() + pos_, end_ - pos_);
    pos_ = end_;
    while (!eof_) {
      char chunk[1 << 16];
      CTI_ASSIGN_OR_RETURN(size_t n, source_->Read(chunk, sizeof chunk));
      if (n == 0) eof_ = true;
      out.append(chunk, n);
    }
    return out;
  }

 private:
  static constexpr size_t kInitial = 1 << 20;
  bool first_ = true;

  static std::string_view Trim(std::string_view s) {
    if (!s.empty() && s.back() == '\r') s.remove_suffix(1);
    return s;
  }

  Status Fill() {
    size_t capacity = buffer_.size() - simdjson::SIMDJSON_PADDING;
    if (pos_ > 0) {
      std::memmove(buffer_.data(), buffer_.data() + pos_, end_ - pos_);
      end_ -= pos_;
      pos_ = 0;
    }
    if (end_ == capacity) {  // one line longer than the buffer: grow
      buffer_.resize(capacity * 2 + simdjson::SIMDJSON_PADDING);
      capacity *= 2;
    }
    CTI_ASSIGN_OR_RETURN(size_t n, source_->Read(buffer_.data() + end_, capacity - end_));
    if (n == 0) eof_ = true;
    end_ += n;
    return Status::Ok();
  }

  std::unique_ptr<ByteSource> source_;
  std::vector<char> buffer_;
  size_t pos_ = 0, end_ = 0;
  bool eof_ = false;
  bool too_long_ = false;
};

// ---------------------------------------------------------------------------------------------
// The first line of a Zeek TSV log, or any line of its header.
bool IsZeekTsvHeader(std::string_view line) {
  for (std::string_view key : {"#separator", "#set_separator", "#empty_field", "#unset_field",
                               "#path", "#open", "#fields", "#types", "#close"}) {
    if (line.starts_with(key)) return true;
  }
  return false;
}

// Zeek TSV header state (#separator, #fields, #types, …)

struct TsvHeader {
  char separator = '\t';
  std::string set_separator = ",";
  std::string empty_field = "(empty)";
  std::string unset_field = "-";
  std::string path;
  std::vector<std::string> fields;
  std::vector<std::optional<internal::ZeekName>> names;  // by field: what a mapping reads it as
  std::vector<bool> is_list;

  // "\x09" → tab; other text as is.
  static std::string Unescape(std::string_view text) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
      auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
      };
      if (text[i] == '\\' && i + 3 < text.size() && text[i + 1] == 'x' && hex(text[i + 2]) >= 0 &&
          hex(text[i + 3]) >= 0) {
        out += static_cast<char>(hex(text[i + 2]) * 16 + hex(text[i + 3]));
        i += 3;
      } else {
        out += text[i];
      }
    }
    return out;
  }

  // Applies one header line; headers this reader does not use (#open, #close) are ignored.
  void Apply(std::string_view line) {
    // "#key<separator or space>value"; "#set_separatorx" is not "#set_separator".
    auto value_of = [&](std::string_view key) -> std::optional<std::string_view> {
      if (line.substr(0, key.size()) != key || line.size() <= key.size()) return std::nullopt;
      char after = line[key.size()];
      if (after != separator && after != ' ' && after != '\t') return std::nullopt;
      return line.substr(key.size() + 1);
    };
    if (auto v = value_of("#separator")) {
      std::string sep = Unescape(*v);
      if (sep.size() == 1) separator = sep[0];
    } else if (auto v = value_of("#set_separator")) {
      set_separator = Unescape(*v);
      if (set_separator.empty()) set_separator = ",";  // an empty separator would never advance
    } else if (auto v = value_of("#empty_field")) {
      empty_field = std::string(*v);
    } else if (auto v = value_of("#unset_field")) {
      unset_field = std::string(*v);
    } else if (auto v = value_of("#path")) {
      path = std::string(*v);
    } else if (auto v = value_of("#fields")) {
      fields = Split(*v, separator);
      names.clear();
      for (const std::string& f : fields) names.push_back(internal::ZeekNameOf(f));
      is_list.assign(fields.size(), false);
    } else if (auto v = value_of("#types")) {
      std::vector<std::string> types = Split(*v, separator);
      is_list.assign(fields.size(), false);
      for (size_t i = 0; i < types.size() && i < is_list.size(); ++i) {
        is_list[i] = types[i].rfind("set[", 0) == 0 || types[i].rfind("vector[", 0) == 0;
      }
    }
  }

  static std::vector<std::string> Split(std::string_view text, char sep) {
    std::vector<std::string> out;
    size_t start = 0;
    for (;;) {
      size_t at = text.find(sep, start);
      out.emplace_back(text.substr(start, at == std::string_view::npos ? at : at - start));
      if (at == std::string_view::npos) return out;
      start = at + 1;
    }
  }
};

// ---------------------------------------------------------------------------------------------

class Reader final : public TelemetryReader {
 public:
  // `stream`: the input may never end (followed, or standard input).
  Reader(std::unique_ptr<ByteSource> source, std::string name, const ReaderOptions& options,
         bool stream)
      : lines_(std::move(source)), options_(options), stream_(stream) {
    source_ = std::move(name);
    format_ = options.format;
  }

  Status Init() {
    if (format_ == LogFormat::kMappedJson || !options_.mapping_file.empty()) {
      if (options_.mapping_file.empty()) {
        return Status(StatusCode::kInvalidArgument, "the json format needs a mapping file");
      }
      CTI_ASSIGN_OR_RETURN(internal::JsonMapping m,
                           internal::JsonMapping::Load(options_.mapping_file));
      mapping_.emplace(std::move(m));
      format_ = LogFormat::kMappedJson;
    }
    return Status::Ok();
  }

  Result<bool> Next(TelemetryRecord* out) override {
    for (;;) {
      if (document_mode_) return NextElement(out);
      std::string_view line;
      CTI_ASSIGN_OR_RETURN(bool more, lines_.Next(&line));
      if (!more) return false;
      ++counters_.lines;
      if (lines_.too_long()) {
        ++counters_.records;
        Bad(counters_.lines,
            "line longer than " + std::to_string(LineReader::kMaxLine >> 20) + " MiB, skipped");
        continue;
      }
      const size_t first_char = line.find_first_not_of(" \t");
      if (first_char == std::string_view::npos) continue;
      // No JSON line starts with '#': a comment (an exporter's banner), skipped as blank lines
      // are, unless it opens a Zeek TSV log.
      if (line[first_char] == '#' && format_ != LogFormat::kZeekTsv &&
          !(format_ == LogFormat::kAuto && IsZeekTsvHeader(line))) {
        continue;
      }
      if (!detected_) {
        CTI_ASSIGN_OR_RETURN(bool line_mode, Detect(line));
        if (!line_mode) continue;  // switched to document mode
      }
      if (format_ == LogFormat::kZeekTsv) {
        if (line[0] == '#') {
          tsv_.Apply(line);
          continue;
        }
        ++counters_.records;
        if (MapTsvLine(line, out)) return true;
        continue;
      }
      ++counters_.records;
      // The line lies inside LineReader's buffer, which has SIMDJSON_PADDING bytes after it.
      if (format_ == LogFormat::kZeekJson &&
          internal::ZeekFromLine(zeek_parser_, line, &zeek_) == simdjson::SUCCESS) {
        if (MapZeekRecord(counters_.lines, out)) return true;
        continue;
      }
      // Other formats; and a Zeek line On-Demand refused, which DOM parsing explains (or reads)
      // exactly as before.
      simdjson::dom::element element;
      simdjson::error_code ec = parser_.parse(line.data(), line.size(), false).get(element);
      if (ec) {
        Bad(counters_.lines, std::string("not JSON: ") + simdjson::error_message(ec));
        continue;
      }
      if (MapElement(element, counters_.lines, out)) return true;
    }
  }

 private:
  // Chooses the format from the first line. Returns false when the input is one JSON document
  // (an array of events, a pretty-printed bundle), which is then read whole.
  Result<bool> Detect(std::string_view first) {
    detected_ = true;
    // The caller skipped blank lines, so there is a first non-blank character.
    const char lead = first[first.find_first_not_of(" \t")];
    if (format_ == LogFormat::kZeekTsv) return true;
    if (format_ == LogFormat::kAuto && lead == '#') {
      format_ = LogFormat::kZeekTsv;
      return true;
    }
    simdjson::dom::element element;
    bool one_line_json =
        lead == '{' && !parser_.parse(first.data(), first.size(), false).get(element);
    // A first line that is no JSON record and cannot open a JSON document (garbage, a line cut
    // short in a log of JSON lines) is a bad line like any other: reading the rest as one
    // document would hold a whole (maybe endless) stream in memory only to refuse it.
    // Nor is a stream read as one document in auto mode: its end may never come (a followed log
    // whose first record is still being written hung here), and a document there must be named
    // by its format.
    const bool line_format = format_ == LogFormat::kZeekJson || format_ == LogFormat::kMappedJson ||
                             (format_ == LogFormat::kSuricataEve && lead != '[') ||
                             (format_ == LogFormat::kAuto && stream_);
    if (!one_line_json && format_ != LogFormat::kStix &&
        (line_format || (lead != '{' && lead != '['))) {
      ++counters_.records;
      Bad(counters_.lines,
          format_ == LogFormat::kAuto && stream_ && (lead == '{' || lead == '[')
              ? "not a JSON record (a followed or piped document, such as a STIX bundle or a "
                "Suricata array, is read only with --format stix or --format suricata-eve)"
              : "not a JSON record");
      detected_ = format_ != LogFormat::kAuto;  // in auto mode, tell from the next line
      return false;
    }
    if (format_ == LogFormat::kStix || !one_line_json) {
      CTI_RETURN_IF_ERROR(LoadDocument(first));
      return false;
    }
    if (format_ == LogFormat::kAuto) {
      CTI_ASSIGN_OR_RETURN(format_, FormatOf(element));
      if (format_ == LogFormat::kStix) {
        CTI_RETURN_IF_ERROR(LoadDocument(first));
        return false;
      }
    }
    return true;
  }

  // A document that could not be read, with why (its position is not known: simdjson's DOM
  // parser does not say where it stopped).
  Status NotValidJson(simdjson::error_code e) const {
    return Status(StatusCode::kInvalidArgument,
                  source_ + ": not valid JSON (" + simdjson::error_message(e) + ")");
  }

  // The first line opened no JSON document after all (a JSON-lines log whose first record was
  // cut short, or nested too deep to read): it is one bad line, and the rest is read line by line
  // as if it had come first, its format told from its own first line.
  Status ReadOnAsLines(std::string rest) {
    document_ = simdjson::padded_string();
    document_mode_ = false;
    detected_ = false;
    counters_.lines = 1;
    ++counters_.records;
    Bad(1, "not a JSON record");
    lines_ = LineReader(std::make_unique<TextSource>(std::move(rest)));
    return Status::Ok();
  }

  Result<LogFormat> FormatOf(simdjson::dom::element e) {
    simdjson::dom::object o;
    if (e.get(o) != simdjson::SUCCESS) {
      return Status(StatusCode::kInvalidArgument,
                    source_ + ": cannot tell the log format (not a JSON object); use --format");
    }
    std::string_view type;
    if (o["type"].get(type) == simdjson::SUCCESS && (type == "bundle" || type == "observed-data")) {
      return LogFormat::kStix;
    }
    if (o["event_type"].error() == simdjson::SUCCESS) return LogFormat::kSuricataEve;
    if (o["_path"].error() == simdjson::SUCCESS || o["id.orig_h"].error() == simdjson::SUCCESS ||
        o["ts"].error() == simdjson::SUCCESS) {
      return LogFormat::kZeekJson;
    }
    return Status(StatusCode::kInvalidArgument,
                  source_ +
                      ": cannot tell the log format from the first record; use --format "
                      "(and --mapping for other JSON)");
  }

  Status LoadDocument(std::string_view first) {
    CTI_ASSIGN_OR_RETURN(std::string rest, lines_.Rest());
    std::string text = std::string(first) + "\n" + rest;
    document_mode_ = true;
    counters_.lines = 0;
    if (format_ == LogFormat::kAuto || format_ == LogFormat::kStix) {
      // A STIX bundle or observed-data list is read with the evaluator's own reader.
      simdjson::dom::element root;
      document_ = simdjson::padded_string(text);
      if (simdjson::error_code e = parser_.parse(document_).get(root)) {
        if (format_ == LogFormat::kAuto) return ReadOnAsLines(std::move(rest));
        return NotValidJson(e);
      }
      simdjson::dom::element probe = root;
      simdjson::dom::array arr;
      if (root.get(arr) == simdjson::SUCCESS) {
        if (arr.size() == 0) return Status::Ok();
        probe = arr.at(0).value_unsafe();
      }
      if (format_ == LogFormat::kAuto) {
        CTI_ASSIGN_OR_RETURN(format_, FormatOf(probe));
      }
      if (format_ == LogFormat::kStix) {
        // One bad observed-data is one bad record: the others are still matched.
        std::vector<std::string> skipped;
        Result<std::vector<pattern::Observation>> observations =
            pattern::ParseObservations(text, &skipped);
        if (!observations.ok()) {
          return Status(StatusCode::kInvalidArgument,
                        source_ + ": " + observations.status().message());
        }
        stix_ = std::move(*observations);
        for (const std::string& why : skipped) Bad(0, why);
        counters_.lines = counters_.records = stix_.size() + skipped.size();
        return Status::Ok();
      }
    } else {
      document_ = simdjson::padded_string(text);
    }
    simdjson::dom::element root;
    if (simdjson::error_code e = parser_.parse(document_).get(root)) return NotValidJson(e);
    // Keep the parsed document: elements live in parser_, which we no longer reuse.
    simdjson::dom::array arr;
    if (root.get(arr) == simdjson::SUCCESS) {
      for (simdjson::dom::element e : arr) elements_.push_back(e);
    } else {
      elements_.push_back(root);
    }
    return Status::Ok();
  }

  Result<bool> NextElement(TelemetryRecord* out) {
    if (format_ == LogFormat::kStix) {
      if (next_element_ >= stix_.size()) return false;
      size_t i = next_element_++;
      out->observation.Assign(stix_[i]);  // a view: stix_ keeps the objects
      SetSensor("stix:", "observed-data", out);
      out->line = i + 1;
      if (out->observation.empty()) {
        ++counters_.unmapped;
        return NextElement(out);
      }
      Mapped();
      return true;
    }
    while (next_element_ < elements_.size()) {
      size_t i = next_element_++;
      ++counters_.lines;
      ++counters_.records;
      if (MapElement(elements_[i], i + 1, out)) return true;
    }
    return false;
  }

  // Maps the record in zeek_ (read from JSON).
  bool MapZeekRecord(uint64_t line, TelemetryRecord* out) {
    ObservationBuilder builder(&out->observation);
    std::string_view path = zeek_.Text(internal::ZeekName::kPath).value_or("unknown");
    Status s = internal::MapZeek(path, zeek_, &builder);
    SetSensor("zeek:", path, out);
    return Finish(s, line, builder, out);
  }

  // What every format does once a record is mapped (`mapped` says how that went): bad records
  // and records without an SCO are counted, the rest returned.
  bool Finish(const Status& mapped, uint64_t line, const ObservationBuilder& builder,
              TelemetryRecord* out) {
    if (!mapped.ok()) {
      Bad(line, mapped.message());
      return false;
    }
    out->line = line;
    if (builder.empty()) {
      ++counters_.unmapped;
      return false;
    }
    Mapped();
    return true;
  }

  bool MapElement(simdjson::dom::element element, uint64_t line, TelemetryRecord* out) {
    ObservationBuilder builder(&out->observation);
    Status s;
    simdjson::dom::object object;
    if (element.get(object) != simdjson::SUCCESS) {
      Bad(line, "not a JSON object");
      return false;
    }
    switch (format_) {
      case LogFormat::kZeekJson:
        s = internal::ZeekFromJson(object, &zeek_);
        if (!s.ok()) break;
        return MapZeekRecord(line, out);
      case LogFormat::kSuricataEve: {
        std::string_view kind;
        s = internal::MapSuricata(object, &builder, &kind);
        SetSensor("suricata:", kind, out);
        break;
      }
      case LogFormat::kMappedJson:
        s = mapping_->Map(element, &builder);
        SetSensor("", mapping_->sensor(), out);
        break;
      default:
        s = Status(StatusCode::kInternal, "unexpected format");
    }
    return Finish(s, line, builder, out);
  }

  // Points out->sensor at `prefix` + `kind`, kept once per kind: kinds alternate record by record
  // (Suricata's flow, dns, http …), and building the name for each record showed in profiles.
  // The kind comes from the log (Suricata's event_type): past kMaxSensorKinds, names are built
  // per record and counted together, so a hostile log cannot grow this without bound.
  void SetSensor(std::string_view prefix, std::string_view kind, TelemetryRecord* out) {
    auto is = [&](const std::string& name) {
      return name.size() == prefix.size() + kind.size() && name.starts_with(prefix) &&
             name.ends_with(kind);
    };
    if (current_kind_ == nullptr || !is(current_kind_->name)) {
      current_kind_ = nullptr;
      for (const std::unique_ptr<SensorKind>& k : sensor_kinds_) {
        if (is(k->name)) {
          current_kind_ = k.get();
          break;
        }
      }
      if (current_kind_ == nullptr && sensor_kinds_.size() < kMaxSensorKinds) {
        sensor_kinds_.push_back(std::make_unique<SensorKind>());
        sensor_kinds_.back()->name.assign(prefix).append(kind);
        current_kind_ = sensor_kinds_.back().get();
      }
    }
    if (current_kind_ != nullptr) {
      out->sensor = current_kind_->name;
    } else {
      other_sensor_.assign(prefix).append(kind);
      out->sensor = other_sensor_;
    }
  }

  bool MapTsvLine(std::string_view line, TelemetryRecord* out) {
    if (tsv_.fields.empty()) {
      Bad(counters_.lines, "data before the #fields header");
      return false;
    }
    zeek_.Clear();
    tsv_values_.clear();
    // Zeek's ASCII writer escapes non-printable bytes, and separators inside a value, as \xNN:
    // a value is read as the sensor saw it (a URI with é, a set member with a comma).
    auto unescaped = [this](std::string_view v) -> std::string_view {
      if (v.find("\\x") == std::string_view::npos) return v;
      return tsv_values_.emplace_back(TsvHeader::Unescape(v));
    };
    size_t start = 0;
    size_t index = 0;
    for (;; ++index) {
      size_t at = line.find(tsv_.separator, start);
      std::string_view value =
          line.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start);
      internal::ZeekField* f = nullptr;
      if (index < tsv_.fields.size() && value != tsv_.unset_field && tsv_.names[index]) {
        f = zeek_.Append(*tsv_.names[index]);
      }
      if (f != nullptr) {
        if (tsv_.is_list[index]) {
          f->kind = internal::ZeekField::Kind::kList;
          if (value != tsv_.empty_field) {
            for (size_t s = 0;;) {
              size_t sep = value.find(tsv_.set_separator, s);
              f->list.push_back(
                  unescaped(value.substr(s, sep == std::string_view::npos ? sep : sep - s)));
              if (sep == std::string_view::npos) break;
              s = sep + tsv_.set_separator.size();
            }
          }
        } else {
          f->text = value == tsv_.empty_field ? std::string_view() : unescaped(value);
        }
      }
      if (at == std::string_view::npos) break;
      start = at + 1;
    }
    if (index + 1 != tsv_.fields.size()) {
      Bad(counters_.lines, "has " + std::to_string(index + 1) + " fields, the header names " +
                               std::to_string(tsv_.fields.size()));
      return false;
    }
    ObservationBuilder builder(&out->observation);
    std::string_view path = tsv_.path.empty() ? std::string_view("unknown") : tsv_.path;
    Status s = internal::MapZeek(path, zeek_, &builder);
    SetSensor("zeek:", path, out);
    return Finish(s, counters_.lines, builder, out);
  }

  // Counts a mapped record under the kind SetSensor last named.
  void Mapped() {
    ++counters_.mapped;
    if (current_kind_ == nullptr) {
      ++counters_.mapped_by_sensor[kOtherSensors];
      return;
    }
    if (current_kind_->mapped == nullptr) {
      current_kind_->mapped =
          &counters_.mapped_by_sensor[current_kind_->name];  // nodes do not move
    }
    ++*current_kind_->mapped;
  }

  void Bad(uint64_t line, const std::string& why) {
    ++counters_.bad;
    if (counters_.first_errors.size() < kMaxErrorsKept) {
      // Line 0: a record of a JSON document (observed-data in a bundle), named in `why`.
      counters_.first_errors.push_back(source_ + (line ? ":" + std::to_string(line) : "") + ": " +
                                       why);
    }
  }

  LineReader lines_;
  ReaderOptions options_;
  bool stream_;
  std::optional<internal::JsonMapping> mapping_;
  static constexpr size_t kMaxSensorKinds = 64;
  static constexpr const char* kOtherSensors = "(other kinds)";
  struct SensorKind {
    std::string name;            // TelemetryRecord::sensor points here
    uint64_t* mapped = nullptr;  // its count in counters_.mapped_by_sensor, once it has one
  };
  std::vector<std::unique_ptr<SensorKind>> sensor_kinds_;
  SensorKind* current_kind_ = nullptr;  // null: a kind past kMaxSensorKinds, named in other_sensor_
  std::string other_sensor_;
  simdjson::dom::parser parser_;
  simdjson::ondemand::parser zeek_parser_;  // Zeek JSON lines (internal::ZeekFromLine)
  internal::ZeekRecord zeek_;
  TsvHeader tsv_;
  // The current TSV line's unescaped values (a deque: views into them stay valid).
  std::deque<std::string> tsv_values_;
  bool detected_ = false;
  bool document_mode_ = false;
  simdjson::padded_string document_;
  std::vector<simdjson::dom::element> elements_;
  std::vector<pattern::Observation> stix_;
  size_t next_element_ = 0;
};

}  // namespace

Result<std::unique_ptr<TelemetryReader>> TelemetryReader::Open(const std::string& path,
                                                               const ReaderOptions& options) {
  std::unique_ptr<ByteSource> source;
  if (options.follow && path != "-") {
    CTI_ASSIGN_OR_RETURN(std::unique_ptr<FollowSource> follow, FollowSource::Open(path, options));
    source = std::move(follow);
  } else {
    CTI_ASSIGN_OR_RETURN(std::unique_ptr<InputFile> in, InputFile::Open(path));
    source = std::make_unique<InputFileSource>(std::move(in));
  }
  auto reader = std::make_unique<Reader>(std::move(source), path, options,
                                         /*stream=*/options.follow || path == "-");
  CTI_RETURN_IF_ERROR(reader->Init());
  return std::unique_ptr<TelemetryReader>(std::move(reader));
}

Result<std::unique_ptr<TelemetryReader>> TelemetryReader::FromText(std::string text,
                                                                   std::string name,
                                                                   const ReaderOptions& options) {
  auto reader = std::make_unique<Reader>(std::make_unique<TextSource>(std::move(text)),
                                         std::move(name), options, /*stream=*/false);
  CTI_RETURN_IF_ERROR(reader->Init());
  return std::unique_ptr<TelemetryReader>(std::move(reader));
}

}  // namespace ctihub::telemetry
