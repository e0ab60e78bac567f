// Interop with a real server nobody here wrote: Debian's nginx (installed by
// tools/setup.sh), serving TLS with leaves minted by the test CA, configured
// to redirect (301/302/303/307/308, same- and cross-origin), to answer CORS
// preflights, and to close idle keep-alive connections after one second. The
// browser's core (frame tree, hand-off) and the real HTTPS network stage flush
// deferred fetches to it (every host mapped to nginx), and nginx's own access
// log is the witness: the method after each redirect, Referer, Authorization,
// Origin, nothing lost, nothing sent twice, and a request after the server
// closed the pooled connection arriving on a new one.
//
// nginx must be installed: without it this test fails (it never skips).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "browser/browser_core.h"
#include "browser/deferred_request.h"
#include "gtest/gtest.h"
#include "net/clock.h"
#include "net/https_network_stage.h"
#include "net/testing/https_test_server.h"
#include "net/url.h"

namespace fetch_later {
namespace {

using net::testing::TestCertificateAuthority;

constexpr char kNginx[] = "/usr/sbin/nginx";
constexpr absl::Duration kIo = absl::Seconds(20);
// The hosts nginx serves (each its own server block and certificate).
const char* const kHosts[] = {"a.test", "n1.test", "n2.test"};

bool WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  return static_cast<bool>(out);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A loopback port nothing listens on right now.
int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

bool Accepts(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  const bool ok =
      connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

// One access-log line (the `fl` log_format below).
struct LogLine {
  std::string host, method, uri, referer, authorization, origin, retry;
  std::string connection;
};

// The configuration: every server answers CORS preflights (OPTIONS) with
// Access-Control-Allow-* for what this test asks, echoes Origin in
// Access-Control-Allow-Origin on every answer (redirects included), and has
// the same redirect locations.
std::string NginxConf(const std::string& dir, int port) {
  std::string servers;
  for (const char* host : kHosts) {
    absl::StrAppend(&servers, R"(
  server {
    listen 127.0.0.1:)",
                    port, R"( ssl;
    server_name )",
                    host, R"(;
    ssl_certificate )",
                    dir, "/", host, R"(.crt;
    ssl_certificate_key )",
                    dir, "/", host, R"(.key;
    add_header Access-Control-Allow-Origin $http_origin always;
    add_header Access-Control-Allow-Methods $acam always;
    add_header Access-Control-Allow-Headers $acah always;
    add_header Access-Control-Max-Age $acma always;
    if ($request_method = OPTIONS) { return 204; }
    location = /301/same { return 301 https://$host/end/301same; }
    location = /302/cross { return 302 https://n2.test/end/302cross; }
    location = /303/same { return 303 https://$host/end/303same; }
    location = /307/cross { return 307 https://n2.test/end/307cross; }
    location = /308/same { return 308 https://$host/end/308same; }
    location = /307/back { return 307 https://a.test/end/307back; }
    location / { return 204; }
  }
)");
  }
  return absl::StrCat(R"(
daemon off;
master_process off;
pid )",
                      dir, R"(/nginx.pid;
error_log )",
                      dir, R"(/error.log info;
events { worker_connections 64; }
http {
  log_format fl '$host|$request_method|$request_uri|$http_referer|$http_authorization|$http_origin|$http_retry_attempt|$connection|$connection_requests';
  access_log )",
                      dir, R"(/access.log fl;
  client_body_temp_path )",
                      dir, R"(/body;
  proxy_temp_path )",
                      dir, R"(/proxy;
  fastcgi_temp_path )",
                      dir, R"(/fastcgi;
  uwsgi_temp_path )",
                      dir, R"(/uwsgi;
  scgi_temp_path )",
                      dir, R"(/scgi;
  keepalive_timeout 1s;
  map $request_method $acam { OPTIONS "POST, PUT, DELETE"; default ""; }
  map $request_method $acah { OPTIONS "content-type, authorization"; default ""; }
  map $request_method $acma { OPTIONS "60"; default ""; }
)",
                      servers, "}\n");
}

class NginxInteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(access(kNginx, X_OK), 0)
        << kNginx << " is missing: run tools/setup.sh (it installs "
        << "nginx-light). This test never skips.";
    char dir_template[] = "/tmp/dfXXXXXX";
    ASSERT_NE(mkdtemp(dir_template), nullptr);
    dir_ = dir_template;
    auto ca = TestCertificateAuthority::Create();
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca_ = std::move(*ca);
    for (const char* host : kHosts) {
      auto leaf = ca_->MintLeaf(host);
      ASSERT_TRUE(leaf.ok()) << leaf.status();
      ASSERT_TRUE(
          WriteFile(absl::StrCat(dir_, "/", host, ".crt"), leaf->cert_pem));
      ASSERT_TRUE(
          WriteFile(absl::StrCat(dir_, "/", host, ".key"), leaf->key_pem));
    }
    port_ = FreePort();
    ASSERT_TRUE(WriteFile(dir_ + "/nginx.conf", NginxConf(dir_, port_)));
    nginx_ = fork();
    ASSERT_GE(nginx_, 0);
    if (nginx_ == 0) {
      const std::string error_log = dir_ + "/error.log";
      const std::string conf = dir_ + "/nginx.conf";
      execl(kNginx, "nginx", "-e", error_log.c_str(), "-p", dir_.c_str(), "-c",
            conf.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (!Accepts(port_) && absl::Now() < deadline) {
      int status = 0;
      ASSERT_EQ(waitpid(nginx_, &status, WNOHANG), 0)
          << "nginx exited (status " << status
          << "): " << ReadFile(dir_ + "/error.log");
      absl::SleepFor(absl::Milliseconds(20));
    }
    ASSERT_TRUE(Accepts(port_)) << "nginx does not listen on " << port_ << ": "
                                << ReadFile(dir_ + "/error.log");

    net::HttpsNetworkStage::Options options;
    options.ca_pem = ca_->root_pem();
    options.host_resolver_rules = absl::StrCat("MAP * 127.0.0.1:", port_);
    options.clock = &clock_;
    options.attempt_timeout = kIo;
    auto stage = net::HttpsNetworkStage::Create(std::move(options));
    ASSERT_TRUE(stage.ok()) << stage.status();
    stage_ = std::move(*stage);
    core_ = std::make_unique<browser::BrowserCore>(
        browser::BrowserCore::Options{stage_.get(), &clock_});
    tab_ = core_->CreateTab();
  }

  void TearDown() override {
    core_.reset();
    stage_.reset();
    if (nginx_ > 0) {
      kill(nginx_, SIGQUIT);  // graceful: the access log is flushed
      int status = 0;
      waitpid(nginx_, &status, 0);
    }
    if (!dir_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(dir_, ignored);
    }
  }

  // Opens https://a.test/page in the tab (unloading the previous page, which
  // flushes its deferred fetches).
  browser::DocumentId OpenPage() {
    browser::NavigationParams nav{*net::Url::Parse("https://a.test/page")};
    nav.permissions_policy = "deferred-fetch-minimal=()";
    auto committed = core_->Navigate(tab_, nav);
    EXPECT_TRUE(committed.ok()) << committed.status();
    return committed->document;
  }

  void Queue(browser::DocumentId document,
             const std::string& method,
             const std::string& url,
             std::vector<std::pair<std::string, std::string>> headers = {}) {
    browser::DeferredRequest request{method, *net::Url::Parse(url)};
    request.headers = std::move(headers);
    if (method != "GET") {
      request.headers.emplace_back("Content-Type", "text/plain");
      request.body = "x";
      request.body_length = 1;
    }
    auto decision = core_->frame_tree().QueueDeferredFetch(
        document, std::move(request), std::nullopt);
    ASSERT_TRUE(decision.ok() &&
                decision->outcome == browser::FetchLaterOutcome::kQueued);
  }

  std::vector<LogLine> AccessLog() {
    std::vector<LogLine> lines;
    for (absl::string_view line : absl::StrSplit(ReadFile(dir_ + "/access.log"),
                                                 '\n', absl::SkipEmpty())) {
      std::vector<std::string> f = absl::StrSplit(line, '|');
      if (f.size() < 8)
        continue;
      lines.push_back({f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7]});
    }
    return lines;
  }

  // The log lines for `uri` (any host), in order.
  std::vector<LogLine> LinesFor(const std::string& uri) {
    std::vector<LogLine> out;
    for (LogLine& l : AccessLog()) {
      if (l.uri == uri)
        out.push_back(std::move(l));
    }
    return out;
  }

  // nginx writes the access log line when the request is done; wait until
  // `count` lines are there.
  void WaitForLogLines(size_t count) {
    const absl::Time deadline = absl::Now() + kIo;
    while (AccessLog().size() < count && absl::Now() < deadline)
      absl::SleepFor(absl::Milliseconds(20));
  }

  std::string dir_;
  int port_ = 0;
  pid_t nginx_ = -1;
  std::unique_ptr<TestCertificateAuthority> ca_;
  net::RealClock clock_;
  std::unique_ptr<net::HttpsNetworkStage> stage_;
  std::unique_ptr<browser::BrowserCore> core_;
  browser::NavigableId tab_;
};

TEST_F(NginxInteropTest, RedirectsPreflightsAndHeadersAsNginxSawThem) {
  browser::DocumentId page = OpenPage();
  Queue(page, "POST", "https://a.test/301/same");
  Queue(page, "POST", "https://a.test/302/cross");
  Queue(page, "PUT", "https://a.test/303/same");
  Queue(page, "POST", "https://n1.test/307/cross",
        {{"Authorization", "Bearer t"}});
  Queue(page, "PUT", "https://n1.test/308/same",
        {{"Authorization", "Bearer t"}});
  Queue(page, "POST", "https://n1.test/307/back");
  OpenPage();  // unloads the page: its deferred fetches are sent
  ASSERT_TRUE(stage_->WaitForIdle(kIo));
  EXPECT_TRUE(stage_->blocked().empty()) << stage_->blocked().front().message;

  struct Row {
    const char* source;
    const char* uri;
    const char* host;
    const char* method;
    const char* referer;  // "-": none
    const char* authorization;
    const char* origin;
  } rows[] = {
      {"same-origin POST", "/301/same", "a.test", "POST", "https://a.test/page",
       "-", "https://a.test"},
      {"HTTP-redirect fetch step 11: 301 POST -> GET, same origin",
       "/end/301same", "a.test", "GET", "https://a.test/page", "-", "-"},
      {"302 POST -> GET to another origin: cors, Origin, origin-only Referer",
       "/end/302cross", "n2.test", "GET", "https://a.test/", "-",
       "https://a.test"},
      {"303 PUT -> GET", "/end/303same", "a.test", "GET", "https://a.test/page",
       "-", "-"},
      {"cross-origin POST with Authorization (after its preflight)",
       "/307/cross", "n1.test", "POST", "https://a.test/", "Bearer t",
       "https://a.test"},
      {"307 keeps POST; cross-origin hop drops Authorization; tainted origin",
       "/end/307cross", "n2.test", "POST", "https://a.test/", "-", "null"},
      {"308 PUT within n1 keeps Authorization", "/end/308same", "n1.test",
       "PUT", "https://a.test/", "Bearer t", "https://a.test"},
      {"tainted origin also back on the page's own origin", "/end/307back",
       "a.test", "POST", "https://a.test/", "-", "null"},
  };
  // Every request above, the redirect hops and the preflights.
  WaitForLogLines(14);
  for (const Row& row : rows) {
    SCOPED_TRACE(row.source);
    std::vector<LogLine> got;
    for (LogLine& l : LinesFor(row.uri)) {
      if (l.method != "OPTIONS")
        got.push_back(std::move(l));
    }
    ASSERT_EQ(got.size(), 1u) << "nothing lost, nothing sent twice";
    EXPECT_EQ(got[0].host, row.host);
    EXPECT_EQ(got[0].method, row.method);
    EXPECT_EQ(got[0].referer, row.referer);
    EXPECT_EQ(got[0].authorization, row.authorization);
    EXPECT_EQ(got[0].origin, row.origin);
    EXPECT_EQ(got[0].retry, "-");
  }
  // The preflights: PUT and Authorization need one on n1 (per URL: the 308's
  // target is another URL); the 307's target carries nothing unsafe any more.
  auto preflights = [this](const std::string& uri) {
    int n = 0;
    for (const LogLine& l : LinesFor(uri)) {
      if (l.method == "OPTIONS") {
        ++n;
        EXPECT_EQ(l.authorization, "-") << "no credentials on a preflight";
      }
    }
    return n;
  };
  EXPECT_EQ(preflights("/307/cross"), 1);
  EXPECT_EQ(preflights("/308/same"), 1);
  EXPECT_EQ(preflights("/end/308same"), 1);
  EXPECT_EQ(preflights("/end/307cross"), 0);
  EXPECT_EQ(preflights("/302/cross"), 0);
}

TEST_F(NginxInteropTest, AKeepAliveConnectionTheServerClosedIsNotALoss) {
  browser::DocumentId page = OpenPage();
  Queue(page, "POST", "https://a.test/ka/1");
  page = OpenPage();
  ASSERT_TRUE(stage_->WaitForIdle(kIo));
  WaitForLogLines(1);
  // nginx closes the idle connection after keepalive_timeout (1 s).
  absl::SleepFor(absl::Milliseconds(1500));
  Queue(page, "POST", "https://a.test/ka/2");
  OpenPage();
  ASSERT_TRUE(stage_->WaitForIdle(kIo));
  WaitForLogLines(2);
  std::vector<LogLine> first = LinesFor("/ka/1"), second = LinesFor("/ka/2");
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_NE(first[0].connection, second[0].connection)
      << "the second request went on a new connection";
  EXPECT_EQ(second[0].retry, "-");
  EXPECT_TRUE(stage_->blocked().empty());
  for (const auto& a : stage_->attempts())
    EXPECT_TRUE(a.http_status.has_value()) << a.ToString();
}

}  // namespace
}  // namespace fetch_later
