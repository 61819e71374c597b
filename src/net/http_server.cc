// HttpServer over Boost.Beast/Asio. Everything Beast-, Asio- or OpenSSL-shaped stays in this file.
//
// Threading: ONE io_context run by `threads` pool threads, each connection on its own strand.
// Handlers run inline on the connection's strand and may block (SQLite); with a shared
// io_context a blocked thread holds only its own connection, and every other connection, the
// acceptor and all timers go on on the remaining threads. With one io_context per thread, a slow
// handler would stall every connection pinned to that thread (head-of-line blocking across
// unrelated clients). The price is the scheduler's lock, which is negligible next to a query.
//
// Timeouts are deadlines, not per-byte: one steady_timer per connection is armed once per phase
// (handshake, idle, header, body, write, closing) and is never pushed back by arriving bytes, so
// a client dribbling one byte at a time (slowloris) is cut off at the deadline. When a header or
// body deadline fires, the pending read is cancelled and the read's completion answers 408.
#include "net/http_server.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cstdio>
#include <ctime>
#include <limits>
#include <mutex>
#include <thread>
#include <type_traits>
#include <unordered_map>

#include "net/internal/http_syntax.h"
#include "net/internal/request_target.h"

namespace ctihub::net {

std::string_view HttpRequest::Header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return value;
  }
  return {};
}

HttpServer::~HttpServer() = default;

uint16_t HttpServer::port() const { return port_; }

namespace {

using internal::EqualsNoCase;
using internal::IsFieldValue;
using internal::IsToken;
using internal::IsValidHostHeader;
using internal::LowerAscii;
using internal::OpenSslErrors;

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using Millis = std::chrono::milliseconds;
using PlainStream = tcp::socket;
using TlsStream = asio::ssl::stream<tcp::socket>;
using WireResponse = http::response<http::string_body>;

// One TLS record is 16 KiB; 64 KiB per read keeps big request bodies to few syscalls.
constexpr size_t kReadChunk = 64 << 10;
// Connections being answered 503 at once; past this an excess connection is closed unanswered,
// so a connection flood costs one accept and one close each.
constexpr size_t kMaxRejecting = 64;
// Longest wait, after the last response on a closing connection, for the client to close too.
constexpr Millis kMaxLinger{2000};
// Beast stores a field's offsets in 16 bits; longer response header values are dropped.
constexpr size_t kMaxResponseHeaderValue = 60000;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool IsDecimal(std::string_view s) {
  return !s.empty() && s.size() <= 19 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// IMF-fixdate (RFC 9110 section 5.6.7), e.g. "Sun, 06 Nov 1994 08:49:37 GMT". Written by hand:
// strftime's %a and %b follow the process locale.
std::string HttpDate() {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday % 7],
                tm.tm_mday, kMonths[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

std::string Hex(const unsigned char* data, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kDigits[data[i] >> 4]);
    out.push_back(kDigits[data[i] & 15]);
  }
  return out;
}

std::string Describe(const error_code& ec) {
  std::string openssl = OpenSslErrors();
  return openssl.empty() ? ec.message() : ec.message() + " (" + openssl + ")";
}

bool IsReadablePemKey(const std::string& path) {
  BIO* bio = BIO_new_file(path.c_str(), "r");
  if (bio == nullptr) return false;
  // No passphrase (OpenSSL's default callback would prompt on the terminal).
  pem_password_cb* no_passphrase = [](char*, int, int, void*) { return 0; };
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, no_passphrase, nullptr);
  BIO_free(bio);
  EVP_PKEY_free(key);
  ERR_clear_error();
  return key != nullptr;
}

class ServerImpl;

// What the server needs of a connection, whatever its stream type.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  virtual ~Connection() = default;
  virtual asio::any_io_executor executor() = 0;
  // Each runs on the connection's strand.
  virtual void Start() = 0;
  virtual void OnServerStop() = 0;
  virtual void ForceClose() = 0;
};

class ServerImpl final : public HttpServer {
 public:
  ServerImpl(ServerOptions options, Handler handler)
      : options_(std::move(options)),
        handler_(std::move(handler)),
        ioc_(static_cast<int>(ThreadCount(options_.threads))),
        strand_(asio::make_strand(ioc_)),
        acceptor_(strand_),
        accept_retry_timer_(strand_),
        force_close_timer_(strand_),
        handler_pool_(HandlerThreadCount(options_.handler_threads)) {}

  ~ServerImpl() override {
    Shutdown();
    Wait();
    // Handlers still queued (only after a failed start) are destroyed with the io_context
    // below; the connections they own must not post into it any more.
    destroying_ = true;
  }

  Status Init();
  Status StartThreads();

  void Shutdown() override;
  void Wait() override;
  size_t active_requests() const override { return active_requests_.load(); }
  size_t open_connections() const override { return connections_.load(); }

  // For connections.
  const ServerOptions& options() const { return options_; }
  bool stopping() const { return stopping_.load(); }
  asio::ssl::context& ssl_context() { return *ssl_; }
  HttpResponse ErrorResponse(int status, std::string_view title) const;
  HttpResponse Handle(HttpRequest&& request);
  std::optional<HttpResponse> Admit(const HttpRequest& request);
  // Runs `job` on the handler pool, then `done(result)` on `executor` (a connection's strand).
  // The io_context counts the job as work, so the I/O threads outlive it and its `done`.
  template <class Job, class Done>
  void RunOnHandlerPool(asio::any_io_executor executor, Job job, Done done);
  // The in-flight body budget (ServerOptions::max_buffered_body_bytes).
  bool ReserveBody(size_t bytes);
  void ReleaseBody(size_t bytes) { buffered_body_bytes_ -= bytes; }
  void OnConnectionOpened(bool rejecting);
  void OnConnectionClosed(Connection* connection, bool rejecting);
  // The per-address key of `endpoint` when it is limited ("" when not), and whether it may have
  // one more connection (then it is counted until ReleaseAddress).
  std::string AddressKey(const tcp::endpoint& endpoint) const;
  bool TakeAddress(const std::string& key);
  void ReleaseAddress(const std::string& key);

 private:
  static unsigned ThreadCount(unsigned requested) {
    if (requested != 0) return requested;
    return std::max(1u, std::thread::hardware_concurrency());
  }
  static unsigned HandlerThreadCount(unsigned requested) {
    if (requested != 0) return requested;
    return std::max(2u, std::thread::hardware_concurrency());
  }
  Status InitTls(const TlsOptions& tls);
  void Accept();
  void OnAccept(const error_code& ec, tcp::socket socket);
  void ForceCloseAll();
  void RunLoop();
  std::vector<std::weak_ptr<Connection>> Snapshot();

  // Declaration order is destruction order in reverse: everything a connection touches from its
  // destructor is declared before ioc_, the I/O objects after it.
  ServerOptions options_;
  Handler handler_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> destroying_{false};
  std::atomic<size_t> active_requests_{0};
  std::atomic<size_t> connections_{0};  // all open, including those being answered 503
  std::atomic<size_t> serving_{0};      // those counted against max_connections
  std::atomic<size_t> rejecting_{0};
  std::atomic<size_t> buffered_body_bytes_{0};
  std::mutex connections_mu_;
  std::unordered_map<Connection*, std::weak_ptr<Connection>> registry_;
  std::mutex per_address_mu_;
  std::unordered_map<std::string, size_t> per_address_;  // open connections by AddressKey
  std::optional<asio::ssl::context> ssl_;
  asio::io_context ioc_;
  asio::strand<asio::io_context::executor_type> strand_;  // acceptor and server timers
  tcp::acceptor acceptor_;
  asio::steady_timer accept_retry_timer_;
  asio::steady_timer force_close_timer_;
  // After ioc_, so that it is joined and destroyed first: its jobs post into ioc_.
  asio::thread_pool handler_pool_;
  std::mutex wait_mu_;
  std::vector<std::thread> threads_;
};

template <class Stream>
class Session final : public Connection {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  // `counted` is the address key this connection holds a per-address slot for ("" for none).
  Session(ServerImpl* server, tcp::socket socket, bool reject, std::string counted)
      : server_(server),
        remote_address_(RemoteAddress(socket)),
        stream_(MakeStream(server, std::move(socket))),
        timer_(stream_.get_executor()),
        reject_(reject),
        counted_(std::move(counted)) {
    server_->OnConnectionOpened(reject_);
  }
  ~Session() override {
    ReleaseBody();
    server_->ReleaseAddress(counted_);
    server_->OnConnectionClosed(this, reject_);
  }

  asio::any_io_executor executor() override { return stream_.get_executor(); }

  void Start() override {
    if (phase_ == Phase::kClosed) return;
    if (server_->stopping()) return CloseNow();
    if constexpr (kTls) {
      phase_ = Phase::kHandshake;
      ArmTimer(options().header_timeout);
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = Self()](const error_code& ec) { self->OnHandshake(ec); });
    } else {
      Begin();
    }
  }

  // Graceful shutdown: a connection with no request under way closes now; one with a request
  // in progress finishes it (its response says Connection: close, see Dispatch).
  void OnServerStop() override {
    switch (phase_) {
      case Phase::kNew:
      case Phase::kHandshake:
      case Phase::kIdle:
        return CloseNow();
      case Phase::kHeader:
        if (!RequestStarted()) return CloseNow();
        return;
      default:
        return;
    }
  }

  void ForceClose() override { CloseNow(); }

 private:
  enum class Phase {
    kNew, kHandshake, kIdle, kHeader,
    kAdmitting,  // the admission hook is deciding on the header; nothing is read meanwhile
    kBody,
    kHandling,  // the handler has the request
    kWriting, kClosing, kClosed
  };

  static Stream MakeStream(ServerImpl* server, tcp::socket socket) {
    if constexpr (kTls) {
      return Stream(std::move(socket), server->ssl_context());
    } else {
      (void)server;
      return socket;
    }
  }

  static std::string RemoteAddress(const tcp::socket& socket) {
    error_code ec;
    tcp::endpoint ep = socket.remote_endpoint(ec);
    if (ec) return "";
    std::string address = ep.address().to_string();
    if (ep.address().is_v6()) address = "[" + address + "]";
    return address + ":" + std::to_string(ep.port());
  }

  std::shared_ptr<Session> Self() { return std::static_pointer_cast<Session>(shared_from_this()); }
  const ServerOptions& options() const { return server_->options(); }
  tcp::socket& Lowest() {
    if constexpr (kTls) {
      return stream_.next_layer();
    } else {
      return stream_;
    }
  }
  bool RequestStarted() const {
    return buffer_.size() > 0 || (parser_.has_value() && parser_->got_some());
  }

  void OnHandshake(const error_code& ec) {
    if (phase_ == Phase::kClosed) return;
    if constexpr (kTls) {
      if (ec) {
        // OpenSSL recognises a plain HTTP request as the first bytes and sends no alert, so the
        // connection can still carry a plain-text answer telling the client what went wrong.
        if (ec.category() == asio::error::get_ssl_category() &&
            ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == SSL_R_HTTP_REQUEST) {
          ERR_clear_error();
          raw_ = true;
          return SendError(400, "this port speaks HTTPS; the request was plain HTTP");
        }
        ERR_clear_error();
        return CloseNow();
      }
      ReadClientCertificate();
    }
    Begin();
  }

  void ReadClientCertificate() {
    if constexpr (kTls) {
      if (!options().tls || options().tls->client_ca_file.empty()) return;
      SSL* ssl = stream_.native_handle();
      X509* cert = SSL_get0_peer_certificate(ssl);
      if (cert == nullptr || SSL_get_verify_result(ssl) != X509_V_OK) return;
      unsigned char md[EVP_MAX_MD_SIZE];
      unsigned int md_len = 0;
      if (X509_digest(cert, EVP_sha256(), md, &md_len) != 1) {
        ERR_clear_error();
        return;
      }
      cert_sha256_ = Hex(md, md_len);
      if (BIO* bio = BIO_new(BIO_s_mem())) {
        if (X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) >= 0) {
          char* data = nullptr;
          long n = BIO_get_mem_data(bio, &data);
          if (n > 0 && data != nullptr) cert_subject_.assign(data, static_cast<size_t>(n));
        }
        BIO_free(bio);
      }
      ERR_clear_error();
    }
  }

  // After the accept (plain) or the handshake (TLS).
  void Begin() {
    if (reject_) {
      return SendError(503, "the server has too many connections open; retry later");
    }
    NextRequest(/*first=*/true);
  }

  // The first request of a connection has header_timeout from the start; later ones get
  // idle_timeout until their first byte arrives (unless pipelined bytes are already here), then
  // header_timeout for the rest of the header.
  void NextRequest(bool first) {
    ReleaseBody();
    parser_.emplace();
    parser_->eager(true);
    parser_->header_limit(static_cast<std::uint32_t>(
        std::min<size_t>(options().max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
    parser_->body_limit(static_cast<std::uint64_t>(options().max_body_bytes));
    header_checked_ = false;
    timed_out_ = false;
    if (first || buffer_.size() > 0) {
      phase_ = Phase::kHeader;
      ArmTimer(options().header_timeout);
      Parse();
    } else {
      phase_ = Phase::kIdle;
      ArmTimer(options().idle_timeout);
      ReadMore();
    }
  }

  void ReadMore() {
    stream_.async_read_some(
        buffer_.prepare(kReadChunk),
        [self = Self()](const error_code& ec, size_t n) { self->OnRead(ec, n); });
  }

  void OnRead(const error_code& ec, size_t n) {
    if (phase_ == Phase::kClosed) return;
    if (!ec) buffer_.commit(n);
    if (timed_out_) return OnRequestTimeout();
    // Peer closed or reset, TLS truncation, or cancelled by a forced close: nothing to answer.
    if (ec) {
      if constexpr (kTls) ERR_clear_error();
      return CloseNow();
    }
    if (phase_ == Phase::kIdle) {
      phase_ = Phase::kHeader;
      ArmTimer(options().header_timeout);
    }
    Parse();
  }

  void Parse() {
    for (;;) {
      if (buffer_.size() == 0) return ReadMore();
      error_code ec;
      size_t used = parser_->put(buffer_.data(), ec);
      buffer_.consume(used);
      if (ec && ec != http::error::need_more) return OnParseError(ec);
      // Once the header is in, it is checked (credentials, body budget) before anything more is
      // read, even while the parser waits for the rest of a chunk line.
      if (parser_->is_header_done() && !header_checked_) {
        header_checked_ = true;
        if (!CheckHeader()) return;
      }
      if (ec == http::error::need_more) {
        // The parser may have taken in chunk data before stopping at a partial size line: it
        // counts against the body budget now, not only when a read ends between chunks.
        if (phase_ == Phase::kBody && !parser_->content_length() && !ReserveChunkedBody()) return;
        // What the parser cannot consume yet is one unfinished line (a header, a chunk size
        // with its extensions, a trailer): bounded like a header, not by the body limits.
        if (buffer_.size() > options().max_header_bytes + kReadChunk) {
          return SendError(400, "a chunk line or trailer is longer than " +
                                    std::to_string(options().max_header_bytes) + " bytes");
        }
        return ReadMore();
      }
      if (phase_ == Phase::kBody && !parser_->content_length() && !ReserveChunkedBody()) return;
      if (parser_->is_done()) return Dispatch();
      if (used == 0) return ReadMore();
    }
  }

  void OnParseError(const error_code& ec) {
    if (ec == http::error::header_limit) {
      return SendError(431, "the request header is larger than " +
                                std::to_string(options().max_header_bytes) + " bytes");
    }
    if (ec == http::error::body_limit) {
      return SendError(413, "the request body is larger than " +
                                std::to_string(options().max_body_bytes) + " bytes");
    }
    return SendError(400, "malformed HTTP request: " + ec.message());
  }

  // Checks Beast leaves to us once the header is in. False when the request was answered (or a
  // 100 Continue write was started) and parsing must not go on here.
  bool CheckHeader() {
    const auto& request = parser_->get();
    if (request.version() != 10 && request.version() != 11) {
      SendError(505, "HTTP version not supported; use HTTP/1.1");
      return false;
    }
    // RFC 9112 section 3.2: exactly one Host in an HTTP/1.1 request, else 400.
    if (request.version() == 11 && request.count(http::field::host) != 1) {
      SendError(400, "an HTTP/1.1 request needs exactly one Host header");
      return false;
    }
    // RFC 9112 section 3.2: a Host that is not host[:port] (RFC 3986 section 3.2.2) gets 400
    // too; handlers build URLs from it (TAXII discovery), so it must not carry markup or quotes.
    if (auto host = request.find(http::field::host);
        host != request.end() && !IsValidHostHeader(host->value())) {
      SendError(400, "the Host header is not a valid host[:port]");
      return false;
    }
    // Authorization is a single-value header (RFC 9110 section 11.6.2): with two, a proxy that
    // reads the last and a server that reads the first would disagree on who is calling.
    if (request.count(http::field::authorization) > 1) {
      SendError(400,
                "more than one Authorization header: which credentials are meant is "
                "ambiguous");
      return false;
    }
    // Beast treats a request Transfer-Encoding without a final "chunked" as no body at all,
    // which would read the body as the next request (smuggling); and we decode no codings.
    size_t codings = 0;
    bool only_chunked = true;
    for (const auto& field : request) {
      if (field.name() != http::field::transfer_encoding) continue;
      ++codings;
      only_chunked = only_chunked && EqualsNoCase(Trim(field.value()), "chunked");
    }
    if (codings > 1 || !only_chunked) {
      SendError(501,
                "Transfer-Encoding other than chunked is not supported; send the body "
                "with a Content-Length or chunked");
      return false;
    }
    if (parser_->is_done()) return true;
    if (!options().admission) return StartBody();
    // The hook may be slow (it authenticates): it runs on the handler pool, and the header
    // timeout does not run against the client meanwhile.
    CancelTimer();
    phase_ = Phase::kAdmitting;
    HttpRequest head;
    if (Status s = FillFromHeader(parser_->get(), head); !s.ok()) {
      SendError(400, s.message());
      return false;
    }
    server_->RunOnHandlerPool(
        executor(),
        [server = server_, head = std::make_unique<HttpRequest>(std::move(head))] {
          return server->Admit(*head);
        },
        [self = Self()](std::optional<HttpResponse> refused) {
          if (self->phase_ != Phase::kAdmitting) return;  // closed meanwhile
          if (refused) return self->Send(std::move(*refused), /*keep_alive=*/false, false);
          if (self->StartBody()) self->Parse();
        });
    return false;
  }

  bool Reserve(size_t bytes) {
    if (!server_->ReserveBody(bytes)) {
      SendError(503, "the server holds too many request bodies at once; retry later");
      return false;
    }
    reserved_ += bytes;
    return true;
  }

  bool ReserveChunkedBody() {
    size_t size = parser_->get().body().size();
    if (size <= reserved_) return true;
    constexpr size_t kStep = 1 << 20;
    return Reserve((size - reserved_ + kStep - 1) / kStep * kStep);
  }

  void ReleaseBody() {
    if (reserved_ == 0) return;
    server_->ReleaseBody(reserved_);
    reserved_ = 0;
  }

  // The body is about to be read: its timeout runs, and a client waiting for `100 Continue`
  // gets it. False when reading goes on from the 100 Continue's completion instead, or the
  // request was refused (503, no budget left).
  bool StartBody() {
    // A declared length is reserved whole (Beast allocates it at once); a chunked body is
    // reserved as it grows (ReserveChunkedBody). After admission, so that refused requests
    // never hold any of the budget.
    if (auto length = parser_->content_length()) {
      if (!Reserve(static_cast<size_t>(*length))) return false;
    }
    const auto& request = parser_->get();
    phase_ = Phase::kBody;
    ArmTimer(options().body_timeout);
    // RFC 9110 section 10.1.1: a client that asked "Expect: 100-continue" waits for this before
    // sending the body (curl waits a whole second otherwise). Not sent when the body has
    // already started to arrive.
    if (request.version() == 11 && buffer_.size() == 0 &&
        EqualsNoCase(Trim(request[http::field::expect]), "100-continue")) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                        [self = Self()](const error_code& ec, size_t) {
                          if (self->phase_ == Phase::kClosed) return;
                          if (ec || self->timed_out_) return self->CloseNow();
                          self->ReadMore();
                        });
      return false;
    }
    return true;
  }

  void OnRequestTimeout() {
    if (phase_ == Phase::kHeader && !RequestStarted()) return CloseNow();  // never said a word
    bool header = phase_ == Phase::kHeader;
    Millis limit = header ? options().header_timeout : options().body_timeout;
    SendError(408, std::string("the request ") + (header ? "header" : "body") +
                       " did not arrive within " + std::to_string(limit.count()) + " ms");
  }

  // Everything of the request but its body.
  Status FillFromHeader(const http::request<http::string_body>& message, HttpRequest& request) {
    request.target = std::string(message.target());
    CTI_RETURN_IF_ERROR(
        internal::ParseRequestTarget(request.target, &request.path, &request.query));
    request.method = std::string(message.method_string());
    request.headers.reserve(static_cast<size_t>(std::distance(message.begin(), message.end())));
    for (const auto& field : message) {
      request.headers.emplace_back(LowerAscii(field.name_string()), std::string(field.value()));
    }
    request.remote_address = remote_address_;
    request.tls = kTls;
    request.client_cert_sha256 = cert_sha256_;
    request.client_cert_subject = cert_subject_;
    return Status::Ok();
  }

  void Dispatch() {
    CancelTimer();
    http::request<http::string_body> message = parser_->release();
    HttpRequest request;
    if (Status s = FillFromHeader(message, request); !s.ok()) return SendError(400, s.message());
    request.body = std::move(message.body());
    // RFC 9112 section 9.3: HTTP/1.0 connections close after the response here (no 1.0
    // keep-alive extension), 1.1 ones unless the client said Connection: close.
    bool keep_alive = message.version() == 11 && message.keep_alive();
    bool head = message.method() == http::verb::head;
    phase_ = Phase::kHandling;
    server_->RunOnHandlerPool(
        executor(),
        [server = server_, request = std::make_unique<HttpRequest>(std::move(request))] {
          return server->Handle(std::move(*request));
        },
        [self = Self(), keep_alive, head](HttpResponse response) {
          self->ReleaseBody();
          if (self->phase_ != Phase::kHandling) return;  // force-closed meanwhile
          self->Send(std::move(response), keep_alive && !self->server_->stopping(), head);
        });
  }

  void SendError(int status, std::string_view title) {
    HttpResponse response = server_->ErrorResponse(status, title);
    if (status == 503) response.headers.emplace_back("Retry-After", "1");
    Send(std::move(response), /*keep_alive=*/false, /*head=*/false);
  }

  void Send(HttpResponse response, bool keep_alive, bool head) {
    response_.emplace();
    WireResponse& out = *response_;
    // A handler has no business sending a 1xx as its final answer.
    int status = response.status >= 200 && response.status <= 999 ? response.status : 500;
    out.version(11);
    out.result(static_cast<unsigned>(status));
    bool has_server = false;
    bool has_date = false;
    std::string_view handler_length;
    for (const auto& [name, value] : response.headers) {
      if (!IsToken(name) || !IsFieldValue(value, kMaxResponseHeaderValue)) continue;
      if (EqualsNoCase(name, "content-length")) {
        handler_length = value;
        continue;
      }
      if (EqualsNoCase(name, "transfer-encoding")) continue;
      if (EqualsNoCase(name, "connection")) {
        if (LowerAscii(value).find("close") != std::string::npos) keep_alive = false;
        continue;
      }
      has_server = has_server || EqualsNoCase(name, "server");
      has_date = has_date || EqualsNoCase(name, "date");
      out.insert(name, value);
    }
    if (!has_server) out.set(http::field::server, "ctihub");
    if (!has_date) out.set(http::field::date, HttpDate());
    if (!keep_alive) out.set(http::field::connection, "close");
    if (status == 204 || status == 304) {
      // No body and no Content-Length (RFC 9110 sections 8.6, 15.3.5, 15.4.5).
    } else if (head) {
      // HEAD: the length the GET body would have, without the body. A handler that already
      // dropped the body may say the length itself.
      if (!response.body.empty()) {
        out.content_length(response.body.size());
      } else if (IsDecimal(handler_length)) {
        out.set(http::field::content_length, handler_length);
      }
    } else {
      out.content_length(response.body.size());
      out.body() = std::move(response.body);  // moved, not copied: pages reach 1 MB
    }
    keep_alive_ = keep_alive;
    phase_ = Phase::kWriting;
    ArmTimer(options().write_timeout);
    auto done = [self = Self()](const error_code& ec, size_t) { self->OnWritten(ec); };
    if constexpr (kTls) {
      if (raw_) return http::async_write(stream_.next_layer(), out, std::move(done));
    }
    http::async_write(stream_, out, std::move(done));
  }

  void OnWritten(const error_code& ec) {
    if (phase_ == Phase::kClosed) return;
    response_.reset();
    if (ec) return CloseNow();
    if (!keep_alive_) return GracefulClose();
    if (server_->stopping()) {
      // The response promised keep-alive, so the client will not close: this is the idle close
      // of a shutdown, done at once unless the client already sent more (then linger, so that
      // unread input does not turn the close into a reset that could eat the response).
      error_code available_ec;
      size_t available = Lowest().available(available_ec);
      if (!available_ec && available == 0 && buffer_.size() == 0) return CloseNow();
      return GracefulClose();
    }
    NextRequest(/*first=*/false);
  }

  // After the last response: TLS sends close_notify; plain TCP half-closes and reads what the
  // client still sends (the rest of a refused body) until it closes too. Closing at once with
  // unread input would make the kernel send a reset, and the client could lose the very
  // response that explains why (413, 431, 503).
  void GracefulClose() {
    phase_ = Phase::kClosing;
    Millis linger = options().header_timeout.count() > 0
                        ? std::min(options().header_timeout, kMaxLinger)
                        : kMaxLinger;
    ArmTimer(linger);
    if constexpr (kTls) {
      if (!raw_) {
        stream_.async_shutdown([self = Self()](const error_code&) {
          ERR_clear_error();
          self->CloseNow();
        });
        return;
      }
    }
    error_code ignored;
    Lowest().shutdown(tcp::socket::shutdown_send, ignored);
    buffer_.clear();
    Drain();
  }

  void Drain() {
    Lowest().async_read_some(buffer_.prepare(16 << 10),
                             [self = Self()](const error_code& ec, size_t) {
                               if (self->phase_ == Phase::kClosed) return;
                               if (ec) return self->CloseNow();
                               self->Drain();  // discarded: never committed
                             });
  }

  void CloseNow() {
    if (phase_ == Phase::kClosed) return;
    if (phase_ != Phase::kHandling) ReleaseBody();  // else the handler still holds the body
    phase_ = Phase::kClosed;
    CancelTimer();
    error_code ignored;
    Lowest().close(ignored);  // pending operations complete with operation_aborted
  }

  void ArmTimer(Millis timeout) {
    ++timer_generation_;
    if (timeout.count() <= 0) {
      timer_.cancel();
      return;
    }
    timer_.expires_after(timeout);
    timer_.async_wait([self = Self(), generation = timer_generation_](const error_code& ec) {
      // A stale wait can complete without error when it fired just before being re-armed.
      if (ec || generation != self->timer_generation_) return;
      self->OnTimer();
    });
  }

  void CancelTimer() {
    ++timer_generation_;
    timer_.cancel();
  }

  void OnTimer() {
    switch (phase_) {
      case Phase::kHeader:
      case Phase::kBody: {
        // The pending read completes with operation_aborted and answers 408 (OnRead).
        timed_out_ = true;
        error_code ignored;
        Lowest().cancel(ignored);
        return;
      }
      case Phase::kClosed:
        return;
      default:  // handshake, idle keep-alive, write or linger deadline: nothing more to say
        return CloseNow();
    }
  }

  ServerImpl* server_;
  std::string remote_address_;
  Stream stream_;
  asio::steady_timer timer_;
  const bool reject_;
  const std::string counted_;
  Phase phase_ = Phase::kNew;
  uint64_t timer_generation_ = 0;
  bool timed_out_ = false;
  bool header_checked_ = false;
  bool keep_alive_ = false;
  size_t reserved_ = 0;  // of the server's body budget, for the request being read or handled
  bool raw_ = false;  // TLS port, failed handshake: answer in plain text
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<WireResponse> response_;
  std::string cert_sha256_;
  std::string cert_subject_;
};

Result<tcp::endpoint> ResolveListen(const std::string& listen, asio::io_context& ioc) {
  const std::string usage = "listen address '" + listen +
                            "' must be HOST:PORT, e.g. 127.0.0.1:9443, 0.0.0.0:9443 or [::1]:9443";
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return InvalidArgument(usage);
  std::string host = listen.substr(0, colon);
  std::string port_text = listen.substr(colon + 1);
  if (!IsDecimal(port_text) || port_text.size() > 5 || std::stoul(port_text) > 65535) {
    return InvalidArgument(usage + " (port 0-65535)");
  }
  auto port = static_cast<uint16_t>(std::stoul(port_text));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string::npos) {
    return InvalidArgument(usage + " (an IPv6 address goes in brackets)");
  }
  if (host.empty()) return tcp::endpoint(asio::ip::address_v4::any(), port);
  error_code ec;
  asio::ip::address address = asio::ip::make_address(host, ec);
  if (!ec) return tcp::endpoint(address, port);
  tcp::resolver resolver(ioc);
  auto results = resolver.resolve(host, port_text, ec);
  if (ec || results.empty()) {
    return InvalidArgument("listen address '" + listen + "': cannot resolve '" + host +
                           "': " + (ec ? ec.message() : std::string("no address")));
  }
  return results.begin()->endpoint();
}

Status ServerImpl::InitTls(const TlsOptions& tls) {
  ERR_clear_error();
  ssl_.emplace(asio::ssl::context::tls_server);
  SSL_CTX* ctx = ssl_->native_handle();
  // TLS 1.0 and 1.1 are deprecated (RFC 8996).
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
    return Internal("TLS: cannot set the minimum version to 1.2: " + OpenSslErrors());
  }
  SSL_CTX_set_options(
      ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION);
  // TLS 1.2 suites with forward secrecy and AEAD only (TLS 1.3's are all such): no static-RSA
  // key exchange, no CBC (BSI TR-02102-2, Mozilla's "intermediate").
  if (SSL_CTX_set_cipher_list(ctx,
                              "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                              "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                              "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
                              "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384") != 1) {
    return Internal("TLS: cannot set the cipher suites: " + OpenSslErrors());
  }
  // An encrypted key is refused at once rather than prompting on a terminal (or hanging
  // without one) for a passphrase.
  ssl_->set_password_callback(
      [](std::size_t, asio::ssl::context::password_purpose) { return std::string(); });
  error_code ec;
  if (tls.certificate_file.empty() || tls.private_key_file.empty()) {
    return InvalidArgument("TLS needs both a certificate file and a private key file");
  }
  if (ssl_->use_certificate_chain_file(tls.certificate_file, ec); ec) {
    return InvalidArgument(
        "TLS certificate " + tls.certificate_file +
        " cannot be used (a PEM certificate chain is expected): " + Describe(ec));
  }
  if (ssl_->use_private_key_file(tls.private_key_file, asio::ssl::context::pem, ec); ec) {
    ERR_clear_error();
    if (!IsReadablePemKey(tls.private_key_file)) {
      return InvalidArgument(
          "TLS private key " + tls.private_key_file +
          " cannot be used (an unencrypted PEM private key is expected): " + ec.message());
    }
    // OpenSSL checks the key against the certificate while loading it.
    return InvalidArgument("TLS private key " + tls.private_key_file +
                           " does not match the certificate " + tls.certificate_file);
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return InvalidArgument("TLS private key " + tls.private_key_file +
                           " does not match the certificate " + tls.certificate_file + ": " +
                           OpenSslErrors());
  }
  // Every client would refuse it: said at start rather than as handshake failures.
  if (X509* cert = SSL_CTX_get0_certificate(ctx)) {
    if (X509_cmp_current_time(X509_get0_notAfter(cert)) <= 0) {
      return InvalidArgument("TLS certificate " + tls.certificate_file + " has expired");
    }
    if (X509_cmp_current_time(X509_get0_notBefore(cert)) > 0) {
      return InvalidArgument("TLS certificate " + tls.certificate_file + " is not valid yet");
    }
  }
  if (tls.client_ca_file.empty()) {
    if (tls.require_client_certificate) {
      return InvalidArgument(
          "TLS: require_client_certificate needs client_ca_file to verify "
          "client certificates against");
    }
    return Status::Ok();
  }
  if (ssl_->load_verify_file(tls.client_ca_file, ec); ec) {
    return InvalidArgument("TLS client CA file " + tls.client_ca_file +
                           " cannot be used (PEM certificates are expected): " + Describe(ec));
  }
  // Tells clients which CAs we accept, so one with several certificates picks the right one.
  if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(tls.client_ca_file.c_str())) {
    SSL_CTX_set_client_CA_list(ctx, names);
  }
  asio::ssl::verify_mode mode = asio::ssl::verify_peer;
  if (tls.require_client_certificate) mode |= asio::ssl::verify_fail_if_no_peer_cert;
  if (ssl_->set_verify_mode(mode, ec); ec) {
    return Internal("TLS: cannot set the verify mode: " + Describe(ec));
  }
  // Without a session id context, OpenSSL refuses to resume sessions once peers are verified.
  static constexpr unsigned char kSessionContext[] = "ctihub";
  SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof(kSessionContext) - 1);
  ERR_clear_error();
  return Status::Ok();
}

Status ServerImpl::Init() {
  if (options_.tls) CTI_RETURN_IF_ERROR(InitTls(*options_.tls));
  CTI_ASSIGN_OR_RETURN(tcp::endpoint endpoint, ResolveListen(options_.listen, ioc_));
  error_code ec;
  auto fail = [&](std::string_view step) {
    return Unavailable("cannot listen on " + options_.listen + " (" + std::string(step) +
                       "): " + ec.message());
  };
  if (acceptor_.open(endpoint.protocol(), ec); ec) return fail("socket");
  // A restarted server must not wait out TIME_WAIT connections of the previous one.
  if (acceptor_.set_option(asio::socket_base::reuse_address(true), ec); ec) return fail("socket");
  if (acceptor_.bind(endpoint, ec); ec) return fail("bind");
  if (acceptor_.listen(asio::socket_base::max_listen_connections, ec); ec) return fail("listen");
  tcp::endpoint local = acceptor_.local_endpoint(ec);
  if (ec) return fail("local address");
  port_ = local.port();
  return Status::Ok();
}

Status ServerImpl::StartThreads() {
  // The first accept is queued before any thread runs, so run() cannot find the io_context
  // without work and return at once.
  asio::post(strand_, [this] { Accept(); });
  unsigned n = ThreadCount(options_.threads);
  try {
    threads_.reserve(n);
    for (unsigned i = 0; i < n; ++i) threads_.emplace_back([this] { RunLoop(); });
  } catch (const std::exception& e) {
    return Internal(std::string("cannot start the server's threads: ") + e.what());
  }
  return Status::Ok();
}

void ServerImpl::RunLoop() {
  for (;;) {
    try {
      ioc_.run();
      return;
    } catch (...) {
      // A completion handler threw (allocation failure, a Beast limit we did not foresee). The
      // connection it served is dropped with the handler; the pool goes on.
    }
  }
}

void ServerImpl::Accept() {
  acceptor_.async_accept(asio::make_strand(ioc_), [this](const error_code& ec, tcp::socket socket) {
    OnAccept(ec, std::move(socket));
  });
}

void ServerImpl::OnAccept(const error_code& ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || stopping_) return;
  if (ec) {
    // Out of descriptors or memory: accepting again at once would spin; pause instead of
    // giving up, since connections closing will free what is missing.
    if (ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space ||
        ec == asio::error::no_memory) {
      accept_retry_timer_.expires_after(Millis(100));
      accept_retry_timer_.async_wait([this](const error_code& wait_ec) {
        if (!wait_ec && !stopping_) Accept();
      });
      return;
    }
    return Accept();  // e.g. the client reset before we accepted
  }
  error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);  // responses are written whole: no Nagle
  bool reject = serving_.load() >= options_.max_connections;
  // One address may not hold every slot (idle connections reopened as they time out would keep
  // everyone else out): past its share it is answered 503 like any connection over the limit.
  std::string counted;
  if (!reject) {
    tcp::endpoint remote = socket.remote_endpoint(ignored);
    std::string key = ignored ? std::string() : AddressKey(remote);
    if (!key.empty()) {
      if (TakeAddress(key)) {
        counted = std::move(key);
      } else {
        reject = true;
      }
    }
  }
  if (reject && rejecting_.load() >= kMaxRejecting) {
    socket.close(ignored);
    return Accept();
  }
  std::shared_ptr<Connection> connection;
  try {
    if (ssl_) {
      connection = std::make_shared<Session<TlsStream>>(this, std::move(socket), reject, counted);
    } else {
      connection = std::make_shared<Session<PlainStream>>(this, std::move(socket), reject, counted);
    }
    {
      std::lock_guard lock(connections_mu_);
      registry_.emplace(connection.get(), connection);
    }
    asio::post(connection->executor(), [connection] { connection->Start(); });
  } catch (const std::exception&) {
    // Allocation or SSL_new failed: this connection is dropped (its socket closes with it).
    // A session that was made releases its slot as it goes; one that was not, here.
    if (!connection) ReleaseAddress(counted);
  }
  Accept();
}

std::string ServerImpl::AddressKey(const tcp::endpoint& endpoint) const {
  if (options_.max_connections_per_address == 0) return "";
  const asio::ip::address address = endpoint.address();
  if (address.is_loopback() && !options_.limit_loopback) return "";
  if (address.is_v6()) {
    const std::array<unsigned char, 16> bytes = address.to_v6().to_bytes();
    if (address.to_v6().is_v4_mapped()) {  // ::ffff:a.b.c.d is a.b.c.d
      return "4:" + std::to_string(bytes[12]) + "." + std::to_string(bytes[13]) + "." +
             std::to_string(bytes[14]) + "." + std::to_string(bytes[15]);
    }
    return "6:" + std::string(reinterpret_cast<const char*>(bytes.data()), 8);  // its /64
  }
  return "4:" + address.to_string();
}

bool ServerImpl::TakeAddress(const std::string& key) {
  std::lock_guard lock(per_address_mu_);
  size_t& n = per_address_[key];
  if (n >= options_.max_connections_per_address) {
    if (n == 0) per_address_.erase(key);
    return false;
  }
  ++n;
  return true;
}

void ServerImpl::ReleaseAddress(const std::string& key) {
  if (key.empty()) return;
  std::lock_guard lock(per_address_mu_);
  auto it = per_address_.find(key);
  if (it == per_address_.end()) return;
  if (--it->second == 0) per_address_.erase(it);
}

void ServerImpl::OnConnectionOpened(bool rejecting) {
  ++connections_;
  ++(rejecting ? rejecting_ : serving_);
}

void ServerImpl::OnConnectionClosed(Connection* connection, bool rejecting) {
  --(rejecting ? rejecting_ : serving_);
  {
    std::lock_guard lock(connections_mu_);
    registry_.erase(connection);
  }
  if (--connections_ == 0 && stopping_ && !destroying_) {
    // The last one is gone: the shutdown deadline must not keep the pool alive.
    try {
      asio::post(strand_, [this] { force_close_timer_.cancel(); });
    } catch (...) {
    }
  }
}

std::vector<std::weak_ptr<Connection>> ServerImpl::Snapshot() {
  std::lock_guard lock(connections_mu_);
  std::vector<std::weak_ptr<Connection>> out;
  out.reserve(registry_.size());
  for (const auto& [ptr, weak] : registry_) out.push_back(weak);
  return out;
}

void ServerImpl::Shutdown() {
  if (stopping_.exchange(true)) return;
  try {
    asio::post(strand_, [this] {
      error_code ignored;
      acceptor_.close(ignored);
      accept_retry_timer_.cancel();
      if (connections_.load() > 0 && options_.shutdown_timeout.count() > 0) {
        force_close_timer_.expires_after(options_.shutdown_timeout);
        force_close_timer_.async_wait([this](const error_code& ec) {
          if (!ec) ForceCloseAll();
        });
      }
    });
    // A connection accepted after this snapshot sees stopping_ in Start() and closes itself.
    for (const auto& weak : Snapshot()) {
      if (auto connection = weak.lock()) {
        asio::post(connection->executor(), [connection] { connection->OnServerStop(); });
      }
    }
  } catch (...) {
    ioc_.stop();  // cannot even queue the graceful path: stop hard rather than hang
  }
}

void ServerImpl::ForceCloseAll() {
  for (const auto& weak : Snapshot()) {
    if (auto connection = weak.lock()) {
      asio::post(connection->executor(), [connection] { connection->ForceClose(); });
    }
  }
}

void ServerImpl::Wait() {
  std::lock_guard lock(wait_mu_);
  for (std::thread& t : threads_) {
    if (t.joinable() && t.get_id() != std::this_thread::get_id()) t.join();
  }
  // The I/O threads end only once no handler job holds work on ioc_, so none is left here.
  handler_pool_.join();
}

template <class Job, class Done>
void ServerImpl::RunOnHandlerPool(asio::any_io_executor executor, Job job, Done done) {
  // The result travels in a unique_ptr: the posted handlers are then move-only, so Asio can
  // never copy a page-sized response (or request) on the way between the threads.
  asio::post(handler_pool_, [work = asio::make_work_guard(ioc_), executor = std::move(executor),
                             job = std::move(job), done = std::move(done)]() mutable {
    auto result = std::make_unique<decltype(job())>(job());
    asio::post(executor, [done = std::move(done), result = std::move(result)]() mutable {
      done(std::move(*result));
    });
  });
}

bool ServerImpl::ReserveBody(size_t bytes) {
  size_t held = buffered_body_bytes_.load();
  do {
    if (bytes > options_.max_buffered_body_bytes - std::min(held, options_.max_buffered_body_bytes)) {
      return false;
    }
  } while (!buffered_body_bytes_.compare_exchange_weak(held, held + bytes));
  return true;
}

HttpResponse ServerImpl::ErrorResponse(int status, std::string_view title) const {
  if (options_.error_responder) {
    try {
      return options_.error_responder(status, title);
    } catch (...) {
      // fall through to the plain-text form
    }
  }
  return HttpResponse{
      status, {{"Content-Type", "text/plain; charset=utf-8"}}, std::string(title) + "\n"};
}

HttpResponse ServerImpl::Handle(HttpRequest&& request) {
  ++active_requests_;
  struct Done {
    std::atomic<size_t>& n;
    ~Done() { --n; }
  } done{active_requests_};
  try {
    return handler_(std::move(request));
  } catch (...) {
    // A handler must not throw; if one does, this request fails, not the server.
    return ErrorResponse(500, "internal error while handling the request");
  }
}

std::optional<HttpResponse> ServerImpl::Admit(const HttpRequest& request) {
  if (!options_.admission) return std::nullopt;
  try {
    return options_.admission(request);
  } catch (...) {
    return ErrorResponse(500, "internal error while admitting the request");
  }
}

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::Start(ServerOptions options, Handler handler) {
  if (!handler) return InvalidArgument("HttpServer::Start: the handler is empty");
  try {
    auto server = std::make_unique<ServerImpl>(std::move(options), std::move(handler));
    CTI_RETURN_IF_ERROR(server->Init());
    CTI_RETURN_IF_ERROR(server->StartThreads());
    return std::unique_ptr<HttpServer>(std::move(server));
  } catch (const std::exception& e) {
    return Internal(std::string("cannot start the HTTP server: ") + e.what());
  }
}

}  // namespace ctihub::net
