// The report's JSON (SCENARIOS.md, "Report") and the expectation check.
#include "tools/scenario/report.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "tools/scenario/scenario.pb.h"
#include "tools/scenario/scenario_reader.h"

namespace fetch_later::scenario {
namespace {

TEST(ReportToJsonTest, ContractShape) {
  Report report;
  report.name = "cross-origin iframe gets the minimal quota";
  report.steps.push_back({2, "QUOTA_EXCEEDED_ERROR", 8192, 9000,
                          "QuotaExceededError: requested 9000 > quota 8192"});
  report.steps.push_back({3, "OK", std::nullopt, std::nullopt, ""});
  SentRequest sent;
  sent.method = "POST";
  sent.url = "https://collector.test/beacon?i=1";
  sent.body_bytes = 1000;
  sent.headers = {{"x-trace", "1"},
                  {"content-type", "text/plain;charset=UTF-8"}};
  sent.attempt = 1;
  sent.at_ms = 0;
  report.sent.push_back(sent);
  SentRequest preflight;
  preflight.method = "OPTIONS";
  preflight.url = "https://collector.test/beacon?i=1";
  preflight.headers = {{"access-control-request-method", "POST"}};
  preflight.preflight = true;
  report.sent.push_back(preflight);
  report.blocked.push_back({"http://insecure.test/b", "REDIRECT_NOT_HTTPS",
                            "redirect to a URL that is not https"});
  EXPECT_EQ(ReportToJson(report), R"({
  "name": "cross-origin iframe gets the minimal quota",
  "steps": [
    {
      "index": 2,
      "outcome": "QUOTA_EXCEEDED_ERROR",
      "quota": 8192,
      "requested": 9000,
      "message": "QuotaExceededError: requested 9000 > quota 8192"
    },
    {
      "index": 3,
      "outcome": "OK"
    }
  ],
  "sent": [
    {
      "method": "POST",
      "url": "https://collector.test/beacon?i=1",
      "bodyBytes": 1000,
      "headers": {
        "content-type": "text/plain;charset=UTF-8",
        "x-trace": "1"
      },
      "attempt": 1,
      "atMs": 0,
      "process": 1
    },
    {
      "method": "OPTIONS",
      "url": "https://collector.test/beacon?i=1",
      "bodyBytes": 0,
      "headers": {
        "access-control-request-method": "POST"
      },
      "attempt": 1,
      "atMs": 0,
      "preflight": true,
      "process": 1
    }
  ],
  "blocked": [
    {
      "url": "http://insecure.test/b",
      "reason": "REDIRECT_NOT_HTTPS",
      "message": "redirect to a URL that is not https"
    }
  ],
  "failures": []
}
)");
}

TEST(ReportToJsonTest, EmptyListsAndEscaping) {
  Report report;
  report.name = "quote \" backslash \\ newline \n tab \t bell \x07 caf\xC3\xA9";
  report.failures = {"bad byte \xFF here", "second"};
  SentRequest sent;
  sent.method = "GET";
  sent.url = "https://a.test/";
  report.sent.push_back(sent);
  EXPECT_EQ(ReportToJson(report), R"({
  "name": "quote \" backslash \\ newline \n tab \t bell \u0007 café",
  "steps": [],
  "sent": [
    {
      "method": "GET",
      "url": "https://a.test/",
      "bodyBytes": 0,
      "headers": {},
      "attempt": 1,
      "atMs": 0,
      "process": 1
    }
  ],
  "blocked": [],
  "failures": [
    "bad byte \ufffd here",
    "second"
  ]
}
)");
}

// ---------------------------------------------------------------------------------------------
// CheckExpectations: one row per kind of unmet expectation.

constexpr char kScenario[] = R"({
  "name": "t",
  "steps": [
    {"navigate": {"frame": "top", "url": "https://a.test/"}},
    {"fetchLater": {"frame": "top", "url": "/a"}, "expect": {"outcome": "OK"}},
    {"fetchLater": {"frame": "top", "url": "/b"},
     "expect": {"outcome": "QUOTA_EXCEEDED_ERROR", "quota": 8192, "requested": 9000}},
    {"fetchLater": {"frame": "top", "url": "/c"}, "expect": {"requested": 20}},
    {"fetchLater": {"frame": "top", "url": "/d"}}
  ],
  "expectSent": [{"urlPrefix": "https://a.test/a", "count": 1},
                 {"urlPrefix": "https://a.test/", "count": 2}]
})";

struct CheckCase {
  const char* source;
  std::vector<StepResult> steps;
  std::vector<std::string> sent_urls;
  std::vector<std::string> failures;
};

class CheckExpectationsTest : public ::testing::TestWithParam<CheckCase> {};

TEST_P(CheckExpectationsTest, Failures) {
  const CheckCase& c = GetParam();
  absl::StatusOr<Scenario> scenario =
      ParseScenario(kScenario, ScenarioFormat::kJson);
  ASSERT_TRUE(scenario.ok()) << scenario.status();
  std::vector<SentRequest> sent;
  for (const std::string& url : c.sent_urls) {
    SentRequest request;
    request.url = url;
    sent.push_back(request);
  }
  EXPECT_EQ(CheckExpectations(*scenario, c.steps, sent, {}), c.failures)
      << c.source;
}

const std::vector<StepResult> kAllMet = {
    {1, "OK", std::nullopt, std::nullopt, ""},
    {2, "QUOTA_EXCEEDED_ERROR", 8192, 9000, ""},
    {3, "OK", 60000, 20, ""},
    {4, "TYPE_ERROR", std::nullopt, std::nullopt, "no expect: not checked"}};

INSTANTIATE_TEST_SUITE_P(
    Table,
    CheckExpectationsTest,
    ::testing::Values(
        CheckCase{"everything holds",
                  kAllMet,
                  {"https://a.test/a", "https://a.test/b?x"},
                  {}},
        CheckCase{"wrong outcome",
                  {{1, "OK", std::nullopt, std::nullopt, ""},
                   {2, "OK", std::nullopt, 9000, ""},
                   {3, "OK", std::nullopt, 20, ""}},
                  {"https://a.test/a", "https://a.test/b"},
                  {"step 2 (fetchLater): expected QUOTA_EXCEEDED_ERROR, got OK",
                   "step 2 (fetchLater): expected quota 8192, got none"}},
        CheckCase{"wrong numbers",
                  {{1, "OK", std::nullopt, std::nullopt, ""},
                   {2, "QUOTA_EXCEEDED_ERROR", 4096, 9001, ""},
                   {3, "OK", std::nullopt, std::nullopt, ""}},
                  {"https://a.test/a", "https://a.test/b"},
                  {"step 2 (fetchLater): expected quota 8192, got 4096",
                   "step 2 (fetchLater): expected requested 9000, got 9001",
                   "step 3 (fetchLater): expected requested 20, got none"}},
        CheckCase{"missing results",
                  {},
                  {"https://a.test/a", "https://a.test/b"},
                  {"step 1 (fetchLater): expected OK, got no result",
                   "step 2 (fetchLater): expected QUOTA_EXCEEDED_ERROR, got no "
                   "result",
                   "step 3 (fetchLater): expected a result, got no result"}},
        CheckCase{"sent counts",
                  kAllMet,
                  {"https://a.test/a", "https://a.test/a", "https://b.test/a"},
                  {"expectSent[0] \"https://a.test/a\": expected 1 "
                   "request(s), got 2"}},
        CheckCase{"nothing sent",
                  kAllMet,
                  {},
                  {"expectSent[0] \"https://a.test/a\": expected 1 "
                   "request(s), got 0",
                   "expectSent[1] \"https://a.test/\": expected 2 "
                   "request(s), got 0"}}));

// SCENARIOS.md "Additions": expectSent's preflight, method and headers, and
// expectBlocked. Each row names the rule it checks.
constexpr char kAdditions[] = R"({
  "name": "additions",
  "steps": [{"navigate": {"frame": "top", "url": "https://a.test/"}}],
  "expectSent": [
    {"urlPrefix": "https://c.test/b", "count": 1},
    {"urlPrefix": "https://c.test/b", "count": 1, "preflight": true},
    {"urlPrefix": "https://c.test/", "count": 1, "method": "GET"},
    {"urlPrefix": "https://c.test/b", "count": 1,
     "headers": {"Referer": "https://a.test/", "authorization": null}}
  ],
  "expectBlocked": [
    {"urlPrefix": "http://x.test/", "reason": "REDIRECT_NOT_HTTPS", "count": 1},
    {"urlPrefix": "https://y.test/", "reason": "", "count": 2}
  ]
})";

SentRequest Sent(std::string method,
                 std::string url,
                 std::map<std::string, std::string> headers) {
  SentRequest request;
  request.method = std::move(method);
  request.url = std::move(url);
  request.preflight = IsCorsPreflight(request.method, headers);
  request.headers = std::move(headers);
  return request;
}

struct AdditionsCase {
  const char* source;
  std::vector<SentRequest> sent;
  std::vector<BlockedRequest> blocked;
  std::vector<std::string> failures;
};

void PrintTo(const AdditionsCase& c, std::ostream* os) {
  *os << c.source;
}

class AdditionsTest : public ::testing::TestWithParam<AdditionsCase> {};

TEST_P(AdditionsTest, Failures) {
  const AdditionsCase& c = GetParam();
  absl::StatusOr<Scenario> scenario =
      ParseScenario(kAdditions, ScenarioFormat::kJson);
  ASSERT_TRUE(scenario.ok()) << scenario.status();
  EXPECT_EQ(CheckExpectations(*scenario, {}, c.sent, c.blocked), c.failures)
      << c.source;
}

const SentRequest kPost = Sent("POST",
                               "https://c.test/b",
                               {{"referer", "https://a.test/"},
                                {"content-type", "text/plain;charset=UTF-8"}});
const SentRequest kPreflight = Sent(
    "OPTIONS",
    "https://c.test/b",
    {{"access-control-request-method", "POST"}, {"origin", "https://a.test"}});
const SentRequest kGet = Sent("GET", "https://c.test/g", {});
const std::vector<BlockedRequest> kBlocked = {
    {"http://x.test/r", "REDIRECT_NOT_HTTPS", "m"},
    {"https://y.test/a", "CSP", "m"},
    {"https://y.test/b", "CORS_PREFLIGHT", "m"}};

INSTANTIATE_TEST_SUITE_P(
    Table,
    AdditionsTest,
    ::testing::Values(
        AdditionsCase{"everything holds",
                      {kPreflight, kPost, kGet},
                      kBlocked,
                      {}},
        // "An expectSent counts preflights only when it says preflight:
        // true; otherwise it counts the other requests."
        AdditionsCase{"preflights are counted only when asked for",
                      {kPreflight, kPreflight, kPost, kGet},
                      kBlocked,
                      {"expectSent[1] \"https://c.test/b\" (preflights): "
                       "expected 1 request(s), got 2; not counted: POST "
                       "https://c.test/b (not a preflight)"}},
        // An OPTIONS without Access-Control-Request-Method is no preflight.
        AdditionsCase{"OPTIONS alone is not a preflight",
                      {Sent("OPTIONS", "https://c.test/b", {}), kPost, kGet},
                      kBlocked,
                      {"expectSent[0] \"https://c.test/b\": expected 1 "
                       "request(s), got 2",
                       "expectSent[1] \"https://c.test/b\" (preflights): "
                       "expected 1 request(s), got 0; not counted: OPTIONS "
                       "https://c.test/b (not a preflight), POST "
                       "https://c.test/b (not a preflight)"}},
        // "method": count only that method.
        AdditionsCase{"method",
                      {kPreflight, kPost, Sent("HEAD", "https://c.test/g", {})},
                      kBlocked,
                      {"expectSent[2] \"https://c.test/\" (method \"GET\"): "
                       "expected 1 request(s), got 0; not counted: OPTIONS "
                       "https://c.test/b (a preflight), POST https://c.test/b "
                       "(method POST), HEAD https://c.test/g (method HEAD)"}},
        // "headers": exact values, names case-insensitive, null = absent.
        AdditionsCase{
            "headers",
            {kPreflight,
             Sent("POST",
                  "https://c.test/b",
                  {{"referer", "https://a.test/"}, {"authorization", "x"}}),
             Sent("POST", "https://c.test/b", {{"referer", "https://a.test"}}),
             Sent("POST", "https://c.test/b", {}), kGet},
            kBlocked,
            {"expectSent[0] \"https://c.test/b\": expected 1 request(s), got "
             "3; not counted: OPTIONS https://c.test/b (a preflight)",
             "expectSent[3] \"https://c.test/b\" (no header authorization, "
             "header referer \"https://a.test/\"): expected 1 request(s), got "
             "0; not counted: OPTIONS https://c.test/b (a "
             "preflight), POST https://c.test/b (header authorization \"x\"), "
             "POST https://c.test/b (header referer \"https://a.test\") and 1 "
             "more"}},
        // expectBlocked: by URL prefix and reason ("" = any reason).
        AdditionsCase{"blocked",
                      {kPreflight, kPost, kGet},
                      {{"http://x.test/r", "REDIRECT_LIMIT", "m"},
                       {"https://y.test/a", "CSP", "m"}},
                      {"expectBlocked[0] \"http://x.test/\" (reason "
                       "REDIRECT_NOT_HTTPS): expected 1 blocked request(s), "
                       "got 0; not counted: http://x.test/r REDIRECT_LIMIT",
                       "expectBlocked[1] \"https://y.test/\": expected 2 "
                       "blocked request(s), got 1"}}));

// Script steps: without `expect` nothing may be thrown; a failure says what
// was thrown and where; messageContains matches the exception's text; console
// and errors are in the JSON.
TEST(CheckExpectationsTest, ScriptSteps) {
  absl::StatusOr<Scenario> scenario = ParseScenario(
      R"json({"name": "s", "steps": [
        {"navigate": {"frame": "top", "url": "https://a.test/"}},
        {"runScript": {"frame": "top", "source": "f()"}},
        {"runScript": {"frame": "top", "source": "g()"},
         "expect": {"outcome": "OTHER_ERROR", "messageContains": "RangeError"}},
        {"runScript": {"frame": "top", "source": "ok()"}}]})json",
      ScenarioFormat::kJson);
  ASSERT_TRUE(scenario.ok()) << scenario.status();
  StepResult thrown{1, "TYPE_ERROR", std::nullopt, std::nullopt,
                    "s.json#step1:1:1: TypeError: f is not a function"};
  thrown.console = {"log: hi"};
  thrown.errors = {thrown.message};
  const std::vector<StepResult> steps = {
      thrown,
      {2, "OTHER_ERROR", std::nullopt, std::nullopt,
       "s.json#step2:1:1: ReferenceError: g"},
      {3, "OK", std::nullopt, std::nullopt, ""}};
  EXPECT_EQ(
      CheckExpectations(*scenario, steps, {}, {}),
      (std::vector<std::string>{
          "step 1 (runScript): expected OK, got TYPE_ERROR "
          "(s.json#step1:1:1: TypeError: f is not a function)",
          "step 2 (runScript): expected message containing "
          "\"RangeError\", got \"s.json#step2:1:1: ReferenceError: g\""}));
  Report report{"s", {thrown}};
  const std::string json = ReportToJson(report);
  EXPECT_NE(json.find(R"("console": [
        "log: hi"
      ])"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find(R"("errors": [)"), std::string::npos) << json;
}

}  // namespace
}  // namespace fetch_later::scenario
