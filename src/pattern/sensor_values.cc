#include "pattern/sensor_values.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>
#include <tuple>
#include <utility>

#include "pattern/internal/ip_prefix.h"

namespace ctihub::pattern {
namespace {

Status NotReducible(std::string reason) {
  return Status(StatusCode::kFailedPrecondition, std::move(reason));
}

enum class PathClass { kAddress, kDomain, kUrl, kEmail, kMd5, kSha1, kSha256, kFileName,
                       kCertificateSha1, kUserName };

// The object paths a sensor's value list can stand for, by their rendered text.
std::optional<PathClass> ClassOf(const ObjectPath& path) {
  // Hash keys are matched loosely ('SHA-256', 'SHA256', 'sha256'): feeds write them every way.
  if ((path.object_type == "file" || path.object_type == "artifact") && path.steps.size() == 2 &&
      path.steps[0].kind == PathStepKind::kProperty && path.steps[0].property == "hashes" &&
      path.steps[1].kind == PathStepKind::kProperty) {
    std::string key;
    for (char c : path.steps[1].property) {
      if (c != '-' && c != '_') key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (key == "md5") return PathClass::kMd5;
    if (key == "sha1") return PathClass::kSha1;
    if (key == "sha256") return PathClass::kSha256;
    return std::nullopt;
  }
  std::string text = path.ToString();
  static const std::pair<const char*, PathClass> kPaths[] = {
      {"ipv4-addr:value", PathClass::kAddress},
      {"ipv6-addr:value", PathClass::kAddress},
      {"network-traffic:src_ref.value", PathClass::kAddress},
      {"network-traffic:dst_ref.value", PathClass::kAddress},
      {"domain-name:value", PathClass::kDomain},
      {"url:value", PathClass::kUrl},
      {"email-addr:value", PathClass::kEmail},
      {"email-message:from_ref.value", PathClass::kEmail},
      {"email-message:sender_ref.value", PathClass::kEmail},
      {"email-message:to_refs[*].value", PathClass::kEmail},
      {"file:name", PathClass::kFileName},
      {"x509-certificate:hashes.'SHA-1'", PathClass::kCertificateSha1},
      {"user-account:account_login", PathClass::kUserName},
      {"user-account:user_id", PathClass::kUserName},
  };
  for (const auto& [p, c] : kPaths) {
    if (text == p) return c;
  }
  return std::nullopt;
}

// An address or prefix: which kind it is, or nullopt when it is neither.
std::optional<SensorValueKind> AddressKind(const std::string& value) {
  std::optional<internal::IpPrefix> p = internal::ParseIpPrefix(value);
  if (!p) return std::nullopt;
  if (p->v6) return p->length == 128 ? SensorValueKind::kIpv6 : SensorValueKind::kIpv6Prefix;
  return p->length == 32 ? SensorValueKind::kIpv4 : SensorValueKind::kIpv4Prefix;
}

Status AddValue(const ObjectPath& path, PathClass path_class, const Literal& literal,
                std::vector<SensorValue>* out) {
  if (literal.kind() != LiteralKind::kString) {
    return NotReducible("a non-string value on " + path.ToString());
  }
  std::string value = std::get<std::string>(literal.value);
  if (value.find_first_of("\t\r\n") != std::string::npos) {
    return NotReducible("a value with a tab or line break (sensor lists are line-based)");
  }
  SensorValueKind kind = SensorValueKind::kDomain;
  switch (path_class) {
    case PathClass::kAddress: {
      std::optional<SensorValueKind> k = AddressKind(value);
      if (!k) return NotReducible("'" + value + "' on " + path.ToString() + " is not an address");
      kind = *k;
      // One address written as a prefix of its full length ("192.0.2.6/32"): a sensor reads
      // an address, and Zeek's Intel::ADDR takes no "/32".
      if (kind == SensorValueKind::kIpv4 || kind == SensorValueKind::kIpv6) {
        value = value.substr(0, value.find('/'));
      }
      break;
    }
    case PathClass::kDomain:
      kind = SensorValueKind::kDomain;
      // "evil.example." (the DNS root written out) is the name sensors log without the dot.
      while (value.size() > 1 && value.back() == '.') value.pop_back();
      break;
    case PathClass::kUrl: kind = SensorValueKind::kUrl; break;
    case PathClass::kEmail: kind = SensorValueKind::kEmail; break;
    case PathClass::kMd5: kind = SensorValueKind::kMd5; break;
    case PathClass::kSha1: kind = SensorValueKind::kSha1; break;
    case PathClass::kSha256: kind = SensorValueKind::kSha256; break;
    case PathClass::kFileName: kind = SensorValueKind::kFileName; break;
    case PathClass::kCertificateSha1: kind = SensorValueKind::kCertificateSha1; break;
    case PathClass::kUserName: kind = SensorValueKind::kUserName; break;
  }
  SensorDirection direction = SensorDirection::kEither;
  if (path_class == PathClass::kAddress && path.object_type == "network-traffic") {
    const std::string text = path.ToString();
    if (text == "network-traffic:src_ref.value") direction = SensorDirection::kSource;
    if (text == "network-traffic:dst_ref.value") direction = SensorDirection::kDestination;
  }
  out->push_back(SensorValue{kind, std::move(value), direction});
  return Status::Ok();
}

Status FromComparison(const Comparison& c, std::vector<SensorValue>* out) {
  if (c.negated) return NotReducible("NOT");
  std::optional<PathClass> path_class = ClassOf(c.path);
  if (!path_class) return NotReducible("path " + c.path.ToString());
  switch (c.op) {
    case ComparisonOperator::kEqual:
    case ComparisonOperator::kIn:
      for (const Literal& literal : c.values) {
        CTI_RETURN_IF_ERROR(AddValue(c.path, *path_class, literal, out));
      }
      return Status::Ok();
    case ComparisonOperator::kIsSubset:
      if (*path_class != PathClass::kAddress) return NotReducible("ISSUBSET on " + c.path.ToString());
      return AddValue(c.path, *path_class, c.values[0], out);
    default:
      return NotReducible(std::string(OperatorSymbol(c.op)));
  }
}

Status FromComparisons(const ComparisonExpression& e, std::vector<SensorValue>* out) {
  switch (e.kind) {
    case ComparisonKind::kComparison:
      return FromComparison(e.comparison, out);
    case ComparisonKind::kAnd:
      return NotReducible("AND inside brackets");
    case ComparisonKind::kOr:
      for (const ComparisonExpression& child : e.children) {
        CTI_RETURN_IF_ERROR(FromComparisons(child, out));
      }
      return Status::Ok();
  }
  return Status::Ok();
}

Status FromObservations(const ObservationExpression& e, std::vector<SensorValue>* out) {
  if (!e.qualifiers.empty()) {
    switch (e.qualifiers[0].kind) {
      case QualifierKind::kWithin: return NotReducible("WITHIN");
      case QualifierKind::kRepeats: return NotReducible("REPEATS");
      case QualifierKind::kStartStop: return NotReducible("START/STOP");
    }
  }
  switch (e.kind) {
    case ObservationKind::kObservation:
      return FromComparisons(e.comparison, out);
    case ObservationKind::kGroup:
      return FromObservations(e.children[0], out);
    case ObservationKind::kOr:
      for (const ObservationExpression& child : e.children) {
        CTI_RETURN_IF_ERROR(FromObservations(child, out));
      }
      return Status::Ok();
    case ObservationKind::kAnd:
      return NotReducible("AND between observations");
    case ObservationKind::kFollowedBy:
      return NotReducible("FOLLOWEDBY");
  }
  return Status::Ok();
}

}  // namespace

std::string_view SensorValueKindName(SensorValueKind kind) {
  switch (kind) {
    case SensorValueKind::kIpv4: return "ipv4";
    case SensorValueKind::kIpv6: return "ipv6";
    case SensorValueKind::kIpv4Prefix: return "ipv4-prefix";
    case SensorValueKind::kIpv6Prefix: return "ipv6-prefix";
    case SensorValueKind::kDomain: return "domain";
    case SensorValueKind::kUrl: return "url";
    case SensorValueKind::kEmail: return "email";
    case SensorValueKind::kMd5: return "md5";
    case SensorValueKind::kSha1: return "sha1";
    case SensorValueKind::kSha256: return "sha256";
    case SensorValueKind::kFileName: return "file-name";
    case SensorValueKind::kCertificateSha1: return "certificate-sha1";
    case SensorValueKind::kUserName: return "user-name";
  }
  return "unknown";
}

Result<std::vector<SensorValue>> SensorValues(const Pattern& pattern) {
  std::vector<SensorValue> values;
  CTI_RETURN_IF_ERROR(FromObservations(pattern.root, &values));
  std::vector<SensorValue> unique;
  std::set<std::tuple<SensorValueKind, std::string, SensorDirection>> seen;
  for (SensorValue& v : values) {
    if (seen.emplace(v.kind, v.value, v.direction).second) unique.push_back(std::move(v));
  }
  return unique;
}

}  // namespace ctihub::pattern
