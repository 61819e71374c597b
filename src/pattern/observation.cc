#include "pattern/observation.h"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <string>
#include <unordered_map>
#include <utility>

namespace ctihub::pattern {
namespace {

namespace json = boost::json;

std::string Name(const json::object& object, size_t index) {
  if (const json::value* id = object.if_contains("id"); id != nullptr && id->is_string()) {
    return std::string(id->get_string());
  }
  return "observation " + std::to_string(index);
}

// Fills the timing properties every observed-data needs (STIX 2.1 §4.13).
Status ReadTiming(const json::object& sdo, const std::string& name, Observation* out) {
  const json::value* first = sdo.if_contains("first_observed");
  const json::value* last = sdo.if_contains("last_observed");
  const json::value* count = sdo.if_contains("number_observed");
  if (first == nullptr || last == nullptr || count == nullptr) {
    return Status(StatusCode::kInvalidArgument,
                  name + ": observed-data needs first_observed, last_observed and number_observed");
  }
  for (auto [property, value, target] :
       {std::tuple{"first_observed", first, &out->first_observed},
        std::tuple{"last_observed", last, &out->last_observed}}) {
    if (!value->is_string()) {
      return Status(StatusCode::kInvalidArgument, name + ": " + property + " is not a string");
    }
    Result<Timestamp> ts = Timestamp::Parse(value->get_string());
    if (!ts.ok()) {
      return Status(StatusCode::kInvalidArgument,
                    name + ": " + property + ": " + ts.status().message());
    }
    *target = *ts;
  }
  if (out->last_observed < out->first_observed) {
    return Status(StatusCode::kInvalidArgument,
                  name + ": last_observed is before first_observed");
  }
  if (!count->is_int64() || count->get_int64() < 1) {
    return Status(StatusCode::kInvalidArgument,
                  name + ": number_observed must be an integer >= 1");
  }
  out->number_observed = count->get_int64();
  return Status::Ok();
}

bool IsObservedData(const json::object& object) {
  const json::value* type = object.if_contains("type");
  return type != nullptr && type->is_string() && type->get_string() == "observed-data";
}

bool IsBundle(const json::value& value) {
  if (!value.is_object()) return false;
  const json::value* type = value.get_object().if_contains("type");
  return type != nullptr && type->is_string() && type->get_string() == "bundle";
}

// STIX 2.0 style: the SCOs sit in the observed-data's own `objects` dictionary.
Status ReadEmbedded(const json::object& sdo, size_t index, std::vector<Observation>* out) {
  std::string name = Name(sdo, index);
  Observation observation;
  CTI_RETURN_IF_ERROR(ReadTiming(sdo, name, &observation));
  if (const json::value* objects = sdo.if_contains("objects"); objects != nullptr) {
    if (!objects->is_object()) {
      return Status(StatusCode::kInvalidArgument, name + ": objects is not a dictionary");
    }
    observation.objects = objects->get_object();
  }
  out->push_back(std::move(observation));
  return Status::Ok();
}

// STIX 2.1 style: observed-data names its SCOs in `object_refs`; they are looked up among all
// the bundles' objects (the reference matcher pools the bundles it is given the same way).
Status ReadBundles(const std::vector<const json::array*>& bundles, std::vector<Observation>* out,
                   std::vector<std::string>* skipped) {
  std::unordered_map<std::string_view, const json::value*> by_id;
  for (const json::array* objects : bundles) {
    for (const json::value& object : *objects) {
      if (!object.is_object()) continue;
      const json::value* id = object.get_object().if_contains("id");
      if (id != nullptr && id->is_string()) by_id.emplace(id->get_string(), &object);
    }
  }
  size_t index = 0;
  for (const json::array* objects : bundles) {
    for (const json::value& object : *objects) {
      if (!object.is_object() || !IsObservedData(object.get_object())) continue;
      const json::object& sdo = object.get_object();
      std::string name = Name(sdo, index++);
      Observation observation;
      Status timing = ReadTiming(sdo, name, &observation);
      const json::value* refs = sdo.if_contains("object_refs");
      if (timing.ok() && (refs == nullptr || !refs->is_array())) {
        timing = Status(StatusCode::kInvalidArgument, name + ": object_refs must be a list");
      }
      if (!timing.ok()) {
        if (!skipped) return timing;
        skipped->push_back(std::string(timing.message()));
        continue;
      }
      for (const json::value& ref : refs->get_array()) {
        if (!ref.is_string()) continue;
        auto found = by_id.find(ref.get_string());
        if (found != by_id.end()) observation.objects[ref.get_string()] = *found->second;
      }
      out->push_back(std::move(observation));
    }
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<Observation>> ParseObservations(std::string_view json_text,
                                                   std::vector<std::string>* skipped) {
  boost::system::error_code ec;
  json::value root = json::parse(json_text, ec);
  if (ec) {
    return Status(StatusCode::kInvalidArgument, "observations are not valid JSON: " + ec.message());
  }
  std::vector<Observation> out;
  std::vector<const json::array*> bundles;
  auto add_bundle = [&](const json::value& bundle) -> Status {
    const json::value* objects = bundle.get_object().if_contains("objects");
    if (objects == nullptr) return Status::Ok();  // an empty bundle
    if (!objects->is_array()) {
      return Status(StatusCode::kInvalidArgument, "bundle: objects is not a list");
    }
    bundles.push_back(&objects->get_array());
    return Status::Ok();
  };
  if (IsBundle(root)) {
    CTI_RETURN_IF_ERROR(add_bundle(root));
  } else if (root.is_array()) {
    size_t index = 0;
    for (const json::value& item : root.get_array()) {
      Status read = Status::Ok();
      if (IsBundle(item)) {
        read = add_bundle(item);
      } else if (item.is_object() && IsObservedData(item.get_object())) {
        read = ReadEmbedded(item.get_object(), index, &out);
      } else {
        read = Status(StatusCode::kInvalidArgument,
                      "item " + std::to_string(index) + " is neither observed-data nor a bundle");
      }
      if (!read.ok()) {
        if (!skipped) return read;
        skipped->push_back(std::string(read.message()));
      }
      ++index;
    }
  } else if (root.is_object() && IsObservedData(root.get_object())) {
    CTI_RETURN_IF_ERROR(ReadEmbedded(root.get_object(), 0, &out));
  } else {
    return Status(StatusCode::kInvalidArgument,
                  "expected a bundle, a list of observed-data objects or one observed-data");
  }
  CTI_RETURN_IF_ERROR(ReadBundles(bundles, &out, skipped));
  return out;
}

}  // namespace ctihub::pattern
