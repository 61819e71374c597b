#include "sync/internal/wire.h"

#include <openssl/evp.h>
#include <simdjson.h>

#include "common/utf8.h"
#include "common/uuid.h"
#include "stix/json_reader.h"

namespace ctihub::sync::internal {

std::string Base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(n < 0 ? 0 : static_cast<size_t>(n));
  return out;
}

std::string PercentEncode(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string TaxiiErrorText(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  if (parser.parse(body.data(), body.size()).get(e) == simdjson::SUCCESS && e.is_object()) {
    std::string_view title, description;
    if (e["title"].get(title) != simdjson::SUCCESS) title = {};
    if (e["description"].get(description) != simdjson::SUCCESS) description = {};
    // A peer's words reach a terminal and the peer state (`ctihub peers`): bounded, and with
    // control characters shown escaped, so no escape sequence or forged line gets through.
    if (!title.empty()) {
      return WithVisibleControls(title.substr(0, 200)) +
             (description.empty() ? "" : ": " + WithVisibleControls(description.substr(0, 500)));
    }
  }
  std::string start = WithVisibleControls(body.substr(0, 200));
  return start.empty() ? "(no body)" : start;
}

Result<std::string> FindCollection(std::string_view body, std::string_view wanted) {
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  if (parser.parse(body.data(), body.size()).get(e) != simdjson::SUCCESS || !e.is_object()) {
    return InvalidArgument("the collections resource is not a JSON object");
  }
  simdjson::dom::array collections;
  if (e["collections"].get(collections) != simdjson::SUCCESS) return std::string();
  for (simdjson::dom::element c : collections) {
    std::string_view id, title;
    if (c["id"].get(id) != simdjson::SUCCESS) continue;
    if (c["title"].get(title) != simdjson::SUCCESS) title = {};
    if (id == wanted || title == wanted) return std::string(id);
  }
  return std::string();
}

Result<EnvelopePaging> PeekEnvelope(std::string_view body) {
  EnvelopePaging page;
  {
    simdjson::dom::parser parser;
    simdjson::dom::element e;
    if (parser.parse(body.data(), body.size()).get(e) != simdjson::SUCCESS || !e.is_object()) {
      return InvalidArgument("the response is not a TAXII envelope (not a JSON object)");
    }
    // TAXII 2.1 §3.7: every envelope property is optional, so only the shape tells an envelope
    // from something else a misbehaving server may answer with: `objects`, when present, is an
    // array, and a top-level `type` without `objects` is a bare STIX object (read as an
    // envelope it would be an empty last page, and the round would end having stored nothing).
    simdjson::dom::element objects;
    const simdjson::error_code has_objects = e["objects"].get(objects);
    if (has_objects == simdjson::SUCCESS && !objects.is_array()) {
      return InvalidArgument("the response is not a TAXII envelope (`objects` is not an array)");
    }
    if (has_objects == simdjson::NO_SUCH_FIELD && e["type"].error() == simdjson::SUCCESS) {
      return InvalidArgument(
          "the response is not a TAXII envelope (a single STIX object, without `objects`)");
    }
    bool more = false;
    if (e["more"].get(more) == simdjson::SUCCESS) page.more = more;
    std::string_view next;
    if (e["next"].get(next) == simdjson::SUCCESS) page.next = std::string(next);
  }
  return page;
}

Result<EnvelopePage> ReadEnvelope(std::string_view body, stix::Validator& validator) {
  EnvelopePage page;
  CTI_ASSIGN_OR_RETURN(EnvelopePaging paging, PeekEnvelope(body));
  page.more = paging.more;
  page.next = std::move(paging.next);
  std::unique_ptr<stix::ObjectReader> reader = stix::ObjectReader::FromString(std::string(body));
  simdjson::dom::parser parser;  // names invalid objects
  stix::EnvelopeFindings findings;
  validator.ValidateReader(
      *reader, "envelope",
      [&](const stix::Finding& f) { findings.Add(f); },
      [&](stix::RawObject& raw, const stix::ObjectVerdict& verdict) {
        if (raw.pointer.rfind("/objects/", 0) != 0) return;  // the envelope itself
        std::string errors = findings.TakeErrors();
        if (verdict.errors > 0 || !verdict.version) {
          // An invalid object has no verdict.version: name it by its own id when its text has
          // one, so the report says which object the peer sent, not where it was in the page.
          std::string name = raw.pointer;
          if (verdict.version) {
            name = verdict.version->id;
          } else if (Result<stix::ObjectVersion> named =
                         stix::ExtractObjectVersion(parser, raw.text);
                     named.ok()) {
            name = named->id;
          }
          page.rejected.push_back(name + ": " +
                                  (errors.empty() ? "not a valid STIX 2.1 object" : errors));
        } else {
          stix::ObjectVersion v = std::move(*verdict.version);
          v.text = std::move(raw.text);
          page.objects.push_back(std::move(v));
        }
      });
  if (!findings.unreadable.empty()) {
    return InvalidArgument("the envelope is not readable: " + findings.unreadable);
  }
  return page;
}

Result<StatusResource> ReadStatus(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  if (parser.parse(body.data(), body.size()).get(e) != simdjson::SUCCESS || !e.is_object()) {
    return InvalidArgument("the answer to a POST is not a TAXII status resource");
  }
  StatusResource s;
  std::string_view id, status;
  if (e["id"].get(id) != simdjson::SUCCESS || e["status"].get(status) != simdjson::SUCCESS) {
    return InvalidArgument("the status resource lacks id or status");
  }
  s.id = std::string(id);
  s.status = std::string(status);
  uint64_t n = 0;
  if (e["total_count"].get(n) == simdjson::SUCCESS) s.total = n;
  if (e["success_count"].get(n) == simdjson::SUCCESS) s.succeeded = n;
  if (e["pending_count"].get(n) == simdjson::SUCCESS) s.pending = n;
  simdjson::dom::array failures;
  if (e["failures"].get(failures) == simdjson::SUCCESS) {
    for (simdjson::dom::element f : failures) {
      std::string_view fid, version, message;
      if (f["id"].get(fid) != simdjson::SUCCESS) fid = {};
      if (f["version"].get(version) != simdjson::SUCCESS) version = {};
      if (f["message"].get(message) != simdjson::SUCCESS) message = {};
      s.failures.push_back(
          {std::string(fid), std::string(version), WithVisibleControls(message.substr(0, 2048))});
    }
  }
  if (s.status == "complete") {
    s.pending = 0;
  } else if (s.pending == 0) {
    // "pending" without a pending_count: whatever is not decided yet (at least one).
    const uint64_t decided = s.succeeded + s.failures.size();
    s.pending = s.total > decided ? s.total - decided : 1;
  }
  return s;
}

bool IsStixId(std::string_view id) {
  const size_t sep = id.find("--");
  if (sep == 0 || sep == std::string_view::npos || sep > 250) return false;
  for (char c : id.substr(0, sep)) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return Uuid::IsValid(id.substr(sep + 2));
}

Result<DeletionPage> ReadDeletions(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  simdjson::dom::array ids;
  DeletionPage page;
  if (parser.parse(body.data(), body.size()).get(e) != simdjson::SUCCESS ||
      e["deletions"].get(ids) != simdjson::SUCCESS ||
      e["next_after"].get(page.next_after) != simdjson::SUCCESS ||
      e["more"].get(page.more) != simdjson::SUCCESS) {
    return InvalidArgument("the peer's deletion feed is not {deletions, next_after, more}");
  }
  for (simdjson::dom::element id : ids) {
    std::string_view text;
    if (id.get(text) != simdjson::SUCCESS || !IsStixId(text)) {
      return InvalidArgument("the peer's deletion feed names something that is not a STIX id");
    }
    page.ids.emplace_back(text);
  }
  return page;
}

}  // namespace ctihub::sync::internal
