// Fetch's filtered responses (net/response_filter.h): what a fetch() caller
// sees of a response, by response tainting and redirect mode. Each row names
// the Fetch step (or WPT file) it follows.
#include "net/response_filter.h"

#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fetch_later::net {
namespace {

using HeaderList = std::vector<std::pair<std::string, std::string>>;
using ::testing::ElementsAre;

// A response as the stage reports it, with every kind of header a filter
// looks at.
RequestOutcome Response(ResponseTainting tainting,
                        HeaderList extra = {},
                        int status = 200) {
  RequestOutcome o;
  o.kind = RequestOutcome::Kind::kResponse;
  o.status = status;
  o.status_text = "OK";
  o.url = "https://b.test/r";
  o.body = "body";
  o.body_length = 4;
  o.tainting = tainting;
  o.headers = {{"Content-Type", "text/plain"},
               {"Set-Cookie", "a=b"},
               {"set-cookie2", "c=d"},
               {"X-Trace", "1"},
               {"Cache-Control", "no-store"}};
  for (auto& header : extra)
    o.headers.push_back(std::move(header));
  return o;
}

std::vector<std::string> Names(const HeaderList& headers) {
  std::vector<std::string> out;
  for (const auto& [name, value] : headers)
    out.push_back(name);
  return out;
}

TEST(ResponseFilterTest, HeaderListsByTainting) {
  struct Row {
    const char* source;
    ResponseTainting tainting;
    HeaderList extra;
    CredentialsMode credentials;
    std::vector<std::string> names;
  };
  const Row rows[] = {
      {"basic filtered response: no forbidden response-header name",
       ResponseTainting::kBasic,
       {},
       CredentialsMode::kSameOrigin,
       {"Content-Type", "X-Trace", "Cache-Control"}},
      {"CORS filtered response: CORS-safelisted response-header names only",
       ResponseTainting::kCors,
       {},
       CredentialsMode::kSameOrigin,
       {"Content-Type", "Cache-Control"}},
      {"main fetch 14.1.3: Access-Control-Expose-Headers adds a name",
       ResponseTainting::kCors,
       {{"Access-Control-Expose-Headers", "x-trace"}},
       CredentialsMode::kSameOrigin,
       {"Content-Type", "X-Trace", "Cache-Control"}},
      {"CORS-safelisted response-header name: never Set-Cookie, even exposed",
       ResponseTainting::kCors,
       {{"Access-Control-Expose-Headers", "Set-Cookie, X-Trace"}},
       CredentialsMode::kSameOrigin,
       {"Content-Type", "X-Trace", "Cache-Control"}},
      {"main fetch 14.1.2: * exposes every name without credentials",
       ResponseTainting::kCors,
       {{"Access-Control-Expose-Headers", "*"}},
       CredentialsMode::kOmit,
       {"Content-Type", "X-Trace", "Cache-Control",
        "Access-Control-Expose-Headers"}},
      {"main fetch 14.1.2: * is a name like any other with 'include'",
       ResponseTainting::kCors,
       {{"Access-Control-Expose-Headers", "*"}},
       CredentialsMode::kInclude,
       {"Content-Type", "Cache-Control"}},
      {"extracting header list values: a non-token element is a failure",
       ResponseTainting::kCors,
       {{"Access-Control-Expose-Headers", "X-Trace, bad name"}},
       CredentialsMode::kSameOrigin,
       {"Content-Type", "Cache-Control"}},
      {"opaque filtered response: an empty header list",
       ResponseTainting::kOpaque,
       {},
       CredentialsMode::kSameOrigin,
       {}},
  };
  for (const Row& row : rows) {
    absl::StatusOr<FilteredResponse> filtered =
        FilterResponse(Response(row.tainting, row.extra), RedirectMode::kFollow,
                       row.credentials);
    ASSERT_TRUE(filtered.ok()) << row.source;
    EXPECT_EQ(Names(filtered->headers), row.names) << row.source;
  }
}

TEST(ResponseFilterTest, TypeStatusUrlAndBody) {
  struct Row {
    const char* source;
    ResponseTainting tainting;
    RedirectMode redirect;
    int status;
    FilteredResponseType type;
    int filtered_status;
    const char* url;
    bool has_body;
  };
  const Row rows[] = {
      {"basic: as received", ResponseTainting::kBasic, RedirectMode::kFollow,
       200, FilteredResponseType::kBasic, 200, "https://b.test/r", true},
      {"cors: as received", ResponseTainting::kCors, RedirectMode::kFollow, 404,
       FilteredResponseType::kCors, 404, "https://b.test/r", true},
      {"opaque: status 0, URL list empty, body null", ResponseTainting::kOpaque,
       RedirectMode::kFollow, 200, FilteredResponseType::kOpaque, 0, "", false},
      {"HTTP fetch 4.2 manual: opaque-redirect", ResponseTainting::kBasic,
       RedirectMode::kManual, 302, FilteredResponseType::kOpaqueRedirect, 0, "",
       false},
      {"manual without a redirect status: the response itself",
       ResponseTainting::kBasic, RedirectMode::kManual, 200,
       FilteredResponseType::kBasic, 200, "https://b.test/r", true},
  };
  for (const Row& row : rows) {
    RequestOutcome outcome = Response(row.tainting, {}, row.status);
    outcome.redirect_count = 1;
    absl::StatusOr<FilteredResponse> filtered =
        FilterResponse(outcome, row.redirect, CredentialsMode::kSameOrigin);
    ASSERT_TRUE(filtered.ok()) << row.source;
    EXPECT_EQ(filtered->type, row.type) << row.source;
    EXPECT_EQ(filtered->status, row.filtered_status) << row.source;
    EXPECT_EQ(filtered->url, row.url) << row.source;
    EXPECT_EQ(filtered->body.has_value(), row.has_body) << row.source;
    // Fetch: Response `redirected` is "URL list size > 1"; an opaque
    // filtered response's URL list is empty.
    EXPECT_EQ(filtered->redirected, row.has_body) << row.source;
    if (!row.has_body) {
      EXPECT_TRUE(filtered->headers.empty()) << row.source;
      EXPECT_EQ(filtered->status_text, "") << row.source;
    }
  }
}

TEST(ResponseFilterTest, OnlyResponsesAreFiltered) {
  RequestOutcome error;
  error.kind = RequestOutcome::Kind::kNetworkError;
  EXPECT_FALSE(
      FilterResponse(error, RedirectMode::kFollow, CredentialsMode::kSameOrigin)
          .ok());
}

TEST(ResponseFilterTest, NamesAndLists) {
  EXPECT_EQ(FilteredResponseTypeName(FilteredResponseType::kOpaqueRedirect),
            "opaqueredirect");
  EXPECT_TRUE(IsForbiddenResponseHeaderName("SET-COOKIE"));
  EXPECT_FALSE(IsForbiddenResponseHeaderName("Set-Cookie3"));
  EXPECT_TRUE(IsCorsSafelistedResponseHeaderName("pragma", {}));
  EXPECT_FALSE(IsCorsSafelistedResponseHeaderName("X-A", {}));
  EXPECT_TRUE(IsCorsSafelistedResponseHeaderName("X-A", {"x-a"}));
  EXPECT_THAT(CorsExposedHeaderNames({{"Access-Control-Expose-Headers", "a,"},
                                      {"access-control-expose-headers", "b"}},
                                     CredentialsMode::kSameOrigin),
              ElementsAre("a", "b"));
}

}  // namespace
}  // namespace fetch_later::net
