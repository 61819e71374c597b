// net/http_server: the HTTP/1.1 server under `ctihub serve` — Boost.Beast over Asio, OpenSSL TLS,
// keep-alive, a thread pool sized to the cores, and the limits a server facing partners needs
// (request size, header size, timeouts, a cap on connections), each answered with a clear error.
//
// No Beast or Asio type appears here (pimpl): the TAXII layer (src/taxii/) sees plain structs.
// Handlers run on their own pool, apart from the I/O threads, so that slow work (Argon2, a store
// waiting for its write lock) never delays accepting, reading, writing or timeouts; they run
// concurrently with each other and must be thread-safe.
//
//   ServerOptions options;  options.listen = "127.0.0.1:0";
//   CTI_ASSIGN_OR_RETURN(auto server, HttpServer::Start(options, [](const HttpRequest& r) {
//     return HttpResponse{200, {{"Content-Type", "text/plain"}}, "hello"};
//   }));
//   std::printf("%u\n", server->port());  server->Shutdown();  server->Wait();
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace ctihub::net {

struct HttpRequest {
  std::string method;  // "GET", "POST", …
  std::string target;  // as received, e.g. "/taxii2/api/collections/x/objects/?limit=10"
  std::string path;    // target before '?', percent-decoded
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order, repeats kept
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string remote_address;  // "127.0.0.1:53412"
  bool tls = false;
  // When TLS verified a client certificate: SHA-256 of its DER, lower-case hex, and its subject
  // in RFC 2253 form. Empty otherwise.
  std::string client_cert_sha256;
  std::string client_cert_subject;

  // The first header with this (lower-case) name, or "" when absent.
  std::string_view Header(std::string_view lower_name) const;
};

// The server adds Content-Length, Server: ctihub and Date (unless given), and Connection: close
// when it closes. A handler's Content-Length, Transfer-Encoding and Connection headers are
// replaced ("Connection: close" is honoured); a header with a bad name or a CR/LF in its value is
// dropped. HEAD: the body is not sent, its size goes in Content-Length (or the handler's own
// Content-Length when it left the body empty). 204 and 304 carry no body.
struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// The request is the handler's to keep (its body is moved, not copied).
using Handler = std::function<HttpResponse(HttpRequest&&)>;
// Called on the handler pool once the header of a request that has a body is in, before
// `100 Continue` and before any byte of the body is read or buffered: a response ends the
// request there (and the connection, whose unread body is drained), nullopt lets the body be
// read. `request.body` is empty. This is where an unauthenticated or unauthorised upload is
// refused before it can cost memory.
using Admission = std::function<std::optional<HttpResponse>(const HttpRequest&)>;
// How the server words its own errors (limits, malformed requests): the TAXII layer answers
// with a TAXII error message. `status` is the HTTP status, `title` a short sentence.
using ErrorResponder = std::function<HttpResponse(int status, std::string_view title)>;

struct TlsOptions {
  std::string certificate_file;  // PEM, may hold the chain
  std::string private_key_file;  // PEM
  std::string client_ca_file;    // PEM; when set, client certificates are requested and verified
  bool require_client_certificate = false;  // reject the handshake without one
};

struct ServerOptions {
  std::string listen = "127.0.0.1:9443";  // HOST:PORT; port 0 picks a free port; [::1]:P for v6
  unsigned threads = 0;  // I/O threads; 0 = std::thread::hardware_concurrency()
  size_t max_body_bytes = 64u << 20;       // larger → 413
  size_t max_header_bytes = 16u << 10;     // larger → 431
  size_t max_connections = 512;            // more → 503 and close
  // Connections from one address (IPv4) or /64 (IPv6) at once; more → 503 and close; 0: no
  // limit. Loopback is not limited unless `limit_loopback` (a local reverse proxy is loopback:
  // limit there).
  size_t max_connections_per_address = 64;
  bool limit_loopback = false;
  std::chrono::milliseconds header_timeout{10'000};  // whole header must arrive in this → 408
  std::chrono::milliseconds body_timeout{60'000};    // whole body must arrive in this → 408
  std::chrono::milliseconds idle_timeout{30'000};    // keep-alive connection idle → closed
  std::optional<TlsOptions> tls;                     // plain HTTP when absent
  ErrorResponder error_responder;                    // a plain-text body when empty
  // Whole response must be written in this (a client that stops reading) → closed.
  std::chrono::milliseconds write_timeout{60'000};
  // After Shutdown(), connections still open after this are closed (a request still in the
  // handler finishes, but its response is dropped). 0 = wait for every one of them.
  std::chrono::milliseconds shutdown_timeout{30'000};
  // A timeout of 0 (any of the above) means none. The TLS handshake gets header_timeout.

  // Threads that run handlers and the admission hook; 0 = one per core, at least 2.
  unsigned handler_threads = 0;
  // Request bodies held in memory at once, over all connections: a declared Content-Length is
  // reserved when the header arrives, a chunked body as it grows. Over it → 503 + Retry-After.
  size_t max_buffered_body_bytes = 256u << 20;
  Admission admission;  // none: every body within max_body_bytes is read
};

class HttpServer {
 public:
  // Binds, listens and starts the pool. Unavailable when the address cannot be bound,
  // InvalidArgument for a bad listen string or unreadable/mismatched TLS files.
  static Result<std::unique_ptr<HttpServer>> Start(ServerOptions options, Handler handler);
  // Shuts down (if not yet) and waits.
  virtual ~HttpServer();

  uint16_t port() const;
  // Graceful: stops accepting, lets requests in flight finish and their responses be written,
  // closes idle keep-alive connections, then the pool threads end. Safe from any thread and
  // from a signal-watching thread; idempotent.
  virtual void Shutdown() = 0;
  // Blocks until the pool threads have ended (after Shutdown). Not from inside a handler.
  virtual void Wait() = 0;
  // Requests currently being handled, and connections open (for tests and logs).
  virtual size_t active_requests() const = 0;
  virtual size_t open_connections() const = 0;

 protected:
  HttpServer() = default;
  uint16_t port_ = 0;
};

// For `ctihub serve --dev-tls`: writes a fresh self-signed certificate (EC P-256, valid 30 days,
// subjectAltName DNS:localhost, IP:127.0.0.1 and `common_name`) and its key as PEM files.
Status WriteSelfSignedCertificate(const std::string& certificate_file,
                                  const std::string& private_key_file,
                                  std::string_view common_name);

}  // namespace ctihub::net
