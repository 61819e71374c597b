// Fuzzes what a TAXII request's target goes through before any store is touched: the HTTP
// request-target decoder (net/internal/request_target: path and query split, percent-decoding)
// and the TAXII filter parser and paging-token decoder. The input is a request target
// ("/api/collections/x/objects/?match[type]=indicator&next=…"). Nothing may crash, and a token
// this server issued must always decode back to the position it encodes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "net/internal/request_target.h"
#include "taxii/filters.h"

using namespace ctihub;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view target(reinterpret_cast<const char*>(data), size);
  std::string path;
  taxii::Params params;
  if (!net::internal::ParseRequestTarget(target, &path, &params).ok()) return 0;
  if (path.find('\0') != std::string::npos) std::abort();  // refused by the decoder
  for (taxii::Endpoint e : {taxii::Endpoint::kObjects, taxii::Endpoint::kManifest,
                            taxii::Endpoint::kObject, taxii::Endpoint::kDeleteObject,
                            taxii::Endpoint::kVersions}) {
    std::string_view id = e == taxii::Endpoint::kObjects || e == taxii::Endpoint::kManifest
                              ? std::string_view()
                              : std::string_view("indicator--1");
    Result<taxii::ParsedFilters> f = taxii::ParseFilters(e, params, {}, id);
    if (!f.ok()) continue;
    if (f->query.limit < 1 || f->query.limit > 10000) std::abort();
    store::Cursor cursor{static_cast<int64_t>(size) * 1000003, static_cast<int64_t>(size)};
    std::string token = taxii::EncodeNextToken(cursor, f->fingerprint);
    Result<store::Cursor> back = taxii::DecodeNextToken(token, f->fingerprint);
    if (!back.ok() || !(*back == cursor)) std::abort();
  }
  return 0;
}
