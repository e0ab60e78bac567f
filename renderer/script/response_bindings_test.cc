// fetch() and the Response it resolves with, as page script sees them: the
// promise settles when the browser says how the fetch ended
// (DocumentScript::CompleteFetch), with a Response whose fields are the
// filtered response's, whose headers are immutable, and whose Body methods
// read the body once; a network error rejects with a TypeError; aborting the
// signal rejects with its reason and terminates the fetch. Tables name the
// Fetch step or WPT file each row follows.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "renderer/response.h"
#include "renderer/script/script_test_util.h"

namespace fetch_later::renderer::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class ResponseTest : public ScriptTest {
 protected:
  // Calls fetch('/r') and keeps its Response as globalThis.r (or its error as
  // globalThis.e) once `response`
  // settles it. Returns the fetch's id.
  uint64_t FetchAndComplete(JsResult<Response> response) {
    Run("fetch('/r').then((r) => { globalThis.r = r; }, "
        "(e) => { globalThis.e = e; });");
    EXPECT_EQ(delegate_.fetch_calls.size(), delegate_.next_fetch_id - 1);
    const uint64_t id = delegate_.next_fetch_id - 1;
    ScriptRunResult done = script_->CompleteFetch(id, std::move(response));
    for (const ScriptError& error : done.errors)
      ADD_FAILURE() << error.ToString();
    return id;
  }

  // The console lines `source` printed, its microtasks included.
  std::vector<std::string> Console(absl::string_view source) {
    ScriptRunResult result = Run(source);
    for (const ScriptError& error : result.errors)
      ADD_FAILURE() << error.ToString();
    return result.console;
  }
};

// Fetch: the Response interface's attributes, per filtered response type.
TEST_F(ResponseTest, FieldsOfEachFilteredResponse) {
  struct Row {
    const char* source;
    ResponseType type;
    const char* url;
    bool redirected;
    uint16_t status;
    const char* status_text;
    std::optional<std::string> body;
    // JSON of [type, url, redirected, status, ok, statusText, bodyUsed].
    const char* expected;
  };
  const Row rows[] = {
      {"basic: same origin", ResponseType::kBasic, "https://a.test/r", false,
       200, "OK", std::string("x"),
       R"(["basic","https://a.test/r",false,200,true,"OK",false])"},
      {"cors, redirected, not ok (Response ok: 200-299)", ResponseType::kCors,
       "https://b.test/to", true, 404, "Not Found", std::string(),
       R"(["cors","https://b.test/to",true,404,false,"Not Found",false])"},
      {"ok at the top of the range", ResponseType::kBasic, "https://a.test/",
       false, 299, "", std::string(),
       R"(["basic","https://a.test/",false,299,true,"",false])"},
      {"opaque filtered response: status 0, no URL", ResponseType::kOpaque, "",
       false, 0, "", std::nullopt, R"(["opaque","",false,0,false,"",false])"},
      {"opaque-redirect filtered response", ResponseType::kOpaqueRedirect, "",
       false, 0, "", std::nullopt,
       R"(["opaqueredirect","",false,0,false,"",false])"},
  };
  for (const Row& row : rows) {
    FetchAndComplete(Response(row.type, row.url, row.redirected, row.status,
                              row.status_text, {}, row.body));
    EXPECT_EQ(Eval("JSON.stringify([r.type, r.url, r.redirected, r.status, "
                   "r.ok, r.statusText, r.bodyUsed])"),
              row.expected)
        << row.source;
    EXPECT_EQ(Eval("r instanceof Response && "
                   "Object.prototype.toString.call(r)"),
              "[object Response]")
        << row.source;
  }
}

// Fetch: a Response's headers have guard "immutable" and are [SameObject];
// the browser filtered them already (a basic response has no Set-Cookie).
TEST_F(ResponseTest, HeadersAreImmutable) {
  FetchAndComplete(Response(ResponseType::kCors, "https://b.test/", false, 200,
                            "OK",
                            {{"Content-Type", "application/json"},
                             {"X-Exposed", "1"},
                             {"x-exposed", "2"}},
                            std::string("{}")));
  EXPECT_EQ(Eval("JSON.stringify([...r.headers])"),
            R"([["content-type","application/json"],["x-exposed","1, 2"]])");
  EXPECT_EQ(Eval("r.headers === r.headers"), "true");
  EXPECT_EQ(Eval("r.headers.get('X-EXPOSED')"), "1, 2");
  for (const char* change :
       {"r.headers.append('a', 'b')", "r.headers.set('x-exposed', '3')",
        "r.headers.delete('content-type')"}) {
    EXPECT_EQ(Eval(change), "threw TypeError: Headers are immutable") << change;
  }
  EXPECT_EQ(Eval("r.headers.get('x-exposed')"), "1, 2");
}

// Fetch: Body mixin text(), json(), arrayBuffer(), bytes() and bodyUsed: each
// consumes the body once ("consume body" step 1: an unusable body rejects
// with a TypeError).
TEST_F(ResponseTest, BodyMethodsReadTheBodyOnce) {
  struct Row {
    const char* source;
    std::string body;
    const char* read;      // an expression of r giving a promise
    const char* expected;  // what it resolves to, as console.log prints it
  };
  const Row rows[] = {
      {"text(): UTF-8 decode, the BOM stripped", "\xEF\xBB\xBFh\xC3\xA9llo",
       "r.text()", "héllo"},
      {"text(): an invalid sequence becomes U+FFFD",
       "a\xFF"
       "b",
       "r.text()",
       "a\xEF\xBF\xBD"
       "b"},
      {"json(): parse JSON from bytes", R"({"status":"ok","n":[1,2]})",
       "r.json().then((v) => JSON.stringify(v))",
       R"({"status":"ok","n":[1,2]})"},
      {"arrayBuffer()", "abc",
       "r.arrayBuffer().then((b) => b instanceof ArrayBuffer && b.byteLength)",
       "3"},
      {"bytes()", "abc", "r.bytes().then((b) => Array.from(b).join(','))",
       "97,98,99"},
  };
  for (const Row& row : rows) {
    FetchAndComplete(Response(ResponseType::kBasic, "https://a.test/r", false,
                              200, "OK", {}, row.body));
    EXPECT_EQ(Eval("r.bodyUsed"), "false") << row.source;
    EXPECT_THAT(Console(absl::StrCat(row.read,
                                     ".then((v) => console.log(v), "
                                     "(e) => console.log(describe(e)));")),
                ElementsAre(absl::StrCat("log: ", row.expected)))
        << row.source;
    EXPECT_EQ(Eval("r.bodyUsed"), "true") << row.source;
    EXPECT_THAT(
        Console("r.text().then((v) => console.log('read again', v), "
                "(e) => console.log(describe(e)));"),
        ElementsAre("log: TypeError: Failed to execute 'text' on 'Response': "
                    "body stream already read"))
        << row.source;
  }
}

TEST_F(ResponseTest, InvalidJsonRejectsWithSyntaxError) {
  FetchAndComplete(Response(ResponseType::kBasic, "https://a.test/r", false,
                            200, "OK", {}, std::string("{not json")));
  EXPECT_THAT(Console("r.json().catch((e) => console.log(e.name, "
                      "e instanceof SyntaxError));"),
              ElementsAre("log: SyntaxError true"));
  EXPECT_EQ(Eval("r.bodyUsed"), "true");
}

// A null body (an opaque response) reads as empty, any number of times: a
// null body is never "disturbed" (Fetch: bodyUsed).
TEST_F(ResponseTest, ANullBodyReadsAsEmpty) {
  FetchAndComplete(
      Response(ResponseType::kOpaque, "", false, 0, "", {}, std::nullopt));
  EXPECT_THAT(Console("r.text().then((t) => console.log(JSON.stringify(t), "
                      "r.bodyUsed)).then(() => r.arrayBuffer()).then((b) => "
                      "console.log(b.byteLength, r.bodyUsed));"),
              ElementsAre("log: \"\" false", "log: 0 false"));
}

// Fetch "fetch(input, init)" step 12.3: a network error rejects the promise
// with a TypeError (the message says why).
TEST_F(ResponseTest, ANetworkErrorRejectsWithATypeError) {
  FetchAndComplete(MakeTypeError("fetch: blocked (CSP): refused"));
  EXPECT_EQ(Eval("typeof r"), "undefined");
  EXPECT_EQ(Eval("describe(e)"), "TypeError: fetch: blocked (CSP): refused");
  EXPECT_EQ(Eval("e instanceof TypeError"), "true");
}

// Errors decided before the network reject at once; the delegate is not
// asked.
TEST_F(ResponseTest, RejectedBeforeTheNetwork) {
  struct Row {
    const char* source;
    const char* call;
    const char* expected;
  };
  const Row rows[] = {
      {"Mixed Content: http: from a secure context", "fetch('http://b.test/x')",
       "TypeError: fetch: http://b.test/x was blocked as mixed content"},
      {"fetch-retry explainer: retryAfterUnload requires keepalive",
       "fetch('/x', {retryOptions: {maxAttempts: 1, retryAfterUnload: true}})",
       "TypeError: fetch: retryOptions.retryAfterUnload requires keepalive: "
       "true"},
      {"fetch() step 4: an aborted signal rejects with its reason",
       "fetch('/x', {signal: AbortSignal.abort('gone')})", "string gone"},
      {"Request constructor: mode 'navigate'",
       "fetch('/x', {mode: 'navigate'})", "TypeError: "},
  };
  for (const Row& row : rows) {
    EXPECT_THAT(Console(absl::StrCat(
                    row.call, ".catch((e) => console.log(describe(e)));")),
                ElementsAre(HasSubstr(row.expected)))
        << row.source;
  }
  EXPECT_THAT(delegate_.fetch_calls, IsEmpty());
}

// Fetch "fetch(input, init)" step 11: aborting rejects the promise with the
// abort reason and terminates the fetch in the browser; the fetch's end,
// when it comes, changes nothing.
TEST_F(ResponseTest, AbortRejectsAndTerminates) {
  std::vector<std::string> console = Console(R"JS(
    globalThis.c = new AbortController();
    fetch('/slow', {signal: c.signal}).then(
        () => console.log('resolved'),
        (e) => console.log('rejected', e.name, e === c.signal.reason));
    c.abort();
  )JS");
  EXPECT_THAT(console, ElementsAre("log: rejected AbortError true"));
  EXPECT_THAT(delegate_.aborted_fetches, ElementsAre(1u));
  ScriptRunResult late = script_->CompleteFetch(
      1, Response(ResponseType::kBasic, "https://a.test/slow", false, 200, "OK",
                  {}, std::string()));
  EXPECT_TRUE(late.errors.empty());
  EXPECT_TRUE(late.console.empty());
  // Aborting after the response came: the promise is settled; nothing to
  // terminate.
  console = Console(R"JS(
    globalThis.c2 = new AbortController();
    fetch('/fast', {signal: c2.signal}).then((r) => { globalThis.r2 = r; });
  )JS");
  script_->CompleteFetch(2, Response(ResponseType::kBasic, "https://a.test/",
                                     false, 200, "OK", {}, std::string("ok")));
  Run("c2.abort();");
  EXPECT_THAT(delegate_.aborted_fetches, ElementsAre(1u));
  EXPECT_EQ(Eval("r2.status"), "200");
}

TEST_F(ResponseTest, ScriptCannotMakeOne) {
  EXPECT_EQ(Eval("new Response('x')"), "threw TypeError: Illegal constructor");
  EXPECT_EQ(Eval("Object.getOwnPropertyDescriptor(Response.prototype, "
                 "'status').get.call({})"),
            "threw TypeError: Illegal invocation");
  // An id nobody waits for is ignored.
  ScriptRunResult unknown =
      script_->CompleteFetch(42, MakeTypeError("fetch: network error"));
  EXPECT_TRUE(unknown.errors.empty());
}

// Many fetches in flight at once, settled out of order: each promise gets its
// own Response (the C++ side holds each promise's functions as GC roots; the
// _gc_stress variant runs the collector all the time).
TEST_F(ResponseTest, ManyFetchesSettleOutOfOrder) {
  Run(R"JS(
    globalThis.got = [];
    for (let i = 0; i < 20; i++)
      fetch('/n?' + i).then((r) => r.text()).then((t) => got.push(t));
  )JS");
  ASSERT_EQ(delegate_.fetch_calls.size(), 20u);
  for (uint64_t id = 20; id >= 1; --id) {
    script_->CompleteFetch(
        id, Response(ResponseType::kBasic, "https://a.test/n", false, 200, "OK",
                     {}, absl::StrCat(id)));
  }
  EXPECT_EQ(Eval("got.join(',')"),
            "20,19,18,17,16,15,14,13,12,11,10,9,8,7,6,5,4,3,2,1");
}

}  // namespace
}  // namespace fetch_later::renderer::testing
