// HttpServer over real sockets on 127.0.0.1: a blocking POSIX (and OpenSSL, for TLS) client
// speaks raw HTTP so that malformed, slow and oversized requests can be sent on purpose.
#include "net/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ctihub::net {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A test client writing to a socket the server already closed must see EPIPE, not die.
const bool kSigpipeIgnored = [] {
  std::signal(SIGPIPE, SIG_IGN);
  return true;
}();

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

struct Response {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;

  std::string Header(const std::string& name) const {
    for (const auto& [n, v] : headers) {
      if (n == name) return v;
    }
    return "";
  }
  bool HasHeader(const std::string& name) const {
    for (const auto& [n, v] : headers) {
      if (n == name) return true;
    }
    return false;
  }
};

struct SslCtxFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
using SslCtx = std::unique_ptr<SSL_CTX, SslCtxFree>;

// A blocking client with a receive timeout, so a server bug fails a test instead of hanging it.
class Client {
 public:
  explicit Client(uint16_t port, std::chrono::milliseconds receive_timeout = 5s) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    SetReceiveTimeout(receive_timeout);
    timeval send_timeout{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof(send_timeout));
  }
  ~Client() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    ::close(fd_);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connected() const { return connected_; }
  int fd() const { return fd_; }

  void SetReceiveTimeout(std::chrono::milliseconds timeout) {
    timeval tv{static_cast<time_t>(timeout.count() / 1000),
               static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }

  // TLS handshake over this connection; `host` is checked against the server certificate.
  bool StartTls(SSL_CTX* ctx, const char* host = "localhost") {
    ssl_ = SSL_new(ctx);
    SSL_set_fd(ssl_, fd_);
    if (host != nullptr) {
      SSL_set_tlsext_host_name(ssl_, host);
      SSL_set1_host(ssl_, host);
    }
    bool ok = SSL_connect(ssl_) == 1;
    ERR_clear_error();
    return ok;
  }

  bool Send(std::string_view data) {
    size_t done = 0;
    while (done < data.size()) {
      ssize_t n;
      if (ssl_ != nullptr) {
        n = SSL_write(ssl_, data.data() + done, static_cast<int>(data.size() - done));
        if (n <= 0) {
          ERR_clear_error();
          return false;
        }
      } else {
        n = ::send(fd_, data.data() + done, data.size() - done, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
      }
      done += static_cast<size_t>(n);
    }
    return true;
  }

  // One response: status line, headers, and a Content-Length body (none for HEAD, 1xx, 204).
  bool ReadResponse(Response* out, bool head = false) {
    *out = Response();
    size_t end;
    while ((end = pending_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return false;
    }
    std::string head_text = pending_.substr(0, end);
    pending_.erase(0, end + 4);
    if (head_text.compare(0, 9, "HTTP/1.1 ") != 0 || head_text.size() < 12) return false;
    out->status = std::atoi(head_text.substr(9, 3).c_str());
    size_t pos = head_text.find("\r\n");
    while (pos != std::string::npos) {
      size_t next = head_text.find("\r\n", pos + 2);
      std::string line =
          head_text.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
      size_t colon = line.find(':');
      if (colon != std::string::npos) {
        std::string value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.erase(0, 1);
        out->headers.emplace_back(Lower(line.substr(0, colon)), value);
      }
      pos = next;
    }
    if (head || out->status < 200 || out->status == 204 || out->status == 304) return true;
    if (!out->HasHeader("content-length")) return false;  // the server always sends one
    size_t length = std::stoul(out->Header("content-length"));
    while (pending_.size() < length) {
      if (!Fill()) return false;
    }
    out->body = pending_.substr(0, length);
    pending_.erase(0, length);
    return true;
  }

  // True when the server closes the connection (EOF or reset) within the receive timeout.
  bool WaitForClose() {
    char buf[4096];
    for (;;) {
      ssize_t n = Recv(buf, sizeof(buf));
      if (n == 0 || n == kError) return true;
      if (n == kTimeout) return false;
    }
  }

 private:
  static constexpr ssize_t kError = -1;
  static constexpr ssize_t kTimeout = -2;

  ssize_t Recv(char* buf, size_t n) {
    if (ssl_ != nullptr) {
      int r = SSL_read(ssl_, buf, static_cast<int>(n));
      if (r > 0) return r;
      int err = SSL_get_error(ssl_, r);
      int saved = errno;
      ERR_clear_error();
      if (err == SSL_ERROR_ZERO_RETURN) return 0;
      if (err == SSL_ERROR_SYSCALL && (saved == EAGAIN || saved == EWOULDBLOCK)) return kTimeout;
      if (err == SSL_ERROR_WANT_READ) return kTimeout;
      return kError;
    }
    for (;;) {
      ssize_t r = ::recv(fd_, buf, n, 0);
      if (r >= 0) return r;
      if (errno == EINTR) continue;
      return (errno == EAGAIN || errno == EWOULDBLOCK) ? kTimeout : kError;
    }
  }

  bool Fill() {
    char buf[65536];
    ssize_t n = Recv(buf, sizeof(buf));
    if (n <= 0) return false;
    pending_.append(buf, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  SSL* ssl_ = nullptr;
  std::string pending_;
};

// Remembers every request it is given and answers "METHOD PATH".
class Recorder {
 public:
  Handler handler() {
    return [this](const HttpRequest& r) {
      {
        std::lock_guard lock(mu_);
        requests_.push_back(r);
      }
      return HttpResponse{200, {{"Content-Type", "text/plain"}}, r.method + " " + r.path};
    };
  }
  std::vector<HttpRequest> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }
  size_t count() {
    std::lock_guard lock(mu_);
    return requests_.size();
  }

 private:
  std::mutex mu_;
  std::vector<HttpRequest> requests_;
};

std::unique_ptr<HttpServer> StartServer(ServerOptions options, Handler handler) {
  options.listen = "127.0.0.1:0";
  if (options.threads == 0) options.threads = 2;
  Result<std::unique_ptr<HttpServer>> server = HttpServer::Start(options, std::move(handler));
  if (!server.ok()) {
    ADD_FAILURE() << server.status().ToString();
    return nullptr;
  }
  return std::move(server).value();
}

template <typename Predicate>
bool Eventually(Predicate predicate, std::chrono::milliseconds limit = 3s) {
  auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return predicate();
}

long long MillisSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

TEST(HttpServer, KeepAliveServesSeveralRequestsOnOneConnection) {
  Recorder recorder;
  auto server = StartServer({}, recorder.handler());
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  ASSERT_TRUE(c.connected());
  for (const char* path : {"/one", "/two", "/three"}) {
    ASSERT_TRUE(c.Send(std::string("GET ") + path + " HTTP/1.1\r\nHost: x\r\n\r\n"));
    Response r;
    ASSERT_TRUE(c.ReadResponse(&r)) << path;
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, std::string("GET ") + path);
    EXPECT_EQ(r.Header("server"), "ctihub");
    EXPECT_EQ(r.Header("content-type"), "text/plain");
    EXPECT_TRUE(r.HasHeader("date"));
    EXPECT_FALSE(r.HasHeader("connection"));
  }
  EXPECT_EQ(server->open_connections(), 1u);
  EXPECT_EQ(recorder.count(), 3u);
}

TEST(HttpServer, PipelinedRequestsAreAnsweredInOrder) {
  auto server = StartServer({}, [](const HttpRequest& r) {
    if (r.path == "/slow") std::this_thread::sleep_for(50ms);
    return HttpResponse{200, {}, r.path};
  });
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  ASSERT_TRUE(
      c.Send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"
             "POST /second HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
             "GET /third HTTP/1.1\r\nHost: x\r\n\r\n"));
  for (const char* expected : {"/slow", "/second", "/third"}) {
    Response r;
    ASSERT_TRUE(c.ReadResponse(&r));
    EXPECT_EQ(r.body, expected);
  }
}

TEST(HttpServer, PathAndQueryArePercentDecodedAndHeadersLowerCased) {
  Recorder recorder;
  auto server = StartServer({}, recorder.handler());
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  ASSERT_TRUE(
      c.Send("GET /taxii2/a%20b+c/?match%5Bid%5D=x+y&match%5Bid%5D=z%26&limit=2 "
             "HTTP/1.1\r\nHost: x\r\nX-Custom-Header: Value\r\n\r\n"));
  Response r;
  ASSERT_TRUE(c.ReadResponse(&r));
  ASSERT_EQ(recorder.count(), 1u);
  HttpRequest seen = recorder.requests()[0];
  EXPECT_EQ(seen.method, "GET");
  EXPECT_EQ(seen.target, "/taxii2/a%20b+c/?match%5Bid%5D=x+y&match%5Bid%5D=z%26&limit=2");
  EXPECT_EQ(seen.path, "/taxii2/a b+c/");
  using Query = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(seen.query, (Query{{"match[id]", "x y"}, {"match[id]", "z&"}, {"limit", "2"}}));
  EXPECT_EQ(seen.Header("x-custom-header"), "Value");
  EXPECT_EQ(seen.Header("host"), "x");
  EXPECT_EQ(seen.Header("absent"), "");
  EXPECT_EQ(seen.remote_address.rfind("127.0.0.1:", 0), 0u) << seen.remote_address;
  EXPECT_FALSE(seen.tls);
  EXPECT_TRUE(seen.client_cert_sha256.empty());
}

TEST(HttpServer, MalformedEscapeInTargetGets400) {
  Recorder recorder;
  auto server = StartServer({}, recorder.handler());
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  ASSERT_TRUE(c.Send("GET /a%zz HTTP/1.1\r\nHost: x\r\n\r\n"));
  Response r;
  ASSERT_TRUE(c.ReadResponse(&r));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.Header("connection"), "close");
  EXPECT_EQ(recorder.count(), 0u);
}

TEST(HttpServer, BodiesArriveWithContentLengthAndChunked) {
  Recorder recorder;
  auto server = StartServer({}, recorder.handler());
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  ASSERT_TRUE(c.Send("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"));
  Response r;
  ASSERT_TRUE(c.ReadResponse(&r));
  ASSERT_TRUE(
      c.Send("POST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
             "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"));
  ASSERT_TRUE(c.ReadResponse(&r));
  EXPECT_EQ(r.status, 200);
  auto requests = recorder.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].body, "hello");
  EXPECT_EQ(requests[1].body, "hello world");
}

TEST(HttpServer, LargeBodiesTravelIntactBothWays) {
  std::string big(3u << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i * 7 % 26);
  auto server = StartServer({}, [&big](const HttpRequest& r) {
    if (r.method == "POST") return HttpResponse{r.body == big ? 200 : 500, {}, ""};
    return HttpResponse{200, {}, big};
  });
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  ASSERT_TRUE(c.Send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n"));
  Response r;
  ASSERT_TRUE(c.ReadResponse(&r));
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.body == big);
  ASSERT_TRUE(c.Send("POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                     std::to_string(big.size()) + "\r\n\r\n" + big));
  ASSERT_TRUE(c.ReadResponse(&r));
  EXPECT_EQ(r.status, 200);
}

TEST(HttpServer, ExpectContinueGets100BeforeTheBodyIsSent) {
  Recorder recorder;
  auto server = StartServer({}, recorder.handler());
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  ASSERT_TRUE(
      c.Send("POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
             "Expect: 100-continue\r\n\r\n"));
  Response r;
  ASSERT_TRUE(c.ReadResponse(&r));
  EXPECT_EQ(r.status, 100);
  ASSERT_TRUE(c.Send("hello"));
  ASSERT_TRUE(c.ReadResponse(&r));
  EXPECT_EQ(r.status, 200);
  ASSERT_EQ(recorder.count(), 1u);
  EXPECT_EQ(recorder.requests()[0].body, "hello");
}

TEST(HttpServer, ContentLengthOverTheLimitGets413BeforeTheBodyIsRead) {
  Recorder recorder;
  ServerOptions options;
  options.max_body_bytes = 1000;
  auto server = StartServer(options, recorder.handler());
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  ASSERT_TRUE(c.Send("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000000\r\n\r\n"));
  Response r;
  ASSERT_TRUE(c.ReadResponse(&r));
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.Header("connection"), "close");
  EXPECT_NE(r.body.find("1000 bytes"), std::string::npos) << r.body;
  EXPECT_TRUE(c.WaitForClose());
  EXPECT_EQ(recorder.count(), 0u);
}

TEST(HttpServer, ChunkedBodyGrowingOverTheLimitGets413) {
  Recorder recorder;
  ServerOptions options;
  options.max_body_bytes = 1000;
  auto server = StartServer(options, recorder.handler());
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  std::string request = "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 6; ++i) request += "1f4\r\n" + std::string(500, 'z') + "\r\n";
  request += "0\r\n\r\n";
  ASSERT_TRUE(c.Send(request));
  Response r;
  ASSERT_TRUE(c.ReadResponse(&r));
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.Header("connection"), "close");
  EXPECT_TRUE(c.WaitForClose());
  EXPECT_EQ(recorder.count(), 0u);
}

TEST(HttpServer, AdmissionRefusesAnUploadBeforeContinueOrAnyBodyByte) {
  Recorder recorder;
  std::atomic<int> admitted{0};
  std::string seen_path, seen_body = "unset";
  std::mutex mu;
  ServerOptions options;
  options.admission = [&](const HttpRequest& head) -> std::optional<HttpResponse> {
    ++admitted;
    std::lock_guard lock(mu);
    seen_path = head.path;
    seen_body = head.body;
    if (head.Header("authorization") != "yes") {
      return HttpResponse{401, {{"Content-Type", "text/plain"}}, "who are you?"};
    }
    return std::nullopt;
  };
  auto server = StartServer(options, recorder.handler());
  ASSERT_NE(server, nullptr);
  {
    // 60 MB announced, nothing sent: refused at once, without 100 Continue.
    Client c(server->port());
    ASSERT_TRUE(
        c.Send("POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 60000000\r\n"
               "Expect: 100-continue\r\n\r\n"));
    Response r;
    ASSERT_TRUE(c.ReadResponse(&r));
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(r.body, "who are you?");
    EXPECT_EQ(r.Header("connection"), "close");
    EXPECT_TRUE(c.WaitForClose());
  }
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(seen_path, "/up");
    EXPECT_EQ(seen_body, "");
  }
  {
    Client c(server->port());
    ASSERT_TRUE(
        c.Send("POST /up HTTP/1.1\r\nHost: x\r\nAuthorization: yes\r\nContent-Length: 5\r\n"
               "Expect: 100-continue\r\n\r\n"));
    Response r;
    ASSERT_TRUE(c.ReadResponse(&r));
    EXPECT_EQ(r.status, 100);
    ASSERT_TRUE(c.Send("hello"));
    ASSERT_TRUE(c.ReadResponse(&r));
    EXPECT_EQ(r.status, 200);
  }
  // A request without a body is not put to the admission hook.
  Client c(server->port());
  ASSERT_TRUE(c.Send("GET /plain HTTP/1.1\r\nHost: x\r\n\r\n"));
  Response r;
  ASSERT_TRUE(c.ReadResponse(&r));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(admitted.load(), 2);
  ASSERT_EQ(recorder.count(), 2u);
  EXPECT_EQ(recorder.requests()[0].body, "hello");
}

TEST(HttpServer, BodiesOverTheServersBufferBudgetGet503) {
  Recorder recorder;
  ServerOptions options;
  options.max_buffered_body_bytes = 1'000'000;
  auto server = StartServer(options, recorder.handler());
  ASSERT_NE(server, nullptr);
  // The first upload holds 800 kB of the budget while its body trickles in.
  Client first(server->port());
  ASSERT_TRUE(first.Send("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 800000\r\n\r\nabc"));
  std::this_thread::sleep_for(100ms);
  Client second(server->port());
  ASSERT_TRUE(second.Send("POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 800000\r\n\r\n"));
  Response r;
  ASSERT_TRUE(second.ReadResponse(&r));
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.Header("retry-after"), "1");
  // A chunked body is counted as it grows.
  Client chunked(server->port());
  std::string request = "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  request += "40000\r\n" + std::string(0x40000, 'z') + "\r\n";
  ASSERT_TRUE(chunked.Send(request));
  ASSERT_TRUE(chunked.ReadResponse(&r));
  EXPECT_EQ(r.status, 503);
  // Once the first body is in and answered, its share is free again.
  ASSERT_TRUE(first.Send(std::string(800000 - 3, 'x')));
  ASSERT_TRUE(first.ReadResponse(&r));
  EXPECT_EQ(r.status, 200);
  Client third(server->port());
  ASSERT_TRUE(third.Send("POST /d HTTP/1.1\r\nHost: x\r\nContent-Length: 800000\r\n\r\n" +
                         std::string(800000, 'y')));
  ASSERT_TRUE(third.ReadResponse(&r));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(recorder.count(), 2u);
}

TEST(HttpServer, SlowHandlersDoNotHoldUpTheIoThread) {
  // One I/O thread and a handler that blocks: before handlers had their own pool, the second
  // client waited for the first handler to return.
  std::atomic<bool> release{false};
  ServerOptions options;
  options.threads = 1;
  options.handler_threads = 2;
  auto server = StartServer(options, [&](const HttpRequest& r) {
    if (r.path == "/slow") {
      while (!release.load()) std::this_thread::sleep_for(5ms);
    }
    return HttpResponse{200, {}, r.path};
  });
  ASSERT_NE(server, nullptr);
  Client slow(server->port());
  ASSERT_TRUE(slow.Send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::this_thread::sleep_for(50ms);
  Client fast(server->port());
  ASSERT_TRUE(fast.Send("GET /fast HTTP/1.1\r\nHost: x\r\n\r\n"));
  Response r;
  auto started = Clock::now();
  ASSERT_TRUE(fast.ReadResponse(&r));
  EXPECT_EQ(r.body, "/fast");
  EXPECT_LT(MillisSince(started), 2000);
  release = true;
  ASSERT_TRUE(slow.ReadResponse(&r));
  EXPECT_EQ(r.body, "/slow");
}

TEST(HttpServer, HeaderOverTheLimitGets431) {
  Recorder recorder;
  ServerOptions options;
  options.max_header_bytes = 2048;
  auto server = StartServer(options, recorder.handler());
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  ASSERT_TRUE(
      c.Send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(100000, 'a') + "\r\n\r\n"));
  Response r;
  ASSERT_TRUE(c.ReadResponse(&r));
  EXPECT_EQ(r.status, 431);
  EXPECT_EQ(r.Header("connection"), "close");
  EXPECT_TRUE(c.WaitForClose());
  EXPECT_EQ(recorder.count(), 0u);
}

// A chunk line that never ends (a size with endless extensions) is bounded like a header: 400
// once it passes the header limit, not a buffer that grows until a timeout.
TEST(HttpServer, AnEndlessChunkLineGets400) {
  Recorder recorder;
  ServerOptions options;
  options.max_header_bytes = 2048;
  auto server = StartServer(options, recorder.handler());
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  ASSERT_TRUE(c.Send("POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1;" +
                     std::string(200000, 'e')));
  Response r;
  ASSERT_TRUE(c.ReadResponse(&r));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("chunk line"), std::string::npos) << r.body;
  EXPECT_EQ(recorder.count(), 0u);
}

TEST(HttpServer, SlowlorisHeaderGets408AtTheHeaderDeadline) {
  Recorder recorder;
  ServerOptions options;
  options.header_timeout = 300ms;
  auto server = StartServer(options, recorder.handler());
  ASSERT_NE(server, nullptr);
  auto start = Clock::now();
  Client c(server->port());
  // One byte per 100 ms: each byte arrives well within any per-byte timeout, the whole header
  // never within 300 ms.
  std::string request = "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + std::string(40, 's') + "\r\n\r\n";
  for (size_t i = 0; i < request.size() && MillisSince(start) < 3000; ++i) {
    if (!c.Send(request.substr(i, 1))) break;
    pollfd p{c.fd(), POLLIN, 0};
    if (::poll(&p, 1, 100) > 0) break;
  }
  Response r;
  ASSERT_TRUE(c.ReadResponse(&r));
  long long elapsed = MillisSince(start);
  EXPECT_EQ(r.status, 408);
  EXPECT_EQ(r.Header("connection"), "close");
  EXPECT_GE(elapsed, 250);
  EXPECT_LT(elapsed, 1500);
  EXPECT_TRUE(c.WaitForClose());
  EXPECT_EQ(recorder.count(), 0u);
}

TEST(HttpServer, SlowBodyGets408AtTheBodyDeadline) {
  Recorder recorder;
  ServerOptions options;
  options.body_timeout = 300ms;
  auto server = StartServer(options, recorder.handler());
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  auto start = Clock::now();
  ASSERT_TRUE(c.Send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly-part"));
  Response r;
  ASSERT_TRUE(c.ReadResponse(&r));
  EXPECT_EQ(r.status, 408);
  EXPECT_GE(MillisSince(start), 250);
  EXPECT_TRUE(c.WaitForClose());
  EXPECT_EQ(recorder.count(), 0u);
}

TEST(HttpServer, SilentNewConnectionIsClosedAtTheHeaderDeadline) {
  Recorder recorder;
  ServerOptions options;
  options.header_timeout = 200ms;
  auto server = StartServer(options, recorder.handler());
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  auto start = Clock::now();
  EXPECT_TRUE(c.WaitForClose());
  EXPECT_LT(MillisSince(start), 1500);
}

TEST(HttpServer, GarbageGets400AndTheConnectionCloses) {
  Recorder recorder;
  auto server = StartServer({}, recorder.handler());
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  ASSERT_TRUE(c.Send("\x16\x03\x01garbage that is not http\r\n\r\n"));
  Response r;
  ASSERT_TRUE(c.ReadResponse(&r));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.Header("connection"), "close");
  EXPECT_EQ(r.Header("content-type"), "text/plain; charset=utf-8");
  EXPECT_TRUE(c.WaitForClose());
  EXPECT_EQ(recorder.count(), 0u);
}

TEST(HttpServer, UnsupportedTransferEncodingGets501) {
  Recorder recorder;
  auto server = StartServer({}, recorder.handler());
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  ASSERT_TRUE(c.Send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nxyz"));
  Response r;
  ASSERT_TRUE(c.ReadResponse(&r));
  EXPECT_EQ(r.status, 501);
  EXPECT_TRUE(c.WaitForClose());
  EXPECT_EQ(recorder.count(), 0u);
}

TEST(HttpServer, ContentLengthWithTransferEncodingGets400) {
  Recorder recorder;
  auto server = StartServer({}, recorder.handler());
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  ASSERT_TRUE(
      c.Send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
             "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"));
  Response r;
  ASSERT_TRUE(c.ReadResponse(&r));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(recorder.count(), 0u);
}

TEST(HttpServer, Http11RequestWithoutHostGets400) {
  Recorder recorder;
  auto server = StartServer({}, recorder.handler());
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  ASSERT_TRUE(c.Send("GET / HTTP/1.1\r\n\r\n"));
  Response r;
  ASSERT_TRUE(c.ReadResponse(&r));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("Host"), std::string::npos);
  EXPECT_EQ(recorder.count(), 0u);
}

TEST(HttpServer, TwoAuthorizationHeadersGet400) {
  Recorder recorder;
  auto server = StartServer({}, recorder.handler());
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  ASSERT_TRUE(
      c.Send("GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Basic YTpi\r\n"
             "authorization: Basic Yzpk\r\n\r\n"));
  Response r;
  ASSERT_TRUE(c.ReadResponse(&r));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("Authorization"), std::string::npos);
  EXPECT_EQ(recorder.count(), 0u);
}

// A Host that is not host[:port] is refused (RFC 9112 section 3.2): handlers build URLs from it.
TEST(HttpServer, AnInvalidHostGets400) {
  Recorder recorder;
  auto server = StartServer({}, recorder.handler());
  ASSERT_NE(server, nullptr);
  for (const char* host :
       {"evil.example:1/<x>\"", "a b", "x:port", "[::1", "[zz]:80", "x:123456", "x%zz"}) {
    Client c(server->port());
    ASSERT_TRUE(c.Send(std::string("GET / HTTP/1.1\r\nHost: ") + host + "\r\n\r\n"));
    Response r;
    ASSERT_TRUE(c.ReadResponse(&r)) << host;
    EXPECT_EQ(r.status, 400) << host;
  }
  EXPECT_EQ(recorder.count(), 0u);
  for (const char* host : {"example.org", "example.org:8443", "127.0.0.1:9", "[::1]:8080",
                           "[2001:db8::1]", "xn--bcher-kva.example", "a%41b"}) {
    Client c(server->port());
    ASSERT_TRUE(c.Send(std::string("GET / HTTP/1.1\r\nHost: ") + host + "\r\n\r\n"));
    Response r;
    ASSERT_TRUE(c.ReadResponse(&r)) << host;
    EXPECT_EQ(r.status, 200) << host;
  }
}

TEST(HttpServer, ErrorResponderWordsTheServersOwnErrors) {
  ServerOptions options;
  options.error_responder = [](int status, std::string_view title) {
    return HttpResponse{status,
                        {{"Content-Type", "application/taxii+json;version=2.1"}},
                        "{\"title\":\"" + std::string(title) + "\"}"};
  };
  auto server = StartServer(options, [](const HttpRequest&) { return HttpResponse{}; });
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  ASSERT_TRUE(c.Send("NOT HTTP\r\n\r\n"));
  Response r;
  ASSERT_TRUE(c.ReadResponse(&r));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.Header("content-type"), "application/taxii+json;version=2.1");
  EXPECT_EQ(r.body.rfind("{\"title\":\"malformed HTTP request", 0), 0u) << r.body;
}

// Two connections are served; a third is answered 503 and closed at once, without asking;
// once one of the two closes, a new one is served again.
void ExpectTwoServedAndTheThirdRefused(const ServerOptions& options) {
  Recorder recorder;
  auto server = StartServer(options, recorder.handler());
  ASSERT_NE(server, nullptr);
  auto c1 = std::make_unique<Client>(server->port());
  Client c2(server->port());
  Response r;
  for (Client* c : {c1.get(), &c2}) {
    ASSERT_TRUE(c->Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    ASSERT_TRUE(c->ReadResponse(&r));
    EXPECT_EQ(r.status, 200);
  }
  {
    Client c3(server->port());
    ASSERT_TRUE(c3.ReadResponse(&r));  // answered without being asked
    EXPECT_EQ(r.status, 503);
    EXPECT_EQ(r.Header("connection"), "close");
    EXPECT_EQ(r.Header("retry-after"), "1");
    EXPECT_TRUE(c3.WaitForClose());
  }
  c1.reset();
  ASSERT_TRUE(Eventually([&] { return server->open_connections() == 1; }));
  Client c4(server->port());
  ASSERT_TRUE(c4.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(c4.ReadResponse(&r));
  EXPECT_EQ(r.status, 200);
}

TEST(HttpServer, ConnectionsOverTheLimitGet503) {
  ServerOptions options;
  options.max_connections = 2;
  ExpectTwoServedAndTheThirdRefused(options);
}

// One address may not hold every connection slot: past its share it gets 503, others are still
// served, and its slots come back as its connections close. (Loopback is exempt by default, as
// a local reverse proxy is; limit_loopback makes the test's clients count.)
TEST(HttpServer, OneAddressGetsNoMoreThanItsShareOfConnections) {
  ServerOptions options;
  options.max_connections_per_address = 2;
  options.limit_loopback = true;
  ExpectTwoServedAndTheThirdRefused(options);
}

TEST(HttpServer, IdleKeepAliveConnectionIsClosedAfterIdleTimeout) {
  Recorder recorder;
  ServerOptions options;
  options.idle_timeout = 300ms;
  auto server = StartServer(options, recorder.handler());
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  ASSERT_TRUE(c.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  Response r;
  ASSERT_TRUE(c.ReadResponse(&r));
  auto start = Clock::now();
  EXPECT_TRUE(c.WaitForClose());
  EXPECT_GE(MillisSince(start), 250);
  EXPECT_LT(MillisSince(start), 1500);
  EXPECT_TRUE(Eventually([&] { return server->open_connections() == 0; }));
}

TEST(HttpServer, Http10ConnectionClosesAfterTheResponse) {
  Recorder recorder;
  auto server = StartServer({}, recorder.handler());
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  ASSERT_TRUE(c.Send("GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  Response r;
  ASSERT_TRUE(c.ReadResponse(&r));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "GET /old");
  EXPECT_EQ(r.Header("connection"), "close");
  EXPECT_TRUE(c.WaitForClose());
}

TEST(HttpServer, ConnectionCloseFromTheClientIsHonoured) {
  Recorder recorder;
  auto server = StartServer({}, recorder.handler());
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  ASSERT_TRUE(c.Send("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  Response r;
  ASSERT_TRUE(c.ReadResponse(&r));
  EXPECT_EQ(r.Header("connection"), "close");
  EXPECT_TRUE(c.WaitForClose());
}

TEST(HttpServer, HeadGetsTheLengthButNoBody) {
  auto server = StartServer({}, [](const HttpRequest&) {
    return HttpResponse{200, {}, "hello world"};
  });
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  ASSERT_TRUE(c.Send("HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  Response r;
  ASSERT_TRUE(c.ReadResponse(&r, /*head=*/true));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("content-length"), "11");
  ASSERT_TRUE(c.ReadResponse(&r));  // framing intact: the next response follows directly
  EXPECT_EQ(r.body, "hello world");
}

TEST(HttpServer, HandlerHeadersAreSanitised) {
  auto server = StartServer({}, [](const HttpRequest&) {
    return HttpResponse{204,
                        {{"X-Ok", "yes"},
                         {"X-Injected", "a\r\nSet-Cookie: evil"},
                         {"Bad Name", "x"},
                         {"Content-Length", "999"},
                         {"Server", "custom"}},
                        "dropped"};
  });
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  ASSERT_TRUE(c.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  Response r;
  ASSERT_TRUE(c.ReadResponse(&r));
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.Header("x-ok"), "yes");
  EXPECT_FALSE(r.HasHeader("x-injected"));
  EXPECT_FALSE(r.HasHeader("set-cookie"));
  EXPECT_FALSE(r.HasHeader("content-length"));
  EXPECT_EQ(r.Header("server"), "custom");
  // The connection is still usable: no stray body bytes were sent.
  ASSERT_TRUE(c.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(c.ReadResponse(&r));
  EXPECT_EQ(r.status, 204);
}

TEST(HttpServer, HandlerExceptionGets500AndTheServerGoesOn) {
  auto server = StartServer({}, [](const HttpRequest& r) -> HttpResponse {
    if (r.path == "/throw") throw std::runtime_error("boom");
    return HttpResponse{200, {}, "fine"};
  });
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  ASSERT_TRUE(c.Send("GET /throw HTTP/1.1\r\nHost: x\r\n\r\n"));
  Response r;
  ASSERT_TRUE(c.ReadResponse(&r));
  EXPECT_EQ(r.status, 500);
  ASSERT_TRUE(c.Send("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(c.ReadResponse(&r));
  EXPECT_EQ(r.body, "fine");
}

TEST(HttpServer, ConcurrentClientsAreAllServed) {
  std::atomic<int> in_handler{0};
  std::atomic<int> max_in_handler{0};
  ServerOptions options;
  options.threads = 4;
  auto server = StartServer(options, [&](const HttpRequest& r) {
    int now = ++in_handler;
    int seen = max_in_handler.load();
    while (now > seen && !max_in_handler.compare_exchange_weak(seen, now)) {
    }
    std::this_thread::sleep_for(2ms);
    --in_handler;
    return HttpResponse{200, {}, r.path};
  });
  ASSERT_NE(server, nullptr);
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 8; ++t) {
    clients.emplace_back([&, t] {
      Client c(server->port());
      for (int i = 0; i < 20; ++i) {
        std::string path = "/" + std::to_string(t) + "/" + std::to_string(i);
        Response r;
        if (c.Send("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n") && c.ReadResponse(&r) &&
            r.body == path) {
          ++ok;
        }
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok.load(), 160);
  EXPECT_GT(max_in_handler.load(), 1);  // handlers ran in parallel on the pool
}

TEST(HttpServer, ShutdownFinishesTheRequestInFlightAndClosesIdleConnections) {
  ServerOptions options;
  auto server = StartServer(options, [](const HttpRequest& r) {
    if (r.path == "/slow") std::this_thread::sleep_for(300ms);
    return HttpResponse{200, {}, "done " + r.path};
  });
  ASSERT_NE(server, nullptr);
  uint16_t port = server->port();
  auto idle = std::make_unique<Client>(port);
  ASSERT_TRUE(idle->Send("GET /warm HTTP/1.1\r\nHost: x\r\n\r\n"));
  Response r;
  ASSERT_TRUE(idle->ReadResponse(&r));

  auto busy = std::make_unique<Client>(port);
  ASSERT_TRUE(busy->Send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(Eventually([&] { return server->active_requests() == 1; }));
  // From another thread, as the app's signal-watching thread does.
  std::thread([&] { server->Shutdown(); }).join();
  server->Shutdown();  // idempotent

  auto start = Clock::now();
  EXPECT_TRUE(idle->WaitForClose());
  EXPECT_LT(MillisSince(start), 250);  // before the slow request is done

  ASSERT_TRUE(busy->ReadResponse(&r));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "done /slow");
  EXPECT_EQ(r.Header("connection"), "close");
  EXPECT_TRUE(busy->WaitForClose());
  busy.reset();
  idle.reset();

  start = Clock::now();
  server->Wait();
  EXPECT_LT(MillisSince(start), 1000);
  EXPECT_EQ(server->open_connections(), 0u);
  Client late(port);
  EXPECT_FALSE(late.connected());
}

TEST(HttpServer, ShutdownTimeoutClosesWhatIsStillOpen) {
  ServerOptions options;
  options.shutdown_timeout = 200ms;
  options.body_timeout = 10s;
  auto server = StartServer(options, [](const HttpRequest&) { return HttpResponse{}; });
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  // A request whose body never comes: graceful shutdown would wait the body timeout.
  ASSERT_TRUE(c.Send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab"));
  ASSERT_TRUE(Eventually([&] { return server->open_connections() == 1; }));
  std::this_thread::sleep_for(50ms);
  auto start = Clock::now();
  server->Shutdown();
  server->Wait();
  EXPECT_GE(MillisSince(start), 150);
  EXPECT_LT(MillisSince(start), 2000);
  EXPECT_TRUE(c.WaitForClose());
}

TEST(HttpServer, DestructorWithoutShutdownStopsTheServer) {
  auto server = StartServer({}, [](const HttpRequest&) { return HttpResponse{}; });
  ASSERT_NE(server, nullptr);
  auto c = std::make_unique<Client>(server->port());
  ASSERT_TRUE(c->Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  Response r;
  ASSERT_TRUE(c->ReadResponse(&r));
  auto start = Clock::now();
  server.reset();
  EXPECT_LT(MillisSince(start), 1000);
}

TEST(HttpServer, StartRejectsBadListenAddressesAndBusyPorts) {
  auto handler = [](const HttpRequest&) { return HttpResponse{}; };
  for (const char* listen : {"nonsense", "127.0.0.1:99999", "127.0.0.1:x", "::1:80"}) {
    ServerOptions options;
    options.listen = listen;
    auto result = HttpServer::Start(options, handler);
    ASSERT_FALSE(result.ok()) << listen;
    EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument) << listen;
    EXPECT_NE(result.status().message().find(listen), std::string::npos);
  }
  auto first = StartServer({}, handler);
  ASSERT_NE(first, nullptr);
  ServerOptions options;
  options.listen = "127.0.0.1:" + std::to_string(first->port());
  auto second = HttpServer::Start(options, handler);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
}

// ---- TLS ----

std::string Sha256OfCertificate(const std::string& pem_file) {
  FILE* f = std::fopen(pem_file.c_str(), "r");
  if (f == nullptr) return "";
  X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (cert == nullptr) return "";
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  X509_digest(cert, EVP_sha256(), md, &n);
  X509_free(cert);
  std::string hex;
  char buf[3];
  for (unsigned int i = 0; i < n; ++i) {
    std::snprintf(buf, sizeof(buf), "%02x", md[i]);
    hex += buf;
  }
  return hex;
}

class Tls : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/ctihub-net-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    server_cert_ = dir_ + "/server.pem";
    server_key_ = dir_ + "/server-key.pem";
    client_cert_ = dir_ + "/client.pem";
    client_key_ = dir_ + "/client-key.pem";
    ASSERT_TRUE(WriteSelfSignedCertificate(server_cert_, server_key_, "ctihub-test").ok());
    ASSERT_TRUE(WriteSelfSignedCertificate(client_cert_, client_key_, "test-client").ok());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  ServerOptions TlsServerOptions(bool client_ca, bool require) {
    ServerOptions options;
    TlsOptions tls;
    tls.certificate_file = server_cert_;
    tls.private_key_file = server_key_;
    if (client_ca) tls.client_ca_file = client_cert_;
    tls.require_client_certificate = require;
    options.tls = tls;
    options.header_timeout = 1s;
    return options;
  }

  // Trusts exactly the server's self-signed certificate; presents the client one if asked.
  SslCtx ClientContext(bool with_certificate) {
    SslCtx ctx(SSL_CTX_new(TLS_client_method()));
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
    EXPECT_EQ(SSL_CTX_load_verify_locations(ctx.get(), server_cert_.c_str(), nullptr), 1);
    if (with_certificate) {
      EXPECT_EQ(SSL_CTX_use_certificate_file(ctx.get(), client_cert_.c_str(), SSL_FILETYPE_PEM), 1);
      EXPECT_EQ(SSL_CTX_use_PrivateKey_file(ctx.get(), client_key_.c_str(), SSL_FILETYPE_PEM), 1);
    }
    return ctx;
  }

  std::string dir_, server_cert_, server_key_, client_cert_, client_key_;
};

TEST_F(Tls, SelfSignedCertificateHasTheNamesAndAPrivateKeyFile) {
  struct stat st {};
  ASSERT_EQ(::stat(server_key_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  FILE* f = std::fopen(server_cert_.c_str(), "r");
  ASSERT_NE(f, nullptr);
  X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  ASSERT_NE(cert, nullptr);
  EXPECT_EQ(X509_get_version(cert), X509_VERSION_3);
  EXPECT_EQ(X509_check_host(cert, "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_host(cert, "ctihub-test", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(cert, "127.0.0.1", 0), 1);
  EXPECT_NE(X509_check_host(cert, "example.org", 0, 0, nullptr), 1);
  int days = 0;
  int seconds = 0;
  ASSERT_EQ(ASN1_TIME_diff(&days, &seconds, X509_get0_notBefore(cert), X509_get0_notAfter(cert)),
            1);
  EXPECT_EQ(days, 30);
  EVP_PKEY* key = X509_get0_pubkey(cert);
  ASSERT_NE(key, nullptr);
  EXPECT_TRUE(EVP_PKEY_is_a(key, "EC"));
  EXPECT_EQ(EVP_PKEY_get_bits(key), 256);
  X509_free(cert);
  // Rewriting replaces both files (a fresh key each time).
  std::string before = Sha256OfCertificate(server_cert_);
  ASSERT_TRUE(WriteSelfSignedCertificate(server_cert_, server_key_, "ctihub-test").ok());
  EXPECT_NE(Sha256OfCertificate(server_cert_), before);
  EXPECT_FALSE(WriteSelfSignedCertificate(dir_ + "/missing/dir/c.pem", dir_ + "/k.pem", "x").ok());
}

TEST_F(Tls, RoundTripWithTheSelfSignedCertificate) {
  Recorder recorder;
  auto server = StartServer(TlsServerOptions(false, false), recorder.handler());
  ASSERT_NE(server, nullptr);
  SslCtx ctx = ClientContext(false);
  Client c(server->port());
  ASSERT_TRUE(c.StartTls(ctx.get(), "localhost"));
  for (const char* path : {"/a", "/b"}) {
    ASSERT_TRUE(c.Send(std::string("GET ") + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n"));
    Response r;
    ASSERT_TRUE(c.ReadResponse(&r));
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, std::string("GET ") + path);
  }
  auto requests = recorder.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_TRUE(requests[0].tls);
  EXPECT_TRUE(requests[0].client_cert_sha256.empty());
}

TEST_F(Tls, Tls11IsRefused) {
  Recorder recorder;
  auto server = StartServer(TlsServerOptions(false, false), recorder.handler());
  ASSERT_NE(server, nullptr);
  SslCtx ctx = ClientContext(false);
  SSL_CTX_set_security_level(ctx.get(), 0);
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_VERSION);
  SSL_CTX_set_max_proto_version(ctx.get(), TLS1_1_VERSION);
  Client c(server->port());
  EXPECT_FALSE(c.StartTls(ctx.get()));
}

TEST_F(Tls, Tls12IsAccepted) {
  Recorder recorder;
  auto server = StartServer(TlsServerOptions(false, false), recorder.handler());
  ASSERT_NE(server, nullptr);
  SslCtx ctx = ClientContext(false);
  SSL_CTX_set_max_proto_version(ctx.get(), TLS1_2_VERSION);
  Client c(server->port());
  ASSERT_TRUE(c.StartTls(ctx.get()));
  ASSERT_TRUE(c.Send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  Response r;
  ASSERT_TRUE(c.ReadResponse(&r));
  EXPECT_EQ(r.status, 200);
}

// Found in review: TLS 1.2 accepted static-RSA and CBC suites (no forward secrecy).
TEST_F(Tls, Tls12SuitesWithoutForwardSecrecyAreRefused) {
  Recorder recorder;
  auto server = StartServer(TlsServerOptions(false, false), recorder.handler());
  ASSERT_NE(server, nullptr);
  SslCtx ctx = ClientContext(false);
  SSL_CTX_set_max_proto_version(ctx.get(), TLS1_2_VERSION);
  ASSERT_EQ(SSL_CTX_set_cipher_list(ctx.get(), "AES128-SHA:AES256-SHA256:ECDHE-ECDSA-AES128-SHA"),
            1);
  Client c(server->port());
  EXPECT_FALSE(c.StartTls(ctx.get()));
}

// An expired certificate, or an encrypted key (which used to prompt for a passphrase on the
// terminal), is refused when the server starts, naming the file.
TEST_F(Tls, ExpiredCertificatesAndEncryptedKeysAreRefusedAtStart) {
  FILE* f = std::fopen(server_cert_.c_str(), "r");
  ASSERT_NE(f, nullptr);
  X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  f = std::fopen(server_key_.c_str(), "r");
  ASSERT_NE(f, nullptr);
  EVP_PKEY* key = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  ASSERT_TRUE(cert && key);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3 * 86400);
  X509_gmtime_adj(X509_getm_notAfter(cert), -86400);
  ASSERT_GT(X509_sign(cert, key, EVP_sha256()), 0);
  const std::string expired = dir_ + "/expired.pem", locked = dir_ + "/locked-key.pem";
  f = std::fopen(expired.c_str(), "w");
  PEM_write_X509(f, cert);
  std::fclose(f);
  f = std::fopen(locked.c_str(), "w");
  PEM_write_PrivateKey(f, key, EVP_aes_256_cbc(), nullptr, 0, nullptr,
                       const_cast<char*>("passphrase"));
  std::fclose(f);
  X509_free(cert);
  EVP_PKEY_free(key);
  Recorder recorder;
  ServerOptions options = TlsServerOptions(false, false);
  options.tls->certificate_file = expired;
  Result<std::unique_ptr<HttpServer>> started = HttpServer::Start(options, recorder.handler());
  ASSERT_FALSE(started.ok());
  EXPECT_NE(started.status().message().find("expired.pem has expired"), std::string::npos)
      << started.status().ToString();
  options = TlsServerOptions(false, false);
  options.tls->private_key_file = locked;
  started = HttpServer::Start(options, recorder.handler());
  ASSERT_FALSE(started.ok());
  EXPECT_NE(started.status().message().find("an unencrypted PEM private key is expected"),
            std::string::npos)
      << started.status().ToString();
}

TEST_F(Tls, ClientCertificateFingerprintAndSubjectReachTheHandler) {
  Recorder recorder;
  auto server = StartServer(TlsServerOptions(true, true), recorder.handler());
  ASSERT_NE(server, nullptr);
  SslCtx ctx = ClientContext(true);
  Client c(server->port());
  ASSERT_TRUE(c.StartTls(ctx.get()));
  ASSERT_TRUE(c.Send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  Response r;
  ASSERT_TRUE(c.ReadResponse(&r));
  EXPECT_EQ(r.status, 200);
  ASSERT_EQ(recorder.count(), 1u);
  HttpRequest seen = recorder.requests()[0];
  std::string expected = Sha256OfCertificate(client_cert_);
  ASSERT_EQ(expected.size(), 64u);
  EXPECT_EQ(seen.client_cert_sha256, expected);
  EXPECT_EQ(seen.client_cert_subject, "CN=test-client");
}

TEST_F(Tls, MissingClientCertificateIsRefusedWhenRequired) {
  Recorder recorder;
  auto server = StartServer(TlsServerOptions(true, true), recorder.handler());
  ASSERT_NE(server, nullptr);
  SslCtx ctx = ClientContext(false);
  Client c(server->port());
  // With TLS 1.3 the client may finish its side of the handshake before the server refuses,
  // so the refusal can also show as a failed read.
  Response r;
  bool answered = c.StartTls(ctx.get()) && c.Send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n") &&
                  c.ReadResponse(&r);
  EXPECT_FALSE(answered) << r.status;
  EXPECT_EQ(recorder.count(), 0u);
}

TEST_F(Tls, OptionalClientCertificateMayBeAbsent) {
  Recorder recorder;
  auto server = StartServer(TlsServerOptions(true, false), recorder.handler());
  ASSERT_NE(server, nullptr);
  SslCtx ctx = ClientContext(false);
  Client c(server->port());
  ASSERT_TRUE(c.StartTls(ctx.get()));
  ASSERT_TRUE(c.Send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  Response r;
  ASSERT_TRUE(c.ReadResponse(&r));
  EXPECT_EQ(r.status, 200);
  ASSERT_EQ(recorder.count(), 1u);
  EXPECT_TRUE(recorder.requests()[0].client_cert_sha256.empty());
}

TEST_F(Tls, UntrustedClientCertificateIsRefused) {
  Recorder recorder;
  auto server = StartServer(TlsServerOptions(true, false), recorder.handler());
  ASSERT_NE(server, nullptr);
  // A certificate the server's client CA file does not hold.
  ASSERT_TRUE(
      WriteSelfSignedCertificate(client_cert_ + ".other", client_key_ + ".other", "stranger").ok());
  SslCtx ctx(SSL_CTX_new(TLS_client_method()));
  SSL_CTX_load_verify_locations(ctx.get(), server_cert_.c_str(), nullptr);
  SSL_CTX_use_certificate_file(ctx.get(), (client_cert_ + ".other").c_str(), SSL_FILETYPE_PEM);
  SSL_CTX_use_PrivateKey_file(ctx.get(), (client_key_ + ".other").c_str(), SSL_FILETYPE_PEM);
  Client c(server->port());
  Response r;
  bool answered = c.StartTls(ctx.get()) && c.Send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n") &&
                  c.ReadResponse(&r);
  EXPECT_FALSE(answered);
  EXPECT_EQ(recorder.count(), 0u);
}

TEST_F(Tls, PlainHttpToTheTlsPortGets400AndIsClosed) {
  Recorder recorder;
  auto server = StartServer(TlsServerOptions(false, false), recorder.handler());
  ASSERT_NE(server, nullptr);
  auto start = Clock::now();
  Client c(server->port(), 3s);
  ASSERT_TRUE(c.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  Response r;
  ASSERT_TRUE(c.ReadResponse(&r));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("HTTPS"), std::string::npos);
  EXPECT_TRUE(c.WaitForClose());
  EXPECT_LT(MillisSince(start), 2000);
  EXPECT_EQ(recorder.count(), 0u);
}

TEST_F(Tls, NonTlsGarbageToTheTlsPortIsClosed) {
  Recorder recorder;
  auto server = StartServer(TlsServerOptions(false, false), recorder.handler());
  ASSERT_NE(server, nullptr);
  auto start = Clock::now();
  Client c(server->port(), 3s);
  ASSERT_TRUE(c.Send(std::string("\x01\x02garbage\r\n\r\n", 13)));
  EXPECT_TRUE(c.WaitForClose());
  EXPECT_LT(MillisSince(start), 2000);
  // The server is still fine.
  SslCtx ctx = ClientContext(false);
  Client ok(server->port());
  ASSERT_TRUE(ok.StartTls(ctx.get()));
  ASSERT_TRUE(ok.Send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  Response r;
  ASSERT_TRUE(ok.ReadResponse(&r));
  EXPECT_EQ(r.status, 200);
}

TEST_F(Tls, StartRejectsMissingAndMismatchedFiles) {
  auto handler = [](const HttpRequest&) { return HttpResponse{}; };
  ServerOptions options = TlsServerOptions(false, false);
  options.listen = "127.0.0.1:0";
  options.tls->private_key_file = client_key_;  // another certificate's key
  auto mismatched = HttpServer::Start(options, handler);
  ASSERT_FALSE(mismatched.ok());
  EXPECT_EQ(mismatched.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(mismatched.status().message().find("does not match"), std::string::npos)
      << mismatched.status().message();

  options = TlsServerOptions(false, false);
  options.listen = "127.0.0.1:0";
  options.tls->certificate_file = dir_ + "/absent.pem";
  auto missing = HttpServer::Start(options, handler);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(missing.status().message().find("absent.pem"), std::string::npos);

  options = TlsServerOptions(false, true);  // required, but nothing to verify against
  options.listen = "127.0.0.1:0";
  auto no_ca = HttpServer::Start(options, handler);
  ASSERT_FALSE(no_ca.ok());
  EXPECT_EQ(no_ca.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(Tls, ShutdownFinishesAnInFlightTlsRequest) {
  ServerOptions options = TlsServerOptions(false, false);
  auto server = StartServer(options, [](const HttpRequest&) {
    std::this_thread::sleep_for(200ms);
    return HttpResponse{200, {}, "slow"};
  });
  ASSERT_NE(server, nullptr);
  SslCtx ctx = ClientContext(false);
  auto c = std::make_unique<Client>(server->port());
  ASSERT_TRUE(c->StartTls(ctx.get()));
  ASSERT_TRUE(c->Send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  ASSERT_TRUE(Eventually([&] { return server->active_requests() == 1; }));
  server->Shutdown();
  Response r;
  ASSERT_TRUE(c->ReadResponse(&r));
  EXPECT_EQ(r.body, "slow");
  EXPECT_EQ(r.Header("connection"), "close");
  EXPECT_TRUE(c->WaitForClose());  // the server's close_notify
  c.reset();
  auto start = Clock::now();
  server->Wait();
  EXPECT_LT(MillisSince(start), 1500);
}

}  // namespace
}  // namespace ctihub::net
