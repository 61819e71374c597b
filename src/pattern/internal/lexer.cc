#include "pattern/internal/lexer.h"

#include <charconv>
#include <cstdint>
#include <system_error>

namespace ctihub::pattern::internal {
namespace {

struct Keyword {
  std::string_view text;
  TokenKind kind;
};

// STIXPattern.g4 "Keywords": exact spelling, so `within` is an identifier, not WITHIN.
constexpr Keyword kKeywords[] = {
    {"AND", TokenKind::kAnd},
    {"OR", TokenKind::kOr},
    {"NOT", TokenKind::kNot},
    {"FOLLOWEDBY", TokenKind::kFollowedBy},
    {"LIKE", TokenKind::kLike},
    {"MATCHES", TokenKind::kMatches},
    {"ISSUPERSET", TokenKind::kIsSuperset},
    {"ISSUBSET", TokenKind::kIsSubset},
    {"EXISTS", TokenKind::kExists},
    {"LAST", TokenKind::kLast},
    {"IN", TokenKind::kIn},
    {"START", TokenKind::kStart},
    {"STOP", TokenKind::kStop},
    {"SECONDS", TokenKind::kSeconds},
    {"WITHIN", TokenKind::kWithin},
    {"REPEATS", TokenKind::kRepeats},
    {"TIMES", TokenKind::kTimes},
    {"true", TokenKind::kBoolean},
    {"false", TokenKind::kBoolean},
};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsIdentStart(char c) { return IsAlpha(c) || c == '_'; }
bool IsIdentChar(char c) { return IsAlpha(c) || IsDigit(c) || c == '_' || c == '-'; }

unsigned char Byte(std::string_view s, size_t i) { return static_cast<unsigned char>(s[i]); }

// Length in bytes of the white-space character at `pos`, or 0. The grammar's WS rule: ASCII
// space, \t \r \n \v \f, and U+0085 U+00A0 U+1680 U+2000-U+200A U+2028 U+2029 U+202F U+205F U+3000.
size_t SpaceLength(std::string_view s, size_t pos) {
  unsigned char c = Byte(s, pos);
  if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f') return 1;
  size_t left = s.size() - pos;
  if (c == 0xC2 && left >= 2) {
    unsigned char c1 = Byte(s, pos + 1);
    return (c1 == 0x85 || c1 == 0xA0) ? 2 : 0;
  }
  if (left < 3) return 0;
  unsigned char c1 = Byte(s, pos + 1);
  unsigned char c2 = Byte(s, pos + 2);
  if (c == 0xE1) return (c1 == 0x9A && c2 == 0x80) ? 3 : 0;
  if (c == 0xE2 && c1 == 0x80) {
    bool space = (c2 >= 0x80 && c2 <= 0x8A) || c2 == 0xA8 || c2 == 0xA9 || c2 == 0xAF;
    return space ? 3 : 0;
  }
  if (c == 0xE2 && c1 == 0x81) return c2 == 0x9F ? 3 : 0;
  if (c == 0xE3) return (c1 == 0x80 && c2 == 0x80) ? 3 : 0;
  return 0;
}

// Bytes in the (well-formed enough) UTF-8 sequence at `pos`, so a stray non-ASCII character is
// reported whole; 1 for ASCII and for anything malformed.
size_t Utf8Length(std::string_view s, size_t pos) {
  unsigned char c = Byte(s, pos);
  size_t n = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 1;
  if (n == 1 || pos + n > s.size()) return 1;
  for (size_t i = 1; i < n; ++i) {
    if ((Byte(s, pos + i) & 0xC0) != 0x80) return 1;
  }
  return n;
}

std::string TypedLiteralName(char prefix) {
  switch (prefix) {
    case 'h':
      return "hex literal";
    case 'b':
      return "binary literal";
    default:
      return "timestamp literal";
  }
}

}  // namespace

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

std::string Cat(std::initializer_list<std::string_view> parts) {
  size_t size = 0;
  for (std::string_view part : parts) size += part.size();
  std::string out;
  out.reserve(size);
  for (std::string_view part : parts) out += part;
  return out;
}

Status ErrorAt(size_t offset, std::string_view what, std::string_view rest) {
  std::string where = Cat({"offset ", std::to_string(offset)});
  std::string message = Cat({what, " at ", where, rest});
  return InvalidArgument(std::move(message), std::move(where));
}

std::string Printable(std::string_view bytes, size_t max_len) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i == max_len) {
      out += "...";
      break;
    }
    unsigned char c = Byte(bytes, i);
    if (c >= 0x20 && c < 0x7F) {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

std::string Describe(const Token& token) {
  switch (token.kind) {
    case TokenKind::kEnd:
      return "end of input";
    case TokenKind::kString:
      return Cat({"string ", Printable(token.text)});
    case TokenKind::kTimestamp:
    case TokenKind::kHex:
    case TokenKind::kBinary:
      return Printable(token.text);
    default:
      return Cat({"'", Printable(token.text), "'"});
  }
}

bool IsBareProperty(std::string_view name) {
  if (name.empty() || !IsIdentStart(name[0])) return false;
  for (char c : name) {
    if (!IsAlpha(c) && !IsDigit(c) && c != '_') return false;
  }
  for (const Keyword& k : kKeywords) {
    if (k.text == name) return false;
  }
  return true;
}

Status Lexer::SkipSpaceAndComments() {
  while (pos_ < text_.size()) {
    if (size_t n = SpaceLength(text_, pos_)) {
      pos_ += n;
    } else if (text_.substr(pos_, 2) == "/*") {
      size_t end = text_.find("*/", pos_ + 2);
      if (end == std::string_view::npos) {
        return ErrorAt(pos_, "unterminated comment", ", expected '*/'");
      }
      pos_ = end + 2;
    } else if (text_.substr(pos_, 2) == "//") {
      while (pos_ < text_.size() && text_[pos_] != '\n' && text_[pos_] != '\r') ++pos_;
    } else {
      break;
    }
  }
  return Status::Ok();
}

Status Lexer::Next(Token* token) {
  CTI_RETURN_IF_ERROR(SkipSpaceAndComments());
  *token = Token();
  token->offset = pos_;
  if (pos_ >= text_.size()) {
    token->kind = TokenKind::kEnd;
    return Status::Ok();
  }
  const size_t start = pos_;
  const char c = text_[pos_];
  const char next = pos_ + 1 < text_.size() ? text_[pos_ + 1] : '\0';
  const char next2 = pos_ + 2 < text_.size() ? text_[pos_ + 2] : '\0';

  if (IsIdentStart(c)) {
    if ((c == 'h' || c == 'b' || c == 't') && next == '\'') return LexTypedLiteral(c, start, token);
    size_t end = pos_ + 1;
    while (end < text_.size() && IsIdentChar(text_[end])) ++end;
    pos_ = end;
    token->text = text_.substr(start, end - start);
    token->kind = TokenKind::kIdentifier;
    for (const Keyword& k : kKeywords) {
      if (k.text == token->text) token->kind = k.kind;
    }
    if (token->kind == TokenKind::kBoolean) {
      token->literal.value = token->text == "true";
    } else if (token->kind == TokenKind::kIdentifier) {
      token->value = std::string(token->text);
      token->has_hyphen = token->text.find('-') != std::string_view::npos;
    }
    return Status::Ok();
  }
  if (c == '\'') return LexString(start, token);
  if (IsDigit(c) || (c == '.' && IsDigit(next)) ||
      ((c == '+' || c == '-') && (IsDigit(next) || (next == '.' && IsDigit(next2))))) {
    return LexNumber(start, token);
  }

  TokenKind kind = TokenKind::kOther;
  size_t len = 1;
  switch (c) {
    case '=':
      kind = TokenKind::kEq;
      len = next == '=' ? 2 : 1;
      break;
    case '!':  // only as "!="; a lone '!' stays kOther
      if (next == '=') {
        kind = TokenKind::kNeq;
        len = 2;
      }
      break;
    case '<':
      kind = next == '=' ? TokenKind::kLe : next == '>' ? TokenKind::kNeq : TokenKind::kLt;
      len = next == '=' || next == '>' ? 2 : 1;
      break;
    case '>':
      kind = next == '=' ? TokenKind::kGe : TokenKind::kGt;
      len = next == '=' ? 2 : 1;
      break;
    case ':':
      kind = TokenKind::kColon;
      break;
    case '.':
      kind = TokenKind::kDot;
      break;
    case ',':
      kind = TokenKind::kComma;
      break;
    case '(':
      kind = TokenKind::kLParen;
      break;
    case ')':
      kind = TokenKind::kRParen;
      break;
    case '[':
      kind = TokenKind::kLBracket;
      break;
    case ']':
      kind = TokenKind::kRBracket;
      break;
    case '*':
      kind = TokenKind::kAsterisk;
      break;
    default:
      len = Utf8Length(text_, pos_);
      break;
  }
  token->kind = kind;
  token->text = text_.substr(start, len);
  pos_ += len;
  return Status::Ok();
}

// StringLiteral: QUOTE ( ~['\\] | '\\\'' | '\\\\' )* QUOTE — any byte (NUL, invalid UTF-8 too)
// except that a backslash may only escape a quote or a backslash.
Status Lexer::LexString(size_t start, Token* token) {
  std::string value;
  size_t i = start + 1;
  while (true) {
    if (i >= text_.size()) {
      return ErrorAt(start, "unterminated string literal", ", expected a closing quote");
    }
    char ch = text_[i];
    if (ch == '\'') break;
    if (ch == '\\') {
      if (i + 1 >= text_.size()) {
        return ErrorAt(start, "unterminated string literal", ", expected a closing quote");
      }
      char escaped = text_[i + 1];
      if (escaped != '\'' && escaped != '\\') {
        return ErrorAt(i, Cat({"invalid escape '\\", Printable(text_.substr(i + 1, 1)), "'"}),
                       " in string literal; only \\' and \\\\ are allowed (write \\\\ for a "
                       "backslash)");
      }
      value += escaped;
      i += 2;
      continue;
    }
    value += ch;
    ++i;
  }
  pos_ = i + 1;
  token->kind = TokenKind::kString;
  token->text = text_.substr(start, pos_ - start);
  token->literal.value = std::move(value);
  return Status::Ok();
}

// h'..' (TwoHexDigits*), b'..' (base64 groups with '=' padding only at the end, at least one
// group), t'..' (RFC 3339 in UTC with 'Z', checked by Timestamp::Parse, which also rejects days
// that do not exist, such as 02-30, that the grammar's character classes let through).
Status Lexer::LexTypedLiteral(char prefix, size_t start, Token* token) {
  const size_t body = start + 2;
  size_t close = text_.find('\'', body);
  const std::string name = TypedLiteralName(prefix);
  if (close == std::string_view::npos) {
    return ErrorAt(start, Cat({"unterminated ", name}), ", expected a closing quote");
  }
  std::string_view content = text_.substr(body, close - body);
  pos_ = close + 1;
  token->text = text_.substr(start, pos_ - start);
  const std::string bad = Cat({"invalid ", name});

  if (prefix == 'h') {
    std::string bytes;
    for (size_t i = 0; i < content.size(); ++i) {
      if (HexValue(content[i]) < 0) {
        return ErrorAt(start, bad,
                       Cat({": '", Printable(content.substr(i, 1)),
                            "' is not a hex digit; expected pairs of hex digits such as h'0aff'"}));
      }
    }
    if (content.size() % 2 != 0) {
      return ErrorAt(start, bad,
                     Cat({": ", std::to_string(content.size()),
                          " hex digits; expected an even number (two per byte)"}));
    }
    for (size_t i = 0; i < content.size(); i += 2) {
      bytes += static_cast<char>(HexValue(content[i]) * 16 + HexValue(content[i + 1]));
    }
    token->kind = TokenKind::kHex;
    token->literal.value = HexBytes{std::move(bytes)};
    return Status::Ok();
  }

  if (prefix == 'b') {
    const char* hint = "; expected base64 in groups of 4 characters such as b'AQIDBA=='";
    if (content.empty()) return ErrorAt(start, bad, Cat({": it is empty", hint}));
    size_t padding = 0;
    for (size_t i = 0; i < content.size(); ++i) {
      char ch = content[i];
      if (ch == '=') {
        ++padding;
        continue;
      }
      if (Base64Value(ch) < 0) {
        return ErrorAt(
            start, bad,
            Cat({": '", Printable(content.substr(i, 1)), "' is not a base64 character", hint}));
      }
      if (padding > 0) return ErrorAt(start, bad, Cat({": '=' before the end", hint}));
    }
    if (content.size() % 4 != 0) {
      return ErrorAt(
          start, bad,
          Cat({": length ", std::to_string(content.size()), " is not a multiple of 4", hint}));
    }
    if (padding > 2) return ErrorAt(start, bad, Cat({": too much '=' padding", hint}));
    std::string bytes;
    uint32_t acc = 0;
    int bits = 0;
    for (char ch : content.substr(0, content.size() - padding)) {
      acc = (acc << 6) | static_cast<uint32_t>(Base64Value(ch));
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        bytes += static_cast<char>((acc >> bits) & 0xFF);
      }
    }
    token->kind = TokenKind::kBinary;
    token->literal.value = Base64Bytes{std::move(bytes)};
    return Status::Ok();
  }

  for (size_t i = 0; i < content.size(); ++i) {
    unsigned char ch = Byte(content, i);
    if (ch < 0x20 || ch >= 0x7F) {
      return ErrorAt(start, bad,
                     Cat({": unexpected byte '", Printable(content.substr(i, 1)),
                          "'; expected t'YYYY-MM-DDTHH:MM:SS[.s+]Z'"}));
    }
  }
  Result<Timestamp> ts = Timestamp::Parse(content);
  if (!ts.ok()) return ErrorAt(start, bad, Cat({": ", ts.status().message()}));
  token->kind = TokenKind::kTimestamp;
  token->literal.value = *ts;
  return Status::Ok();
}

// IntPosLiteral '+'? ('0' | [1-9][0-9]*), IntNegLiteral '-' (...), FloatPosLiteral
// '+'? [0-9]* '.' [0-9]+, FloatNegLiteral '-' [0-9]* '.' [0-9]+. No exponents.
Status Lexer::LexNumber(size_t start, Token* token) {
  size_t i = start;
  bool negative = false;
  if (text_[i] == '+' || text_[i] == '-') {
    negative = text_[i] == '-';
    ++i;
  }
  const size_t digits_start = i;
  while (i < text_.size() && IsDigit(text_[i])) ++i;
  const size_t int_digits = i - digits_start;
  const bool is_float = i + 1 < text_.size() && text_[i] == '.' && IsDigit(text_[i + 1]);
  if (is_float) {
    i += 1;
    while (i < text_.size() && IsDigit(text_[i])) ++i;
  }
  pos_ = i;
  token->text = text_.substr(start, i - start);

  if (is_float) {
    // from_chars takes no '+' sign; it parses the same digits otherwise.
    std::string_view num =
        text_.substr(negative ? start : digits_start, i - (negative ? start : digits_start));
    double value = 0;
    auto [ptr, ec] = std::from_chars(num.data(), num.data() + num.size(), value);
    if (ec != std::errc() || ptr != num.data() + num.size()) {
      return ErrorAt(start, Cat({"float literal '", Printable(token->text), "'"}),
                     " is out of range for a 64-bit double");
    }
    token->kind = TokenKind::kFloat;
    token->literal.value = value;
    return Status::Ok();
  }

  std::string_view digits = text_.substr(digits_start, int_digits);
  if (digits.size() > 1 && digits[0] == '0') {
    return ErrorAt(start, Cat({"invalid integer '", Printable(token->text), "'"}),
                   ": leading zeros are not allowed");
  }
  // Accumulate as unsigned so INT64_MIN is representable; 9223372036854775808 is its magnitude.
  constexpr uint64_t kMaxMagnitude = 9223372036854775808ULL;
  uint64_t magnitude = 0;
  for (char d : digits) {
    uint64_t digit = static_cast<uint64_t>(d - '0');
    if (magnitude > (kMaxMagnitude - digit) / 10) {
      magnitude = kMaxMagnitude + 1;
      break;
    }
    magnitude = magnitude * 10 + digit;
  }
  if (magnitude > kMaxMagnitude || (!negative && magnitude == kMaxMagnitude)) {
    return ErrorAt(start, Cat({"integer '", Printable(token->text), "'"}),
                   " is out of range for a 64-bit signed integer");
  }
  token->kind = TokenKind::kInteger;
  token->literal.value =
      negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
  return Status::Ok();
}

}  // namespace ctihub::pattern::internal
