// taxii/filters: the URL parameters of TAXII 2.1 (§3.5 "Filtering", §3.6 "Pagination") turned
// into a store::Query, and the opaque `next` paging token.
//
// The token encodes only a position in the collection — (date_added, row) — plus a fingerprint
// of the query it belongs to, so it needs no server memory, survives restarts, works across
// replicas, and is refused (not silently misapplied) when a client reuses it with other filters.
//
//   CTI_ASSIGN_OR_RETURN(ParsedFilters f, ParseFilters(Endpoint::kObjects, request.query, {}));
//   CTI_ASSIGN_OR_RETURN(store::Page page, store.List(collection, f.query));
//   if (page.more) envelope.next = EncodeNextToken(*page.next, f.fingerprint);
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "store/store.h"

namespace ctihub::taxii {

// Which resource the parameters are for; each accepts a different set (TAXII 2.1 §5).
enum class Endpoint {
  kObjects,       // GET  …/objects/        added_after limit next match[id|type|version|spec_version]
  kManifest,      // GET  …/manifest/       the same
  kObject,        // GET  …/objects/{id}/   added_after limit next match[version|spec_version]
  kDeleteObject,  // DELETE …/objects/{id}/ match[version|spec_version]
  kVersions,      // GET  …/objects/{id}/versions/  added_after limit next match[spec_version]
};

struct FilterLimits {
  size_t default_limit = 1000;  // when the client gives none
  size_t max_limit = 10000;     // a larger `limit` is lowered to this (TAXII lets servers do so)
  // A page of objects ends early (with `more`) once it holds this many bytes of objects.
  size_t max_page_bytes = 32u << 20;
};

struct ParsedFilters {
  store::Query query;        // ids/types/spec_versions/versions/added_after/after/limit set
  uint64_t fingerprint = 0;  // of the filters (not of `next` or `limit`), for paging tokens
};

using Params = std::vector<std::pair<std::string, std::string>>;

// InvalidArgument naming the parameter and the bad value: a malformed timestamp, a limit that
// is not a positive integer, a repeated single-valued parameter, an empty list element, a
// match[...] field that this endpoint does not support, a `next` token that is malformed or was
// issued for different filters. Parameters that are not TAXII filters are ignored.
Result<ParsedFilters> ParseFilters(Endpoint endpoint, const Params& params,
                                   const FilterLimits& limits, std::string_view object_id = {});

std::string EncodeNextToken(const store::Cursor& cursor, uint64_t fingerprint);
Result<store::Cursor> DecodeNextToken(std::string_view token, uint64_t fingerprint);

}  // namespace ctihub::taxii
