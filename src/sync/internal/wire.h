// sync/internal/wire: the TAXII 2.1 messages a sync client reads and writes — envelopes,
// status resources, collections, error messages — and the small encodings around them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "stix/object.h"
#include "stix/validator.h"

namespace ctihub::sync::internal {

std::string Base64(std::string_view bytes);
// RFC 3986 percent-encoding of a query parameter value (unreserved characters kept).
std::string PercentEncode(std::string_view value);
// The title and description of a TAXII error message, or the start of a body that is not one.
std::string TaxiiErrorText(std::string_view body);

// The id of the collection in a TAXII collections resource whose id or title is `wanted`;
// "" when none. InvalidArgument for a body that is not a collections resource.
Result<std::string> FindCollection(std::string_view body, std::string_view wanted);

struct EnvelopePaging {
  bool more = false;
  std::string next;
};
// Only whether there is more and the `next` token (one quick parse), so the next page can be
// asked for while this one is validated and stored. InvalidArgument as ReadEnvelope.
Result<EnvelopePaging> PeekEnvelope(std::string_view body);

struct EnvelopePage {
  bool more = false;
  std::string next;
  std::vector<stix::ObjectVersion> objects;  // valid ones, with their exact text
  std::vector<std::string> rejected;         // "id: findings" of invalid ones
};
// Reads a TAXII envelope, validating each object as `ctihub import` does: an invalid object is
// rejected on its own (with the validator's findings), never stored. InvalidArgument when the
// body is not an envelope at all.
Result<EnvelopePage> ReadEnvelope(std::string_view body, stix::Validator& validator);

struct StatusFailure {
  std::string id, version, message;
};
struct StatusResource {
  std::string id;
  std::string status;  // "pending" or "complete"
  uint64_t total = 0, succeeded = 0, pending = 0;
  std::vector<StatusFailure> failures;
};
// InvalidArgument when the body is not a TAXII status resource.
Result<StatusResource> ReadStatus(std::string_view body);

// "<type>--<UUID>": what a deletion may name (never anything that could change a query or a
// path).
bool IsStixId(std::string_view id);

// One page of a ctihub peer's x-ctihub-deletions resource (taxii::Service::DeletionFeed).
struct DeletionPage {
  std::vector<std::string> ids;
  int64_t next_after = 0;
  bool more = false;
};
// InvalidArgument when the body is not such a page, or names something that is not a STIX id.
Result<DeletionPage> ReadDeletions(std::string_view body);

}  // namespace ctihub::sync::internal
