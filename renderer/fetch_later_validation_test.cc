// Tests for fetchLater() method steps 1-9 (renderer/fetch_later.h
// ValidateFetchLater) and FetchLaterResult: the WPT argument tables and the
// order of the checks.

#include <atomic>
#include <cmath>
#include <limits>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/url.h"
#include "renderer/abort_signal.h"
#include "renderer/body.h"
#include "renderer/fetch_later.h"
#include "renderer/js_error.h"
#include "renderer/request.h"

namespace fetch_later::renderer {
namespace {

using ::testing::HasSubstr;

ClientContext Client() {
  return ClientContext::ForDocument(
      *net::Url::Parse("https://a.test/fetch-later/basic.https.window.html"));
}

// The messages that tell the steps apart.
constexpr char kParseFailure[] = "Failed to parse URL";
constexpr char kStep5[] = "activateAfter";
constexpr char kStep6[] = "not fully active";
constexpr char kStep7[] = "scheme must be http or https";
constexpr char kStep8[] = "potentially trustworthy";
constexpr char kStep9[] = "ReadableStream";

// WPT fetch/fetch-later/basic.https.window.js (SPEC-NOTES 2.2, A-1).
TEST(FetchLaterValidationTest, WptBasicNoArguments) {
  JsResult<ValidatedFetchLater> result =
      ValidateFetchLater(std::nullopt, {}, Client());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type, JsErrorType::kTypeError);
  EXPECT_THAT(result.error().message, HasSubstr("1 argument required"));
}

TEST(FetchLaterValidationTest, WptBasicUrlTable) {
  struct Case {
    const char* source;
    const char* url;
    const char* error;  // nullptr: accepted; else a TypeError with this text
  };
  const Case kCases[] = {
      {"WPT A-1: relative '/'", "/", nullptr},
      {"WPT A-1: http://localhost", "http://localhost", nullptr},
      {"WPT A-1: https://localhost", "https://localhost", nullptr},
      {"WPT A-1: http://127.0.0.1", "http://127.0.0.1", nullptr},
      {"WPT A-1: https://127.0.0.1", "https://127.0.0.1", nullptr},
      {"WPT A-1: http://[::1]", "http://[::1]", nullptr},
      {"WPT A-1: https://[::1]", "https://[::1]", nullptr},
      {"WPT A-1: https://example.com", "https://example.com", nullptr},
      {"WPT A-1: http://example.com is not potentially trustworthy",
       "http://example.com", kStep8},
      {"WPT A-1: file://tmp", "file://tmp", kStep7},
      // "ftp://" and "wss://" are special URLs with an empty host: the URL
      // parser rejects them, so the Request constructor throws (step 1).
      {"WPT A-1: ftp://", "ftp://", kParseFailure},
      {"WPT A-1: ssh://", "ssh://", kStep7},
      {"WPT A-1: wss://", "wss://", kParseFailure},
      {"WPT A-1: about:blank", "about:blank", kStep7},
      {"WPT A-1: javascript:", "javascript:", kStep7},
      {"WPT A-1: data:", "data:", kStep7},
      {"WPT A-1: blob:https://example.com/uuid",
       "blob:https://example.com/uuid", kStep7},
      {"SPEC-NOTES 1.13 step 8: *.localhost is trustworthy",
       "http://a.localhost/", nullptr},
      {"SPEC-NOTES 1.17: bad ports are accepted (blocked at fetch time)",
       "https://a.test:21/", nullptr},
      {"SPEC-NOTES 1.17: credentials", "https://user@a.test/", "credentials"},
      {"wss with a host is not HTTP(S)", "wss://a.test/", kStep7},
      {"ftp with a host is not HTTP(S)", "ftp://a.test/", kStep7},
  };
  for (const Case& c : kCases) {
    DeferredRequestInit init;
    init.activate_after = 0;
    JsResult<ValidatedFetchLater> result =
        ValidateFetchLater(RequestInfo(c.url), init, Client());
    if (c.error == nullptr) {
      ASSERT_TRUE(result.ok()) << c.source << ": " << result.error().message;
      EXPECT_EQ(result->activate_after_ms, std::optional<double>(0));
      // A new FetchLaterResult starts with activated false.
      auto flag = std::make_shared<std::atomic<bool>>(false);
      FetchLaterResult fetch_later_result(flag);
      EXPECT_FALSE(fetch_later_result.activated()) << c.source;
    } else {
      ASSERT_FALSE(result.ok()) << c.source;
      EXPECT_EQ(result.error().type, JsErrorType::kTypeError) << c.source;
      EXPECT_THAT(result.error().message, HasSubstr(c.error)) << c.source;
    }
  }
}

TEST(FetchLaterValidationTest, WptBasicActivateAfterNegative) {
  DeferredRequestInit init;
  init.activate_after = -1;
  JsResult<ValidatedFetchLater> result =
      ValidateFetchLater(RequestInfo("/"), init, Client());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type, JsErrorType::kRangeError);
  EXPECT_EQ(result.error().name(), "RangeError");
  EXPECT_FALSE(result.error().is_dom_exception());
}

TEST(FetchLaterValidationTest, ActivateAfterValues) {
  struct Case {
    const char* source;
    double activate_after;
    std::optional<JsErrorType> error;
  };
  const Case kCases[] = {
      {"Fetch step 5: 0 is allowed", 0, std::nullopt},
      {"Fetch step 5: -0 is not less than 0", -0.0, std::nullopt},
      {"Fetch step 5: large values", 1e12, std::nullopt},
      {"Fetch step 5: fractional ms", 0.5, std::nullopt},
      {"Fetch step 5: -0.001", -0.001, JsErrorType::kRangeError},
      {"WebIDL: DOMHighResTimeStamp is a restricted double (NaN)", std::nan(""),
       JsErrorType::kTypeError},
      {"WebIDL: restricted double (Infinity)",
       std::numeric_limits<double>::infinity(), JsErrorType::kTypeError},
      {"WebIDL: restricted double (-Infinity)",
       -std::numeric_limits<double>::infinity(), JsErrorType::kTypeError},
  };
  for (const Case& c : kCases) {
    DeferredRequestInit init;
    init.activate_after = c.activate_after;
    JsResult<ValidatedFetchLater> result =
        ValidateFetchLater(RequestInfo("/"), init, Client());
    if (!c.error.has_value()) {
      ASSERT_TRUE(result.ok()) << c.source;
      EXPECT_EQ(result->activate_after_ms,
                std::optional<double>(c.activate_after));
    } else {
      ASSERT_FALSE(result.ok()) << c.source;
      EXPECT_EQ(result.error().type, *c.error) << c.source;
    }
  }
  // Absent: null.
  JsResult<ValidatedFetchLater> result =
      ValidateFetchLater(RequestInfo("/"), {}, Client());
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->activate_after_ms, std::nullopt);
}

TEST(FetchLaterValidationTest, WptBasicAlreadyAbortedSignal) {
  AbortController controller;
  controller.Abort();
  DeferredRequestInit init;
  init.signal = controller.signal();
  JsResult<ValidatedFetchLater> result =
      ValidateFetchLater(RequestInfo("/"), init, Client());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type, JsErrorType::kAbortError);
  EXPECT_EQ(result.error().name(), "AbortError");
  EXPECT_TRUE(result.error().is_dom_exception());
}

TEST(FetchLaterValidationTest, AbortReasonIsThrownAsIs) {
  AbortController controller;
  controller.Abort(MakeTypeError("custom reason"));
  DeferredRequestInit init;
  init.signal = controller.signal();
  JsResult<ValidatedFetchLater> result =
      ValidateFetchLater(RequestInfo("/"), init, Client());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error(), MakeTypeError("custom reason"));
}

// WPT A-1 "abort after queue": aborting after fetchLater() returned does not
// throw, runs the abort step the browser added (step 15) and leaves
// `activated` false.
TEST(FetchLaterValidationTest, WptBasicAbortAfterQueue) {
  AbortController controller;
  DeferredRequestInit init;
  init.signal = controller.signal();
  JsResult<ValidatedFetchLater> result =
      ValidateFetchLater(RequestInfo("/"), init, Client());
  ASSERT_TRUE(result.ok());
  auto activated = std::make_shared<std::atomic<bool>>(false);
  FetchLaterResult fetch_later_result(activated);
  bool record_aborted = false;
  result->request.signal()->AddAlgorithm([&] { record_aborted = true; });
  controller.Abort();
  EXPECT_TRUE(record_aborted);
  EXPECT_FALSE(fetch_later_result.activated());
}

// Fetch step 14: the IPC layer sets the flag when the deferred fetch is sent;
// the getter reads it.
TEST(FetchLaterResultTest, ActivatedReadsTheSharedFlag) {
  auto activated = std::make_shared<std::atomic<bool>>(false);
  FetchLaterResult result(activated);
  EXPECT_FALSE(result.activated());
  activated->store(true);
  EXPECT_TRUE(result.activated());
}

// fetchLater() method steps run in spec order; the first failing check wins.
TEST(FetchLaterValidationTest, StepOrder) {
  struct Case {
    const char* source;
    const char* url;
    bool aborted;
    std::optional<double> activate_after;
    bool fully_active;
    bool stream_body;
    const char* method;  // nullptr: default
    JsErrorType type;
    const char* message;
  };
  const Case kCases[] = {
      {"step 1 before step 2: bad URL and aborted signal",
       "https://a.test:99999/", true, -1, false, false, nullptr,
       JsErrorType::kTypeError, kParseFailure},
      {"step 1 before step 2: forbidden method and aborted signal", "/", true,
       -1, false, false, "TRACE", JsErrorType::kTypeError, "unsupported"},
      {"step 2 before step 5: aborted signal and activateAfter -1", "/", true,
       -1, true, false, nullptr, JsErrorType::kAbortError, "without reason"},
      {"step 2 before step 6: aborted signal, not fully active", "/", true,
       std::nullopt, false, false, nullptr, JsErrorType::kAbortError,
       "without reason"},
      {"step 5 before step 6: activateAfter -1, not fully active", "/", false,
       -1, false, false, nullptr, JsErrorType::kRangeError, kStep5},
      {"step 6 before step 7: not fully active and data:", "data:,x", false,
       std::nullopt, false, false, nullptr, JsErrorType::kTypeError, kStep6},
      {"step 6 before step 8: not fully active and http://example.com",
       "http://example.com/", false, std::nullopt, false, false, nullptr,
       JsErrorType::kTypeError, kStep6},
      {"step 7 before step 9: blob: URL and stream body",
       "blob:https://a.test/uuid", false, std::nullopt, true, true, "POST",
       JsErrorType::kTypeError, kStep7},
      {"step 8 before step 9: http://example.com and stream body",
       "http://example.com/", false, std::nullopt, true, true, "POST",
       JsErrorType::kTypeError, kStep8},
      {"step 9: stream body", "/", false, std::nullopt, true, true, "POST",
       JsErrorType::kTypeError, kStep9},
      {"step 9 with activateAfter: stream body", "/", false, 100, true, true,
       "POST", JsErrorType::kTypeError, kStep9},
  };
  for (const Case& c : kCases) {
    ClientContext client = Client();
    client.fully_active = c.fully_active;
    AbortController controller;
    if (c.aborted)
      controller.Abort();
    DeferredRequestInit init;
    init.signal = controller.signal();
    init.activate_after = c.activate_after;
    if (c.method != nullptr)
      init.method = c.method;
    if (c.stream_body) {
      init.body = BodyInit::Stream();
      init.duplex = "half";
    }
    JsResult<ValidatedFetchLater> result =
        ValidateFetchLater(RequestInfo(c.url), init, client);
    ASSERT_FALSE(result.ok()) << c.source;
    EXPECT_EQ(result.error().type, c.type)
        << c.source << ": " << result.error().message;
    EXPECT_THAT(result.error().message, HasSubstr(c.message)) << c.source;
  }
}

TEST(FetchLaterValidationTest, BindingConversionComesFirst) {
  // Missing input wins over everything in init.
  {
    DeferredRequestInit init;
    init.activate_after = std::nan("");
    init.mode = "bogus";
    JsResult<ValidatedFetchLater> result =
        ValidateFetchLater(std::nullopt, init, Client());
    ASSERT_FALSE(result.ok());
    EXPECT_THAT(result.error().message, HasSubstr("1 argument required"));
  }
  // RequestInit members convert before DeferredRequestInit's activateAfter.
  {
    DeferredRequestInit init;
    init.activate_after = std::nan("");
    init.referrer_policy = "bogus";
    JsResult<ValidatedFetchLater> result =
        ValidateFetchLater(RequestInfo("/"), init, Client());
    ASSERT_FALSE(result.ok());
    EXPECT_THAT(result.error().message, HasSubstr("ReferrerPolicy"));
  }
  // A non-finite activateAfter fails before the URL is parsed (step 1).
  {
    DeferredRequestInit init;
    init.activate_after = std::nan("");
    JsResult<ValidatedFetchLater> result = ValidateFetchLater(
        RequestInfo("https://a.test:99999/"), init, Client());
    ASSERT_FALSE(result.ok());
    EXPECT_THAT(result.error().message, HasSubstr("non-finite"));
  }
}

// Step 1: the Request constructor's TypeErrors surface unchanged.
TEST(FetchLaterValidationTest, RequestConstructorErrors) {
  struct Case {
    const char* source;
    void (*set)(DeferredRequestInit&);
    const char* message;
  };
  const Case kCases[] = {
      {"forbidden method", [](DeferredRequestInit& i) { i.method = "CONNECT"; },
       "unsupported"},
      {"invalid method", [](DeferredRequestInit& i) { i.method = "a b"; },
       "not a valid HTTP method"},
      {"GET with body",
       [](DeferredRequestInit& i) { i.body = BodyInit::String("x"); },
       "GET/HEAD"},
      {"ReadableStream with keepalive",
       [](DeferredRequestInit& i) {
         i.method = "POST";
         i.body = BodyInit::Stream();
         i.duplex = "half";
         i.keepalive = true;
       },
       "Keepalive"},
      {"locked ReadableStream",
       [](DeferredRequestInit& i) {
         i.method = "POST";
         i.body = BodyInit::Stream(/*disturbed_or_locked=*/true);
         i.duplex = "half";
       },
       "disturbed or locked"},
      {"invalid header name",
       [](DeferredRequestInit& i) {
         i.headers = HeaderList{{"a b", "c"}};
       },
       "Invalid name"},
      {"unparsable referrer",
       [](DeferredRequestInit& i) { i.referrer = "http://[x"; },
       "not a valid URL"},
  };
  for (const Case& c : kCases) {
    DeferredRequestInit init;
    c.set(init);
    JsResult<ValidatedFetchLater> result =
        ValidateFetchLater(RequestInfo("/"), init, Client());
    ASSERT_FALSE(result.ok()) << c.source;
    EXPECT_EQ(result.error().type, JsErrorType::kTypeError) << c.source;
    EXPECT_THAT(result.error().message, HasSubstr(c.message)) << c.source;
  }
}

// WPT G-24 quota/small-payload: a 20-byte body of each of the 6 types passes
// steps 1-9, and the request carries what the browser will count.
TEST(FetchLaterValidationTest, WptSmallPayloadEveryBodyType) {
  const std::string payload(20, '*');
  BodyInit form_data =
      BodyInit::FormData({FormDataEntry::String("payload", payload)});
  form_data.boundary_for_testing = "B";
  struct Case {
    const char* source;
    BodyInit body;
    uint64_t body_length;
    uint64_t header_bytes;
  };
  const Case kCases[] = {
      {"String", BodyInit::String(payload), 20, 36},
      {"ArrayBuffer", BodyInit::Bytes(payload), 20, 0},
      {"Blob", BodyInit::Blob(payload), 20, 0},
      {"File", BodyInit::File(payload, "f.txt"), 20, 0},
      {"URLSearchParams", BodyInit::UrlSearchParams({{"payload", payload}}), 28,
       12 + 47},
      {"FormData", form_data,
       std::string("--B\r\nContent-Disposition: form-data; name=\"payload\""
                   "\r\n\r\n")
               .size() +
           20 + 2 + 7,
       12 + 31},
  };
  const std::string url = "https://a.test/fetch-later/resources/set_beacon.py";
  for (const Case& c : kCases) {
    DeferredRequestInit init;
    init.method = "POST";
    init.body = c.body;
    init.referrer = "";
    init.activate_after = 0;
    JsResult<ValidatedFetchLater> result =
        ValidateFetchLater(RequestInfo(url), init, Client());
    ASSERT_TRUE(result.ok()) << c.source << ": " << result.error().message;
    EXPECT_EQ(result->request.body_length(),
              std::optional<uint64_t>(c.body_length))
        << c.source;
    EXPECT_EQ(TotalRequestLength(result->request),
              url.size() + c.header_bytes + c.body_length)
        << c.source;
  }
}

}  // namespace
}  // namespace fetch_later::renderer
