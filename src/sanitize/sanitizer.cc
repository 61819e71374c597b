#include "sanitize/sanitizer.h"

#include <arpa/inet.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <re2/re2.h>
#include <simdjson.h>

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <functional>
#include <optional>

#include "common/time.h"
#include "pattern/parser.h"
#include "stix/json_reader.h"
#include "stix/sco_id.h"
#include "stix/validator.h"

namespace ctihub::sanitize {
namespace {

namespace json = boost::json;

// --- Internal addresses ---------------------------------------------------------------------

struct Range {
  int family;
  std::array<unsigned char, 16> net;
  int prefix;
};

const std::vector<Range>& InternalRanges() {
  static const std::vector<Range> ranges = [] {
    std::vector<Range> out;
    auto add = [&](int family, const char* net, int prefix) {
      Range r{family, {}, prefix};
      inet_pton(family, net, r.net.data());
      out.push_back(r);
    };
    add(AF_INET, "10.0.0.0", 8);       // RFC 1918
    add(AF_INET, "172.16.0.0", 12);    // RFC 1918
    add(AF_INET, "192.168.0.0", 16);   // RFC 1918
    add(AF_INET, "100.64.0.0", 10);    // RFC 6598 shared address space
    add(AF_INET, "169.254.0.0", 16);   // link-local
    add(AF_INET, "127.0.0.0", 8);      // loopback
    add(AF_INET6, "fc00::", 7);        // RFC 4193 unique local
    add(AF_INET6, "fe80::", 10);       // link-local
    add(AF_INET6, "::1", 128);         // loopback
    return out;
  }();
  return ranges;
}

bool PrefixMatches(const unsigned char* a, const unsigned char* b, int bits) {
  int whole = bits / 8, rest = bits % 8;
  if (std::memcmp(a, b, static_cast<size_t>(whole)) != 0) return false;
  if (rest == 0) return true;
  unsigned char mask = static_cast<unsigned char>(0xFF << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

}  // namespace

bool IsInternalAddress(std::string_view text) {
  std::string address(text);
  int prefix = -1;
  if (size_t slash = address.find('/'); slash != std::string::npos) {
    std::string bits = address.substr(slash + 1);
    if (bits.empty() || bits.size() > 3 || !std::all_of(bits.begin(), bits.end(), ::isdigit)) {
      return false;
    }
    prefix = std::stoi(bits);
    address.resize(slash);
  }
  unsigned char raw[16] = {};
  int family = inet_pton(AF_INET, address.c_str(), raw) == 1    ? AF_INET
               : inet_pton(AF_INET6, address.c_str(), raw) == 1 ? AF_INET6
                                                                 : 0;
  if (family == 0) return false;
  int max = family == AF_INET ? 32 : 128;
  if (prefix < 0) prefix = max;
  if (prefix > max) return false;
  for (const Range& r : InternalRanges()) {
    // A block is internal when it lies wholly inside an internal range.
    if (r.family == family && prefix >= r.prefix && PrefixMatches(raw, r.net.data(), r.prefix)) {
      return true;
    }
  }
  return false;
}

bool IsInternalHostName(std::string_view text) {
  std::string host(text);
  for (char& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  while (!host.empty() && host.back() == '.') host.pop_back();
  if (host == "localhost") return true;
  for (std::string_view suffix :
       {".local", ".internal", ".corp", ".lan", ".home.arpa", ".localdomain", ".intranet"}) {
    if (host.size() > suffix.size() && host.compare(host.size() - suffix.size(), suffix.size(),
                                                    suffix) == 0) {
      return true;
    }
  }
  return false;
}

namespace {

bool IsInternal(std::string_view value) {
  if (IsInternalAddress(value) || IsInternalHostName(value)) return true;
  // A URL or an address with a port: judge its host.
  std::string_view v = value;
  if (size_t scheme = v.find("://"); scheme != std::string_view::npos) v = v.substr(scheme + 3);
  v = v.substr(0, v.find_first_of("/?#"));
  if (size_t at = v.rfind('@'); at != std::string_view::npos) v = v.substr(at + 1);
  if (!v.empty() && v.front() == '[') {
    v = v.substr(1, v.find(']') - 1);
  } else if (std::count(v.begin(), v.end(), ':') == 1) {
    v = v.substr(0, v.find(':'));
  }
  return v != value && (IsInternalAddress(v) || IsInternalHostName(v));
}

// --- Patterns: a comparison naming an internal address goes with its whole conjunction -------

bool ComparisonInternal(pattern::Comparison& c, bool* changed) {
  auto internal = [](const pattern::Literal& l) {
    const std::string* s = std::get_if<std::string>(&l.value);
    return s && IsInternal(*s);
  };
  if (c.op == pattern::ComparisonOperator::kIn) {
    size_t before = c.values.size();
    c.values.erase(std::remove_if(c.values.begin(), c.values.end(), internal), c.values.end());
    if (c.values.size() != before) *changed = true;
    return c.values.empty();
  }
  return std::any_of(c.values.begin(), c.values.end(), internal);
}

// False when the expression as a whole must go.
bool KeepComparisons(pattern::ComparisonExpression& e, bool* changed) {
  if (e.kind == pattern::ComparisonKind::kComparison) {
    return !ComparisonInternal(e.comparison, changed);
  }
  if (e.kind == pattern::ComparisonKind::kAnd) {
    for (auto& child : e.children) {
      if (!KeepComparisons(child, changed)) return false;
    }
    return true;
  }
  size_t before = e.children.size();
  e.children.erase(std::remove_if(e.children.begin(), e.children.end(),
                                  [&](auto& child) { return !KeepComparisons(child, changed); }),
                   e.children.end());
  if (e.children.size() != before) *changed = true;
  if (e.children.empty()) return false;
  if (e.children.size() == 1) {
    pattern::ComparisonExpression only = std::move(e.children[0]);
    e = std::move(only);
  }
  return true;
}

bool KeepObservations(pattern::ObservationExpression& e, bool* changed) {
  switch (e.kind) {
    case pattern::ObservationKind::kObservation:
      return KeepComparisons(e.comparison, changed);
    case pattern::ObservationKind::kGroup:
      return KeepObservations(e.children[0], changed);
    case pattern::ObservationKind::kOr: {
      size_t before = e.children.size();
      e.children.erase(std::remove_if(e.children.begin(), e.children.end(),
                                      [&](auto& c) { return !KeepObservations(c, changed); }),
                       e.children.end());
      if (e.children.size() != before) *changed = true;
      if (e.children.empty()) return false;
      if (e.children.size() == 1 && e.qualifiers.empty()) {
        pattern::ObservationExpression only = std::move(e.children[0]);
        e = std::move(only);
      }
      return true;
    }
    default:  // AND, FOLLOWEDBY: every part is needed
      for (auto& child : e.children) {
        if (!KeepObservations(child, changed)) return false;
      }
      return true;
  }
}

// --- Text ------------------------------------------------------------------------------------

std::string Hmac(const std::string& key, std::string_view value) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(value.data()), value.size(), out, &n);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned i = 0; i < 8; ++i) {  // 64 bits: enough to correlate, short to read
    hex += kHex[out[i] >> 4];
    hex += kHex[out[i] & 15];
  }
  return hex;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Replaces every match of `re` in `text` with what `replace(match)` returns (or keeps it when
// that returns nullopt). RE2 has no callback replace; this walks the matches.
bool ReplaceEach(std::string& text, const RE2& re,
                 const std::function<std::optional<std::string>(std::string_view)>& replace) {
  std::string out;
  re2::StringPiece input(text), match;
  size_t last = 0;
  bool any = false;
  while (RE2::FindAndConsume(&input, re, &match)) {
    size_t at = static_cast<size_t>(match.data() - text.data());
    std::optional<std::string> with = replace(std::string_view(match.data(), match.size()));
    if (!with) continue;
    out.append(text, last, at - last);
    out += *with;
    last = at + match.size();
    any = true;
  }
  if (!any) return false;
  out.append(text, last, std::string::npos);
  text = std::move(out);
  return true;
}

// The text rules live for the whole process (Rules() builds them once); never freed, so no
// destruction-order question at exit.
const RE2& Compile(const char* re) { return *new RE2(re); }

struct TextRules {
  const RE2& ipv4 = Compile(R"((\b\d{1,3}(?:\.\d{1,3}){3}(?:/\d{1,2})?\b))");
  const RE2& ipv6 = Compile(R"((\b[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:/\d{1,3})?))");
  const RE2& host = Compile(
      R"((\b[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.(?i:local|internal|corp|lan|home\.arpa|localdomain|intranet)\b))");
  const RE2& url = Compile(R"(((?i:https?|ftp)://[^\s"'<>]+))");
  const RE2& email = Compile(R"(([A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}))");
  const RE2& iban = Compile(R"((\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b))");
  const RE2& ssn = Compile(R"((\b\d{3}-\d{2}-\d{4}\b))");
  const RE2& nir = Compile(R"((\b[12] ?\d{2} ?(?:0[1-9]|1[0-2]) ?\d{2} ?\d{3} ?\d{3} ?\d{2}\b))");
  const RE2& phone = Compile(R"((\+\d{1,3}[ .-]?\(?\d{1,4}\)?(?:[ .-]?\d{2,4}){2,4}|\(0\d{1,4}\)[ .-]?\d{2,4}(?:[ .-]?\d{2,4}){1,3}|\b0\d(?:[ .-]\d{2}){4}\b))");
};

const TextRules& Rules() {
  static const TextRules rules;
  return rules;
}

// Free-text properties: what people write, where names, addresses and links slip in.
constexpr std::string_view kTextProperties[] = {"description", "name", "abstract", "content",
                                                "explanation", "objective", "comment",
                                                "opinion_explanation", "summary"};

class Run {
 public:
  Run(const SanitizeProfile& p, json::object& o, Sanitized& out) : p_(p), o_(o), out_(out) {}

  void Step(std::string id, std::string property) {
    out_.steps.push_back({std::move(id), std::move(property)});
    out_.changed = true;
  }
  void Drop(std::string reason) {
    out_.dropped = true;
    out_.reason = std::move(reason);
  }

  std::string Pseudonym(std::string_view value) { return "p-" + Hmac(p_.key, Lower(value)); }

  bool ScrubText(std::string& text) {
    const TextRules& r = Rules();
    bool changed = false;
    if (p_.internal_addresses) {
      auto internal = [](std::string_view m) -> std::optional<std::string> {
        if (IsInternal(m)) return std::string("[internal]");
        return std::nullopt;
      };
      changed |= ReplaceEach(text, r.url, internal);
      changed |= ReplaceEach(text, r.host, internal);
      changed |= ReplaceEach(text, r.ipv4, internal);
      changed |= ReplaceEach(text, r.ipv6, internal);
    }
    if (p_.pseudonymise || p_.personal_data) {
      changed |= ReplaceEach(text, r.email, [&](std::string_view m) -> std::optional<std::string> {
        if (p_.pseudonymise) return Pseudonym(m) + "@pseudonym.invalid";
        return std::string("[e-mail]");
      });
    }
    if (p_.personal_data) {
      auto with = [](const char* token) {
        return [token](std::string_view) -> std::optional<std::string> { return std::string(token); };
      };
      changed |= ReplaceEach(text, r.iban, with("[iban]"));
      changed |= ReplaceEach(text, r.ssn, with("[national-id]"));
      changed |= ReplaceEach(text, r.nir, with("[national-id]"));
      changed |= ReplaceEach(text, r.phone, with("[phone]"));
    }
    if (p_.defang) {
      changed |= ReplaceEach(text, r.url, [](std::string_view m) -> std::optional<std::string> {
        std::string s(m);
        size_t scheme = s.find("://");
        std::string head = Lower(s.substr(0, scheme));
        if (head == "http" || head == "https") s.replace(1, 2, "xx");  // http → hxxp
        if (head == "ftp") s.replace(1, 1, "x");                         // ftp → fxp
        size_t host_end = s.find_first_of("/?#", scheme + 3);
        std::string host = s.substr(scheme + 3, host_end == std::string::npos
                                                    ? std::string::npos
                                                    : host_end - scheme - 3);
        std::string defanged;
        for (char c : host) defanged += c == '.' ? std::string("[.]") : std::string(1, c);
        s.replace(scheme + 3, host.size(), defanged);
        return s;
      });
    }
    return changed;
  }

  void Text(bool sco) {
    if (!(p_.internal_addresses || p_.pseudonymise || p_.personal_data || p_.defang)) return;
    for (std::string_view key : kTextProperties) {
      if (sco && key == "name") continue;  // an SCO's name is data (file names), not prose
      json::value* v = o_.if_contains(key);
      if (!v || !v->is_string()) continue;
      std::string text(v->as_string());
      if (ScrubText(text)) {
        *v = text;
        Step("text", "/" + std::string(key));
      }
    }
    if (json::value* refs = o_.if_contains("external_references"); refs && refs->is_array()) {
      size_t i = 0;
      for (json::value& ref : refs->as_array()) {
        if (json::value* d = ref.is_object() ? ref.as_object().if_contains("description") : nullptr;
            d && d->is_string()) {
          std::string text(d->as_string());
          if (ScrubText(text)) {
            *d = text;
            Step("text", "/external_references/" + std::to_string(i) + "/description");
          }
        }
        ++i;
      }
    }
  }

  void Pattern() {
    if (!p_.internal_addresses) return;
    json::value* v = o_.if_contains("pattern");
    json::value* type = o_.if_contains("pattern_type");
    if (!v || !v->is_string() || !type || !type->is_string() || type->as_string() != "stix") return;
    Result<pattern::Pattern> parsed = pattern::ParsePattern(std::string_view(v->as_string()));
    if (!parsed.ok()) return Drop("its pattern does not parse, so it cannot be checked");
    bool changed = false;
    if (!KeepObservations(parsed->root, &changed)) {
      return Drop("its pattern detects only internal addresses");
    }
    if (changed) {
      *v = parsed->ToString();
      Step("internal-address", "/pattern");
    }
  }

  void Observable(const std::string& type) {
    auto str = [&](std::string_view key) -> json::string* {
      json::value* v = o_.if_contains(key);
      return v && v->is_string() ? &v->as_string() : nullptr;
    };
    if (p_.internal_addresses) {
      json::string* value = str("value");
      if ((type == "ipv4-addr" || type == "ipv6-addr" || type == "domain-name" || type == "url") &&
          value && IsInternal(std::string_view(*value))) {
        return Drop("it is an internal address or host name");
      }
      if (type == "network-traffic") {
        // Its endpoints are separate objects, withheld on their own when internal.
      }
    }
    if (!p_.pseudonymise) return;
    if (type == "email-addr") {
      if (json::string* value = str("value")) {
        *value = Pseudonym(std::string_view(*value)) + "@pseudonym.invalid";
        Step("pseudonym", "/value");
      }
      if (o_.erase("display_name")) Step("pseudonym", "/display_name");
    } else if (type == "user-account") {
      for (std::string_view key : {"user_id", "account_login"}) {
        if (json::string* value = str(key)) {
          *value = Pseudonym(std::string_view(*value));
          Step("pseudonym", "/" + std::string(key));
        }
      }
      if (o_.erase("display_name")) Step("pseudonym", "/display_name");
    } else if (type == "domain-name" || type == "x509-certificate") {
      // Host names of victims travel as domain-name SCOs too; a hub cannot tell a victim's host
      // from an attacker's here, so domain names are left to the indicator patterns.
    }
  }

  void Victim(const std::string& id) {
    if (!p_.victims || id == p_.node_identity) return;
    json::value* cls = o_.if_contains("identity_class");
    if (!cls || !cls->is_string()) return;
    std::string identity_class(cls->as_string());
    if (identity_class != "individual" && identity_class != "organization") return;
    std::string sectors;
    if (json::value* s = o_.if_contains("sectors"); s && s->is_array()) {
      for (const json::value& sector : s->as_array()) {
        if (sector.is_string()) {
          sectors += (sectors.empty() ? "" : ", ") + std::string(sector.as_string());
        }
      }
    }
    std::string name = identity_class == "individual" ? "An individual" : "An organisation";
    if (!sectors.empty()) name += " in the " + sectors + " sector" +
                                  (sectors.find(',') == std::string::npos ? "" : "s");
    o_["name"] = name;
    Step("victim", "/name");
    for (std::string_view key : {"description", "contact_information", "roles"}) {
      if (o_.erase(key)) Step("victim", "/" + std::string(key));
    }
  }

  void Source() {
    if (!p_.pseudonymise_sources) return;
    json::value* by = o_.if_contains("created_by_ref");
    if (by && by->is_string() && by->as_string() != p_.node_identity) {
      *by = p_.node_identity;
      Step("source", "/created_by_ref");
    }
  }

 private:
  const SanitizeProfile& p_;
  json::object& o_;
  Sanitized& out_;
};

// One millisecond later than `modified`, as STIX millisecond text.
std::optional<std::string> NextVersion(std::string_view modified) {
  Result<Timestamp> t = Timestamp::Parse(modified);
  if (!t.ok()) return std::nullopt;
  return Timestamp(t->micros() - t->micros() % 1000 + 1000).ToMillisString();
}

}  // namespace

Status CheckProfile(const SanitizeProfile& p) {
  if (p.pseudonymise && p.key.size() < 16) {
    return InvalidArgument("profile '" + p.name + "': pseudonymise needs a key of 16 characters or "
                           "more (the community's secret)");
  }
  if (p.pseudonymise_sources && p.node_identity.rfind("identity--", 0) != 0) {
    return InvalidArgument("profile '" + p.name + "': pseudonymising sources needs the node's "
                           "identity ([node] identity = \"identity--…\")");
  }
  return Status::Ok();
}

Sanitizer::Sanitizer(SanitizeProfile profile) : profile_(std::move(profile)) {}

Sanitized Sanitizer::Apply(std::string_view object_json) const {
  Sanitized out;
  json::error_code ec;
  json::value root = json::parse(object_json, ec);
  if (ec || !root.is_object()) {
    out.dropped = true;
    out.reason = "not a JSON object";
    return out;
  }
  json::object& o = root.as_object();
  auto text_of = [&](std::string_view key) {
    json::value* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
  };
  const std::string type = text_of("type"), id = text_of("id");
  const bool sco = stix::IsStixScoType(type);
  Run run(profile_, o, out);
  if (sco) {
    run.Observable(type);
  } else {
    run.Pattern();
    if (type == "identity") run.Victim(id);
    run.Source();
  }
  if (!out.dropped) run.Text(sco);
  out.id = id;
  if (out.dropped || !out.changed) {
    out.text = out.dropped ? "" : std::string(object_json);
    return out;
  }
  if (sco) {
    // An SCO is named by its content (§2.9): new content, new id.
    std::string draft = json::serialize(root);
    simdjson::dom::parser parser;
    simdjson::dom::element element;
    if (parser.parse(draft).get(element) == simdjson::SUCCESS) {
      Result<std::optional<std::string>> new_id = stix::ComputeScoId(element);
      if (new_id.ok() && *new_id && **new_id != id) {
        o["id"] = **new_id;
        out.id = **new_id;
        out.steps.push_back({"new-id", "/id"});
      }
    }
  } else if (json::value* m = o.if_contains("modified"); m && m->is_string()) {
    if (std::optional<std::string> next = NextVersion(std::string_view(m->as_string()))) {
      *m = *next;
      out.steps.push_back({"new-version", "/modified"});
    }
  }
  out.text = json::serialize(root);
  thread_local stix::Validator validator;
  stix::RawObject raw;
  raw.text = out.text;
  std::string first_error;
  if (validator.ValidateObject(raw, [&](const stix::Finding& f) {
        if (f.severity == stix::Severity::kError && first_error.empty()) {
          first_error = f.message + " [" + f.rule + "]";
        }
      }) > 0) {
    out.dropped = true;
    out.reason = "sanitized, it would not be valid STIX: " + first_error;
    out.text.clear();
  }
  return out;
}

}  // namespace ctihub::sanitize
