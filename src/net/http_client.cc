// HttpClient over Boost.Beast/Asio. Everything Beast-, Asio- or OpenSSL-shaped stays in this file.
//
// Synchronous on the outside, asynchronous inside: each client owns a single-threaded io_context
// and every step (resolve, connect, handshake, write, read) is an async operation that Send runs
// to completion with run_one_until(deadline). When the deadline passes first, the socket is
// closed, which makes the pending operation complete with operation_aborted; so a timeout is a
// hard deadline over the whole step, whatever the layers underneath (TLS records, chunked
// framing) are doing, and a peer dribbling one byte at a time cannot stretch it.
#include "net/http_client.h"
#include "net/internal/http_syntax.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <poll.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <functional>
#include <memory>
#include <optional>

namespace ctihub::net {

std::string_view ClientResponse::Header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return value;
  }
  return {};
}

namespace {

using internal::EqualsNoCase;
using internal::IsFieldValue;
using internal::IsToken;
using internal::LowerAscii;
using internal::OpenSslErrors;

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;
using TlsStream = asio::ssl::stream<tcp::socket>;
using WireRequest = http::request<http::string_body>;

// Response headers of TAXII peers are a few hundred bytes; this only stops a runaway header.
constexpr std::uint32_t kMaxResponseHeaderBytes = 64 << 10;
// Beast stores a field's offsets in 16 bits: a longer request header value would throw.
constexpr size_t kMaxRequestHeaderValue = 60000;
// Targets are quoted in error messages; a long query string is cut there.
constexpr size_t kMaxQuotedTarget = 200;

// Origin-form (RFC 9112 section 3.2.1) or "*": no whitespace or control characters, which
// would end the request line early.
bool IsTarget(std::string_view s) {
  if (s.empty() || (s.front() != '/' && s != "*")) return false;
  return std::none_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u <= ' ' || u == 0x7f;
  });
}

bool IsDecimal(std::string_view s) {
  return !s.empty() && s.size() <= 5 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Letters, digits, '-', '.', '_': a DNS name as it may appear in a URL (no percent-encoded
// international names; those arrive already in their xn-- form).
bool IsHostName(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_';
  });
}

// The error's own message (for TLS errors that is OpenSSL's reason, e.g. "certificate verify
// failed (SSL routines)"), and the thread's OpenSSL error queue emptied so that it cannot
// leak into an unrelated later call.
std::string Describe(const error_code& ec) {
  ERR_clear_error();
  return ec.message();
}

// Whether the server ended the TLS session with an alert about our client certificate (none,
// unknown CA, bad, expired, revoked, access denied).
bool RefusedOurCertificate(const error_code& ec) {
  if (ec.category() != asio::error::get_ssl_category()) return false;
  switch (ERR_GET_REASON(static_cast<unsigned long>(ec.value()))) {
    case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
    case SSL_R_TLSV1_ALERT_ACCESS_DENIED:
    case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
    case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
      return true;
    default:
      return false;
  }
}

Clock::time_point DeadlineAfter(Millis timeout) {
  // 0 (or less) means none; a huge value must not overflow the clock.
  if (timeout.count() <= 0 || timeout > std::chrono::hours(24 * 365)) {
    return Clock::time_point::max();
  }
  return Clock::now() + timeout;
}

std::string Quote(std::string_view method, std::string_view target) {
  std::string out(method);
  out += ' ';
  if (target.size() > kMaxQuotedTarget) {
    out.append(target.substr(0, kMaxQuotedTarget));
    out += "...";
  } else {
    out.append(target);
  }
  return out;
}

struct Origin {
  bool tls = false;
  std::string host;                     // lower-cased, IPv6 without brackets
  std::string port;                     // decimal
  std::optional<asio::ip::address> ip;  // when the host is an address literal
  std::string authority;                // "host:port" or "[v6]:port", for messages
  std::string host_header;              // RFC 9110 section 7.2: the port only when not the default
};

Result<Origin> ParseBaseUrl(std::string_view url) {
  auto bad = [&](std::string_view problem) {
    return InvalidArgument("base URL '" + std::string(url) + "': " + std::string(problem) +
                           "; expected http://HOST[:PORT] or https://HOST[:PORT] (an IPv6 "
                           "address in brackets: https://[::1]:9443)");
  };
  Origin origin;
  std::string_view rest;
  if (url.size() >= 7 && EqualsNoCase(url.substr(0, 7), "http://")) {
    rest = url.substr(7);
  } else if (url.size() >= 8 && EqualsNoCase(url.substr(0, 8), "https://")) {
    origin.tls = true;
    rest = url.substr(8);
  } else {
    return bad("the scheme must be http or https");
  }
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.find('@') != std::string_view::npos) {
    return bad("credentials in the URL are not supported");
  }
  std::string_view host;
  std::string_view port;
  bool bracketed = false;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad("missing ']'");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("only ':PORT' may follow ']'");
      port = after.substr(1);
    }
    bracketed = true;
  } else {
    size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (host.empty()) return bad("no host");
  if (port.empty()) {
    port = origin.tls ? "443" : "80";
  } else if (!IsDecimal(port) || std::stoul(std::string(port)) == 0 ||
             std::stoul(std::string(port)) > 65535) {
    return bad("the port must be a number from 1 to 65535");
  }
  origin.host = LowerAscii(host);
  origin.port = std::to_string(std::stoul(std::string(port)));
  error_code ec;
  if (bracketed) {
    asio::ip::address_v6 v6 = asio::ip::make_address_v6(origin.host, ec);
    if (ec) return bad("'" + origin.host + "' is not an IPv6 address");
    origin.ip = v6;
  } else {
    asio::ip::address_v4 v4 = asio::ip::make_address_v4(origin.host, ec);
    if (!ec) {
      origin.ip = v4;
    } else if (!IsHostName(origin.host)) {
      return bad("'" + origin.host + "' is not a host name");
    }
  }
  std::string shown = bracketed ? "[" + origin.host + "]" : origin.host;
  origin.authority = shown + ":" + origin.port;
  bool default_port = origin.port == (origin.tls ? "443" : "80");
  origin.host_header = default_port ? shown : origin.authority;
  return origin;
}

}  // namespace

struct HttpClient::Impl {
  Impl(Origin o, ClientOptions opts) : origin(std::move(o)), options(std::move(opts)) {}

  Status InitTls();
  Result<ClientResponse> Send(const ClientRequest& request);
  Status Connect();
  // One request on the current connection. `*retryable` tells whether the request failed before
  // any byte of a response arrived (and not by timing out), so that it may be sent again.
  Result<ClientResponse> Exchange(WireRequest& wire, bool head, const std::string& what,
                                  bool* retryable);
  bool Connected() const { return plain.has_value() || secure.has_value(); }
  bool cancelled = false;  // the last RunUntil ended by ClientOptions::cancel, not its deadline
  // A kept-alive connection that is readable while idle was closed by the server (EOF, TLS
  // close_notify) or carries bytes no request asked for: either way it is not to be reused.
  bool IdleConnectionUsable();
  tcp::socket& Lowest() { return secure ? secure->next_layer() : *plain; }
  void CloseConnection();
  // After an exception out of a completion handler, operations may still be queued that refer to
  // the stack of the frame that threw: a fresh io_context drops them without running them.
  void ResetIo();
  // Runs the io_context until `done` or `deadline`. Returns true when the deadline came first:
  // `abort` has then been called and, when `wait_after_abort`, the aborted operation has
  // completed too. Internal when the io_context ran out of work with `done` still false.
  Result<bool> RunUntil(const bool& done, Clock::time_point deadline,
                        const std::function<void()>& abort, bool wait_after_abort = true);

  template <class F>
  void WithStream(F&& f) {
    if (secure) {
      f(*secure);
    } else {
      f(*plain);
    }
  }

  const Origin origin;
  const ClientOptions options;
  // Declaration order: the streams are destroyed before the TLS context and the io_context.
  std::unique_ptr<asio::io_context> ioc = std::make_unique<asio::io_context>(1);
  std::optional<asio::ssl::context> ssl;
  std::optional<tcp::socket> plain;
  std::optional<TlsStream> secure;
  beast::flat_buffer buffer;
};

Status HttpClient::Impl::InitTls() {
  ERR_clear_error();
  ssl.emplace(asio::ssl::context::tls_client);
  SSL_CTX* ctx = ssl->native_handle();
  // TLS 1.0 and 1.1 are deprecated (RFC 8996); the server side refuses them too.
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
    return Internal("TLS: cannot set the minimum version to 1.2: " + OpenSslErrors());
  }
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  error_code ec;
  if (options.ca_file.empty()) {
    if (ssl->set_default_verify_paths(ec); ec) {
      return InvalidArgument("TLS: cannot load the system's trusted certificates: " + Describe(ec) +
                             " (set ca_file)");
    }
  } else if (ssl->load_verify_file(options.ca_file, ec); ec) {
    return InvalidArgument("TLS CA file " + options.ca_file +
                           " cannot be used (PEM certificates are expected): " + Describe(ec));
  }
  if (ssl->set_verify_mode(asio::ssl::verify_peer, ec); ec) {
    return Internal("TLS: cannot set the verify mode: " + Describe(ec));
  }
  if (options.certificate_file.empty() != options.private_key_file.empty()) {
    return InvalidArgument(
        "TLS client certificate: certificate_file and private_key_file go together (got " +
        std::string(options.certificate_file.empty() ? "only the key" : "only the certificate") +
        ")");
  }
  if (options.certificate_file.empty()) return Status::Ok();
  if (ssl->use_certificate_chain_file(options.certificate_file, ec); ec) {
    return InvalidArgument(
        "TLS client certificate " + options.certificate_file +
        " cannot be used (a PEM certificate chain is expected): " + Describe(ec));
  }
  if (ssl->use_private_key_file(options.private_key_file, asio::ssl::context::pem, ec); ec) {
    // OpenSSL checks the key against the certificate while loading it, so this is either.
    return InvalidArgument("TLS client key " + options.private_key_file +
                           " cannot be used (an unencrypted PEM private key matching " +
                           options.certificate_file + " is expected): " + Describe(ec));
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return InvalidArgument("TLS client key " + options.private_key_file +
                           " does not match the certificate " + options.certificate_file + ": " +
                           OpenSslErrors());
  }
  return Status::Ok();
}

Result<bool> HttpClient::Impl::RunUntil(const bool& done, Clock::time_point deadline,
                                        const std::function<void()>& abort, bool wait_after_abort) {
  ioc->restart();
  bool timed_out = false;
  cancelled = false;
  constexpr auto kCancelPoll = std::chrono::milliseconds(250);
  while (!done) {
    const Clock::time_point now = Clock::now();
    if (!timed_out && options.cancel && options.cancel->load()) cancelled = true;
    if (!timed_out && (now >= deadline || cancelled)) {
      timed_out = true;
      abort();
      if (!wait_after_abort) return true;
      continue;
    }
    const Clock::time_point until =
        options.cancel && deadline - now > kCancelPoll ? now + kCancelPoll : deadline;
    size_t n = timed_out ? ioc->run_one() : ioc->run_one_until(until);
    if (n == 0 && ioc->stopped() && !done) {
      return Internal("HTTP client to " + origin.authority +
                      ": an operation was lost (the event loop ran out of work)");
    }
  }
  return timed_out;
}

void HttpClient::Impl::CloseConnection() {
  if (Connected()) {
    // No TLS close_notify: it would cost a round trip, and HTTP framing already told the peer
    // where our last request ended, so a missing close_notify cannot truncate anything.
    error_code ignored;
    Lowest().shutdown(tcp::socket::shutdown_both, ignored);
    Lowest().close(ignored);
  }
  secure.reset();
  plain.reset();
  buffer.clear();
  ERR_clear_error();
}

void HttpClient::Impl::ResetIo() {
  CloseConnection();
  ioc = std::make_unique<asio::io_context>(1);
}

bool HttpClient::Impl::IdleConnectionUsable() {
  if (!Connected()) return false;
  pollfd p{};
  p.fd = Lowest().native_handle();
  p.events = POLLIN | POLLRDHUP;
  return ::poll(&p, 1, 0) == 0;
}

Status HttpClient::Impl::Connect() {
  CloseConnection();
  const Clock::time_point deadline = DeadlineAfter(options.connect_timeout);
  auto timed_out = [&](std::string_view step) {
    if (cancelled) return Unavailable("connecting to " + origin.authority + ": cancelled");
    return Unavailable("connecting to " + origin.authority + " timed out after " +
                       std::to_string(options.connect_timeout.count()) +
                       " ms (connect_timeout), during " + std::string(step));
  };

  std::vector<tcp::endpoint> endpoints;
  auto port = static_cast<uint16_t>(std::stoul(origin.port));
  if (origin.ip) {
    endpoints.emplace_back(*origin.ip, port);
  } else {
    // getaddrinfo runs on Asio's resolver thread and cannot be interrupted: on a timeout the
    // lookup is abandoned, not awaited, so its result lands in this shared state later.
    struct Lookup {
      bool done = false;
      error_code ec;
      tcp::resolver::results_type results;
    };
    auto lookup = std::make_shared<Lookup>();
    tcp::resolver resolver(*ioc);
    resolver.async_resolve(origin.host, origin.port,
                           [lookup](const error_code& ec, tcp::resolver::results_type results) {
                             lookup->ec = ec;
                             lookup->results = std::move(results);
                             lookup->done = true;
                           });
    CTI_ASSIGN_OR_RETURN(bool late, RunUntil(
                                        lookup->done, deadline, [&] { resolver.cancel(); },
                                        /*wait_after_abort=*/false));
    if (late) return timed_out("the name lookup of " + origin.host);
    if (lookup->ec || lookup->results.empty()) {
      return Unavailable("cannot resolve host name '" + origin.host + "' (for " + origin.authority +
                         "): " + (lookup->ec ? lookup->ec.message() : std::string("no address")));
    }
    for (const auto& entry : lookup->results) endpoints.push_back(entry.endpoint());
  }

  tcp::socket socket(*ioc);
  bool done = false;
  error_code ec;
  asio::async_connect(socket, endpoints, [&](const error_code& e, const tcp::endpoint&) {
    ec = e;
    done = true;
  });
  CTI_ASSIGN_OR_RETURN(bool late, RunUntil(done, deadline, [&] {
                         error_code ignored;
                         socket.close(ignored);
                       }));
  if (late) return timed_out("the TCP connect");
  if (ec) return Unavailable("cannot connect to " + origin.authority + ": " + ec.message());
  error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);  // requests are written whole: no Nagle
  if (!origin.tls) {
    plain.emplace(std::move(socket));
    return Status::Ok();
  }

  secure.emplace(std::move(socket), *ssl);
  SSL* handle = secure->native_handle();
  ERR_clear_error();
  if (origin.ip) {
    // RFC 6066 section 3: no SNI for an address; the certificate must name the address itself
    // (an iPAddress subjectAltName), which OpenSSL checks during the handshake.
    if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(handle), origin.host.c_str()) != 1) {
      CloseConnection();
      return Internal("TLS: cannot set the address to verify " + origin.host + ": " +
                      OpenSslErrors());
    }
  } else {
    // An absolute name ("peer.example.") is the same host, but neither SNI (RFC 6066 section 3)
    // nor a certificate carries the final dot.
    std::string name = origin.host;
    if (name.size() > 1 && name.back() == '.') name.pop_back();
    // SSL_set1_host makes OpenSSL fail the handshake on a name mismatch with its own verify
    // error ("hostname mismatch"), which reads better than a custom verify callback's.
    SSL_set_hostflags(handle, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (SSL_set_tlsext_host_name(handle, name.c_str()) != 1 ||
        SSL_set1_host(handle, name.c_str()) != 1) {
      CloseConnection();
      return Internal("TLS: cannot set the host name to verify " + origin.host + ": " +
                      OpenSslErrors());
    }
  }
  done = false;
  secure->async_handshake(asio::ssl::stream_base::client, [&](const error_code& e) {
    ec = e;
    done = true;
  });
  CTI_ASSIGN_OR_RETURN(late, RunUntil(done, deadline, [&] {
                         error_code ignored;
                         Lowest().close(ignored);
                       }));
  if (late) {
    CloseConnection();
    return timed_out("the TLS handshake");
  }
  if (ec) {
    long verify = SSL_get_verify_result(handle);
    std::string reason = Describe(ec);
    CloseConnection();
    if (verify != X509_V_OK) {
      std::string trust = options.ca_file.empty()
                              ? "the system's trusted CAs (set ca_file to trust a private CA)"
                              : "the CAs in " + options.ca_file;
      // The server is not who it must be: no retry can change that (Unauthenticated, not
      // Unavailable, so callers that retry transient failures do not).
      return Unauthenticated("TLS certificate verification of " + origin.authority +
                         " failed: " + X509_verify_cert_error_string(verify) +
                         " (verified against " + trust + ", for the name " + origin.host + ")");
    }
    if (RefusedOurCertificate(ec)) {  // TLS 1.2: the server's alert ends the handshake
      return Unauthenticated(origin.authority + " refused this node's TLS client certificate: " +
                             reason);
    }
    return Unavailable("TLS handshake with " + origin.authority + " failed: " + reason);
  }
  return Status::Ok();
}

Result<ClientResponse> HttpClient::Impl::Exchange(WireRequest& wire, bool head,
                                                  const std::string& what, bool* retryable) {
  *retryable = false;
  const Clock::time_point deadline = DeadlineAfter(options.request_timeout);
  auto abort = [this] {
    error_code ignored;
    Lowest().close(ignored);
  };
  auto timed_out = [&](std::string_view step) {
    CloseConnection();
    if (cancelled) return Unavailable(what + " to " + origin.authority + ": cancelled");
    return Unavailable(what + " to " + origin.authority + " timed out after " +
                       std::to_string(options.request_timeout.count()) + " ms " +
                       std::string(kRequestTimedOut) + ", while " + std::string(step));
  };

  bool done = false;
  error_code ec;
  WithStream([&](auto& stream) {
    http::async_write(stream, wire, [&](const error_code& e, size_t) {
      ec = e;
      done = true;
    });
  });
  CTI_ASSIGN_OR_RETURN(bool late, RunUntil(done, deadline, abort));
  if (late) return timed_out("sending the request");
  if (ec) {
    std::string reason = Describe(ec);
    CloseConnection();
    *retryable = true;
    return Unavailable("sending " + what + " to " + origin.authority + " failed: " + reason);
  }

  for (bool first = true;; first = false) {
    http::response_parser<http::string_body> parser;
    parser.header_limit(kMaxResponseHeaderBytes);
    parser.body_limit(static_cast<std::uint64_t>(options.max_response_bytes));
    // A response to HEAD has the headers of a GET response, Content-Length included, but no body.
    if (head) parser.skip(true);
    done = false;
    WithStream([&](auto& stream) {
      http::async_read(stream, buffer, parser, [&](const error_code& e, size_t) {
        ec = e;
        done = true;
      });
    });
    CTI_ASSIGN_OR_RETURN(late, RunUntil(done, deadline, abort));
    if (late) return timed_out("waiting for the response");
    if (ec) {
      bool nothing = first && !parser.got_some() && buffer.size() == 0;
      std::string reason = Describe(ec);
      CloseConnection();
      if (ec == http::error::body_limit) {
        return ResourceExhausted("the response from " + origin.authority + " to " + what +
                                 " is larger than max_response_bytes (" +
                                 std::to_string(options.max_response_bytes) + " bytes)");
      }
      if (ec == http::error::header_limit) {
        return ResourceExhausted("the response header from " + origin.authority + " to " + what +
                                 " is larger than " + std::to_string(kMaxResponseHeaderBytes) +
                                 " bytes");
      }
      if (RefusedOurCertificate(ec)) {
        // TLS 1.3 sends these alerts after our handshake has completed, so they show up here.
        // No retry changes the certificate we present: Unauthenticated, not Unavailable.
        return Unauthenticated(origin.authority + " refused this node's TLS client certificate" +
                               (options.certificate_file.empty()
                                    ? " (none is set: certificate_file and private_key_file)"
                                    : " (" + options.certificate_file + ")") +
                               ": " + reason);
      }
      *retryable = nothing;
      if (nothing) {
        return Unavailable("the connection to " + origin.authority +
                           " ended before any response to " + what + ": " + reason);
      }
      if (ec.category() == http::make_error_code(http::error::partial_message).category()) {
        return Unavailable("malformed or truncated HTTP response from " + origin.authority +
                           " to " + what + ": " + reason);
      }
      return Unavailable("reading the response from " + origin.authority + " to " + what +
                         " failed: " + reason);
    }
    const auto& message = parser.get();
    int status = message.result_int();
    // Interim responses (100 Continue, 103 Early Hints) precede the real one; 101 would switch
    // protocols, which we never ask for, so it is returned like a final answer.
    if (status >= 100 && status < 200 && status != 101) continue;

    ClientResponse response;
    response.status = status;
    response.headers.reserve(static_cast<size_t>(std::distance(message.begin(), message.end())));
    for (const auto& field : message) {
      response.headers.emplace_back(LowerAscii(field.name_string()), std::string(field.value()));
    }
    // Bytes after a complete response were never asked for (a broken or hostile peer): they
    // would be read as the next response, so the connection is not reused.
    bool keep = parser.keep_alive() && buffer.size() == 0 && status != 101;
    response.body = std::move(parser.release().body());
    if (!keep) CloseConnection();
    return response;
  }
}

Result<ClientResponse> HttpClient::Impl::Send(const ClientRequest& request) {
  if (!IsToken(request.method)) {
    return InvalidArgument("HTTP request method '" + request.method + "' is not a token");
  }
  if (!IsTarget(request.target)) {
    return InvalidArgument("HTTP request target '" + request.target +
                           "' must start with '/' and contain no spaces or control characters "
                           "(percent-encode them)");
  }
  WireRequest wire;
  wire.version(11);
  wire.method_string(request.method);
  wire.target(request.target);
  bool has_user_agent = false;
  for (const auto& [name, value] : request.headers) {
    if (!IsToken(name) || !IsFieldValue(value, kMaxRequestHeaderValue)) {
      return InvalidArgument(
          "HTTP request header '" + name + "': the name must be a token and the value at most " +
          std::to_string(kMaxRequestHeaderValue) + " bytes without CR, LF or NUL");
    }
    // The framing and the origin are ours to say: a caller's value could only contradict them.
    if (EqualsNoCase(name, "host") || EqualsNoCase(name, "content-length") ||
        EqualsNoCase(name, "transfer-encoding")) {
      continue;
    }
    has_user_agent = has_user_agent || EqualsNoCase(name, "user-agent");
    wire.insert(name, value);
  }
  wire.set(http::field::host, origin.host_header);
  if (!has_user_agent && !options.user_agent.empty() && IsFieldValue(options.user_agent, kMaxRequestHeaderValue)) {
    wire.set(http::field::user_agent, options.user_agent);
  }
  wire.body() = request.body;
  // Content-Length for any body, and 0 for an empty POST/PUT/PATCH-like one; none for an empty
  // GET (RFC 9110 section 8.6).
  wire.prepare_payload();
  const bool head = EqualsNoCase(request.method, "HEAD");
  const std::string what = Quote(request.method, request.target);

  for (int attempt = 0;; ++attempt) {
    bool reused = IdleConnectionUsable();
    if (!reused) {
      if (Status connected = Connect(); !connected.ok()) {
        CloseConnection();
        return connected;
      }
    }
    bool retryable = false;
    Result<ClientResponse> response = Exchange(wire, head, what, &retryable);
    if (response.ok()) return response;
    CloseConnection();
    // The server may close a kept-alive connection just as we send on it (RFC 9112 section
    // 9.3.1); nothing of a response came back, so the request is sent once more on a fresh
    // connection. A fresh connection failing the same way is an answer.
    if (!(retryable && reused && attempt == 0)) return response.status();
  }
}

HttpClient::HttpClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpClient::~HttpClient() = default;

Result<std::unique_ptr<HttpClient>> HttpClient::Make(std::string_view base_url,
                                                     ClientOptions options) {
  CTI_ASSIGN_OR_RETURN(Origin origin, ParseBaseUrl(base_url));
  try {
    auto impl = std::make_unique<Impl>(std::move(origin), std::move(options));
    if (impl->origin.tls) CTI_RETURN_IF_ERROR(impl->InitTls());
    return std::unique_ptr<HttpClient>(new HttpClient(std::move(impl)));
  } catch (const std::exception& e) {
    ERR_clear_error();
    return Internal("cannot create the HTTP client for " + std::string(base_url) + ": " + e.what());
  }
}

Result<ClientResponse> HttpClient::Send(const ClientRequest& request) {
  try {
    return impl_->Send(request);
  } catch (const std::exception& e) {
    // Allocation failure, or a Beast limit we did not foresee, possibly out of a completion
    // handler: the connection and everything queued for it go.
    impl_->ResetIo();
    return Internal("HTTP client to " + impl_->origin.authority + ": " +
                    Quote(request.method, request.target) + " failed: " + e.what());
  }
}

void HttpClient::Close() { impl_->CloseConnection(); }

}  // namespace ctihub::net
