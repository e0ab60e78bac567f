// The internals page (browser/internals_page.h) over raw HTTP, and in a real
// headless Chromium (Debian's `chromium`, driven over the DevTools protocol
// with a minimal WebSocket client: no npm, no browser download).
//
// The browser under test is an in-process BrowserCore on a fake clock with a
// known tree:
//   https://news.test/   Permissions-Policy: deferred-fetch=(self
//   "https://ads.test") ├─ https://news.test/comments   same-origin iframe ├─
//   https://ads.test/banner      allow="deferred-fetch": 64 KiB reserved └─
//   https://widget.test/embed    cross-origin, no allow: 8 KiB (minimal)
// with pending deferred fetches in the top document and the ads iframe.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "browser/browser_core.h"
#include "browser/debug_service.h"
#include "browser/internals_page.h"
#include "browser/net_log.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "net/clock.h"
#include "net/recording_network_stage.h"
#include "net/url.h"
#include "tools/loopback_socket.h"

extern char** environ;

namespace fetch_later::testing {
using ::fetch_later::tools::ConnectLoopback;
using ::fetch_later::tools::ReadUntil;
using ::fetch_later::tools::SendAll;

namespace {

using browser::BrowserCore;
using browser::CommittedFrame;
using browser::InternalsPageServer;
using browser::IsLoopbackPeer;

constexpr char kChromium[] = "/usr/bin/chromium";

net::Url Url(const std::string& s) {
  auto url = net::Url::Parse(s);
  EXPECT_TRUE(url.ok()) << s;
  return *url;
}

// Whether `response` holds a whole response with a Content-Length.
bool Complete(const std::string& response) {
  size_t end = response.find("\r\n\r\n");
  if (end == std::string::npos)
    return false;
  for (absl::string_view line :
       absl::StrSplit(absl::string_view(response).substr(0, end), "\r\n")) {
    size_t length = 0;
    if (absl::StartsWithIgnoreCase(line, "Content-Length:") &&
        absl::SimpleAtoi(line.substr(15), &length)) {
      return response.size() >= end + 4 + length;
    }
  }
  return false;
}

// Sends `request` as is and returns the response: everything the server sent
// until it closed, or up to its Content-Length (Chromium's DevTools server
// keeps connections open).
std::string RawHttp(uint16_t port, const std::string& request) {
  int fd = ConnectLoopback(port);
  if (fd < 0)
    return "connect failed";
  SendAll(fd, request);
  std::string response;
  ReadUntil(fd, response, absl::Seconds(10), Complete);
  close(fd);
  return response;
}

std::string Get(uint16_t port,
                const std::string& target,
                const std::string& host = "") {
  return RawHttp(
      port, absl::StrCat("GET ", target, " HTTP/1.1\r\nHost: ",
                         host.empty() ? absl::StrCat("127.0.0.1:", port) : host,
                         "\r\nConnection: close\r\n\r\n"));
}

int StatusOf(const std::string& response) {
  int status = 0;
  std::vector<std::string> parts = absl::StrSplit(response, ' ');
  if (parts.size() < 2 || !absl::SimpleAtoi(parts[1], &status))
    return -1;
  return status;
}

std::string BodyOf(const std::string& response) {
  size_t end = response.find("\r\n\r\n");
  return end == std::string::npos ? "" : response.substr(end + 4);
}

// ---- The browser under test
// ---------------------------------------------------

class InternalsPageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    BrowserCore::Options options;
    options.network_stage = &network_;
    options.clock = &clock_;
    options.fake_clock = &clock_;
    options.net_log = &net_log_;
    core_ = std::make_unique<BrowserCore>(options);

    browser::NavigableId tab = core_->CreateTab();
    browser::NavigationParams top_navigation{Url("https://news.test/")};
    top_navigation.permissions_policy =
        R"(deferred-fetch=(self "https://ads.test"))";
    auto top = core_->Navigate(tab, top_navigation);
    ASSERT_TRUE(top.ok()) << top.status();
    top_ = *top;
    auto iframe = [&](const std::string& src, const std::string& allow) {
      browser::IframeParams params{allow, std::nullopt, {Url(src)}};
      params.navigation.initiator = browser::NavigationInitiator::kParent;
      auto frame = core_->CreateIframe(top_.document_token, params);
      EXPECT_TRUE(frame.ok()) << src << ": " << frame.status();
      return frame.ok() ? *frame : CommittedFrame{};
    };
    comments_ = iframe("https://news.test/comments", "");
    ads_ = iframe("https://ads.test/banner", "deferred-fetch");
    widget_ = iframe("https://widget.test/embed", "");

    Queue(top_, "GET", "https://news.test/analytics?page=front", std::nullopt,
          std::nullopt);
    Queue(ads_, "POST", "https://ads.test/impression", 300, absl::Minutes(1));

    InternalsPageServer::Options page;
    page.snapshot = [this] { return BuildSnapshot(*core_, nullptr); };
    page.net_log = &net_log_;
    auto server = InternalsPageServer::Start(std::move(page));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    std::cout << "internals page: " << server_->url() << std::endl;
  }

  void TearDown() override {
    server_.reset();
    core_.reset();
  }

  void Queue(const CommittedFrame& frame,
             const std::string& method,
             const std::string& url,
             std::optional<uint64_t> body_length,
             std::optional<absl::Duration> activate_after) {
    browser::DeferredRequest request{method, Url(url)};
    request.body_length = body_length;
    request.body = std::string(body_length.value_or(0), 'x');
    auto decision = core_->frame_tree().QueueDeferredFetch(
        frame.document, std::move(request), activate_after);
    ASSERT_TRUE(decision.ok()) << decision.status();
    ASSERT_EQ(decision->outcome, browser::FetchLaterOutcome::kQueued) << url;
  }

  std::string Target(const std::string& path) {
    return absl::StrCat(path, "?token=", server_->token());
  }

  net::FakeClock clock_{absl::FromUnixMillis(1700000000000)};
  net::RecordingNetworkStage network_;
  browser::NetLog net_log_{&clock_};
  std::unique_ptr<BrowserCore> core_;
  CommittedFrame top_, comments_, ads_, widget_;
  std::unique_ptr<InternalsPageServer> server_;
};

// ---- (a) HTTP and access control
// ----------------------------------------------

TEST_F(InternalsPageTest, UrlHasLoopbackAddressAndRandomToken) {
  EXPECT_EQ(server_->url(), absl::StrCat("http://127.0.0.1:", server_->port(),
                                         "/?token=", server_->token()));
  EXPECT_EQ(server_->token().size(), 32u);  // 128 bits, hex
  EXPECT_TRUE(server_->token().find_first_not_of("0123456789abcdef") ==
              std::string::npos);
  InternalsPageServer::Options other;
  other.snapshot = [] { return ipc::debug::Snapshot(); };
  auto second = InternalsPageServer::Start(std::move(other));
  ASSERT_TRUE(second.ok());
  EXPECT_NE((*second)->token(), server_->token());
}

TEST_F(InternalsPageTest, RefusesRequestsWithoutTheToken) {
  for (const std::string& target :
       {std::string("/"), std::string("/snapshot.json"), std::string("/events"),
        std::string("/?token="),
        std::string("/snapshot.json?token=") + std::string(32, '0'),
        std::string("/snapshot.json?token=") + server_->token() + "0",
        std::string("/snapshot.json?token=") + server_->token().substr(1),
        std::string("/snapshot.json?tok=") + server_->token(),
        std::string("/nothing-here")}) {
    std::string response = Get(server_->port(), target);
    EXPECT_EQ(StatusOf(response), 403) << target << "\n" << response;
    EXPECT_FALSE(absl::StrContains(response, "news.test")) << target;
    EXPECT_FALSE(absl::StrContains(response, "<script")) << target;
  }
}

TEST_F(InternalsPageTest, RefusesForeignHostHeaders) {
  const std::string port = absl::StrCat(server_->port());
  for (const std::string& host :
       {absl::StrCat("evil.test:", port), std::string("127.0.0.1"),
        std::string("localhost"), std::string("127.0.0.1:1"),
        absl::StrCat("127.0.0.2:", port), absl::StrCat("[::1]:", port),
        absl::StrCat("localhost.evil.test:", port)}) {
    std::string response = Get(server_->port(), Target("/snapshot.json"), host);
    EXPECT_EQ(StatusOf(response), 403) << host;
    EXPECT_FALSE(absl::StrContains(response, "news.test")) << host;
  }
  // No Host at all, and two of them.
  EXPECT_EQ(StatusOf(RawHttp(server_->port(),
                             absl::StrCat("GET ", Target("/snapshot.json"),
                                          " HTTP/1.1\r\n\r\n"))),
            403);
  EXPECT_EQ(StatusOf(RawHttp(server_->port(),
                             absl::StrCat("GET ", Target("/snapshot.json"),
                                          " HTTP/1.1\r\nHost: 127.0.0.1:", port,
                                          "\r\nHost: evil.test\r\n\r\n"))),
            403);
  // Both loopback spellings are fine.
  EXPECT_EQ(StatusOf(Get(server_->port(), Target("/snapshot.json"),
                         absl::StrCat("localhost:", port))),
            200);
  EXPECT_EQ(StatusOf(Get(server_->port(), Target("/snapshot.json"),
                         absl::StrCat("LocalHost:", port))),
            200);
}

TEST_F(InternalsPageTest, OnlyGet) {
  for (const char* method : {"POST", "PUT", "DELETE", "HEAD"}) {
    std::string response =
        RawHttp(server_->port(),
                absl::StrCat(method, " ", Target("/snapshot.json"),
                             " HTTP/1.1\r\nHost: 127.0.0.1:", server_->port(),
                             "\r\nContent-Length: 2\r\n\r\n{}"));
    EXPECT_EQ(StatusOf(response), 405) << method;
    EXPECT_TRUE(absl::StrContains(response, "Allow: GET")) << response;
    EXPECT_FALSE(absl::StrContains(response, "news.test"));
  }
  EXPECT_EQ(StatusOf(RawHttp(server_->port(), "garbage\r\n\r\n")), 400);
}

TEST_F(InternalsPageTest, ServesThePageWithTheToken) {
  std::string response = Get(server_->port(), Target("/"));
  ASSERT_EQ(StatusOf(response), 200) << response;
  EXPECT_TRUE(absl::StrContains(response, "Content-Type: text/html"));
  EXPECT_TRUE(absl::StrContains(response,
                                "Content-Security-Policy: "
                                "default-src 'none'"));
  EXPECT_TRUE(absl::StrContains(response, "Cache-Control: no-store"));
  std::string body = BodyOf(response);
  EXPECT_TRUE(absl::StartsWith(body, "<!DOCTYPE html>"));
  for (const char* id :
       {"id=\"frame-tree\"", "id=\"quota-groups\"", "id=\"pending-table\"",
        "id=\"renderers-table\"", "id=\"sandbox-table\"",
        "id=\"bad-messages-table\"", "id=\"events\""}) {
    EXPECT_TRUE(absl::StrContains(body, id)) << id;
  }
  // Self-contained: nothing loaded from elsewhere.
  EXPECT_FALSE(absl::StrContains(body, "src=\"http"));
  EXPECT_FALSE(absl::StrContains(body, "href=\"http"));
  EXPECT_FALSE(absl::StrContains(body, "{{NONCE}}"));
  // internals_page/style.css and page.js are inlined in index.html.
  EXPECT_FALSE(absl::StrContains(body, "{{")) << "a template placeholder";
  EXPECT_TRUE(absl::StrContains(body, "\n.quota-bar {"));
  EXPECT_TRUE(absl::StrContains(body, "\nfunction renderFrame(frame, isTop"));
}

TEST_F(InternalsPageTest, ServesTheSnapshotAsJson) {
  std::string response = Get(server_->port(), Target("/snapshot.json"));
  ASSERT_EQ(StatusOf(response), 200) << response;
  EXPECT_TRUE(absl::StrContains(response, "Content-Type: application/json"));
  ipc::debug::Snapshot snapshot;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(BodyOf(response), &snapshot)
          .ok())
      << BodyOf(response);
  ASSERT_EQ(snapshot.tabs_size(), 1);
  const ipc::debug::Frame& top = snapshot.tabs(0).top();
  EXPECT_EQ(top.active_document().origin(), "https://news.test");
  ASSERT_EQ(top.children_size(), 3);
  EXPECT_EQ(top.children(1).active_document().origin(), "https://ads.test");
  EXPECT_EQ(top.children(1).reserved_quota(), 65536);
  EXPECT_EQ(top.children(2).reserved_quota(), 8192);
  EXPECT_EQ(top.active_document().pending_size(), 1);
  EXPECT_TRUE(absl::StrContains(BodyOf(response), "\"news.test") ||
              absl::StrContains(BodyOf(response), "https://news.test"));
}

TEST_F(InternalsPageTest, StreamsEventsAsServerSentEvents) {
  int fd = ConnectLoopback(server_->port());
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(SendAll(fd, absl::StrCat("GET ", Target("/events"),
                                       " HTTP/1.1\r\nHost: 127.0.0.1:",
                                       server_->port(), "\r\n\r\n")));
  std::string stream;
  // The backlog first: the documents the fixture created.
  ReadUntil(fd, stream, absl::Seconds(10), [](const std::string& s) {
    return absl::StrContains(s, "\"document.created\"");
  });
  EXPECT_TRUE(absl::StartsWith(stream, "HTTP/1.1 200 OK\r\n")) << stream;
  EXPECT_TRUE(absl::StrContains(stream, "Content-Type: text/event-stream"));
  EXPECT_TRUE(absl::StrContains(stream, "\r\n\r\nretry: 2000\n\n"));
  EXPECT_TRUE(absl::StrContains(stream, "\"document.created\"")) << stream;

  // Then live events.
  net_log_.AddEvent(
      "attempt.retry_scheduled",
      {{"url", "https://ads.test/impression"}, {"delay_ms", "1000"}});
  ReadUntil(fd, stream, absl::Seconds(10), [](const std::string& s) {
    return absl::StrContains(s, "attempt.retry_scheduled") &&
           absl::EndsWith(s, "\n\n");
  });
  size_t at = stream.rfind("data: ");
  ASSERT_NE(at, std::string::npos) << stream;
  std::string data(absl::StripSuffix(stream.substr(at + 6), "\n\n"));
  ipc::debug::Event event;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(data, &event).ok())
      << data;
  EXPECT_EQ(event.type(), "attempt.retry_scheduled");
  EXPECT_EQ(event.fields().at("delay_ms"), "1000");
  EXPECT_EQ(event.clock_ms(), 1700000000000);

  // An open stream does not hold up shutdown.
  absl::Time before = absl::Now();
  server_->Stop();
  EXPECT_LT(absl::Now() - before, absl::Seconds(2));
  close(fd);
}

TEST_F(InternalsPageTest, StopEndsIdleAndHalfSentConnections) {
  // A client that never finishes its request, and one that never reads.
  int silent = ConnectLoopback(server_->port());
  int partial = ConnectLoopback(server_->port());
  ASSERT_TRUE(SendAll(partial, "GET / HTTP/1.1\r\nHo"));
  absl::SleepFor(absl::Milliseconds(100));
  absl::Time before = absl::Now();
  server_->Stop();
  EXPECT_LT(absl::Now() - before, absl::Seconds(2));
  server_->Stop();  // idempotent
  close(silent);
  close(partial);
  EXPECT_LT(ConnectLoopback(server_->port()), 0);
}

// ---- (b) The loopback-peer check
// ---------------------------------------------

sockaddr_storage Address(const std::string& text) {
  sockaddr_storage storage = {};
  auto* in = reinterpret_cast<sockaddr_in*>(&storage);
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
  if (inet_pton(AF_INET, text.c_str(), &in->sin_addr) == 1) {
    in->sin_family = AF_INET;
  } else {
    EXPECT_EQ(inet_pton(AF_INET6, text.c_str(), &in6->sin6_addr), 1) << text;
    in6->sin6_family = AF_INET6;
  }
  return storage;
}

TEST(IsLoopbackPeerTest, Table) {
  const struct {
    const char* address;
    bool loopback;
  } kCases[] = {
      {"127.0.0.1", true},        {"127.5.5.5", true},
      {"127.255.255.255", true},  {"::1", true},
      {"::ffff:127.0.0.1", true}, {"::ffff:127.9.8.7", true},
      {"10.0.0.1", false},        {"192.168.1.1", false},
      {"0.0.0.0", false},         {"128.0.0.1", false},
      {"126.255.255.255", false}, {"::ffff:8.8.8.8", false},
      {"2001:db8::1", false},     {"::", false},
      {"::127.0.0.1", false},     {"fe80::1", false},
  };
  for (const auto& c : kCases)
    EXPECT_EQ(IsLoopbackPeer(Address(c.address)), c.loopback) << c.address;
  sockaddr_storage unix_address = {};
  unix_address.ss_family = AF_UNIX;
  EXPECT_FALSE(IsLoopbackPeer(unix_address));
}

TEST(ConstantTimeEqualsTest, Basics) {
  EXPECT_TRUE(browser::ConstantTimeEquals("abc", "abc"));
  EXPECT_TRUE(browser::ConstantTimeEquals("", ""));
  EXPECT_FALSE(browser::ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(browser::ConstantTimeEquals("abc", "ab"));
  EXPECT_FALSE(browser::ConstantTimeEquals("abc", "abcd"));
  EXPECT_FALSE(browser::ConstantTimeEquals("abc", ""));
  EXPECT_FALSE(browser::ConstantTimeEquals("", "a"));
}

// ---- (c) In a real browser: headless Chromium over the DevTools protocol
// ------

// A minimal WebSocket client (RFC 6455) for the DevTools protocol on loopback:
// masked text frames out, unmasked (possibly fragmented) frames in.
class WebSocket {
 public:
  static std::unique_ptr<WebSocket> Connect(uint16_t port,
                                            const std::string& path) {
    int fd = ConnectLoopback(port);
    if (fd < 0)
      return nullptr;
    auto ws = std::unique_ptr<WebSocket>(new WebSocket(fd));
    SendAll(fd,
            absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: 127.0.0.1:", port,
                         "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                         "Sec-WebSocket-Version: 13\r\n\r\n"));
    ReadUntil(fd, ws->buffer_, absl::Seconds(10), [](const std::string& s) {
      return absl::StrContains(s, "\r\n\r\n");
    });
    size_t end = ws->buffer_.find("\r\n\r\n");
    if (end == std::string::npos || StatusOf(ws->buffer_) != 101)
      return nullptr;
    ws->buffer_.erase(0, end + 4);
    return ws;
  }
  ~WebSocket() { close(fd_); }

  bool SendText(const std::string& text) {
    std::string frame;
    frame.push_back(static_cast<char>(0x81));  // FIN, text
    if (text.size() < 126) {
      frame.push_back(static_cast<char>(0x80 | text.size()));
    } else if (text.size() < 65536) {
      frame.push_back(static_cast<char>(0x80 | 126));
      frame.push_back(static_cast<char>(text.size() >> 8));
      frame.push_back(static_cast<char>(text.size() & 0xff));
    } else {
      frame.push_back(static_cast<char>(0x80 | 127));
      for (int i = 7; i >= 0; --i)
        frame.push_back(static_cast<char>((uint64_t{text.size()} >> (8 * i))));
    }
    const unsigned char mask[4] = {0x12, 0x34, 0x56, 0x78};
    frame.append(reinterpret_cast<const char*>(mask), 4);
    for (size_t i = 0; i < text.size(); ++i)
      frame.push_back(static_cast<char>(text[i] ^ mask[i % 4]));
    return SendAll(fd_, frame);
  }

  // The next complete text message, or nullopt on timeout or close.
  std::optional<std::string> Receive(absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    std::string message;
    while (true) {
      // One frame header + payload.
      size_t header = 2;
      uint64_t length = 0;
      auto have = [&](size_t n) {
        ReadUntil(fd_, buffer_, deadline - absl::Now(),
                  [n](const std::string& s) { return s.size() >= n; });
        return buffer_.size() >= n;
      };
      if (!have(2))
        return std::nullopt;
      const unsigned char b0 = buffer_[0], b1 = buffer_[1];
      length = b1 & 0x7f;
      if (length == 126) {
        header = 4;
        if (!have(4))
          return std::nullopt;
        length = (uint64_t{static_cast<unsigned char>(buffer_[2])} << 8) |
                 static_cast<unsigned char>(buffer_[3]);
      } else if (length == 127) {
        header = 10;
        if (!have(10))
          return std::nullopt;
        length = 0;
        for (int i = 2; i < 10; ++i)
          length = (length << 8) | static_cast<unsigned char>(buffer_[i]);
      }
      if (b1 & 0x80)
        return std::nullopt;  // servers do not mask
      if (!have(header + length))
        return std::nullopt;
      const int opcode = b0 & 0x0f;
      std::string payload = buffer_.substr(header, length);
      buffer_.erase(0, header + length);
      if (opcode == 0x8)
        return std::nullopt;  // close
      if (opcode == 0x9 || opcode == 0xA)
        continue;  // ping/pong
      message += payload;
      if (b0 & 0x80)
        return message;
    }
  }

 private:
  explicit WebSocket(int fd) : fd_(fd) {}
  int fd_;
  std::string buffer_;
};

google::protobuf::Struct ParseJsonObject(const std::string& json) {
  google::protobuf::Struct object;
  auto status = google::protobuf::util::JsonStringToMessage(json, &object);
  EXPECT_TRUE(status.ok()) << status << ": " << json.substr(0, 500);
  return object;
}

// A DevTools protocol session on one page target.
class DevTools {
 public:
  explicit DevTools(std::unique_ptr<WebSocket> ws) : ws_(std::move(ws)) {}

  // Sends {id, method, params} and returns the matching reply's "result".
  std::optional<google::protobuf::Struct> Call(
      const std::string& method,
      const std::string& params_json = "{}") {
    const int id = next_id_++;
    if (!ws_->SendText(absl::StrCat("{\"id\":", id, ",\"method\":\"", method,
                                    "\",\"params\":", params_json, "}"))) {
      return std::nullopt;
    }
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (absl::Now() < deadline) {
      std::optional<std::string> message = ws_->Receive(deadline - absl::Now());
      if (!message)
        return std::nullopt;
      google::protobuf::Struct reply = ParseJsonObject(*message);
      auto found = reply.fields().find("id");
      if (found == reply.fields().end() || found->second.number_value() != id) {
        continue;  // an event
      }
      if (reply.fields().count("error")) {
        ADD_FAILURE() << method << ": " << *message;
        return std::nullopt;
      }
      return reply.fields().at("result").struct_value();
    }
    return std::nullopt;
  }

  // Runtime.evaluate(expression) of an expression whose value is a string.
  std::string EvaluateString(const std::string& expression) {
    std::string quoted;
    google::protobuf::Value value;
    value.set_string_value(expression);
    google::protobuf::util::MessageToJsonString(value, &quoted);
    auto result = Call(
        "Runtime.evaluate",
        absl::StrCat("{\"expression\":", quoted, ",\"returnByValue\":true}"));
    if (!result || !result->fields().count("result"))
      return "";
    // Before the page has loaded, an exception or undefined: no "value".
    const auto& value_fields =
        result->fields().at("result").struct_value().fields();
    auto found = value_fields.find("value");
    return found == value_fields.end() ? "" : found->second.string_value();
  }

 private:
  std::unique_ptr<WebSocket> ws_;
  int next_id_ = 1;
};

// Headless Chromium with remote debugging on loopback, in a process group of
// its own (the Debian launcher is a shell script) killed on destruction.
class HeadlessChromium {
 public:
  static std::unique_ptr<HeadlessChromium> Launch(const std::string& dir,
                                                  const std::string& url) {
    auto chromium = std::unique_ptr<HeadlessChromium>(new HeadlessChromium());
    chromium->profile_ = absl::StrCat(dir, "/profile");
    mkdir(chromium->profile_.c_str(), 0700);
    chromium->log_ = absl::StrCat(dir, "/chromium.log");
    std::vector<std::string> args = {
        kChromium,
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--hide-scrollbars",
        "--window-size=1200,900",
        "--remote-debugging-address=127.0.0.1",
        "--remote-debugging-port=0",
        absl::StrCat("--user-data-dir=", chromium->profile_),
        url,
    };
    std::vector<char*> argv;
    for (auto& arg : args)
      argv.push_back(arg.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_strings;
    for (char** e = environ; *e != nullptr; ++e) {
      if (!absl::StartsWith(*e, "HOME="))
        env_strings.push_back(*e);
    }
    env_strings.push_back(absl::StrCat("HOME=", dir));
    std::vector<char*> envp;
    for (auto& e : env_strings)
      envp.push_back(e.data());
    envp.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, chromium->log_.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attributes, 0);
    int error = posix_spawn(&chromium->pid_, kChromium, &actions, &attributes,
                            argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    if (error != 0) {
      ADD_FAILURE() << "posix_spawn " << kChromium << ": " << strerror(error);
      return nullptr;
    }
    return chromium;
  }

  ~HeadlessChromium() {
    if (pid_ <= 0)
      return;
    kill(-pid_, SIGTERM);
    for (int i = 0; i < 50; ++i) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        kill(-pid_, SIGKILL);  // any helper left in the group
        return;
      }
      absl::SleepFor(absl::Milliseconds(100));
    }
    kill(-pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }

  // The DevTools port Chromium picked (from DevToolsActivePort), 0 on timeout.
  uint16_t WaitForDevToolsPort(absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      std::ifstream file(absl::StrCat(profile_, "/DevToolsActivePort"));
      int port = 0;
      if (file >> port && port > 0)
        return static_cast<uint16_t>(port);
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return 0;
      }
      absl::SleepFor(absl::Milliseconds(100));
    }
    return 0;
  }

  std::string Log() const {
    std::ifstream file(log_);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
  }

 private:
  HeadlessChromium() = default;
  pid_t pid_ = -1;
  std::string profile_;
  std::string log_;
};

std::string OutputDir() {
  const char* dir = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR");
  if (dir == nullptr)
    dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

std::string MakeTempDir() {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string pattern = absl::StrCat(base ? base : "/tmp", "/chromium.XXXXXX");
  char* made = mkdtemp(pattern.data());
  EXPECT_NE(made, nullptr);
  return pattern;
}

std::vector<std::string> Strings(const google::protobuf::Struct& object,
                                 const std::string& key) {
  std::vector<std::string> out;
  auto found = object.fields().find(key);
  if (found == object.fields().end())
    return out;
  for (const auto& value : found->second.list_value().values())
    out.push_back(value.string_value());
  return out;
}

// What the page shows, read from its DOM by stable ids and classes.
constexpr char kReadPage[] = R"js(JSON.stringify({
  origins: [...document.querySelectorAll('#frame-tree .frame-origin')].map(e => e.textContent),
  reservations: [...document.querySelectorAll('.reservation-badge')].map(e => e.textContent),
  quota: [...document.querySelectorAll('.quota-numbers')].map(e => e.textContent),
  bars: [...document.querySelectorAll('.quota-bar')].map(e => String(e.getBoundingClientRect().width)),
  pending: [...document.querySelectorAll('#pending-table tbody tr')].map(e => e.innerText),
  renderers: [...document.querySelectorAll('#renderers-table tbody tr')].map(e => e.innerText),
  sandbox: [...document.querySelectorAll('#sandbox-table tbody tr')].map(e => e.innerText),
  events: [...document.querySelectorAll('#events .event-type')].map(e => e.textContent),
  status: [document.getElementById('status').className],
}))js";

TEST_F(InternalsPageTest, HeadlessChromiumShowsTreeQuotaAndLiveEvents) {
  struct stat st;
  ASSERT_EQ(stat(kChromium, &st), 0)
      << kChromium << " is missing: run tools/setup.sh (chromium)";
  // The top's renderer as the multi-process browser's check would record it
  // (the others stay "pending": in-process renderers are never checked).
  {
    browser::RendererHost* host =
        core_->AuthenticateRenderer(top_.renderer_token);
    ASSERT_NE(host, nullptr);
    ipc::debug::RendererSandbox sandbox;
    sandbox.set_verdict("sandboxed");
    sandbox.set_required(true);
    sandbox.set_pid(4242);
    sandbox.set_seccomp_mode(2);
    sandbox.set_no_new_privs(true);
    sandbox.set_threads(9);
    sandbox.set_threads_sandboxed(9);
    sandbox.set_own_user_namespace(true);
    sandbox.set_own_net_namespace(true);
    sandbox.set_landlock_abi(7);
    sandbox.set_landlock(true);
    sandbox.set_descriptor_limit(128);
    host->set_sandbox(sandbox);
  }

  const std::string dir = MakeTempDir();
  const absl::Time start = absl::Now();
  auto since = [&] { return absl::FormatDuration(absl::Now() - start); };
  auto chromium = HeadlessChromium::Launch(dir, server_->url());
  ASSERT_NE(chromium, nullptr);
  const uint16_t devtools_port =
      chromium->WaitForDevToolsPort(absl::Seconds(60));
  ASSERT_NE(devtools_port, 0) << "Chromium did not start:\n" << chromium->Log();
  std::cout << "chromium: DevTools on port " << devtools_port << " after "
            << since() << std::endl;

  // The page target Chromium opened for our URL.
  std::string page_path;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (page_path.empty() && absl::Now() < deadline) {
    std::string list = BodyOf(Get(devtools_port, "/json/list"));
    google::protobuf::ListValue targets;
    if (google::protobuf::util::JsonStringToMessage(list, &targets).ok()) {
      for (const auto& target : targets.values()) {
        const auto& fields = target.struct_value().fields();
        if (fields.count("type") &&
            fields.at("type").string_value() == "page" &&
            fields.count("webSocketDebuggerUrl")) {
          std::string ws = fields.at("webSocketDebuggerUrl").string_value();
          size_t at = ws.find("/devtools/");
          if (at != std::string::npos)
            page_path = ws.substr(at);
        }
      }
    }
    if (page_path.empty())
      absl::SleepFor(absl::Milliseconds(200));
  }
  ASSERT_FALSE(page_path.empty()) << chromium->Log();
  auto ws = WebSocket::Connect(devtools_port, page_path);
  ASSERT_NE(ws, nullptr) << page_path;
  DevTools devtools(std::move(ws));

  // Wait until the page has drawn a snapshot and the event backlog.
  google::protobuf::Struct page;
  auto drawn = [&] {
    return !Strings(page, "quota").empty() && !Strings(page, "events").empty();
  };
  for (absl::Time until = absl::Now() + absl::Seconds(30);
       !drawn() && absl::Now() < until;
       absl::SleepFor(absl::Milliseconds(200))) {
    std::string json = devtools.EvaluateString(kReadPage);
    if (!json.empty())
      page = ParseJsonObject(json);
  }
  ASSERT_TRUE(drawn()) << devtools.EvaluateString("document.body.innerText");
  std::cout << "chromium: page drawn after " << since() << std::endl;

  // While the page is open, the browser does something: the ads iframe goes
  // away (its pending fetch is sent: document.destroyed, live), and a new
  // event is logged by the network stage's observer.
  ASSERT_TRUE(core_->RemoveIframe(ads_.navigable).ok());
  net_log_.AddEvent(
      "attempt.retry_scheduled",
      {{"url", "https://ads.test/impression"}, {"delay_ms", "1000"}});
  for (absl::Time until = absl::Now() + absl::Seconds(15); absl::Now() < until;
       absl::SleepFor(absl::Milliseconds(200))) {
    std::vector<std::string> events = Strings(page, "events");
    if (!events.empty() && events.front() == "attempt.retry_scheduled" &&
        Strings(page, "reservations").size() == 2) {
      break;
    }
    page = ParseJsonObject(devtools.EvaluateString(kReadPage));
  }
  std::cout << "chromium: live event shown after " << since() << std::endl;
  // Put the ads iframe back for the screenshot (and the quota checks below).
  {
    browser::IframeParams params{
        "deferred-fetch", std::nullopt, {Url("https://ads.test/banner")}};
    params.navigation.initiator = browser::NavigationInitiator::kParent;
    auto frame = core_->CreateIframe(top_.document_token, params);
    ASSERT_TRUE(frame.ok()) << frame.status();
    ads_ = *frame;
    Queue(ads_, "POST", "https://ads.test/impression", 300, absl::Minutes(1));
  }
  std::vector<std::string> events = Strings(page, "events");
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front(), "attempt.retry_scheduled")  // newest first
      << absl::StrJoin(events, ", ");
  EXPECT_NE(std::find(events.begin(), events.end(), "document.destroyed"),
            events.end())
      << absl::StrJoin(events, ", ");
  EXPECT_NE(std::find(events.begin(), events.end(), "document.created"),
            events.end())
      << absl::StrJoin(events, ", ");

  // Wait for the re-added iframe, then check what the page shows.
  for (absl::Time until = absl::Now() + absl::Seconds(15); absl::Now() < until;
       absl::SleepFor(absl::Milliseconds(200))) {
    page = ParseJsonObject(devtools.EvaluateString(kReadPage));
    if (Strings(page, "reservations").size() == 3 &&
        Strings(page, "pending").size() == 2) {
      break;
    }
  }
  const std::string text = devtools.EvaluateString("document.body.innerText");
  const std::string dom =
      devtools.EvaluateString("document.documentElement.outerHTML");
  const std::string dom_path = absl::StrCat(OutputDir(), "/internals.html");
  std::ofstream(dom_path) << dom;
  std::cout << "internals page DOM: " << dom_path << std::endl;

  std::vector<std::string> origins = Strings(page, "origins");
  EXPECT_EQ(origins, (std::vector<std::string>{
                         "https://news.test", "https://news.test",
                         "https://widget.test", "https://ads.test"}))
      << absl::StrJoin(origins, ", ");
  std::vector<std::string> reservations = Strings(page, "reservations");
  ASSERT_EQ(reservations.size(), 3u) << absl::StrJoin(reservations, " | ");
  EXPECT_EQ(reservations[0], "no reservation");
  EXPECT_EQ(reservations[1], "8 KiB reserved (8192 B)");
  EXPECT_EQ(reservations[2], "64 KiB reserved (65536 B)");
  std::vector<std::string> quota = Strings(page, "quota");
  ASSERT_GE(quota.size(), 1u);
  // The top-level group: 512 KiB for normal quota, the two reservations, the
  // top document's pending GET.
  EXPECT_TRUE(absl::StartsWith(quota[0], "pool 524288 B (512 KiB)"))
      << quota[0];
  EXPECT_TRUE(absl::StrContains(quota[0], "reserved 73728 B (72 KiB)"))
      << quota[0];
  EXPECT_TRUE(absl::StrContains(text, "65536")) << text;
  EXPECT_TRUE(absl::StrContains(text, "8192")) << text;
  EXPECT_TRUE(absl::StrContains(text, "https://news.test/analytics?page=front"))
      << text;
  EXPECT_TRUE(absl::StrContains(text, "https://ads.test/impression")) << text;
  EXPECT_EQ(Strings(page, "pending").size(), 2u);
  EXPECT_GE(Strings(page, "renderers").size(), 3u);
  // Like chrome://sandbox: one row per renderer.
  std::vector<std::string> sandbox = Strings(page, "sandbox");
  ASSERT_EQ(sandbox.size(), Strings(page, "renderers").size());
  EXPECT_TRUE(absl::StrContains(sandbox[0], "https://news.test")) << sandbox[0];
  for (const char* cell : {"4242", "filter (2)", "9 / 9", "user + net",
                           "ABI 7 (reported)", "NOFILE 128", "sandboxed"}) {
    EXPECT_TRUE(absl::StrContains(sandbox[0], cell))
        << cell << " in " << sandbox[0];
  }
  for (size_t i = 1; i < sandbox.size(); ++i)
    EXPECT_TRUE(absl::StrContains(sandbox[i], "pending")) << sandbox[i];
  EXPECT_TRUE(
      absl::StrContains(dom, "class=\"frame-origin\">https://ads.test<"));
  for (const std::string& width : Strings(page, "bars")) {
    double px = 0;
    EXPECT_TRUE(absl::SimpleAtod(width, &px) && px > 1) << width;
  }
  EXPECT_EQ(Strings(page, "status"), std::vector<std::string>{""})
      << "the page reports a failed snapshot";

  // The screenshot.
  absl::SleepFor(absl::Milliseconds(1200));  // one more refresh
  // The whole page, not just the 1200x900 window.
  const std::string height = devtools.EvaluateString(
      "String(Math.max(900, document.documentElement.scrollHeight))");
  auto shot = devtools.Call(
      "Page.captureScreenshot",
      absl::StrCat(R"({"format":"png","captureBeyondViewport":true,)",
                   R"("clip":{"x":0,"y":0,"width":1200,"height":)",
                   height.empty() ? "900" : height, R"(,"scale":1}})"));
  ASSERT_TRUE(shot.has_value());
  std::string png;
  ASSERT_TRUE(
      absl::Base64Unescape(shot->fields().at("data").string_value(), &png));
  const std::string png_path = absl::StrCat(OutputDir(), "/internals.png");
  std::ofstream(png_path, std::ios::binary) << png;
  std::cout << "internals page screenshot: " << png_path << " (" << png.size()
            << " bytes)" << std::endl;
  struct stat png_stat;
  ASSERT_EQ(stat(png_path.c_str(), &png_stat), 0);
  EXPECT_GT(png_stat.st_size, 10 * 1024);
  EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));

  devtools.Call("Browser.close");
}

}  // namespace
}  // namespace fetch_later::testing
