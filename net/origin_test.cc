// Tests for HTML origins and the Secure Contexts trustworthiness checks
// (net/origin.h).

#include "net/origin.h"

#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "net/url.h"

namespace fetch_later::net {
namespace {

Url MustParse(const char* input, const Url* base = nullptr) {
  absl::StatusOr<Url> url = Url::Parse(input, base);
  EXPECT_TRUE(url.ok()) << input << ": " << url.status();
  return url.ok() ? *std::move(url) : *Url::Parse("invalid:parse-failed");
}

// HTML: "URL's origin" and "serialization of an origin".
struct OriginCase {
  const char* source;
  const char* url;
  const char* serialization;
  bool opaque;
  const char* scheme;
  const char* host;
  uint16_t port;
};

const OriginCase kOriginCases[] = {
    {"origin.h example", "https://a.test/x", "https://a.test", false, "https",
     "a.test", 443},
    {"HTML: tuple origin, explicit port", "https://a.test:8443/",
     "https://a.test:8443", false, "https", "a.test", 8443},
    {"HTML: default port not serialised", "http://A.test:80/", "http://a.test",
     false, "http", "a.test", 80},
    {"HTML: ws", "ws://h:81/chat", "ws://h:81", false, "ws", "h", 81},
    {"HTML: wss", "wss://h/chat", "wss://h", false, "wss", "h", 443},
    {"HTML: ftp", "ftp://h:21/f", "ftp://h", false, "ftp", "h", 21},
    {"HTML: IPv6 host", "http://[0:0::1]:8080/", "http://[::1]:8080", false,
     "http", "[::1]", 8080},
    {"HTML: credentials play no part", "https://u:p@a.test/", "https://a.test",
     false, "https", "a.test", 443},
    {"HTML: blob: inner https URL", "blob:https://example.com/uuid",
     "https://example.com", false, "https", "example.com", 443},
    {"HTML: blob: inner http URL", "blob:http://example.com:8080/uuid",
     "http://example.com:8080", false, "http", "example.com", 8080},
    {"HTML: blob: inner ftp URL is opaque", "blob:ftp://h/x", "null", true, "",
     "", 0},
    {"HTML: blob: inner file URL is opaque", "blob:file:///x", "null", true, "",
     "", 0},
    {"HTML: blob: nested blob is opaque", "blob:blob:https://a.test/x", "null",
     true, "", "", 0},
    {"HTML: blob: unparsable inner URL", "blob:not a url", "null", true, "", "",
     0},
    {"HTML: file: is opaque", "file:///etc/passwd", "null", true, "", "", 0},
    {"HTML: data: is opaque", "data:text/plain,x", "null", true, "", "", 0},
    {"HTML: about:blank is opaque", "about:blank", "null", true, "", "", 0},
    {"HTML: javascript: is opaque", "javascript:x", "null", true, "", "", 0},
    {"HTML: non-special scheme is opaque", "ssh://h/", "null", true, "", "", 0},
};

TEST(OriginTest, CreateAndSerialize) {
  for (const OriginCase& c : kOriginCases) {
    SCOPED_TRACE(std::string(c.source) + ": " + c.url);
    Origin origin = Origin::Create(MustParse(c.url));
    EXPECT_EQ(origin.Serialize(), c.serialization);
    EXPECT_EQ(origin.opaque(), c.opaque);
    EXPECT_EQ(origin.scheme(), c.scheme);
    EXPECT_EQ(origin.host(), c.host);
    EXPECT_EQ(origin.port(), c.port);
  }
}

TEST(OriginTest, SameOrigin) {
  const Origin a = Origin::Create(MustParse("https://a.test/x"));
  EXPECT_TRUE(
      a.IsSameOriginWith(Origin::Create(MustParse("https://a.test:443/y"))));
  EXPECT_TRUE(
      a.IsSameOriginWith(Origin::Create(MustParse("https://A.TEST/?q#f"))));
  EXPECT_TRUE(a.IsSameOriginWith(
      Origin::Create(MustParse("blob:https://a.test/uuid"))));
  EXPECT_FALSE(a.IsSameOriginWith(Origin::Create(MustParse("http://a.test/"))));
  EXPECT_FALSE(
      a.IsSameOriginWith(Origin::Create(MustParse("https://b.test/"))));
  EXPECT_FALSE(
      a.IsSameOriginWith(Origin::Create(MustParse("https://a.test:8443/"))));
  EXPECT_FALSE(a.IsSameOriginWith(Origin::Create(MustParse("wss://a.test/"))));
  EXPECT_FALSE(a.IsSameOriginWith(Origin::CreateOpaque()));
}

TEST(OriginTest, OpaqueOriginsAreUnique) {
  const Origin a = Origin::CreateOpaque();
  const Origin b = Origin::CreateOpaque();
  const Origin a_copy = a;
  EXPECT_TRUE(a.opaque());
  EXPECT_EQ(a.Serialize(), "null");
  EXPECT_TRUE(a.IsSameOriginWith(a_copy));
  EXPECT_FALSE(a.IsSameOriginWith(b));
  // Each URL with an opaque origin gets a new one.
  const Url data = MustParse("data:text/plain,x");
  EXPECT_NE(Origin::Create(data), Origin::Create(data));
  EXPECT_NE(Origin::Create(MustParse("file:///x")),
            Origin::Create(MustParse("file:///x")));
}

TEST(OriginTest, OpaqueNoncesAreUniqueAcrossThreads) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 2000;
  absl::Mutex mu;
  absl::flat_hash_set<Origin> seen;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      std::vector<Origin> mine;
      for (int i = 0; i < kPerThread; ++i)
        mine.push_back(Origin::CreateOpaque());
      absl::MutexLock lock(&mu);
      seen.insert(mine.begin(), mine.end());
    });
  }
  for (std::thread& thread : threads)
    thread.join();
  EXPECT_EQ(seen.size(), static_cast<size_t>(kThreads * kPerThread));
}

TEST(OriginTest, HashingAgreesWithEquality) {
  absl::flat_hash_set<Origin> set;
  set.insert(Origin::Create(MustParse("https://a.test/")));
  set.insert(Origin::Create(MustParse("https://a.test:443/x")));
  set.insert(Origin::Create(MustParse("https://a.test:8443/")));
  set.insert(Origin::Create(MustParse("http://a.test/")));
  EXPECT_EQ(set.size(), 3u);
}

TEST(OriginTest, Parse) {
  absl::StatusOr<Origin> origin = Origin::Parse("https://a.test:8443");
  ASSERT_TRUE(origin.ok()) << origin.status();
  EXPECT_EQ(origin->Serialize(), "https://a.test:8443");
  EXPECT_EQ(origin->port(), 8443);
  origin = Origin::Parse("HTTPS://A.test:443/path?q");
  ASSERT_TRUE(origin.ok()) << origin.status();
  EXPECT_EQ(origin->Serialize(), "https://a.test");
  origin = Origin::Parse("null");
  EXPECT_FALSE(origin.ok());
  EXPECT_EQ(origin.status().message(),
            "URL \"null\": missing scheme and no base URL");
  origin = Origin::Parse("data:,x");
  ASSERT_TRUE(origin.ok());
  EXPECT_TRUE(origin->opaque());
}

// Secure Contexts §3.2 "Is url potentially trustworthy?" (and §3.1 through it).
struct TrustworthyCase {
  const char* source;
  const char* url;
  bool trustworthy;
};

constexpr char kFetchLaterBasic[] =
    "WPT fetch/fetch-later/basic.https.window.js";
constexpr char kSecureContexts[] = "Secure Contexts §3.1/§3.2";

const TrustworthyCase kTrustworthyCases[] = {
    // The WPT fetchLater basic list ('/' is relative to the https test page).
    {kFetchLaterBasic, "/", true},
    {kFetchLaterBasic, "http://localhost", true},
    {kFetchLaterBasic, "https://localhost", true},
    {kFetchLaterBasic, "http://127.0.0.1", true},
    {kFetchLaterBasic, "https://127.0.0.1", true},
    {kFetchLaterBasic, "http://[::1]", true},
    {kFetchLaterBasic, "https://[::1]", true},
    {kFetchLaterBasic, "https://example.com", true},
    {kFetchLaterBasic, "http://example.com", false},
    // Secure Contexts rules.
    {kSecureContexts, "http://127.1.2.3", true},
    {kSecureContexts, "http://127.0.0.1:8080/x", true},
    {kSecureContexts, "http://0x7f.1/", true},
    {kSecureContexts, "http://128.0.0.1", false},
    {kSecureContexts, "http://126.255.255.255", false},
    {kSecureContexts, "http://[0:0::1]:81", true},
    {kSecureContexts, "http://[::2]", false},
    {kSecureContexts, "http://[::ffff:127.0.0.1]", false},
    {kSecureContexts, "http://foo.localhost", true},
    {kSecureContexts, "http://LOCALHOST", true},
    {kSecureContexts, "http://localhost./", true},
    {kSecureContexts, "http://foo.localhost./", true},
    {kSecureContexts, "http://localhost.example.com", false},
    {kSecureContexts, "http://localhostfoo", false},
    {kSecureContexts, "http://notlocalhost", false},
    {kSecureContexts, "wss://example.com", true},
    {kSecureContexts, "ws://example.com", false},
    {kSecureContexts, "ws://localhost", true},
    {kSecureContexts, "ftp://example.com", false},
    {kSecureContexts, "about:blank", true},
    {kSecureContexts, "about:blank#top", true},
    {kSecureContexts, "about:srcdoc", true},
    {kSecureContexts, "about:config", false},
    {kSecureContexts, "data:text/html,x", true},
    {kSecureContexts, "file:///tmp/x", true},
    {kSecureContexts, "blob:https://example.com/uuid", true},
    {kSecureContexts, "blob:http://example.com/uuid", false},
    {kSecureContexts, "blob:http://localhost/uuid", true},
    {kSecureContexts, "javascript:alert(1)", false},
    {kSecureContexts, "ssh://localhost/", false},
};

TEST(TrustworthyTest, IsUrlPotentiallyTrustworthy) {
  const Url page =
      MustParse("https://web-platform.test:8444/fetch/fetch-later/basic.html");
  for (const TrustworthyCase& c : kTrustworthyCases) {
    SCOPED_TRACE(std::string(c.source) + ": " + c.url);
    const Url url = MustParse(c.url, &page);
    EXPECT_EQ(IsUrlPotentiallyTrustworthy(url), c.trustworthy);
  }
}

TEST(TrustworthyTest, IsOriginPotentiallyTrustworthy) {
  EXPECT_TRUE(IsOriginPotentiallyTrustworthy(
      Origin::Create(MustParse("https://a.test/"))));
  EXPECT_TRUE(IsOriginPotentiallyTrustworthy(
      Origin::Create(MustParse("http://127.0.0.1/"))));
  EXPECT_TRUE(IsOriginPotentiallyTrustworthy(
      Origin::Create(MustParse("http://a.localhost/"))));
  EXPECT_FALSE(IsOriginPotentiallyTrustworthy(
      Origin::Create(MustParse("http://a.test/"))));
  // Secure Contexts §3.1 step 1: opaque origins (including those of file: and
  // data: URLs).
  EXPECT_FALSE(IsOriginPotentiallyTrustworthy(Origin::CreateOpaque()));
  EXPECT_FALSE(
      IsOriginPotentiallyTrustworthy(Origin::Create(MustParse("data:,x"))));
  EXPECT_FALSE(
      IsOriginPotentiallyTrustworthy(Origin::Create(MustParse("file:///x"))));
}

}  // namespace
}  // namespace fetch_later::net
