// taxii/request: the plain request and response the TAXII layer works on. The HTTP server
// (net/) fills a Request from the wire and writes a Response back; nothing here knows sockets,
// so the whole of TAXII is tested by calling Service::Handle directly.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ctihub::taxii {

struct Request {
  std::string method;  // "GET", "POST", "DELETE", …
  std::string path;    // percent-decoded, without the query string
  std::vector<std::pair<std::string, std::string>> query;    // decoded, in order, repeats kept
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case
  std::string body;
  // SHA-256 (hex) of a client certificate that TLS verified, or empty.
  std::string client_cert_sha256;
  // "http" or "https", for the absolute URLs discovery returns (with the Host header).
  std::string scheme = "http";
  // "HOST:PORT" of the caller ("[v6]:PORT"), for throttling failed logins; may be empty.
  std::string remote_address;

  // The first header with this lower-case name, or "".
  std::string_view Header(std::string_view lower_name) const {
    for (const auto& [name, value] : headers) {
      if (name == lower_name) return value;
    }
    return {};
  }
};

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

}  // namespace ctihub::taxii
