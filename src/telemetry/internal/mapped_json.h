// telemetry/internal/mapped_json: JSON lines of any shape, mapped to SCOs by a TOML file
// (docs/telemetry-mapping.md, "Any JSON lines").
#pragma once

#include <simdjson.h>

#include <boost/json/value.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "telemetry/internal/builder.h"

namespace ctihub::telemetry::internal {

// How a mapped property's values are written: in the builder's forms (builder.h), so values
// copied from a record compare equal with canonicalised pattern literals.
enum class ValueForm : uint8_t {
  kAsWritten,
  kHost,    // the value of domain-name, ipv4-addr, ipv6-addr, mac-addr
  kEmail,   // the value of email-addr
  kUrl,     // the value of url
  kHashes,  // a `hashes` dictionary: its members
  kSerial,  // x509-certificate serial_number
};

class JsonMapping {
 public:
  // InvalidArgument naming the key when the file is not a valid mapping.
  static Result<JsonMapping> Load(const std::string& path);
  static Result<JsonMapping> Parse(std::string_view toml_text, const std::string& name);

  const std::string& sensor() const { return sensor_; }
  // Maps one record; InvalidArgument when its time field is missing or unreadable.
  Status Map(simdjson::dom::element record, ObservationBuilder* out) const;

 private:
  struct Property {
    std::string name;
    std::vector<std::string> field;  // path into the record, split at '.'
    ValueForm form = ValueForm::kAsWritten;
  };
  struct Ref {
    std::string name;
    std::vector<size_t> targets;  // indexes into objects_; a list makes a `_refs`
  };
  struct ObjectSpec {
    std::string type;  // an SCO type, or "ip-addr": ipv4-addr or ipv6-addr by value
    std::vector<Property> properties;
    std::vector<Ref> refs;
    std::vector<std::pair<std::string, boost::json::value>> constants;
  };
  std::string sensor_;
  std::vector<std::string> time_field_;
  std::vector<ObjectSpec> objects_;
};

}  // namespace ctihub::telemetry::internal
