#include "taxii/filters.h"

#include <xxhash.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <optional>

#include "common/time.h"

namespace ctihub::taxii {
namespace {

constexpr std::string_view kTokenPrefix = "ct1";

bool Accepts(Endpoint endpoint, std::string_view field) {
  const bool by_id = endpoint == Endpoint::kObject || endpoint == Endpoint::kDeleteObject ||
                     endpoint == Endpoint::kVersions;
  if (field == "spec_version") return true;
  if (field == "version") return endpoint != Endpoint::kVersions;
  if (field == "id" || field == "type") return !by_id;
  return false;
}

bool Pages(Endpoint endpoint) { return endpoint != Endpoint::kDeleteObject; }

// TAXII lists are comma-separated ("match[type]=indicator,malware"); a parameter may also be
// repeated, and both forms combine.
Status SplitList(std::string_view name, std::string_view value, std::vector<std::string>* out) {
  while (true) {
    size_t comma = value.find(',');
    std::string_view item = value.substr(0, comma);
    if (item.empty()) {
      return InvalidArgument("parameter " + std::string(name) +
                             " has an empty list element; give values separated by single commas");
    }
    out->emplace_back(item);
    if (comma == std::string_view::npos) return Status::Ok();
    value.remove_prefix(comma + 1);
  }
}

void Mix(XXH3_state_t* state, std::string_view tag, const std::vector<std::string>& values) {
  std::vector<std::string> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  XXH3_64bits_update(state, tag.data(), tag.size());
  for (const std::string& v : sorted) {
    XXH3_64bits_update(state, v.data(), v.size());
    XXH3_64bits_update(state, "\0", 1);
  }
}

uint64_t Fingerprint(Endpoint endpoint, std::string_view object_id,
                     const std::vector<std::string>& ids, const std::vector<std::string>& types,
                     const std::vector<std::string>& versions,
                     const std::vector<std::string>& spec_versions,
                     std::optional<int64_t> added_after) {
  XXH3_state_t* state = XXH3_createState();
  XXH3_64bits_reset(state);
  int e = static_cast<int>(endpoint == Endpoint::kManifest ? Endpoint::kObjects : endpoint);
  XXH3_64bits_update(state, &e, sizeof e);
  XXH3_64bits_update(state, object_id.data(), object_id.size());
  Mix(state, "id", ids);
  Mix(state, "type", types);
  Mix(state, "version", versions);
  Mix(state, "spec", spec_versions);
  int64_t after = added_after.value_or(-1);
  XXH3_64bits_update(state, &after, sizeof after);
  uint64_t hash = XXH3_64bits_digest(state);
  XXH3_freeState(state);
  return hash;
}

bool ParseHex64(std::string_view hex, uint64_t* out) {
  if (hex.size() != 16) return false;
  auto [end, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), *out, 16);
  return ec == std::errc() && end == hex.data() + hex.size();
}

}  // namespace

Result<ParsedFilters> ParseFilters(Endpoint endpoint, const Params& params,
                                   const FilterLimits& limits, std::string_view object_id) {
  ParsedFilters parsed;
  store::Query& q = parsed.query;
  q.limit = limits.default_limit;
  std::vector<std::string> versions, ids, types, spec_versions;
  std::optional<std::string> next;
  bool seen_limit = false, seen_added_after = false;

  for (const auto& [name, value] : params) {
    if (name == "limit" || name == "added_after" || name == "next") {
      if (!Pages(endpoint)) continue;  // DELETE takes no paging parameters; ignore, as TAXII does
      bool& seen = name == "limit" ? seen_limit : seen_added_after;
      if (name == "next") {
        if (next) return InvalidArgument("parameter next is given more than once");
        next = value;
        continue;
      }
      if (seen) return InvalidArgument("parameter " + name + " is given more than once");
      seen = true;
      if (name == "limit") {
        uint64_t limit = 0;
        auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), limit);
        if (ec != std::errc() || end != value.data() + value.size() || limit == 0) {
          return InvalidArgument("parameter limit must be a positive integer, got '" + value +
                                 "'");
        }
        q.limit = static_cast<size_t>(std::min<uint64_t>(limit, limits.max_limit));
      } else {
        Result<Timestamp> t = Timestamp::Parse(value);
        if (!t.ok()) {
          return InvalidArgument("parameter added_after must be a timestamp like "
                                 "2021-06-01T12:00:00.000Z, got '" + value + "': " +
                                 t.status().message());
        }
        q.added_after = *t;
      }
      continue;
    }
    if (name.size() > 7 && name.compare(0, 6, "match[") == 0 && name.back() == ']') {
      std::string field = name.substr(6, name.size() - 7);
      if (!Accepts(endpoint, field)) {
        return InvalidArgument("filter " + name + " is not supported on this endpoint");
      }
      std::vector<std::string>* list = field == "id"        ? &ids
                                       : field == "type"    ? &types
                                       : field == "version" ? &versions
                                                            : &spec_versions;
      // §3.4: each field appears at most once; several values go in one comma-separated list.
      if (!list->empty()) {
        return InvalidArgument("parameter " + name +
                               " is given more than once; list its values separated by commas");
      }
      CTI_RETURN_IF_ERROR(SplitList(name, value, list));
    }
  }

  for (const std::string& sv : spec_versions) {
    if (sv.size() != 3 || sv[1] != '.' || sv[0] < '0' || sv[0] > '9' || sv[2] < '0' ||
        sv[2] > '9') {
      return InvalidArgument("match[spec_version] values look like 2.1, got '" + sv + "'");
    }
  }
  // match[version] (§3.5.1): a union of first, last, all and specific versions; default last
  // (except for the versions endpoint, which lists all of them, and DELETE, which removes all).
  if (versions.empty()) {
    q.versions = endpoint == Endpoint::kVersions || endpoint == Endpoint::kDeleteObject
                     ? store::VersionMatch::All()
                     : store::VersionMatch::Last();
  } else {
    q.versions = store::VersionMatch{false, false, false, {}};
    if (versions.size() > 1 &&
        std::find(versions.begin(), versions.end(), "all") != versions.end()) {
      return InvalidArgument("match[version]=all selects every version and cannot be combined "
                             "with other values (TAXII 2.1 §3.4.1)");
    }
    for (const std::string& v : versions) {
      if (v == "first") {
        q.versions.first = true;
      } else if (v == "last") {
        q.versions.last = true;
      } else if (v == "all") {
        q.versions.all = true;
      } else {
        Result<Timestamp> t = Timestamp::Parse(v);
        if (!t.ok()) {
          return InvalidArgument("match[version] values are first, last, all or a timestamp, "
                                 "got '" + v + "'");
        }
        q.versions.at.push_back(t->micros());
      }
    }
  }
  q.ids = object_id.empty() ? ids : std::vector<std::string>{std::string(object_id)};
  q.types = types;
  q.spec_versions = spec_versions;
  q.with_text = endpoint == Endpoint::kObjects || endpoint == Endpoint::kObject;
  if (q.with_text) q.max_text_bytes = limits.max_page_bytes;

  std::optional<int64_t> added_after_micros;
  if (q.added_after) added_after_micros = q.added_after->micros();
  parsed.fingerprint =
      Fingerprint(endpoint, object_id, ids, types, versions, spec_versions, added_after_micros);
  if (next) {
    CTI_ASSIGN_OR_RETURN(store::Cursor cursor, DecodeNextToken(*next, parsed.fingerprint));
    q.after = cursor;
  }
  return parsed;
}

std::string EncodeNextToken(const store::Cursor& cursor, uint64_t fingerprint) {
  char buf[3 * 17 + 8];
  std::snprintf(buf, sizeof buf, "%s%016llx%016llx%016llx", std::string(kTokenPrefix).c_str(),
                static_cast<unsigned long long>(cursor.date_added),
                static_cast<unsigned long long>(cursor.row),
                static_cast<unsigned long long>(fingerprint));
  return buf;
}

Result<store::Cursor> DecodeNextToken(std::string_view token, uint64_t fingerprint) {
  uint64_t date_added = 0, row = 0, print = 0;
  if (token.size() != kTokenPrefix.size() + 48 || token.substr(0, 3) != kTokenPrefix ||
      !ParseHex64(token.substr(3, 16), &date_added) || !ParseHex64(token.substr(19, 16), &row) ||
      !ParseHex64(token.substr(35, 16), &print)) {
    return InvalidArgument("parameter next is not a paging token this server issued");
  }
  if (print != fingerprint) {
    return InvalidArgument("parameter next belongs to a request with other filters; repeat the "
                           "filters of the request that returned it");
  }
  return store::Cursor{static_cast<int64_t>(date_added), static_cast<int64_t>(row)};
}

}  // namespace ctihub::taxii
