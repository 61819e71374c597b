// Shared by the converter fuzz targets: an ObjectSink that validates every emitted object and
// aborts (a fuzzer finding) when one is not valid STIX 2.1 — a converter must never emit that.
#pragma once

#include <cstdlib>
#include <string>

#include "ingest/ingest.h"
#include "stix/validator.h"

inline ctihub::ingest::ObjectSink ValidatingSink() {
  static ctihub::stix::Validator* validator = new ctihub::stix::Validator();
  return [](std::string json) {
    size_t errors = 0;
    validator->ValidateText(json, [&](const ctihub::stix::Finding& f) {
      if (f.severity == ctihub::stix::Severity::kError) ++errors;
    });
    if (errors) std::abort();
    return ctihub::Status::Ok();
  };
}
