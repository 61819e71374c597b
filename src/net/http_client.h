// net/http_client: the HTTP/1.1 client federation uses to talk to other hubs (TAXII pull and
// push) — Boost.Beast over Asio on the same stack as the server, OpenSSL TLS with certificate and
// host-name verification, optional client certificates, keep-alive reuse of one connection,
// and timeouts on connect and on each whole request. No Beast or Asio type appears here (pimpl).
//
//   ClientOptions options;  options.ca_file = "peer-ca.pem";
//   CTI_ASSIGN_OR_RETURN(auto client, HttpClient::Make("https://nato.example:9443", options));
//   CTI_ASSIGN_OR_RETURN(ClientResponse r, client->Send({"GET", "/taxii2/", {}, ""}));
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace ctihub::net {

struct ClientOptions {
  // PEM file of the certificate authorities (or the self-signed certificate) to trust for
  // https; empty = the system's default trust store. The server's name is always verified
  // against the URL's host (DNS name or IP address).
  std::string ca_file;
  // Client certificate and key (PEM) presented when the server asks; both or neither.
  std::string certificate_file;
  std::string private_key_file;
  // Deadlines, not idle timeouts: a peer sending one byte at a time cannot stretch them. 0 = none.
  std::chrono::milliseconds connect_timeout{10'000};   // resolve + TCP connect + TLS handshake
  std::chrono::milliseconds request_timeout{120'000};  // writing the request and reading the reply
  size_t max_response_bytes = size_t{512} << 20;       // body larger → ResourceExhausted
  // When it becomes true, a connection or request in flight is abandoned within a quarter of a
  // second (Unavailable, "cancelled"): a node stopping does not wait out a peer that never
  // answers. Must outlive the client.
  const std::atomic<bool>* cancel = nullptr;
  std::string user_agent = "ctihub";                   // empty = no User-Agent header
};

// In the message of a request that ran out of ClientOptions::request_timeout (a caller may
// choose not to retry those).
inline constexpr std::string_view kRequestTimedOut = "(request_timeout)";

struct ClientRequest {
  std::string method;  // "GET", "POST", …
  std::string target;  // path and query, already percent-encoded: "/taxii2/api/…?added_after=…"
  // Host, Content-Length and Transfer-Encoding given here are ignored (the client sets them);
  // a User-Agent here replaces ClientOptions::user_agent.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct ClientResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  // The first header with this (lower-case) name, or "" when absent.
  std::string_view Header(std::string_view lower_name) const;
};

// One connection to one origin (scheme, host, port), reused across requests while the server
// keeps it alive. Not thread-safe: one client per thread (a sync worker per peer).
class HttpClient {
 public:
  // `base_url` is http://HOST[:PORT] or https://HOST[:PORT] (a path after it is ignored here;
  // callers put the full path in each request's target). IPv6 hosts as [::1]. InvalidArgument
  // for a bad URL or unreadable TLS files. Does not connect yet.
  static Result<std::unique_ptr<HttpClient>> Make(std::string_view base_url,
                                                  ClientOptions options = {});
  ~HttpClient();

  // Sends one request and reads the whole response (any status is OK here; the caller judges
  // it; 1xx interim responses are skipped). Adds Host, User-Agent and Content-Length. Connects
  // on first use and again when the kept-alive connection was closed by the server (a request
  // that failed on a reused connection before any response byte arrived is retried once on a
  // fresh one — whatever its method, so a server that acted on a POST and then dropped the
  // connection without answering sees it twice).
  // InvalidArgument: a method, target or header that is not valid HTTP (nothing is sent).
  // Unavailable: cannot resolve/connect, TLS handshake failed (the message says which, with
  // OpenSSL's reason), connection reset; DeadlineExceeded-like timeouts are reported as
  // Unavailable with "timed out" in the message. Unauthenticated: the server's certificate did
  // not verify (untrusted, or not for this host) — not worth retrying. ResourceExhausted:
  // response too large. After any error the connection is closed.
  Result<ClientResponse> Send(const ClientRequest& request);

  // Closes the connection (the next Send reconnects).
  void Close();

 private:
  struct Impl;
  explicit HttpClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ctihub::net
