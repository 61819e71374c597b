// Fuzzes the TAXII filter parser (URL parameters → store query) and the paging-token decoder:
// the input is read as a query string, "name=value&name=value" (already percent-decoded, as
// net/ hands it over). Nothing may crash, and a token this server issued must always decode
// back to the position it encodes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "taxii/filters.h"

using namespace ctihub;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  taxii::Params params;
  while (!input.empty()) {
    size_t amp = input.find('&');
    std::string_view pair = input.substr(0, amp);
    size_t eq = pair.find('=');
    params.emplace_back(std::string(pair.substr(0, eq)),
                        eq == std::string_view::npos ? "" : std::string(pair.substr(eq + 1)));
    if (amp == std::string_view::npos) break;
    input.remove_prefix(amp + 1);
  }
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
