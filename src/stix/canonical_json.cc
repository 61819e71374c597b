#include "stix/canonical_json.h"

#include <simdjson.h>

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cmath>
#include <vector>

#include "common/utf8.h"

// Why hand-written: no Debian (bookworm) C/C++ library implements RFC 8785. simdjson, jsoncpp,
// json-c, cJSON and Boost.JSON print numbers with their own (%.17g or shortest-digit) rules instead
// of ECMAScript's, and none sorts members by UTF-16 code units. The scheme itself is three small
// rules (sorting, string escaping, ES number form), and std::to_chars already gives the shortest
// round-trip digits that ES Number::toString is defined on, so we only re-lay them out.

namespace ctihub::stix {
namespace {

// RFC 8785 §3.2.2.2 (= ES JSON.stringify QuoteJSONString): only '"', '\\' and C0 controls are
// escaped; \b \t \n \f \r use their short forms, the rest \u00xx in lower-case hex. Everything
// else, including U+007F and non-ASCII, is copied as UTF-8. JSON text is UTF-8 (RFC 8259 §8.1):
// a byte that starts no valid sequence (a Latin-1 file name, a title typed in such a terminal)
// is written as U+FFFD, so what we write always parses.
void AppendJsonString(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t run_start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      if (const size_t n = Utf8SequenceLength(s, i); n > 0) {
        i += n - 1;
        continue;
      }
      out->append(s.data() + run_start, i - run_start);
      out->append("\xEF\xBF\xBD");
      run_start = i + 1;
      continue;
    }
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(s.data() + run_start, i - run_start);
    run_start = i + 1;
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\f':
        out->append("\\f");
        break;
      case '\r':
        out->append("\\r");
        break;
      default: {
        const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0x0F]};
        out->append(esc, sizeof(esc));
      }
    }
  }
  out->append(s.data() + run_start, s.size() - run_start);
  out->push_back('"');
}

// RFC 8785 §3.2.2.3: ECMAScript Number::toString (ECMA-262 §6.1.6.1.20). ES defines the output from
// the shortest digit string s (k digits) and exponent n with s × 10^(n−k) == value; std::to_chars
// in scientific form yields exactly those digits ("d.ddde±XX"), so only the layout changes.
void AppendEcmaScriptNumber(double value, std::string* out) {
  if (value == 0) {  // +0 and -0 both print as "0"
    out->push_back('0');
    return;
  }
  if (!std::isfinite(value)) {  // cannot come from parsed JSON; JsonWriter asserts before this
    out->append("null");
    return;
  }
  char buf[40];
  const std::to_chars_result r =
      std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::scientific);
  const char* p = buf;
  if (*p == '-') {
    out->push_back('-');
    ++p;
  }
  char digits[20];
  int k = 0;
  digits[k++] = *p++;
  if (*p == '.') {
    for (++p; *p != 'e'; ++p) digits[k++] = *p;
  }
  ++p;  // 'e'
  const bool negative_exponent = *p == '-';
  ++p;  // to_chars always writes the exponent sign
  int exponent = 0;
  for (; p < r.ptr; ++p) exponent = exponent * 10 + (*p - '0');
  if (negative_exponent) exponent = -exponent;
  const int n = exponent + 1;  // ES's n: position of the decimal point relative to the digits

  if (k <= n && n <= 21) {  // integer: digits then n−k zeros
    out->append(digits, k);
    out->append(n - k, '0');
  } else if (0 < n && n <= 21) {  // point inside the digits
    out->append(digits, n);
    out->push_back('.');
    out->append(digits + n, k - n);
  } else if (-6 < n && n <= 0) {  // 0.000ddd
    out->append("0.");
    out->append(-n, '0');
    out->append(digits, k);
  } else {  // exponent form: d[.ddd]e±x
    out->push_back(digits[0]);
    if (k > 1) {
      out->push_back('.');
      out->append(digits + 1, k - 1);
    }
    out->push_back('e');
    out->push_back(n - 1 >= 0 ? '+' : '-');
    char exp_buf[8];
    const std::to_chars_result e =
        std::to_chars(exp_buf, exp_buf + sizeof(exp_buf), std::abs(n - 1));
    out->append(exp_buf, e.ptr);
  }
}

// Integers up to 2^53 in magnitude are exact doubles whose ES form is the plain decimal integer,
// so they skip the double round trip. Larger ones are what JCS says they are: doubles.
constexpr int64_t kMaxExactInteger = int64_t{1} << 53;

void AppendInt64(int64_t value, std::string* out) {
  if (value > kMaxExactInteger || value < -kMaxExactInteger) {
    AppendEcmaScriptNumber(static_cast<double>(value), out);
    return;
  }
  char buf[24];
  const std::to_chars_result r = std::to_chars(buf, buf + sizeof(buf), value);
  out->append(buf, r.ptr);
}

void AppendUint64(uint64_t value, std::string* out) {
  if (value > static_cast<uint64_t>(kMaxExactInteger)) {
    AppendEcmaScriptNumber(static_cast<double>(value), out);
    return;
  }
  AppendInt64(static_cast<int64_t>(value), out);
}

// Decodes the code point starting at s[i]; s is valid UTF-8 (simdjson validates all input).
uint32_t DecodeCodePoint(std::string_view s, size_t i) {
  const auto byte = [&](size_t j) {
    return static_cast<uint32_t>(static_cast<unsigned char>(s[j]));
  };
  const uint32_t lead = byte(i);
  if (lead < 0x80) return lead;
  if (lead < 0xE0) return (lead & 0x1F) << 6 | (byte(i + 1) & 0x3F);
  if (lead < 0xF0) return (lead & 0x0F) << 12 | (byte(i + 1) & 0x3F) << 6 | (byte(i + 2) & 0x3F);
  return (lead & 0x07) << 18 | (byte(i + 1) & 0x3F) << 12 | (byte(i + 2) & 0x3F) << 6 |
         (byte(i + 3) & 0x3F);
}

// RFC 8785 §3.2.3: member names are ordered by their UTF-16 code units. UTF-8 byte order equals
// code point order, which equals UTF-16 order except when a supplementary-plane character (a
// surrogate pair, 0xD800..0xDBFF first) meets U+E000..U+FFFF; so compare bytes and decide by code
// units only at the first differing code point.
bool Utf16Less(std::string_view a, std::string_view b) {
  const size_t common = std::min(a.size(), b.size());
  size_t i = 0;
  while (i < common && a[i] == b[i]) ++i;
  if (i == common) return a.size() < b.size();
  const unsigned char ca = static_cast<unsigned char>(a[i]);
  const unsigned char cb = static_cast<unsigned char>(b[i]);
  if (ca < 0x80 && cb < 0x80) return ca < cb;
  // Both strings share the bytes before i, so the code point holding byte i starts at the same
  // offset in both.
  size_t start = i;
  while (start > 0 && (static_cast<unsigned char>(a[start]) & 0xC0) == 0x80) --start;
  const uint32_t cp_a = DecodeCodePoint(a, start);
  const uint32_t cp_b = DecodeCodePoint(b, start);
  const bool supp_a = cp_a >= 0x10000;
  const bool supp_b = cp_b >= 0x10000;
  if (supp_a == supp_b) return cp_a < cp_b;
  const uint32_t unit_a = supp_a ? 0xD800 + ((cp_a - 0x10000) >> 10) : cp_a;
  const uint32_t unit_b = supp_b ? 0xD800 + ((cp_b - 0x10000) >> 10) : cp_b;
  return unit_a < unit_b;  // never equal: a BMP code point in valid UTF-8 is not a surrogate
}

struct Member {
  std::string_view name;
  simdjson::dom::element value;
};

// Recursion depth is bounded by simdjson's parser depth limit (1024 by default).
void AppendCanonical(simdjson::dom::element value, std::string* out) {
  using simdjson::dom::element_type;
  switch (value.type()) {
    case element_type::OBJECT: {
      const simdjson::dom::object object = value.get_object().value_unsafe();
      std::vector<Member> members;
      members.reserve(object.size());
      for (simdjson::dom::key_value_pair kv : object) members.push_back({kv.key, kv.value});
      // Stable, so duplicate names (which I-JSON forbids; validators report them) keep input order
      // and the output is still deterministic.
      std::stable_sort(members.begin(), members.end(),
                       [](const Member& x, const Member& y) { return Utf16Less(x.name, y.name); });
      out->push_back('{');
      bool first = true;
      for (const Member& m : members) {
        if (!first) out->push_back(',');
        first = false;
        AppendJsonString(m.name, out);
        out->push_back(':');
        AppendCanonical(m.value, out);
      }
      out->push_back('}');
      return;
    }
    case element_type::ARRAY: {
      // Copy the array out of the simdjson_result first: value_unsafe() returns a reference into
      // that temporary, which a range-for would keep using after it is destroyed.
      const simdjson::dom::array array = value.get_array().value_unsafe();
      out->push_back('[');
      bool first = true;
      for (simdjson::dom::element item : array) {
        if (!first) out->push_back(',');
        first = false;
        AppendCanonical(item, out);
      }
      out->push_back(']');
      return;
    }
    case element_type::STRING:
      AppendJsonString(value.get_string().value_unsafe(), out);
      return;
    case element_type::INT64:
      AppendInt64(value.get_int64().value_unsafe(), out);
      return;
    case element_type::UINT64:
      AppendUint64(value.get_uint64().value_unsafe(), out);
      return;
    case element_type::DOUBLE:
      AppendEcmaScriptNumber(value.get_double().value_unsafe(), out);
      return;
    case element_type::BOOL:
      out->append(value.get_bool().value_unsafe() ? "true" : "false");
      return;
    case element_type::NULL_VALUE:
      out->append("null");
      return;
  }
}

}  // namespace

std::string CanonicalJson(simdjson::dom::element value) {
  std::string out;
  AppendCanonical(value, &out);
  return out;
}

void AppendCanonicalJson(simdjson::dom::element value, std::string* out) {
  AppendCanonical(value, out);
}

JsonWriter& JsonWriter::BeginObject() {
  BeforeValue();
  out_.push_back('{');
  need_comma_ = false;
  return *this;
}

JsonWriter& JsonWriter::EndObject() {
  out_.push_back('}');
  need_comma_ = true;
  return *this;
}

JsonWriter& JsonWriter::BeginArray() {
  BeforeValue();
  out_.push_back('[');
  need_comma_ = false;
  return *this;
}

JsonWriter& JsonWriter::EndArray() {
  out_.push_back(']');
  need_comma_ = true;
  return *this;
}

JsonWriter& JsonWriter::Key(std::string_view name) {
  BeforeValue();
  AppendJsonString(name, &out_);
  out_.push_back(':');
  need_comma_ = false;  // the value that follows belongs to this key
  return *this;
}

JsonWriter& JsonWriter::String(std::string_view value) {
  BeforeValue();
  AppendJsonString(value, &out_);
  need_comma_ = true;
  return *this;
}

JsonWriter& JsonWriter::Int(int64_t value) {
  BeforeValue();
  AppendInt64(value, &out_);
  need_comma_ = true;
  return *this;
}

JsonWriter& JsonWriter::Uint(uint64_t value) {
  BeforeValue();
  AppendUint64(value, &out_);
  need_comma_ = true;
  return *this;
}

JsonWriter& JsonWriter::Double(double value) {
  assert(std::isfinite(value) && "JSON cannot represent NaN or Infinity");
  BeforeValue();
  AppendEcmaScriptNumber(value, &out_);
  need_comma_ = true;
  return *this;
}

JsonWriter& JsonWriter::Bool(bool value) {
  BeforeValue();
  out_.append(value ? "true" : "false");
  need_comma_ = true;
  return *this;
}

JsonWriter& JsonWriter::Null() {
  BeforeValue();
  out_.append("null");
  need_comma_ = true;
  return *this;
}

JsonWriter& JsonWriter::Raw(std::string_view json) {
  BeforeValue();
  out_.append(json);
  need_comma_ = true;
  return *this;
}

}  // namespace ctihub::stix
