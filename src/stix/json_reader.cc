#include "stix/json_reader.h"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <utility>

#include <simdjson.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

namespace ctihub::stix {
namespace internal {

// Byte searches for the splitter, 16 bytes at a time with SSE2 (part of x86-64's baseline), with
// a scalar fallback elsewhere. '{'|0x20 == '{' also catches '[' (0x5B), likewise '}' and ']'.
inline bool IsStructural(char c) {
  return c == '"' || (c | 0x20) == '{' || (c | 0x20) == '}' || c == '\n';
}

const char* FindStructural(const char* p, const char* end) {
#ifdef __SSE2__
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i open = _mm_set1_epi8('{');
  const __m128i close = _mm_set1_epi8('}');
  const __m128i newline = _mm_set1_epi8('\n');
  const __m128i case_bit = _mm_set1_epi8(0x20);
  while (end - p >= 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    __m128i folded = _mm_or_si128(v, case_bit);
    __m128i hits = _mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, newline)),
        _mm_or_si128(_mm_cmpeq_epi8(folded, open), _mm_cmpeq_epi8(folded, close)));
    int mask = _mm_movemask_epi8(hits);
    if (mask) return p + __builtin_ctz(static_cast<unsigned>(mask));
    p += 16;
  }
#endif
  while (p < end && !IsStructural(*p)) ++p;
  return p;
}

const char* FindQuoteOrBackslash(const char* p, const char* end) {
#ifdef __SSE2__
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  while (end - p >= 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    int mask = _mm_movemask_epi8(
        _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)));
    if (mask) return p + __builtin_ctz(static_cast<unsigned>(mask));
    p += 16;
  }
#endif
  while (p < end && *p != '"' && *p != '\\') ++p;
  return p;
}

// Bit masks of one 64-byte block (bit i = byte i).
struct BlockMasks {
  uint64_t quote = 0, backslash = 0, open = 0, close = 0, newline = 0;
};

#if defined(__x86_64__) && defined(__GNUC__)
// The same with AVX2 (two 32-byte halves), chosen at run time when the CPU has it: x86-64's
// baseline only guarantees SSE2.
__attribute__((target("avx2"))) BlockMasks Classify64Avx2(const char* p) {
  const __m256i quote = _mm256_set1_epi8('"');
  const __m256i backslash = _mm256_set1_epi8('\\');
  const __m256i open = _mm256_set1_epi8('{');
  const __m256i close = _mm256_set1_epi8('}');
  const __m256i newline = _mm256_set1_epi8('\n');
  const __m256i case_bit = _mm256_set1_epi8(0x20);
  BlockMasks m;
  for (int i = 0; i < 2; ++i) {
    __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32 * i));
    __m256i folded = _mm256_or_si256(v, case_bit);
    // (No lambda here: it would not inherit the avx2 target.)
    const int shift = 32 * i;
    m.quote |= uint64_t{static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, quote)))}
               << shift;
    m.backslash |=
        uint64_t{static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, backslash)))}
        << shift;
    m.open |= uint64_t{static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(folded, open)))}
              << shift;
    m.close |=
        uint64_t{static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(folded, close)))}
        << shift;
    m.newline |=
        uint64_t{static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, newline)))}
        << shift;
  }
  return m;
}
#endif

#ifdef __SSE2__
BlockMasks Classify64(const char* p) {
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i open = _mm_set1_epi8('{');
  const __m128i close = _mm_set1_epi8('}');
  const __m128i newline = _mm_set1_epi8('\n');
  const __m128i case_bit = _mm_set1_epi8(0x20);
  BlockMasks m;
  for (int i = 0; i < 4; ++i) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * i));
    __m128i folded = _mm_or_si128(v, case_bit);
    auto bits = [&](__m128i eq) {
      return static_cast<uint64_t>(static_cast<uint16_t>(_mm_movemask_epi8(eq))) << (16 * i);
    };
    m.quote |= bits(_mm_cmpeq_epi8(v, quote));
    m.backslash |= bits(_mm_cmpeq_epi8(v, backslash));
    m.open |= bits(_mm_cmpeq_epi8(folded, open));
    m.close |= bits(_mm_cmpeq_epi8(folded, close));
    m.newline |= bits(_mm_cmpeq_epi8(v, newline));
  }
  return m;
}
#endif

// Bit i of the result is the XOR of bits 0..i: with quote bits in, it marks the bytes inside
// strings (from the opening quote up to, not including, the closing one).
inline uint64_t PrefixXor(uint64_t x) {
  x ^= x << 1;
  x ^= x << 2;
  x ^= x << 4;
  x ^= x << 8;
  x ^= x << 16;
  x ^= x << 32;
  return x;
}

}  // namespace internal

// Why this is hand-written: simdjson (like every JSON library in Debian) parses a whole document
// at once, which for a several-hundred-MB bundle means holding it and its structural index in
// memory. This scanner only finds the byte boundaries of each element of a bundle's `objects`
// array (tracking strings, escapes and bracket depth — no value parsing), so each object can then
// be parsed and validated on its own by simdjson. Syntax errors inside an element are left to
// simdjson, which reports them precisely.
class ObjectReader::Impl {
 public:
  Impl(std::unique_ptr<InputFile> input, std::string text, ReaderOptions options)
      : input_(std::move(input)), options_(options) {
    if (!input_) {
      buf_ = std::move(text);
      end_ = buf_.size();
      eof_ = true;
    }
  }

  Result<bool> Next(RawObject* out) {
    skipped_bad_value_ = false;
    Result<bool> got = NextValue(out);
    if (got.ok() || !SkipBadLine(got.status(), out)) return got;
    // Where the line starts: the scanner's own position is where it gave up, which for a line
    // left open is the end of the input, far from the fault.
    return InvalidArgument(got.status().message() + "; the line was skipped",
                           "byte " + std::to_string(out->byte_offset));
  }
  bool skipped_bad_value() const { return skipped_bad_value_; }
  std::vector<Envelope> TakeFinished() { return std::exchange(finished_, {}); }
  const Envelope& current() const { return envelope_; }
  uint64_t bytes_read() const { return base_ + pos_; }
  const InputFile* input() const { return input_.get(); }

 private:
  enum class Mode { kTop, kArrayElements, kBundleMembers };

  // Returns the next byte without consuming it, or -1 at end of input.
  int Peek() {
    if (pos_ < end_) return static_cast<unsigned char>(buf_[pos_]);
    if (!Refill()) return -1;
    return static_cast<unsigned char>(buf_[pos_]);
  }
  void Advance(std::string* record) {
    if (record) record->push_back(buf_[pos_]);
    if (buf_[pos_] == '\n') ++line_;
    ++pos_;
  }
  bool Refill();
  uint64_t Offset() const { return base_ + pos_; }

  // Skips JSON whitespace, appending it to *record when non-null.
  void SkipWhitespace(std::string* record) {
    for (int c = Peek(); c == ' ' || c == '\t' || c == '\n' || c == '\r'; c = Peek()) {
      Advance(record);
    }
  }
  // Appends one complete JSON value (object, array, string or scalar) to *out.
  Status ScanValue(std::string* out);
  Status ScanString(std::string* out);
  Status Expected(const char* what) {
    // The input ended because it could not be read on (a truncated .gz): that is the cause, not
    // the JSON that stopped mid-value.
    if (!io_error_.ok()) return io_error_;
    int c = Peek();
    std::string found;
    if (c < 0) {
      found = "end of input";
    } else if (c >= 0x20 && c < 0x7F) {
      found = "'" + std::string(1, static_cast<char>(c)) + "'";
    } else {  // never echo raw control or non-ASCII bytes: findings must stay valid UTF-8
      static constexpr char kHex[] = "0123456789abcdef";
      found = std::string("byte 0x") + kHex[c >> 4] + kHex[c & 15];
    }
    return InvalidArgument("unexpected " + found + ", expected " + what,
                           "byte " + std::to_string(Offset()));
  }
  Status TooLarge() {
    return ResourceExhausted("a JSON value at byte " + std::to_string(value_start_) +
                             " exceeds the limit of " + std::to_string(options_.max_object_bytes) +
                             " bytes");
  }
  // `prefix` + `index` ("/objects/" + 3) is written into the object's existing buffer.
  void StartValue(RawObject* out, std::string_view prefix, uint64_t index) {
    out->pointer.assign(prefix);
    char digits[24];
    auto end = std::to_chars(digits, digits + sizeof(digits), index).ptr;
    out->pointer.append(digits, end);
    StartValue(out);
  }
  void StartValue(RawObject* out) {
    out->text.clear();
    out->byte_offset = Offset();
    out->line = line_;
    out->value_index = value_index_;
    value_start_ = Offset();
  }
  void Pad(RawObject* out) { out->text.reserve(out->text.size() + simdjson::SIMDJSON_PADDING); }
  void FinishTopValue() {
    declared_non_bundle_ = false;
    envelope_.complete = true;
    finished_.push_back(std::move(envelope_));
    envelope_ = Envelope();
    ++value_index_;
    mode_ = Mode::kTop;
  }
  // True when the buffered bytes at pos_ ('{') visibly start an object whose first member is
  // "type" with a value other than "bundle" — an ordinary STIX object, never to be streamed.
  bool StartsPlainObject() const {
    size_t i = pos_ + 1;
    auto ws = [&] {
      while (i < end_ && (buf_[i] == ' ' || buf_[i] == '\n' || buf_[i] == '\r' || buf_[i] == '\t')) ++i;
    };
    ws();
    if (end_ - i < 8 || buf_.compare(i, 6, "\"type\"") != 0) return false;
    i += 6;
    ws();
    if (i >= end_ || buf_[i] != ':') return false;
    ++i;
    ws();
    if (i >= end_ || buf_[i] != '"') return false;
    size_t close = buf_.find_first_of("\"\\", i + 1);
    if (close == std::string::npos || close >= end_ || buf_[close] != '"') return false;
    return std::string_view(buf_).substr(i + 1, close - i - 1) != "bundle";
  }
  Result<bool> NextValue(RawObject* out);
  // A structural error in a top-level single object after the first (JSON lines) costs that
  // line only: what was read of the value is searched for its first newline and the bytes after
  // it are read again (an unclosed string or brace can run into the next lines); without one,
  // the input is skipped to the end of the line. False (reading stops) for anything else: the
  // first value, a bundle or array, an I/O error, a value over the size limit.
  bool SkipBadLine(const Status& error, RawObject* out) {
    if (error.code() != StatusCode::kInvalidArgument || !io_error_.ok() || value_index_ == 0 ||
        mode_ != Mode::kTop || envelope_.has_objects_array) {
      return false;
    }
    const size_t newline = out->text.find('\n');
    if (newline != std::string::npos) {
      std::string again = out->text.substr(newline + 1);
      again.append(buf_, pos_, end_ - pos_);
      buf_ = std::move(again);
      base_ = out->byte_offset + newline + 1;
      pos_ = 0;
      end_ = buf_.size();
      line_ = out->line + 1;
    } else {
      for (int c = Peek(); c >= 0; c = Peek()) {
        Advance(nullptr);
        if (c == '\n') break;
      }
    }
    envelope_ = Envelope();
    declared_non_bundle_ = false;
    ++value_index_;
    skipped_bad_value_ = true;
    return true;
  }
  // Reads the members of a top-level object; streams `objects` when it is a bundle.
  Result<bool> ReadTopObject(RawObject* out);
  Result<bool> NextBundleElement(RawObject* out);
  Result<bool> NextArrayElement(RawObject* out);

#if defined(__x86_64__) && defined(__GNUC__)
  const bool use_avx2_ = __builtin_cpu_supports("avx2");
#else
  static constexpr bool use_avx2_ = false;
#endif
  std::unique_ptr<InputFile> input_;
  ReaderOptions options_;
  std::string buf_;
  size_t pos_ = 0;
  size_t end_ = 0;
  uint64_t base_ = 0;  // input offset of buf_[0]
  uint64_t line_ = 1;
  bool eof_ = false;
  bool started_ = false;
  bool skipped_bad_value_ = false;
  Status io_error_;

  Mode mode_ = Mode::kTop;
  uint64_t element_index_ = 0;
  uint64_t value_index_ = 0;
  uint64_t value_start_ = 0;
  Envelope envelope_;
  bool declared_non_bundle_ = false;  // the current top-level value's type is not "bundle"
  static constexpr size_t kMaxEnvelopeProperties = 64;
  std::vector<Envelope> finished_;
};

bool ObjectReader::Impl::Refill() {
  if (eof_ || !input_) return false;
  constexpr size_t kChunk = size_t{1} << 20;
  base_ += end_;
  buf_.resize(kChunk);
  Result<size_t> n = input_->Read(buf_.data(), kChunk);
  if (!n.ok()) {
    io_error_ = n.status();
    eof_ = true;
    n = size_t{0};
  }
  if (*n == 0) eof_ = true;
  pos_ = 0;
  end_ = *n;
  return *n > 0;
}

Status ObjectReader::Impl::ScanString(std::string* out) {
  // Precondition: Peek() == '"'. Strings without escapes (nearly all) end at the first quote the
  // SSE2 search finds. A raw newline inside a string is invalid JSON that simdjson reports; it is
  // not counted for line numbers.
  size_t start = pos_;
  ++pos_;
  for (;;) {
    if (pos_ >= end_) {
      out->append(buf_, start, end_ - start);
      if (out->size() > options_.max_object_bytes) return TooLarge();
      if (!Refill()) return Expected("'\"' to close a string");
      start = 0;
      continue;
    }
    const char* base = buf_.data();
    const char* hit = internal::FindQuoteOrBackslash(base + pos_, base + end_);
    if (hit == base + end_) {
      pos_ = end_;
      continue;
    }
    if (*hit == '\\') {
      pos_ = static_cast<size_t>(hit - base) + 1;  // skip '\\'
      if (pos_ >= end_) {
        out->append(buf_, start, end_ - start);
        if (!Refill()) return Expected("an escaped character");
        start = 0;
      }
      ++pos_;  // skip the escaped byte
      continue;
    }
    const char* quote = hit;
    pos_ = static_cast<size_t>(quote - base) + 1;
    out->append(buf_, start, pos_ - start);
    return Status::Ok();
  }
}

Status ObjectReader::Impl::ScanValue(std::string* out) {
  int c = Peek();
  if (c < 0) return Expected("a JSON value");
  if (c == '"') return ScanString(out);
  if (c != '{' && c != '[') {
    // Scalar: take bytes up to the next delimiter; simdjson judges them later. The limit is on
    // the scalar itself (`out` may already hold the rest of an object).
    const size_t start = out->size();
    while ((c = Peek()) >= 0 && c != ',' && c != '}' && c != ']' && c != ' ' && c != '\n' &&
           c != '\r' && c != '\t') {
      Advance(out);
      if (out->size() - start > 4096) {
        return InvalidArgument("a JSON scalar longer than 4096 bytes",
                               "byte " + std::to_string(Offset()));
      }
    }
    return Status::Ok();
  }
  // Container: track depth with a counter (no recursion, so deep nesting cannot overflow the
  // stack); mismatched bracket kinds are left for simdjson to report. Strings are skipped
  // inline, so an object is copied out in as few spans as the buffer allows.
  size_t depth = 0;
  bool in_string = false;
  bool escaped = false;  // the previous byte was a backslash inside a string
  size_t start = pos_;
  for (;;) {
    if (pos_ >= end_) {
      out->append(buf_, start, pos_ - start);
      if (out->size() > options_.max_object_bytes) return TooLarge();
      if (!Refill()) {
        return Expected(in_string ? "'\"' to close a string"
                                  : "'}' or ']' to close a JSON value");
      }
      start = 0;
      continue;
    }
    const char* base = buf_.data();
    if (escaped) {
      escaped = false;
      ++pos_;
      continue;
    }
#ifdef __SSE2__
    // Whole 64-byte blocks without backslashes (nearly all of them) are classified at once, in
    // the manner of simdjson's stage 1: string interiors come from a prefix XOR of the quote
    // bits, and only brackets outside strings are visited. Blocks with escapes go byte-wise.
    if (end_ - pos_ >= 64) {
      internal::BlockMasks m = use_avx2_ ? internal::Classify64Avx2(base + pos_)
                                         : internal::Classify64(base + pos_);
      if (m.backslash == 0) {
        uint64_t quote_prefix = internal::PrefixXor(m.quote);
        uint64_t inside = quote_prefix ^ (in_string ? ~uint64_t{0} : 0);
        uint64_t brackets = (m.open | m.close) & ~inside;
        while (brackets) {
          int i = __builtin_ctzll(brackets);
          uint64_t bit = uint64_t{1} << i;
          brackets &= brackets - 1;
          if (m.open & bit) {
            ++depth;
          } else if (--depth == 0) {
            uint64_t upto = i == 63 ? ~uint64_t{0} : (bit << 1) - 1;
            if (m.newline & upto) line_ += static_cast<uint64_t>(__builtin_popcountll(m.newline & upto));
            pos_ += static_cast<size_t>(i) + 1;
            out->reserve(out->size() + (pos_ - start) + simdjson::SIMDJSON_PADDING);
            out->append(buf_, start, pos_ - start);
            if (out->size() > options_.max_object_bytes) return TooLarge();
            return Status::Ok();
          }
        }
        if (m.newline) line_ += static_cast<uint64_t>(__builtin_popcountll(m.newline));
        if (quote_prefix >> 63) in_string = !in_string;  // an odd number of quotes
        pos_ += 64;
        continue;
      }
    }
#endif
    if (in_string) {
      const char* hit = internal::FindQuoteOrBackslash(base + pos_, base + end_);
      pos_ = static_cast<size_t>(hit - base);
      if (pos_ >= end_) continue;
      if (*hit == '\\') {
        escaped = true;
      } else {
        in_string = false;
      }
      ++pos_;
      continue;
    }
    const char* hit = internal::FindStructural(base + pos_, base + end_);
    pos_ = static_cast<size_t>(hit - base);
    if (pos_ >= end_) continue;
    switch (*hit) {
      case '"':
        in_string = true;
        break;
      case '{':
      case '[':
        ++depth;
        break;
      case '}':
      case ']':
        if (--depth == 0) {
          ++pos_;
          // One allocation that already holds simdjson's padding (Pad() then has nothing to do).
          out->reserve(out->size() + (pos_ - start) + simdjson::SIMDJSON_PADDING);
          out->append(buf_, start, pos_ - start);
          if (out->size() > options_.max_object_bytes) return TooLarge();
          return Status::Ok();
        }
        break;
      default:  // '\n'
        ++line_;
        break;
    }
    ++pos_;
  }
}

Result<bool> ObjectReader::Impl::NextArrayElement(RawObject* out) {
  for (;;) {
    SkipWhitespace(nullptr);
    int c = Peek();
    if (c == ']') {
      Advance(nullptr);
      FinishTopValue();
      return false;  // caller continues with the next top-level value
    }
    if (element_index_ > 0) {
      if (c != ',') return Expected("',' or ']' in a JSON array");
      Advance(nullptr);
      SkipWhitespace(nullptr);
    }
    StartValue(out, "/", element_index_);
    ++element_index_;
    CTI_RETURN_IF_ERROR(ScanValue(&out->text));
    Pad(out);
    return true;
  }
}

Result<bool> ObjectReader::Impl::NextBundleElement(RawObject* out) {
  SkipWhitespace(nullptr);
  int c = Peek();
  if (c == ']') {
    Advance(nullptr);
    return false;  // end of `objects`; the caller reads the remaining bundle members
  }
  if (element_index_ > 0) {
    if (c != ',') return Expected("',' or ']' in the bundle's objects array");
    Advance(nullptr);
    SkipWhitespace(nullptr);
  }
  StartValue(out, "/objects/", element_index_);
  ++element_index_;
  CTI_RETURN_IF_ERROR(ScanValue(&out->text));
  Pad(out);
  return true;
}

Result<bool> ObjectReader::Impl::ReadTopObject(RawObject* out) {
  // Members of a top-level object. While we do not know it is a bundle, every byte is recorded
  // in out->text, so a single object comes out exactly as it was written.
  std::string* record = envelope_.has_objects_array ? nullptr : &out->text;
  for (;;) {
    SkipWhitespace(record);
    int c = Peek();
    if (c == '}') {
      Advance(record);
      bool single = !envelope_.has_objects_array;
      if (single) Pad(out);
      FinishTopValue();
      return single;
    }
    if (!envelope_.properties.empty() || envelope_.has_objects_array) {
      if (c != ',') return Expected("',' or '}' in an object");
      Advance(record);
      SkipWhitespace(record);
      c = Peek();
    }
    if (c != '"') return Expected("'\"' to start a property name");
    // Into the record directly, so that a key left unclosed is part of what was read.
    std::string key;
    if (record) {
      const size_t at = record->size();
      CTI_RETURN_IF_ERROR(ScanString(record));
      key.assign(*record, at, std::string::npos);
    } else {
      CTI_RETURN_IF_ERROR(ScanString(&key));
    }
    SkipWhitespace(record);
    if (Peek() != ':') return Expected("':' after a property name");
    Advance(record);
    SkipWhitespace(record);
    if (key == "\"objects\"" && Peek() == '[' && !declared_non_bundle_) {
      // A bundle: stop recording and stream the elements (of a second list too).
      Advance(nullptr);
      envelope_.has_objects_array = true;
      ++envelope_.objects_lists;
      envelope_.container = Container::kBundle;
      mode_ = Mode::kBundleMembers;
      element_index_ = 0;
      return Next(out);
    }
    // Scanned straight into the recorded object text (no copy). Only type, id and
    // spec_version are kept as envelope values — what a bundle is judged by; for the rest the
    // name is enough — so each JSON line's properties are not copied twice more.
    std::string value;
    std::string* target = record ? record : &value;
    const size_t start = target->size();
    CTI_RETURN_IF_ERROR(ScanValue(target));
    if (record && record->size() > options_.max_object_bytes) return TooLarge();
    const bool keep = key == "\"type\"" || key == "\"id\"" || key == "\"spec_version\"";
    if (key == "\"type\"" && std::string_view(*target).substr(start) != "\"bundle\"") {
      declared_non_bundle_ = true;
    }
    // Members of a top-level value are kept by name for the bundle checks, up to a cap: a
    // hostile value with millions of members must not grow the envelope without bound (the
    // recorded text is bounded by max_object_bytes, trailing bundle members are not).
    if (keep || envelope_.properties.size() < kMaxEnvelopeProperties) {
      envelope_.properties.emplace_back(
          key.substr(1, key.size() - 2),
          keep ? std::string(*target, start, target->size() - start) : std::string());
    }
  }
}

Result<bool> ObjectReader::Impl::NextValue(RawObject* out) {
  for (;;) {
    if (!io_error_.ok()) return io_error_;
    switch (mode_) {
      case Mode::kArrayElements: {
        CTI_ASSIGN_OR_RETURN(bool got, NextArrayElement(out));
        if (got) return true;
        continue;
      }
      case Mode::kBundleMembers: {
        CTI_ASSIGN_OR_RETURN(bool got, NextBundleElement(out));
        if (got) return true;
        // Back to the bundle's remaining members, recording nothing.
        mode_ = Mode::kTop;
        CTI_ASSIGN_OR_RETURN(bool single, ReadTopObject(out));
        if (single) return true;
        continue;
      }
      case Mode::kTop:
        break;
    }
    SkipWhitespace(nullptr);
    if (!started_) {
      started_ = true;
      // A UTF-8 byte order mark is tolerated at the very start (editors on Windows add one).
      if (Peek() == 0xEF && end_ - pos_ >= 3 && buf_.compare(pos_, 3, "\xEF\xBB\xBF") == 0) {
        pos_ += 3;
        SkipWhitespace(nullptr);
      }
    }
    int c = Peek();
    if (!io_error_.ok()) return io_error_;
    if (c < 0) return false;
    envelope_ = Envelope();
    envelope_.value_index = value_index_;
    envelope_.byte_offset = Offset();
    element_index_ = 0;
    if (c == '[') {
      Advance(nullptr);
      envelope_.container = Container::kArray;
      mode_ = Mode::kArrayElements;
      continue;
    }
    if (c == '{') {
      out->pointer.clear();
      StartValue(out);
      if (StartsPlainObject()) {
        // JSON lines of ordinary objects: the whole value goes through the block scanner at
        // once instead of member by member.
        CTI_RETURN_IF_ERROR(ScanValue(&out->text));
        Pad(out);
        FinishTopValue();
        return true;
      }
      Advance(&out->text);
      envelope_.container = Container::kSingleObject;
      CTI_ASSIGN_OR_RETURN(bool single, ReadTopObject(out));
      if (single || mode_ == Mode::kBundleMembers) return true;
      continue;  // a bundle with no objects, already closed
    }
    out->pointer.clear();
    StartValue(out);  // where the bad value is, for the error
    return Expected("'{' or '[' at the start of a top-level JSON value");
  }
}

ObjectReader::ObjectReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ObjectReader::~ObjectReader() = default;

Result<std::unique_ptr<ObjectReader>> ObjectReader::OpenFile(const std::string& path,
                                                            ReaderOptions options) {
  CTI_ASSIGN_OR_RETURN(std::unique_ptr<InputFile> input, InputFile::Open(path));
  return FromInput(std::move(input), options);
}

std::unique_ptr<ObjectReader> ObjectReader::FromInput(std::unique_ptr<InputFile> input,
                                                      ReaderOptions options) {
  return std::unique_ptr<ObjectReader>(
      new ObjectReader(std::make_unique<Impl>(std::move(input), std::string(), options)));
}

std::unique_ptr<ObjectReader> ObjectReader::FromString(std::string text, ReaderOptions options) {
  return std::unique_ptr<ObjectReader>(
      new ObjectReader(std::make_unique<Impl>(nullptr, std::move(text), options)));
}

Result<bool> ObjectReader::Next(RawObject* out) { return impl_->Next(out); }
bool ObjectReader::SkippedBadValue() const { return impl_->skipped_bad_value(); }
std::vector<Envelope> ObjectReader::TakeFinishedEnvelopes() { return impl_->TakeFinished(); }
const Envelope& ObjectReader::current_envelope() const { return impl_->current(); }
uint64_t ObjectReader::bytes_read() const { return impl_->bytes_read(); }
const InputFile* ObjectReader::input() const { return impl_->input(); }

}  // namespace ctihub::stix
