// Tests for the Request object model (renderer/request.h): the Request
// constructor (methods, URLs, enums, bodies and the headers they add, no-cors,
// Request input), referrers, "total request length" and the Request's signal.

#include "renderer/request.h"

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/referrer.h"
#include "net/url.h"
#include "renderer/abort_signal.h"
#include "renderer/body.h"
#include "renderer/headers.h"
#include "renderer/js_error.h"

namespace fetch_later::renderer {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

constexpr char kDocumentUrl[] = "https://a.test/page?x#frag";

net::Url MustParse(const std::string& input) {
  absl::StatusOr<net::Url> url = net::Url::Parse(input);
  EXPECT_TRUE(url.ok()) << input << ": " << url.status();
  return url.ok() ? *std::move(url) : *net::Url::Parse("invalid:parse-failed");
}

ClientContext Client() {
  return ClientContext::ForDocument(MustParse(kDocumentUrl));
}

// Constructs a Request that must succeed.
Request MustConstruct(const RequestInfo& input, const RequestInit& init) {
  JsResult<Request> request = ConstructRequest(input, init, Client());
  EXPECT_TRUE(request.ok()) << request.error().message;
  if (!request.ok())
    return *ConstructRequest("/", {}, Client());
  return std::move(request).value();
}

RequestInit Post(BodyInit body) {
  RequestInit init;
  init.method = "POST";
  init.body = std::move(body);
  return init;
}

// ---------------------------------------------------------------------------
// Methods.

TEST(RequestTest, MethodTable) {
  struct Case {
    const char* source;
    const char* method;
    const char* normalized;  // nullptr: TypeError
  };
  const Case kCases[] = {
      {"Fetch: normalize", "post", "POST"},
      {"Fetch: normalize", "DeLeTe", "DELETE"},
      {"Fetch: normalize", "get", "GET"},
      {"Fetch: normalize", "head", "HEAD"},
      {"Fetch: normalize", "options", "OPTIONS"},
      {"Fetch: normalize", "Put", "PUT"},
      {"Fetch: PATCH is not normalized", "patch", "patch"},
      {"Fetch: any token", "CHICKEN", "CHICKEN"},
      {"Fetch: forbidden method", "CONNECT", nullptr},
      {"Fetch: forbidden method, any case", "trace", nullptr},
      {"Fetch: forbidden method, any case", "TrAcK", nullptr},
      {"Fetch: not a token (empty)", "", nullptr},
      {"Fetch: not a token (space)", "GET POST", nullptr},
      {"Fetch: not a token (non-ASCII)", "G\xC3\x89T", nullptr},
  };
  for (const Case& c : kCases) {
    RequestInit init;
    init.method = c.method;
    JsResult<Request> request = ConstructRequest("/", init, Client());
    if (c.normalized == nullptr) {
      ASSERT_FALSE(request.ok()) << c.source << ": " << c.method;
      EXPECT_EQ(request.error().type, JsErrorType::kTypeError);
    } else {
      ASSERT_TRUE(request.ok()) << c.source << ": " << c.method;
      EXPECT_EQ(request->method(), c.normalized) << c.source;
    }
  }
}

TEST(RequestTest, DefaultsForAUrlString) {
  Request request = MustConstruct("/beacon", {});
  EXPECT_EQ(request.method(), "GET");
  EXPECT_EQ(request.url().Serialize(), "https://a.test/beacon");
  EXPECT_TRUE(request.header_list().empty());
  EXPECT_FALSE(request.body().has_value());
  EXPECT_EQ(request.body_length(), std::optional<uint64_t>(0));
  EXPECT_EQ(request.referrer().kind, RequestReferrer::Kind::kClient);
  EXPECT_EQ(request.referrer().ToString(), "about:client");
  EXPECT_EQ(request.referrer_policy(), net::ReferrerPolicy::kEmpty);
  EXPECT_EQ(request.mode(), RequestMode::kCors);
  EXPECT_EQ(request.credentials(), CredentialsMode::kSameOrigin);
  EXPECT_FALSE(request.keepalive());
  ASSERT_NE(request.signal(), nullptr);
  EXPECT_FALSE(request.signal()->aborted());
}

TEST(RequestTest, UrlErrors) {
  struct Case {
    const char* source;
    const char* url;
    const char* message;
  };
  const Case kCases[] = {
      {"Fetch Request ctor step 5.2: parse failure", "https://a.test:99999/",
       "Failed to parse URL"},
      {"Fetch Request ctor step 5.2: parse failure", "http://[::1/",
       "Failed to parse URL"},
      {"Fetch Request ctor step 5.3: credentials", "https://user:pass@a.test/",
       "credentials"},
      {"Fetch Request ctor step 5.3: username only", "https://user@a.test/",
       "credentials"},
  };
  for (const Case& c : kCases) {
    JsResult<Request> request = ConstructRequest(c.url, {}, Client());
    ASSERT_FALSE(request.ok()) << c.source;
    EXPECT_EQ(request.error().type, JsErrorType::kTypeError) << c.source;
    EXPECT_THAT(request.error().message, HasSubstr(c.message)) << c.source;
  }
}

TEST(RequestTest, EnumConversionErrors) {
  struct Case {
    const char* source;
    void (*set)(RequestInit&);
    const char* type;
  };
  const Case kCases[] = {
      {"WebIDL enum RequestMode", [](RequestInit& i) { i.mode = "CORS"; },
       "RequestMode"},
      {"WebIDL enum RequestCredentials",
       [](RequestInit& i) { i.credentials = "always"; }, "RequestCredentials"},
      {"WebIDL enum ReferrerPolicy",
       [](RequestInit& i) { i.referrer_policy = "no-referer"; },
       "ReferrerPolicy"},
      {"WebIDL enum RequestPriority",
       [](RequestInit& i) { i.priority = "urgent"; }, "RequestPriority"},
      {"WebIDL enum RequestDuplex", [](RequestInit& i) { i.duplex = "full"; },
       "RequestDuplex"},
      {"WebIDL enum RequestCache",
       [](RequestInit& i) { i.cache = "only-if-stale"; }, "RequestCache"},
      {"WebIDL enum RequestRedirect",
       [](RequestInit& i) { i.redirect = "Follow"; }, "RequestRedirect"},
  };
  for (const Case& c : kCases) {
    RequestInit init;
    c.set(init);
    JsResult<Request> request = ConstructRequest("/", init, Client());
    ASSERT_FALSE(request.ok()) << c.source;
    EXPECT_EQ(request.error().type, JsErrorType::kTypeError);
    EXPECT_THAT(request.error().message, HasSubstr(c.type)) << c.source;
  }
  // Conversion happens before the steps: an unparsable URL loses to it.
  RequestInit init;
  init.mode = "bogus";
  JsResult<Request> request =
      ConstructRequest("https://a.test:99999/", init, Client());
  ASSERT_FALSE(request.ok());
  EXPECT_THAT(request.error().message, HasSubstr("RequestMode"));
}

// WebIDL converts dictionary members in lexicographic order, so with several
// invalid enum members the first in that order names the error.
TEST(RequestTest, EnumMembersConvertInLexicographicOrder) {
  RequestInit init;
  init.cache = "x";
  init.credentials = "x";
  init.duplex = "x";
  init.mode = "x";
  init.priority = "x";
  init.redirect = "x";
  init.referrer_policy = "x";
  // After each row its member is cleared, so the next row's member is first.
  struct Row {
    std::optional<std::string> RequestInit::*member;
    const char* name;
  };
  const Row kOrder[] = {
      {&RequestInit::cache, "cache"},
      {&RequestInit::credentials, "credentials"},
      {&RequestInit::duplex, "duplex"},
      {&RequestInit::mode, "mode"},
      {&RequestInit::priority, "priority"},
      {&RequestInit::redirect, "redirect"},
      {&RequestInit::referrer_policy, "referrerPolicy"},
  };
  for (const Row& row : kOrder) {
    JsResult<Request> request = ConstructRequest("/", init, Client());
    ASSERT_FALSE(request.ok()) << row.name;
    EXPECT_THAT(request.error().message,
                HasSubstr(absl::StrCat("'", row.name, "'")));
    // The binding's check of the member alone throws the same error.
    JsStatus alone = CheckRequestInitEnumMember(row.name, "x");
    ASSERT_FALSE(alone.ok()) << row.name;
    EXPECT_EQ(alone.error().message, request.error().message);
    EXPECT_TRUE(CheckRequestInitEnumMember(row.name, "same-origin").ok() ==
                (std::string(row.name) == "credentials" ||
                 std::string(row.name) == "mode" ||
                 std::string(row.name) == "referrerPolicy"))
        << row.name;
    init.*row.member = std::nullopt;
  }
  EXPECT_TRUE(ConstructRequest("/", init, Client()).ok());
}

TEST(RequestTest, ModeNavigateThrows) {
  RequestInit init;
  init.mode = "navigate";
  JsResult<Request> request = ConstructRequest("/", init, Client());
  ASSERT_FALSE(request.ok());
  EXPECT_EQ(request.error().type, JsErrorType::kTypeError);
}

TEST(RequestTest, InitMembersAreCopied) {
  RequestInit init;
  init.mode = "same-origin";
  init.credentials = "include";
  init.keepalive = true;
  init.priority = "low";
  init.referrer_policy = "unsafe-url";
  Request request = MustConstruct("/", init);
  EXPECT_EQ(request.mode(), RequestMode::kSameOrigin);
  EXPECT_EQ(request.credentials(), CredentialsMode::kInclude);
  EXPECT_TRUE(request.keepalive());
  EXPECT_EQ(request.priority(), RequestPriority::kLow);
  EXPECT_EQ(request.referrer_policy(), net::ReferrerPolicy::kUnsafeUrl);
  // Defaults.
  EXPECT_EQ(request.cache(), CacheMode::kDefault);
  EXPECT_EQ(request.redirect(), RedirectMode::kFollow);
  EXPECT_EQ(request.integrity(), "");

  RequestInit more;
  more.cache = "no-store";
  more.redirect = "manual";
  more.integrity = "sha256-abc";
  Request with_more = MustConstruct("/", more);
  EXPECT_EQ(with_more.cache(), CacheMode::kNoStore);
  EXPECT_EQ(with_more.redirect(), RedirectMode::kManual);
  EXPECT_EQ(with_more.integrity(), "sha256-abc");
  EXPECT_EQ(with_more.mode(), RequestMode::kCors);
  // A Request as input keeps them unless init says otherwise.
  RequestInit error_redirect;
  error_redirect.redirect = "error";
  Request copied = MustConstruct(with_more, error_redirect);
  EXPECT_EQ(copied.cache(), CacheMode::kNoStore);
  EXPECT_EQ(copied.redirect(), RedirectMode::kError);
}

// Fetch Request ctor step 22: "only-if-cached" needs mode "same-origin",
// whether the cache mode and the mode come from `init` or from a Request
// given as input (SPEC-NOTES 2.4: Chromium agrees).
TEST(RequestTest, OnlyIfCachedNeedsSameOriginMode) {
  struct Row {
    const char* source;
    std::optional<std::string> mode;
    bool throws;
  };
  const Row kRows[] = {
      {"default mode (cors for a URL)", std::nullopt, true},
      {"cors", "cors", true},
      {"no-cors", "no-cors", true},
      {"same-origin", "same-origin", false},
  };
  for (const Row& row : kRows) {
    RequestInit init;
    init.cache = "only-if-cached";
    init.mode = row.mode;
    JsResult<Request> request = ConstructRequest("/", init, Client());
    EXPECT_EQ(!request.ok(), row.throws) << row.source;
    if (!request.ok()) {
      EXPECT_EQ(request.error().type, JsErrorType::kTypeError) << row.source;
      EXPECT_THAT(request.error().message, HasSubstr("only-if-cached"));
    }
  }
  RequestInit same_origin;
  same_origin.cache = "only-if-cached";
  same_origin.mode = "same-origin";
  Request cached = MustConstruct("/", same_origin);
  // From a Request: its cache mode stays, a new mode breaks the rule.
  RequestInit cors;
  cors.mode = "cors";
  EXPECT_FALSE(ConstructRequest(cached, cors, Client()).ok());
  RequestInit reset_cache;
  reset_cache.mode = "cors";
  reset_cache.cache = "default";
  EXPECT_TRUE(ConstructRequest(cached, reset_cache, Client()).ok());
}

// ---------------------------------------------------------------------------
// Bodies.

TEST(RequestTest, BodyWithGetOrHeadThrows) {
  struct Case {
    const char* source;
    const char* method;  // nullptr: default GET
    BodyInit body;
    bool ok;
  };
  const Case kCases[] = {
      {"Fetch Request ctor step 36: default GET with body", nullptr,
       BodyInit::String("x"), false},
      {"Fetch Request ctor step 36: get (normalized) with body", "get",
       BodyInit::String("x"), false},
      {"Fetch Request ctor step 36: HEAD with empty body", "HEAD",
       BodyInit::String(""), false},
      {"Fetch Request ctor step 36: HEAD with bytes", "head",
       BodyInit::Bytes("b"), false},
      {"WPT G-23: GET without body", "GET", BodyInit::None(), true},
      {"WPT G-23: DELETE without body", "DELETE", BodyInit::None(), true},
      {"WPT G-23: PUT without body", "PUT", BodyInit::None(), true},
      {"DELETE may have a body", "DELETE", BodyInit::String("x"), true},
  };
  for (const Case& c : kCases) {
    RequestInit init;
    if (c.method != nullptr)
      init.method = c.method;
    init.body = c.body;
    JsResult<Request> request = ConstructRequest("/", init, Client());
    EXPECT_EQ(request.ok(), c.ok) << c.source;
    if (!request.ok()) {
      EXPECT_EQ(request.error().type, JsErrorType::kTypeError) << c.source;
    }
  }
}

// Fetch: BodyInit "extract" and the Request constructor's Content-Type (SPEC-
// NOTES 1.5 and 1.17: constructor-added headers count).
TEST(RequestTest, BodyTypesExactHeadersAndBytes) {
  BodyInit form_data = BodyInit::FormData(
      {FormDataEntry::String("a", "b"),
       FormDataEntry::File("f", "hello", "x.txt", "text/plain")});
  form_data.boundary_for_testing = "BOUNDARY";
  const std::string kMultipart =
      "--BOUNDARY\r\n"
      "Content-Disposition: form-data; name=\"a\"\r\n"
      "\r\n"
      "b\r\n"
      "--BOUNDARY\r\n"
      "Content-Disposition: form-data; name=\"f\"; filename=\"x.txt\"\r\n"
      "Content-Type: text/plain\r\n"
      "\r\n"
      "hello\r\n"
      "--BOUNDARY--\r\n";

  struct Case {
    const char* source;
    BodyInit body;
    HeaderList headers;
    std::string bytes;
    uint64_t header_bytes;
  };
  const Case kCases[] = {
      {"Fetch extract: scalar value string",
       BodyInit::String("hello"),
       {{"Content-Type", "text/plain;charset=UTF-8"}},
       "hello",
       36},
      {"Fetch extract: string is UTF-8 encoded",
       BodyInit::String("caf\xC3\xA9"),
       {{"Content-Type", "text/plain;charset=UTF-8"}},
       "caf\xC3\xA9",
       36},
      {"Fetch extract: BufferSource has no type",
       BodyInit::Bytes(std::string("\0\1\2", 3)),
       {},
       std::string("\0\1\2", 3),
       0},
      {"Fetch extract: Blob type",
       BodyInit::Blob("{}", "application/json"),
       {{"Content-Type", "application/json"}},
       "{}",
       12 + 16},
      {"File API: Blob type is lower-cased",
       BodyInit::Blob("{}", "Application/JSON"),
       {{"Content-Type", "application/json"}},
       "{}",
       12 + 16},
      {"File API: Blob type with a non-printable byte becomes empty",
       BodyInit::Blob("{}", "text/\x01plain"),
       {},
       "{}",
       0},
      {"Fetch extract: Blob with an empty type adds no header",
       BodyInit::Blob("xyz"),
       {},
       "xyz",
       0},
      {"Fetch extract: File is a Blob",
       BodyInit::File("abc", "a.txt", "text/csv"),
       {{"Content-Type", "text/csv"}},
       "abc",
       12 + 8},
      {"Fetch extract: FormData",
       form_data,
       {{"Content-Type", "multipart/form-data; boundary=BOUNDARY"}},
       kMultipart,
       12 + 38},
      {"Fetch extract: URLSearchParams",
       BodyInit::UrlSearchParams({{"a", "b"}, {"c", "d e"}}),
       {{"Content-Type", "application/x-www-form-urlencoded;charset=UTF-8"}},
       "a=b&c=d+e",
       12 + 47},
  };
  for (const Case& c : kCases) {
    Request request = MustConstruct("/", Post(c.body));
    EXPECT_EQ(request.header_list(), c.headers) << c.source;
    EXPECT_EQ(request.body_bytes(), c.bytes) << c.source;
    EXPECT_EQ(request.body_length(), std::optional<uint64_t>(c.bytes.size()))
        << c.source;
    uint64_t header_bytes = 0;
    for (const auto& [name, value] : request.header_list())
      header_bytes += name.size() + value.size();
    EXPECT_EQ(header_bytes, c.header_bytes) << c.source;
    EXPECT_EQ(
        TotalRequestLength(request),
        std::string("https://a.test/").size() + c.header_bytes + c.bytes.size())
        << c.source;
  }
}

TEST(RequestTest, FormDataWithRandomBoundary) {
  Request request = MustConstruct(
      "/", Post(BodyInit::FormData({FormDataEntry::String("k", "v")})));
  ASSERT_EQ(request.header_list().size(), 1u);
  const std::string& type = request.header_list()[0].second;
  const std::string prefix = "multipart/form-data; boundary=";
  ASSERT_EQ(type.substr(0, prefix.size()), prefix);
  const std::string boundary = type.substr(prefix.size());
  // Chromium's and WebKit's shape: "----WebKitFormBoundary" and 16
  // alphanumerics (38 bytes).
  EXPECT_EQ(boundary.size(), 38u) << boundary;
  EXPECT_EQ(boundary.substr(0, 22), "----WebKitFormBoundary");
  for (char c : boundary.substr(22))
    EXPECT_TRUE(absl::ascii_isalnum(static_cast<unsigned char>(c))) << boundary;
  EXPECT_EQ(
      request.body_bytes(),
      "--" + boundary +
          "\r\nContent-Disposition: form-data; name=\"k\"\r\n\r\nv\r\n--" +
          boundary + "--\r\n");
  // Two FormData bodies get different boundaries.
  EXPECT_NE(GenerateMultipartBoundary(), GenerateMultipartBoundary());
}

TEST(RequestTest, AuthorContentTypeIsNotOverwritten) {
  RequestInit init = Post(BodyInit::String("{}"));
  init.headers = HeaderList{{"content-type", "application/json"}};
  Request request = MustConstruct("/", init);
  EXPECT_THAT(request.header_list(),
              ElementsAre(Pair("content-type", "application/json")));
  EXPECT_EQ(TotalRequestLength(request), 15u + 12 + 16 + 2);
}

TEST(RequestTest, HeadersFromInitKeepOrderAndDropForbidden) {
  RequestInit init = Post(BodyInit::String("x"));
  init.headers = HeaderList{{"X-B", " 2 "}, {"Cookie", "a=b"}, {"X-A", "1"}};
  Request request = MustConstruct("/", init);
  EXPECT_THAT(request.header_list(),
              ElementsAre(Pair("X-B", "2"), Pair("X-A", "1"),
                          Pair("Content-Type", "text/plain;charset=UTF-8")));
  // An invalid header in init is a TypeError from the constructor.
  init.headers = HeaderList{{"bad name", "x"}};
  JsResult<Request> bad = ConstructRequest("/", init, Client());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().type, JsErrorType::kTypeError);
}

// WPT G-23 quota/empty-payload and SPEC-NOTES 2.3/2.4: empty bodies of every
// type are accepted.
TEST(RequestTest, EmptyBodiesAreAccepted) {
  BodyInit form_data = BodyInit::FormData({});
  form_data.boundary_for_testing = "B";
  struct Case {
    const char* source;
    BodyInit body;
    uint64_t length;
  };
  const Case kCases[] = {
      {"String", BodyInit::String(""), 0},
      {"ArrayBuffer", BodyInit::Bytes(""), 0},
      {"Blob", BodyInit::Blob(""), 0},
      {"File", BodyInit::File("", "empty.txt"), 0},
      {"URLSearchParams", BodyInit::UrlSearchParams({}), 0},
      {"FormData serialises to non-empty multipart", form_data, 7},
  };
  for (const Case& c : kCases) {
    Request request = MustConstruct("/", Post(c.body));
    ASSERT_TRUE(request.body().has_value()) << c.source;
    EXPECT_EQ(request.body_length(), std::optional<uint64_t>(c.length))
        << c.source;
  }
}

TEST(RequestTest, StreamBodies) {
  // Fetch extract: ReadableStream with keepalive.
  {
    RequestInit init = Post(BodyInit::Stream());
    init.keepalive = true;
    init.duplex = "half";
    JsResult<Request> request = ConstructRequest("/", init, Client());
    ASSERT_FALSE(request.ok());
    EXPECT_EQ(request.error().type, JsErrorType::kTypeError);
    EXPECT_THAT(request.error().message, HasSubstr("Keepalive"));
  }
  // Fetch extract: a disturbed or locked stream.
  {
    RequestInit init = Post(BodyInit::Stream(/*disturbed_or_locked=*/true));
    init.duplex = "half";
    JsResult<Request> request = ConstructRequest("/", init, Client());
    ASSERT_FALSE(request.ok());
    EXPECT_THAT(request.error().message, HasSubstr("disturbed or locked"));
  }
  // Fetch Request ctor step 40.1: a stream needs `duplex`.
  {
    JsResult<Request> request =
        ConstructRequest("/", Post(BodyInit::Stream()), Client());
    ASSERT_FALSE(request.ok());
    EXPECT_THAT(request.error().message, HasSubstr("duplex"));
  }
  // Fetch Request ctor step 40.2: a stream needs mode same-origin or cors.
  {
    RequestInit init = Post(BodyInit::Stream());
    init.duplex = "half";
    init.mode = "no-cors";
    JsResult<Request> request = ConstructRequest("/", init, Client());
    ASSERT_FALSE(request.ok());
    EXPECT_EQ(request.error().type, JsErrorType::kTypeError);
  }
  // Accepted by the constructor: a body with a null length and no type.
  {
    RequestInit init = Post(BodyInit::Stream());
    init.duplex = "half";
    Request request = MustConstruct("/", init);
    ASSERT_TRUE(request.body().has_value());
    EXPECT_TRUE(request.body()->is_stream);
    EXPECT_EQ(request.body_length(), std::nullopt);
    EXPECT_TRUE(request.header_list().empty());
  }
}

TEST(RequestTest, NoCorsMode) {
  // Fetch Request ctor step 33: no-cors needs a CORS-safelisted method.
  {
    RequestInit init;
    init.mode = "no-cors";
    init.method = "PUT";
    JsResult<Request> request = ConstructRequest("/", init, Client());
    ASSERT_FALSE(request.ok());
    EXPECT_EQ(request.error().type, JsErrorType::kTypeError);
  }
  // Guard "request-no-cors" keeps only no-CORS-safelisted headers.
  {
    RequestInit init = Post(BodyInit::Blob("{}", "application/json"));
    init.mode = "no-cors";
    init.headers = HeaderList{{"Accept", "text/html"},
                              {"X-Custom", "1"},
                              {"Content-Language", "en-US"},
                              {"Range", "bytes=0-1"}};
    Request request = MustConstruct("/", init);
    EXPECT_EQ(request.mode(), RequestMode::kNoCors);
    EXPECT_EQ(request.headers().guard(), Headers::Guard::kRequestNoCors);
    // Content-Type application/json is not CORS-safelisted: dropped.
    EXPECT_THAT(request.header_list(),
                ElementsAre(Pair("Accept", "text/html"),
                            Pair("Content-Language", "en-US")));
  }
  // text/plain;charset=UTF-8 is safelisted.
  {
    RequestInit init = Post(BodyInit::String("x"));
    init.mode = "no-cors";
    Request request = MustConstruct("/", init);
    EXPECT_THAT(request.header_list(),
                ElementsAre(Pair("Content-Type", "text/plain;charset=UTF-8")));
  }
}

// The guard "request-no-cors" changes what "total request length" counts,
// byte for byte: the dropped headers count nothing.
TEST(RequestTest, NoCorsGuardChangesTheTotalRequestLength) {
  RequestInit cors = Post(BodyInit::String("12345"));
  cors.referrer = "";
  cors.headers = HeaderList{{"X-Trace", "1"}, {"Content-Language", "en"}};
  RequestInit no_cors = cors;
  no_cors.mode = "no-cors";
  const Request with_header = MustConstruct("https://b.test/beacon", cors);
  const Request without = MustConstruct("https://b.test/beacon", no_cors);
  const uint64_t base = std::string("https://b.test/beacon").size() +
                        std::string("Content-Language").size() + 2 +
                        std::string("Content-Type").size() +
                        std::string("text/plain;charset=UTF-8").size() + 5;
  EXPECT_EQ(TotalRequestLength(without), base);
  EXPECT_EQ(TotalRequestLength(with_header),
            base + std::string("X-Trace").size() + 1);
}

// ---------------------------------------------------------------------------
// Request as input.

// Fetch Request ctor step 42: a Request made from `input` without a body of
// its own takes `input`'s body through a proxy, which disturbs `input`'s
// stream; `input` is then unusable and a second Request from it throws
// (SPEC-NOTES 2.4: Chromium agrees).
TEST(RequestTest, ABodyTakenByAnEarlierRequestIsUsed) {
  Request original = MustConstruct("/beacon", Post(BodyInit::String("body")));
  EXPECT_FALSE(original.body_used());
  Request first = MustConstruct(original, {});
  EXPECT_TRUE(original.body_used());
  EXPECT_FALSE(first.body_used());
  EXPECT_EQ(first.body_bytes(), "body");

  JsResult<Request> second = ConstructRequest(original, {}, Client());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().type, JsErrorType::kTypeError);
  EXPECT_THAT(second.error().message, HasSubstr("already been used"));
  // A copy of the C++ value is the same JS object: it is used too.
  Request same_object = original;
  EXPECT_TRUE(same_object.body_used());
  EXPECT_FALSE(ConstructRequest(same_object, {}, Client()).ok());

  // With a body of its own in `init`, the input's body is not taken: no
  // proxy, no unusable check (step 42 needs initBody null).
  Request replaced = MustConstruct(original, Post(BodyInit::String("new")));
  EXPECT_EQ(replaced.body_bytes(), "new");

  // The first new Request's body is its own: it can give it once.
  EXPECT_TRUE(ConstructRequest(first, {}, Client()).ok());
  EXPECT_FALSE(ConstructRequest(first, {}, Client()).ok());

  // An earlier check that throws comes first and takes nothing (step 36).
  Request fresh = MustConstruct("/beacon", Post(BodyInit::String("b")));
  RequestInit get;
  get.method = "GET";
  EXPECT_FALSE(ConstructRequest(fresh, get, Client()).ok());
  EXPECT_FALSE(fresh.body_used());

  // A Request without a body can be used any number of times.
  Request bodiless = MustConstruct("/beacon", {});
  for (int i = 0; i < 3; ++i)
    EXPECT_TRUE(ConstructRequest(bodiless, {}, Client()).ok());
  EXPECT_FALSE(bodiless.body_used());
}

TEST(RequestTest, RequestInputKeepsItsFieldsUnlessInitIsGiven) {
  RequestInit first = Post(BodyInit::String("body"));
  first.referrer = "/ref";
  first.referrer_policy = "origin";
  first.headers = HeaderList{{"X-A", "1"}};
  // A Request whose body a new Request took cannot give it again (see
  // ABodyTakenByAnEarlierRequestIsUsed), so each case starts afresh.
  Request original = MustConstruct("/beacon", first);
  ASSERT_EQ(original.referrer().kind, RequestReferrer::Kind::kUrl);

  // Empty init: everything is copied, including the referrer and the body.
  Request copy = MustConstruct(MustConstruct("/beacon", first), {});
  EXPECT_EQ(copy.method(), "POST");
  EXPECT_EQ(copy.url().Serialize(), "https://a.test/beacon");
  EXPECT_EQ(copy.header_list(), original.header_list());
  EXPECT_EQ(copy.body_bytes(), "body");
  EXPECT_EQ(copy.referrer().ToString(), "https://a.test/ref");
  EXPECT_EQ(copy.referrer_policy(), net::ReferrerPolicy::kOrigin);
  EXPECT_EQ(copy.mode(), RequestMode::kCors);

  // A non-empty init resets the referrer and its policy (step 14).
  RequestInit second;
  second.keepalive = true;
  Request reset = MustConstruct(MustConstruct("/beacon", first), second);
  EXPECT_EQ(reset.referrer().kind, RequestReferrer::Kind::kClient);
  EXPECT_EQ(reset.referrer_policy(), net::ReferrerPolicy::kEmpty);
  EXPECT_EQ(reset.header_list(), original.header_list());
  EXPECT_EQ(reset.body_bytes(), "body");

  // Its body with a GET method: TypeError (step 36).
  RequestInit get;
  get.method = "GET";
  JsResult<Request> bad = ConstructRequest(original, get, Client());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().type, JsErrorType::kTypeError);
}

// ---------------------------------------------------------------------------
// Referrers.

TEST(RequestTest, ReferrerInit) {
  struct Case {
    const char* source;
    const char* referrer;  // nullptr: member absent
    RequestReferrer::Kind kind;
    const char* serialized;  // the Request `referrer` getter
    uint64_t counted;        // bytes in "total request length"
  };
  const Case kCases[] = {
      {"Fetch: default is client (not counted; SPEC-NOTES 2.4: Chromium "
       "counts 12)",
       nullptr, RequestReferrer::Kind::kClient, "about:client", 0},
      {"WPT quota tests: referrer '' is no-referrer", "",
       RequestReferrer::Kind::kNoReferrer, "", 0},
      {"Fetch step 15.3: same-origin relative referrer is a URL", "/ref",
       RequestReferrer::Kind::kUrl, "https://a.test/ref", 18},
      {"SPEC-NOTES 2.4: an explicit referrer's fragment is counted",
       "https://a.test/ref?q#f", RequestReferrer::Kind::kUrl,
       "https://a.test/ref?q#f", 22},
      {"Fetch step 15.3.3: cross-origin referrer becomes client",
       "https://b.test/ref", RequestReferrer::Kind::kClient, "about:client", 0},
      {"Fetch step 15.3.3: other scheme is cross-origin", "http://a.test/ref",
       RequestReferrer::Kind::kClient, "about:client", 0},
      {"Fetch step 15.3.3: about:client", "about:client",
       RequestReferrer::Kind::kClient, "about:client", 0},
  };
  for (const Case& c : kCases) {
    RequestInit init;
    if (c.referrer != nullptr)
      init.referrer = c.referrer;
    Request request = MustConstruct("/", init);
    EXPECT_EQ(request.referrer().kind, c.kind) << c.source;
    EXPECT_EQ(request.referrer().ToString(), c.serialized) << c.source;
    EXPECT_EQ(TotalRequestLength(request),
              std::string("https://a.test/").size() + c.counted)
        << c.source;
  }
  RequestInit init;
  init.referrer = "http://[bad";
  JsResult<Request> request = ConstructRequest("/", init, Client());
  ASSERT_FALSE(request.ok());
  EXPECT_EQ(request.error().type, JsErrorType::kTypeError);
}

// HTML: an about:blank document has its creator's origin, and its "fallback
// base URL" is its creator's base URL; the browser says both when it commits
// the document. So in an about:blank iframe of https://a.test/page, '/b'
// resolves to https://a.test/b, and a same-origin referrer stays a URL and is
// counted. The document's own URL gives no referrer ("strip url for use as a
// referrer": about is a local scheme).
TEST(RequestTest, AboutBlankDocumentUsesItsCreatorsBaseUrlAndOrigin) {
  ClientContext blank = ClientContext::ForDocument(MustParse("about:blank"));
  blank.base_url = MustParse("https://a.test/page");
  blank.origin = net::Origin::Create(MustParse("https://a.test/"));
  RequestInit init;
  init.referrer = "https://a.test/r";
  JsResult<Request> request = ConstructRequest("/b", init, blank);
  ASSERT_TRUE(request.ok()) << request.error().message;
  EXPECT_EQ(request->url().Serialize(), "https://a.test/b");
  EXPECT_EQ(request->referrer().kind, RequestReferrer::Kind::kUrl);
  EXPECT_EQ(TotalRequestLength(*request),
            std::string("https://a.test/b").size() +
                std::string("https://a.test/r").size());
  JsResult<Request> by_default = ConstructRequest("/b", {}, blank);
  ASSERT_TRUE(by_default.ok()) << by_default.error().message;
  EXPECT_EQ(by_default->referrer().kind, RequestReferrer::Kind::kClient);
  EXPECT_EQ(DetermineReferrerForRequest(*by_default, blank), std::nullopt);
  // Before the browser's origin and base URL were taken: a TypeError.
  EXPECT_FALSE(
      ConstructRequest("/b", {},
                       ClientContext::ForDocument(MustParse("about:blank")))
          .ok());
}

// HTML: a document nested in sandbox="allow-scripts" inherits the sandboxed
// origin browsing context flag, so its origin is opaque even though its URL is
// https://b.test/inner: a `referrer` naming its former origin is cross-origin
// and becomes "client", which counts 0 bytes.
TEST(RequestTest, ReferrerOfDocumentWithInheritedSandboxBecomesClient) {
  ClientContext sandboxed =
      ClientContext::ForDocument(MustParse("https://b.test/inner"));
  sandboxed.origin = net::Origin::CreateOpaque();
  RequestInit init;
  init.referrer = "https://b.test/r";
  JsResult<Request> request =
      ConstructRequest("https://c.test/beacon", init, sandboxed);
  ASSERT_TRUE(request.ok()) << request.error().message;
  EXPECT_EQ(request->referrer().kind, RequestReferrer::Kind::kClient);
  EXPECT_EQ(TotalRequestLength(*request),
            std::string("https://c.test/beacon").size());
}

TEST(RequestTest, DetermineReferrerForRequest) {
  struct Case {
    const char* source;
    const char* url;
    const char* referrer;         // nullptr: absent
    const char* referrer_policy;  // nullptr: absent
    const char* expected;         // "" = no referrer
  };
  const Case kCases[] = {
      {"default policy, same-origin target", "/beacon", nullptr, nullptr,
       "https://a.test/page?x"},
      {"default policy, cross-origin target", "https://b.test/beacon", nullptr,
       nullptr, "https://a.test/"},
      {"referrer ''", "/beacon", "", "unsafe-url", ""},
      {"explicit referrer, fragment stripped when sent", "/beacon", "/ref#frag",
       nullptr, "https://a.test/ref"},
      {"WPT F-19 same-origin policy, cross-origin target",
       "https://b.test/beacon", nullptr, "same-origin", ""},
      {"WPT F-22 unsafe-url", "https://b.test/beacon", nullptr, "unsafe-url",
       "https://a.test/page?x"},
  };
  for (const Case& c : kCases) {
    RequestInit init;
    if (c.referrer != nullptr)
      init.referrer = c.referrer;
    if (c.referrer_policy != nullptr)
      init.referrer_policy = c.referrer_policy;
    Request request = MustConstruct(c.url, init);
    std::optional<net::Url> referrer =
        DetermineReferrerForRequest(request, Client());
    EXPECT_EQ(referrer.has_value() ? referrer->Serialize() : "", c.expected)
        << c.source;
  }
  // The client's policy applies when the request's is empty.
  ClientContext client = Client();
  client.referrer_policy = net::ReferrerPolicy::kNoReferrer;
  Request request = MustConstruct("/beacon", {});
  EXPECT_EQ(DetermineReferrerForRequest(request, client), std::nullopt);
  // An opaque client origin sends no referrer.
  ClientContext opaque = Client();
  opaque.origin = net::Origin::CreateOpaque();
  EXPECT_EQ(DetermineReferrerForRequest(request, opaque), std::nullopt);
}

// ---------------------------------------------------------------------------
// Total request length.

// WPT G-25 quota/max-payload.https.window.js (SPEC-NOTES 2.1): with
// referrer '' and a String body, url.length + 36 + body fills 64 KiB exactly.
TEST(TotalRequestLengthTest, WptMaxPayloadArithmetic) {
  const std::string url =
      "https://a.test/fetch-later/resources/"
      "set_beacon.py?uuid=2c4e3d0a-7e0c-4d55-9a6a-1f6f2f9e0b11";
  const uint64_t kQuota = 64 * 1024;
  const uint64_t body_size = kQuota - url.size() - 36;
  for (uint64_t extra : {0, 1}) {
    RequestInit init =
        Post(BodyInit::String(std::string(body_size + extra, '*')));
    init.referrer = "";
    Request request = MustConstruct(url, init);
    EXPECT_EQ(TotalRequestLength(request), kQuota + extra);
  }
}

TEST(TotalRequestLengthTest, FragmentIsNotCounted) {
  Request request = MustConstruct("https://a.test/x?q#fragment", {});
  EXPECT_EQ(request.url().Serialize(), "https://a.test/x?q#fragment");
  EXPECT_EQ(TotalRequestLength(request),
            std::string("https://a.test/x?q").size());
}

TEST(TotalRequestLengthTest, HeadersCountNameAndValueBytes) {
  RequestInit init = Post(BodyInit::Bytes("12345"));
  init.headers = HeaderList{{"X-A", "abc"}, {"X-Long", std::string(100, 'v')}};
  init.referrer = "/r";
  Request request = MustConstruct("/b", init);
  // url 16 + referrer 16 + (3 + 3) + (6 + 100) + body 5.
  EXPECT_EQ(TotalRequestLength(request), 16u + 16 + 6 + 106 + 5);
}

// ---------------------------------------------------------------------------
// The Request's signal: a dependent signal of the one its init named.

TEST(RequestSignalTest, RequestSignalFollowsInitSignal) {
  AbortController controller;
  RequestInit init;
  init.signal = controller.signal();
  Request request = MustConstruct("/", init);
  ASSERT_NE(request.signal(), controller.signal());
  std::vector<std::string> order;
  controller.signal()->AddAlgorithm([&] { order.push_back("source"); });
  request.signal()->AddAlgorithm([&] { order.push_back("request"); });
  controller.Abort(MakeTypeError("custom"));
  EXPECT_TRUE(request.signal()->aborted());
  EXPECT_EQ(*request.signal()->reason(), MakeTypeError("custom"));
  // DOM "signal abort": the source's algorithms, then the dependents'.
  EXPECT_EQ(order, std::vector<std::string>({"source", "request"}));
}

TEST(RequestSignalTest, DependentOfDependentIsFlattened) {
  AbortController controller;
  RequestInit init;
  init.signal = controller.signal();
  Request first = MustConstruct("/", init);
  // new Request(first): its signal depends on first's sources.
  Request second = MustConstruct(first, {});
  bool ran = false;
  second.signal()->AddAlgorithm([&] { ran = true; });
  controller.Abort();
  EXPECT_TRUE(first.signal()->aborted());
  EXPECT_TRUE(second.signal()->aborted());
  EXPECT_TRUE(ran);
}

TEST(RequestSignalTest, AlreadyAbortedSignalGivesAbortedRequest) {
  AbortController controller;
  controller.Abort(MakeRangeError("why"));
  RequestInit init;
  init.signal = controller.signal();
  Request request = MustConstruct("/", init);
  EXPECT_TRUE(request.signal()->aborted());
  EXPECT_EQ(*request.signal()->reason(), MakeRangeError("why"));
}

}  // namespace
}  // namespace fetch_later::renderer
