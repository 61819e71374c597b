// pattern/internal/lexer: splits STIX pattern text into tokens for the parser (not public API).
//
// Follows the lexer rules of the STIX 2.1 ANTLR grammar (oasis-open/cti-stix2-json-schemas
// pattern_grammar/STIXPattern.g4): case-sensitive keywords, `/* */` and `//` comments, the same
// Unicode white space, and typed literals h'..', b'..', t'..' checked and decoded here. Characters
// the grammar has no use for become kOther tokens so the parser can say what it expected instead.
//
//   Lexer lexer(text);
//   Token token;
//   CTI_RETURN_IF_ERROR(lexer.Next(&token));
//   while (token.kind != TokenKind::kEnd) { ...; CTI_RETURN_IF_ERROR(lexer.Next(&token)); }
#pragma once

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>

#include "common/normalise.h"
#include "common/status.h"
#include "pattern/ast.h"

namespace ctihub::pattern::internal {

enum class TokenKind {
  kEnd,
  kIdentifier,  // [a-zA-Z_][a-zA-Z0-9_-]*, not a keyword
  kString,      // '...'  (text holds the unescaped value)
  kInteger,     // literal.value holds int64_t
  kFloat,       // literal.value holds double
  kBoolean,     // true / false
  kTimestamp,   // t'...'
  kHex,         // h'...'
  kBinary,      // b'...'
  // Keywords (exact upper case, as the grammar spells them).
  kAnd,
  kOr,
  kNot,
  kFollowedBy,
  kLike,
  kMatches,
  kIsSuperset,
  kIsSubset,
  kExists,
  kLast,  // reserved by the grammar, used nowhere
  kIn,
  kStart,
  kStop,
  kSeconds,
  kWithin,
  kRepeats,
  kTimes,
  // Punctuation.
  kEq,        // = or ==
  kNeq,       // != or <>
  kLt,        // <
  kLe,        // <=
  kGt,        // >
  kGe,        // >=
  kColon,     // :
  kDot,       // .
  kComma,     // ,
  kLParen,    // (
  kRParen,    // )
  kLBracket,  // [
  kRBracket,  // ]
  kAsterisk,  // *
  kOther,     // any other character (or UTF-8 sequence): never valid, reported by the parser
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  size_t offset = 0;        // byte offset of the first character
  std::string_view text;    // the source text of the token (empty for kEnd)
  std::string value;        // kIdentifier: the name
  Literal literal;          // kString, kInteger, ... kBinary: the decoded value
  bool has_hyphen = false;  // kIdentifier: contains '-', so it cannot be a bare property name
};

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  // Stores the next token in *token (kEnd, repeatedly, at the end of input). Returns
  // InvalidArgument with location "offset N" for a malformed literal or an unterminated
  // string or comment.
  Status Next(Token* token);

 private:
  Status SkipSpaceAndComments();
  Status LexString(size_t start, Token* token);
  Status LexTypedLiteral(char prefix, size_t start, Token* token);
  Status LexNumber(size_t start, Token* token);

  std::string_view text_;
  size_t pos_ = 0;
};

// Concatenates by appending. Used for messages instead of `"literal" + std::string`, which trips
// GCC 12's -Wrestrict false positive at -O3 (GCC bug 105329) under -Werror.
std::string Cat(std::initializer_list<std::string_view> parts);

// The error every parse failure uses: message "<what> at offset N<rest>", location "offset N".
Status ErrorAt(size_t offset, std::string_view what, std::string_view rest = {});

// How a token is quoted in error messages: 'HOURS', end of input, '\x00'. Long text is cut.
std::string Describe(const Token& token);

// Escapes bytes for display inside an error message (printable ASCII kept, others as \xNN).
std::string Printable(std::string_view bytes, size_t max_len = 40);

// True for [a-zA-Z_][a-zA-Z0-9_]* that is not a keyword: may appear unquoted as a property name.
bool IsBareProperty(std::string_view name);

// The value of one base64 character (standard alphabet); -1 otherwise. (Hex digits:
// common/normalise.h, HexValue.)
int Base64Value(char c);

}  // namespace ctihub::pattern::internal
