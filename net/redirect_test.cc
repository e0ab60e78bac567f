// Redirects are tested here, at the rule level, because the HttpsTestServer
// answers only 204 and 500 (it has no redirect mode); the stage calls exactly
// this function for every 3xx it follows.
#include "net/redirect.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fetch_later::net {
namespace {

using ::testing::HasSubstr;

struct Row {
  const char* source;
  const char* method;
  int status;
  const char* location;
  const char* want_url;
  const char* want_method;
  bool body_kept;
};

TEST(RedirectTest, FetchHttpRedirectFetchTable) {
  const Url current = *Url::Parse("https://a.test/dir/a?x");
  const std::vector<Row> rows = {
      {"Fetch step 12: 301 POST → GET", "POST", 301, "/b", "https://a.test/b",
       "GET", false},
      {"Fetch step 12: 302 POST → GET", "POST", 302, "b",
       "https://a.test/dir/b", "GET", false},
      {"Fetch step 12: 303 PUT → GET", "PUT", 303, "https://b.test/c",
       "https://b.test/c", "GET", false},
      {"Fetch step 12: 303 keeps HEAD", "HEAD", 303, "/h", "https://a.test/h",
       "HEAD", true},
      {"307 keeps POST and body", "POST", 307, "/p", "https://a.test/p", "POST",
       true},
      {"308 keeps POST and body", "POST", 308, "//c.test/q?y",
       "https://c.test/q?y", "POST", true},
      {"302 keeps PUT (only POST changes)", "PUT", 302, "/u",
       "https://a.test/u", "PUT", true},
      {"http: location parses (the stage refuses the hop)", "GET", 302,
       "http://a.test/", "http://a.test/", "GET", true},
  };
  for (const Row& row : rows) {
    RedirectRequest request{
        row.method, "body", {{"Content-Type", "text/plain"}, {"X-A", "1"}}};
    absl::StatusOr<RedirectStep> step =
        ComputeRedirect(request, current, row.status, row.location, 0);
    ASSERT_TRUE(step.ok()) << row.source << ": " << step.status();
    EXPECT_EQ(step->url.Serialize(), row.want_url) << row.source;
    EXPECT_EQ(step->method, row.want_method) << row.source;
    EXPECT_EQ(step->body, row.body_kept ? "body" : "") << row.source;
    EXPECT_EQ(step->headers.size(), row.body_kept ? 2u : 1u) << row.source;
  }
}

TEST(RedirectTest, Errors) {
  const Url current = *Url::Parse("https://a.test/");
  RedirectRequest get{"GET", "", {}};
  EXPECT_TRUE(absl::IsOutOfRange(
      ComputeRedirect(get, current, 302, "/b", 20).status()));
  EXPECT_TRUE(ComputeRedirect(get, current, 302, "/b", 19).ok());
  EXPECT_THAT(
      std::string(
          ComputeRedirect(get, current, 302, "data:,x", 0).status().message()),
      HasSubstr("non-HTTP(S)"));
  EXPECT_FALSE(
      ComputeRedirect(get, current, 302, "https://u:p@b.test/", 0).ok());
  EXPECT_FALSE(ComputeRedirect(get, current, 302, "https://[::1", 0).ok());
  // Steps 5-6 (a Location that is failure or not HTTP(S)) come before step 7
  // (the redirect count): the 21st redirect to such a Location is refused for
  // its Location, not for the count.
  EXPECT_TRUE(absl::IsInvalidArgument(
      ComputeRedirect(get, current, 302, "https://[::1", 20).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      ComputeRedirect(get, current, 302, "data:,x", 20).status()));
  EXPECT_TRUE(IsRedirectStatus(307));
  EXPECT_FALSE(IsRedirectStatus(304));
  EXPECT_FALSE(IsRedirectStatus(300));
}

TEST(RedirectTest, ExtractLocation) {
  // Fetch "location URL" step 2: "extract header list values" given
  // `Location`: null without one, failure with more than one.
  using Headers = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(*ExtractLocation(Headers{{"Content-Type", "text/plain"}}),
            std::nullopt);
  EXPECT_EQ(*ExtractLocation(Headers{{"location", "/b"}}),
            std::optional<std::string>("/b"));
  absl::StatusOr<std::optional<std::string>> two =
      ExtractLocation(Headers{{"Location", "/b"}, {"LOCATION", "/b"}});
  ASSERT_FALSE(two.ok());
  EXPECT_THAT(std::string(two.status().message()),
              HasSubstr("2 Location fields"));
}

}  // namespace
}  // namespace fetch_later::net
