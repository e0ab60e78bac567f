// fetch() in the renderer before the browser (renderer/fetch.h ValidateFetch):
// the Request constructor, an aborted signal, retryAfterUnload without
// keepalive, mixed content and the scheme, in that order. Each row names its
// source.
#include "renderer/fetch.h"

#include <optional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/url.h"
#include "renderer/abort_signal.h"
#include "renderer/body.h"
#include "renderer/js_error.h"
#include "renderer/request.h"

namespace fetch_later::renderer {
namespace {

using ::testing::HasSubstr;

ClientContext Page(const char* url, bool secure_context) {
  ClientContext client = ClientContext::ForDocument(*net::Url::Parse(url));
  client.secure_context = secure_context;
  return client;
}

TEST(ValidateFetchTest, UrlTable) {
  struct Row {
    const char* source;
    const char* page;  // the calling document
    bool secure;
    const char* url;
    const char* error;  // nullptr: accepted; else a TypeError with this text
  };
  const Row rows[] = {
      {"same origin", "https://a.test/", true, "/api", nullptr},
      {"cross-origin https", "https://a.test/", true, "https://b.test/",
       nullptr},
      {"Mixed Content: http: from a secure context", "https://a.test/", true,
       "http://b.test/x#f", "http://b.test/x was blocked as mixed content"},
      {"Mixed Content: http://localhost is potentially trustworthy",
       "https://a.test/", true, "http://localhost/", nullptr},
      {"Mixed Content: http://127.0.0.1 is potentially trustworthy",
       "https://a.test/", true, "http://127.0.0.1/", nullptr},
      {"no mixed content outside a secure context", "http://a.test/", false,
       "http://b.test/", nullptr},
      {"main fetch 12: data: is trustworthy, but no scheme fetch here",
       "https://a.test/", true, "data:text/plain,x",
       "the URL scheme \"data\" is not supported"},
      {"main fetch 7 before 12: ftp: is mixed content first", "https://a.test/",
       true, "ftp://b.test/", "blocked as mixed content"},
      {"main fetch 12: ftp: from a non-secure page", "http://a.test/", false,
       "ftp://b.test/", "the URL scheme \"ftp\" is not supported"},
      {"Request constructor: credentials in the URL", "https://a.test/", true,
       "https://u:p@b.test/", "credentials"},
  };
  for (const Row& row : rows) {
    JsResult<Request> request = ValidateFetch(
        RequestInfo(row.url), {}, std::nullopt, Page(row.page, row.secure));
    if (row.error == nullptr) {
      EXPECT_TRUE(request.ok())
          << row.source << ": " << request.error().message;
      continue;
    }
    ASSERT_FALSE(request.ok()) << row.source;
    EXPECT_EQ(request.error().type, JsErrorType::kTypeError) << row.source;
    EXPECT_THAT(request.error().message, HasSubstr(row.error)) << row.source;
  }
}

// Fetch "fetch(input, init)" step 4: an aborted signal rejects with its
// reason, before anything is checked that needs the network.
TEST(ValidateFetchTest, AnAbortedSignalRejectsWithItsReason) {
  AbortController controller;
  controller.Abort();
  RequestInit init;
  init.signal = controller.signal();
  JsResult<Request> request =
      ValidateFetch(RequestInfo("http://b.test/"), init, std::nullopt,
                    Page("https://a.test/", true));
  ASSERT_FALSE(request.ok());
  EXPECT_EQ(request.error().type, JsErrorType::kAbortError);
}

// The fetch-retry explainer: retryAfterUnload "requires keepalive: true to be
// set on the same fetch() call ... If keepalive: false, setting
// retryAfterUnload: true will likely have no effect or be considered
// invalid". Our reading: invalid, a TypeError at the call (the promise is
// rejected at once; nothing is sent).
TEST(ValidateFetchTest, RetryAfterUnloadWithoutKeepaliveIsATypeErrorAtTheCall) {
  RetryOptionsInit retry;
  retry.max_attempts = 3;
  retry.retry_after_unload = true;
  const ClientContext client = Page("https://a.test/", true);
  JsResult<Request> without =
      ValidateFetch(RequestInfo("/b"), {}, retry, client);
  ASSERT_FALSE(without.ok());
  EXPECT_EQ(without.error().type, JsErrorType::kTypeError);
  EXPECT_EQ(without.error().message,
            "fetch: retryOptions.retryAfterUnload requires keepalive: true");
  RequestInit keepalive;
  keepalive.keepalive = true;
  EXPECT_TRUE(ValidateFetch(RequestInfo("/b"), keepalive, retry, client).ok());
  // Without retryAfterUnload, retryOptions need no keepalive.
  retry.retry_after_unload = false;
  EXPECT_TRUE(ValidateFetch(RequestInfo("/b"), {}, retry, client).ok());
}

TEST(ValidateFetchTest, StreamsAndBodies) {
  const ClientContext client = Page("https://a.test/", true);
  RequestInit stream;
  stream.method = "POST";
  stream.body = BodyInit::Stream();
  stream.duplex = "half";
  JsResult<Request> streamed =
      ValidateFetch(RequestInfo("/s"), stream, std::nullopt, client);
  ASSERT_FALSE(streamed.ok());
  EXPECT_THAT(streamed.error().message, HasSubstr("ReadableStream"));
  // The Request constructor refuses a stream with keepalive first.
  stream.keepalive = true;
  EXPECT_FALSE(
      ValidateFetch(RequestInfo("/s"), stream, std::nullopt, client).ok());
  // Any size of body with a length is the browser's to send (no quota).
  RequestInit big;
  big.method = "POST";
  big.body = BodyInit::String(std::string(100'000, 'x'));
  JsResult<Request> request =
      ValidateFetch(RequestInfo("/big"), big, std::nullopt, client);
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(request->body_length(), 100'000u);
}

}  // namespace
}  // namespace fetch_later::renderer
