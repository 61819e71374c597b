#include "pattern/canonical_literals.h"

#include <string>
#include <string_view>

#include "common/normalise.h"

namespace ctihub::pattern {
namespace {

enum class ValueForm { kAsWritten, kHost, kHash, kEmail, kUrl, kSerial };

bool IsHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  }
  return !s.empty();
}

// Which form the value a path names is logged in.
ValueForm FormOf(const ObjectPath& path) {
  const std::string& type = path.object_type;
  std::string_view first, last, before_last;
  size_t properties = 0;
  bool hashes = false;
  for (size_t i = 0; i < path.steps.size(); ++i) {
    const PathStep& s = path.steps[i];
    if (s.kind != PathStepKind::kProperty) continue;
    if (properties == 0) first = s.property;
    before_last = last;
    last = s.property;
    hashes = hashes || (before_last == "hashes" && i + 1 == path.steps.size());
    ++properties;
  }
  if (hashes) return ValueForm::kHash;
  if (type == "x509-certificate" && properties == 1 && last == "serial_number") {
    return ValueForm::kSerial;
  }
  if (last != "value") return ValueForm::kAsWritten;
  if (properties == 1) {
    if (type == "domain-name" || type == "ipv4-addr" || type == "ipv6-addr" || type == "mac-addr") {
      return ValueForm::kHost;
    }
    if (type == "email-addr") return ValueForm::kEmail;
    if (type == "url") return ValueForm::kUrl;
    return ValueForm::kAsWritten;
  }
  // `value` through a reference.
  if (type == "email-message" &&
      (first == "from_ref" || first == "sender_ref" || first == "to_refs" || first == "cc_refs" ||
       first == "bcc_refs")) {
    return ValueForm::kEmail;
  }
  if ((type == "network-traffic" && (first == "src_ref" || first == "dst_ref")) ||
      first == "resolves_to_refs") {
    return ValueForm::kHost;
  }
  return ValueForm::kAsWritten;
}

std::string Canonical(ValueForm form, const std::string& text) {
  switch (form) {
    case ValueForm::kHost: {
      std::string v = CanonicalAddress(LowerAscii(text));
      while (v.size() > 1 && v.back() == '.') v.pop_back();  // the DNS root, written out
      return v;
    }
    case ValueForm::kHash:
      return IsHex(text) ? LowerAscii(text) : text;
    case ValueForm::kEmail: {
      const size_t at = text.rfind('@');
      return at == std::string::npos ? text
                                     : text.substr(0, at + 1) + LowerAscii(text.substr(at + 1));
    }
    case ValueForm::kUrl:
      if (text.find("://") == std::string::npos) return text;
      return NormaliseUrl(text).value_or(text);
    case ValueForm::kSerial:
      return CanonicalSerialNumber(text);
    case ValueForm::kAsWritten:
      return text;
  }
  return text;
}

void Rewrite(ComparisonExpression& e) {
  if (e.kind != ComparisonKind::kComparison) {
    for (ComparisonExpression& child : e.children) Rewrite(child);
    return;
  }
  Comparison& c = e.comparison;
  if (c.op != ComparisonOperator::kEqual && c.op != ComparisonOperator::kNotEqual &&
      c.op != ComparisonOperator::kIn) {
    return;
  }
  const ValueForm form = FormOf(c.path);
  if (form == ValueForm::kAsWritten) return;
  for (Literal& literal : c.values) {
    if (std::string* text = std::get_if<std::string>(&literal.value)) {
      *text = Canonical(form, *text);
    }
  }
}

void Rewrite(ObservationExpression& o) {
  if (o.kind == ObservationKind::kObservation) {
    Rewrite(o.comparison);
    return;
  }
  for (ObservationExpression& child : o.children) Rewrite(child);
}

}  // namespace

void CanonicaliseLiterals(Pattern* pattern) { Rewrite(pattern->root); }

}  // namespace ctihub::pattern
