// ValidateScenario against the contract (../shared/SCENARIOS.md): the
// documents parse, and the validator names the step and field of the first
// problem, or leaves what only the browser can judge alone.
#include "tools/scenario/scenario_validator.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/struct.pb.h"
#include "gtest/gtest.h"
#include "tools/scenario/scenario.pb.h"
#include "tools/scenario/scenario_reader.h"
#include "tools/scenario/scenario_test_util.h"

namespace fetch_later::scenario {
namespace {

class ValidateErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ValidateErrorTest, NamesStepAndField) {
  const ErrorCase& c = GetParam();
  absl::StatusOr<Scenario> scenario = ParseScenario(c.text, c.format);
  ASSERT_TRUE(scenario.ok()) << c.source << ": " << scenario.status();
  absl::Status status = ValidateScenario(*scenario);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.source;
  EXPECT_EQ(std::string(status.message()), c.error) << c.source;
}

std::string WithTop(const std::string& steps) {
  return Steps(absl::StrCat(kTop, ",", steps).c_str());
}

#define CASE(source, steps, error)                                             \
  ErrorCase {                                                                  \
    source, ScenarioFormat::kJson, (new std::string(WithTop(steps)))->c_str(), \
        error                                                                  \
  }

INSTANTIATE_TEST_SUITE_P(
    Json,
    ValidateErrorTest,
    ::testing::Values(
        CASE("unknown frame",
             R"({"fetchLater": {"frame": "f9", "url": "/"}})",
             R"(step 1 (fetchLater): field "frame": unknown frame "f9")"),
        ErrorCase{
            "fetchLater before the first navigate", ScenarioFormat::kJson,
            R"({"steps": [{"fetchLater": {"frame": "top", "url": "https://a.test/"}}]})",
            R"(step 0 (fetchLater): field "frame": frame "top" has no document yet (navigate it first))"},
        CASE("duplicate iframe id",
             R"({"createIframe": {"parent": "top", "id": "f1", "src": "/1"}},
                {"createIframe": {"parent": "top", "id": "f1", "src": "/2"}})",
             R"(step 2 (createIframe): field "id": frame "f1" already exists)"),
        CASE(
            "an iframe called top",
            R"({"createIframe": {"parent": "top", "id": "top", "src": "/1"}})",
            R"(step 1 (createIframe): field "id": "top" is the top-level frame)"),
        CASE("unknown parent",
             R"({"createIframe": {"parent": "f0", "id": "f1", "src": "/1"}})",
             R"(step 1 (createIframe): field "parent": unknown frame "f0")"),
        ErrorCase{
            "bad URL in navigate", ScenarioFormat::kJson,
            R"({"steps": [{"navigate": {"frame": "top", "url": "https://exa mple.com"}}]})",
            R"(step 0 (navigate): field "url": URL "https://exa mple.com": forbidden host code point ' ' in host)"},
        ErrorCase{
            "navigate needs an absolute URL", ScenarioFormat::kJson,
            R"({"steps": [{"navigate": {"frame": "top", "url": "/x"}}]})",
            R"(step 0 (navigate): field "url": URL "/x": missing scheme and no base URL)"},
        CASE(
            "bad URL in createIframe",
            R"({"createIframe": {"parent": "top", "id": "f1", "src": "https://exa mple.com"}})",
            R"(step 1 (createIframe): field "src": URL "https://exa mple.com": forbidden host code point ' ' in host)"),
        CASE(
            "bad redirect in createIframe",
            R"({"createIframe": {"parent": "top", "id": "f1", "src": "/f", "redirectTo": "https://[::"}})",
            R"(step 1 (createIframe): field "redirectTo": URL "https://[::": IPv6 host starts with '[' but does not end with ']')"),
        CASE(
            "bad URL in navigateIframe",
            R"({"createIframe": {"parent": "top", "id": "f1", "src": "/f"}},
                {"navigateIframe": {"id": "f1", "url": "https://a b/", "initiator": "parent"}})",
            R"(step 2 (navigateIframe): field "url": URL "https://a b/": forbidden host code point ' ' in host)"),
        CASE(
            "negative body size",
            R"({"fetchLater": {"frame": "top", "url": "/", "body": {"type": "BYTES", "size": -1}}})",
            R"(step 1 (fetchLater): field "body.size": -1 is negative)"),
        CASE(
            "body over 16 MiB",
            R"({"fetchLater": {"frame": "top", "url": "/", "body": {"type": "BYTES", "size": 16777217}}})",
            R"(step 1 (fetchLater): field "body.size": 16777217 is over the 16 MiB limit)"),
        CASE(
            "a NONE body with a size",
            R"({"fetchLater": {"frame": "top", "url": "/", "body": {"size": 5}}})",
            R"(step 1 (fetchLater): field "body.size": a NONE body has size 0)"),
        CASE("negative advanceTime",
             R"({"advanceTime": {"ms": -5}})",
             R"(step 1 (advanceTime): field "ms": -5 is negative)"),
        CASE(
            "bad initiator",
            R"({"createIframe": {"parent": "top", "id": "f1", "src": "/f"}},
                {"navigateIframe": {"id": "f1", "url": "/g", "initiator": "Parent"}})",
            R"(step 2 (navigateIframe): field "initiator": must be "parent" or "self", got "Parent")"),
        CASE("a respond step without a status",
             R"({"respond": {"urlPrefix": "https://x.test/r"}})",
             R"(step 1 (respond): field "status": 0 is not 100 to 599)"),
        CASE("a respond step without a URL prefix",
             R"({"respond": {"status": 307}})",
             R"(step 1 (respond): field "urlPrefix": empty)"),
        CASE(
            "a respond step with a bad method",
            R"({"respond": {"urlPrefix": "https://x.test/", "method": "OPT IONS", "status": 204}})",
            R"(step 1 (respond): field "method": "OPT IONS" is not an HTTP token)"),
        CASE(
            "a respond step with a bad header name",
            R"({"respond": {"urlPrefix": "https://x.test/", "status": 204, "headers": {"Lo cation": "/"}}})",
            R"(step 1 (respond): field "headers": header name "Lo cation" is not an HTTP token)"),
        CASE(
            "a frame step while the browser is down",
            R"({"crashBrowser": {}}, {"fetchLater": {"frame": "top", "url": "/"}})",
            R"(step 2 (fetchLater): the browser is down (since step 1): only advanceTime, setNetwork, respond and startBrowser are valid until startBrowser)"),
        CASE(
            "startBrowser while it runs",
            R"({"startBrowser": {}})",
            R"(step 1 (startBrowser): the browser is running (startBrowser follows shutdownBrowser or crashBrowser))"),
        CASE(
            "shutdownBrowser twice",
            R"({"shutdownBrowser": {}}, {"advanceTime": {"ms": 5}}, {"crashBrowser": {}})",
            R"(step 3 (crashBrowser): the browser is already down (since step 1))"),
        CASE(
            "frames are gone after a restart",
            R"({"shutdownBrowser": {}}, {"startBrowser": {}}, {"fetchLater": {"frame": "top", "url": "/"}})",
            R"(step 3 (fetchLater): field "frame": frame "top" no longer exists (gone since step 1))"),
        CASE(
            "expect on a step that is not fetchLater",
            R"({"advanceTime": {"ms": 5}, "expect": {"outcome": "OK"}})",
            R"(step 1 (advanceTime): field "expect": only fetchLater, runScript and loadScript steps take an expect)"),
        CASE("runScript with an empty source",
             R"({"runScript": {"frame": "top", "source": ""}})",
             R"(step 1 (runScript): field "source": empty)"),
        CASE("runScript in a frame that does not exist",
             R"({"runScript": {"frame": "f9", "source": "1"}})",
             R"(step 1 (runScript): field "frame": unknown frame "f9")"),
        CASE("loadScript without a path",
             R"({"loadScript": {"frame": "top"}})",
             R"(step 1 (loadScript): field "path": empty)"),
        CASE(
            "a removed iframe",
            R"({"createIframe": {"parent": "top", "id": "f1", "src": "/f"}},
                {"removeIframe": {"id": "f1"}},
                {"fetchLater": {"frame": "f1", "url": "/"}})",
            R"(step 3 (fetchLater): field "frame": frame "f1" no longer exists (gone since step 2))"),
        CASE(
            "an iframe inside a removed iframe",
            R"({"createIframe": {"parent": "top", "id": "f1", "src": "/f"}},
                {"createIframe": {"parent": "f1", "id": "f2", "src": "https://b.test/"}},
                {"removeIframe": {"id": "f1"}},
                {"crashRenderer": {"frame": "f2"}})",
            R"(step 4 (crashRenderer): field "frame": frame "f2" no longer exists (gone since step 3))"),
        CASE(
            "navigating the top destroys its iframes",
            R"({"createIframe": {"parent": "top", "id": "f1", "src": "/f"}},
                {"navigate": {"frame": "top", "url": "https://b.test/"}},
                {"removeIframe": {"id": "f1"}})",
            R"(step 3 (removeIframe): field "id": frame "f1" no longer exists (gone since step 2))"),
        CASE(
            "navigating an iframe destroys the frames inside it",
            R"({"createIframe": {"parent": "top", "id": "f1", "src": "/f"}},
                {"createIframe": {"parent": "f1", "id": "f2", "src": "/g"}},
                {"navigateIframe": {"id": "f1", "url": "/h", "initiator": "self"}},
                {"fetchLater": {"frame": "f2", "url": "/"}})",
            R"(step 4 (fetchLater): field "frame": frame "f2" no longer exists (gone since step 3))"),
        CASE("removeIframe of the top",
             R"({"removeIframe": {"id": "top"}})",
             R"(step 1 (removeIframe): field "id": "top" is not an iframe)"),
        CASE(
            "navigateIframe of an unknown iframe",
            R"({"navigateIframe": {"id": "f1", "url": "/", "initiator": "self"}})",
            R"(step 1 (navigateIframe): field "id": unknown frame "f1")"),
        CASE(
            "response header name that is not a token",
            R"({"navigate": {"frame": "top", "url": "https://a.test/", "responseHeaders": {"Bad Name": "x"}}})",
            R"(step 1 (navigate): field "responseHeaders": header name "Bad Name" is not an HTTP token)"),
        CASE(
            "restoreFromBfcache without enterBfcache",
            R"({"restoreFromBfcache": {}})",
            R"(step 1 (restoreFromBfcache): no page is in the bfcache (no enterBfcache before))"),
        CASE("enterBfcache twice",
             R"({"enterBfcache": {}}, {"enterBfcache": {}})",
             R"(step 2 (enterBfcache): the page is already in the bfcache)"),
        CASE(
            "after closeTab the frames are gone",
            R"({"closeTab": {}}, {"fetchLater": {"frame": "top", "url": "/"}})",
            R"(step 2 (fetchLater): field "frame": frame "top" no longer exists (gone since step 1))"),
        CASE("empty urlPrefix",
             R"({"closeTab": {}}], "expectSent": [{"count": 1})",
             R"(expectSent[0]: field "urlPrefix": empty)"),
        CASE(
            "negative count",
            R"({"closeTab": {}}], "expectSent": [{"urlPrefix": "https://c/", "count": -1})",
            R"(expectSent[0]: field "count": -1 is negative)")));

#undef CASE

// What the browser must judge at run time is not the validator's business.
TEST(ValidateScenarioTest, LeavesRunTimeErrorsToTheBrowser) {
  absl::StatusOr<Scenario> scenario = ParseScenario(
      Steps(R"({"navigate": {"frame": "top", "url": "https://a.test/"}},
               {"fetchLater": {"frame": "top", "url": "https://exa mple.com/"},
                "expect": {"outcome": "TYPE_ERROR"}},
               {"fetchLater": {"frame": "top", "url": "http://example.com/"},
                "expect": {"outcome": "TYPE_ERROR"}},
               {"fetchLater": {"frame": "top", "url": "/", "activateAfterMs": -1},
                "expect": {"outcome": "RANGE_ERROR"}},
               {"fetchLater": {"frame": "top", "url": "/", "method": "CONNECT",
                               "headers": {"Bad Name": "x"},
                               "body": {"type": "STREAM", "size": 10}},
                "expect": {"outcome": "TYPE_ERROR"}},
               {"navigate": {"frame": "top", "url": "https://a.test/again"}},
               {"closeTab": {}},
               {"navigate": {"frame": "top", "url": "https://a.test/new-tab"}},
               {"fetchLater": {"frame": "top", "url": "/"}})"),
      ScenarioFormat::kJson);
  ASSERT_TRUE(scenario.ok()) << scenario.status();
  EXPECT_TRUE(ValidateScenario(*scenario).ok()) << ValidateScenario(*scenario);
}

TEST(ValidateScenarioTest, RelativeUrlsResolveAgainstTheRightDocument) {
  absl::StatusOr<Scenario> scenario = ParseScenario(
      Steps(R"({"navigate": {"frame": "top", "url": "https://a.test/dir/page"}},
               {"createIframe": {"parent": "top", "id": "f1", "src": "frame",
                                 "redirectTo": "/moved"}},
               {"navigateIframe": {"id": "f1", "url": "next", "initiator": "self"}},
               {"navigateIframe": {"id": "f1", "url": "?q", "initiator": "parent"}})"),
      ScenarioFormat::kJson);
  ASSERT_TRUE(scenario.ok()) << scenario.status();
  EXPECT_TRUE(ValidateScenario(*scenario).ok()) << ValidateScenario(*scenario);
}

// SCENARIOS.md: a signal exists from the first step that names it, so an abort
// may come before (or without) any fetchLater passing it; a later fetchLater
// with it throws AbortError at run time (WPT "already aborted signal").
TEST(ValidateScenarioTest, AbortBeforeTheFetchLaterThatPassesTheSignalIsValid) {
  for (const char* steps : {
           R"({"abort": {"signal": "s1"}},
              {"fetchLater": {"frame": "top", "url": "/", "signal": "s1"},
               "expect": {"outcome": "ABORT_ERROR"}})",
           R"({"fetchLater": {"frame": "top", "url": "/", "signal": "s1"}},
              {"abort": {"signal": "s2"}})",
       }) {
    absl::StatusOr<Scenario> scenario =
        ParseScenario(WithTop(steps), ScenarioFormat::kJson);
    ASSERT_TRUE(scenario.ok()) << scenario.status();
    EXPECT_TRUE(ValidateScenario(*scenario).ok())
        << ValidateScenario(*scenario);
  }
}

// SCENARIOS.md "Browser lifetime": between a shutdown or crash and the next
// startBrowser only advanceTime, setNetwork, respond and startBrowser; after
// it a navigate of "top" opens a new tab.
TEST(ValidateScenarioTest, BrowserLifetimeStepsInOrderAreValid) {
  absl::StatusOr<Scenario> scenario =
      ParseScenario(WithTop(R"({"fetchLater": {"frame": "top", "url": "/a"}},
                 {"crashBrowser": {}},
                 {"advanceTime": {"ms": 1000}},
                 {"setNetwork": {"mode": "OK"}},
                 {"respond": {"urlPrefix": "https://a.test/", "status": 204}},
                 {"startBrowser": {}},
                 {"navigate": {"frame": "top", "url": "https://a.test/"}},
                 {"shutdownBrowser": {}},
                 {"startBrowser": {}})"),
                    ScenarioFormat::kJson);
  ASSERT_TRUE(scenario.ok()) << scenario.status();
  EXPECT_TRUE(ValidateScenario(*scenario).ok()) << ValidateScenario(*scenario);
}

// SCENARIOS.md "Additions": expectSent's preflight, method and headers (null:
// absent), and expectBlocked with the report's reasons.
TEST(ValidateScenarioTest, ExpectSentAndExpectBlockedAdditions) {
  absl::StatusOr<Scenario> scenario = ParseScenario(
      R"({"steps": [],
          "expectSent": [{"urlPrefix": "https://b.test/", "count": 1, "preflight": true,
                          "method": "OPTIONS",
                          "headers": {"referer": "https://a.test/", "authorization": null}}],
          "expectBlocked": [{"urlPrefix": "https://c.test/", "reason": "CSP", "count": 1},
                            {"urlPrefix": "https://d.test/", "count": 0}]})",
      ScenarioFormat::kJson);
  ASSERT_TRUE(scenario.ok()) << scenario.status();
  EXPECT_TRUE(ValidateScenario(*scenario).ok()) << ValidateScenario(*scenario);
  const ExpectSent& sent = scenario->expect_sent(0);
  EXPECT_TRUE(sent.preflight());
  EXPECT_EQ(sent.headers().at("referer").string_value(), "https://a.test/");
  EXPECT_EQ(sent.headers().at("authorization").kind_case(),
            google::protobuf::Value::kNullValue);

  for (
      const auto& [text, error] :
      std::vector<std::pair<const char*, const char*>>{
          {R"({"expectBlocked": [{"urlPrefix": "https://c.test/", "reason": "CORS_CHECK", "count": 1}]})",
           R"(expectBlocked[0]: field "reason": unknown reason "CORS_CHECK" (one of CSP, CORS_PREFLIGHT, MODE_SAME_ORIGIN, REDIRECT_NOT_HTTPS, REDIRECT_LIMIT, REDIRECT_MODE_ERROR, NOT_HTTPS, BAD_PORT, CORS, RETRY_GATE, EXPIRED, IN_FLIGHT_AT_CRASH))"},
          {R"({"expectBlocked": [{"reason": "CSP", "count": 1}]})",
           R"(expectBlocked[0]: field "urlPrefix": empty)"},
          {R"({"expectSent": [{"urlPrefix": "https://c.test/", "count": 1, "headers": {"x y": null}}]})",
           R"(expectSent[0]: field "headers["x y"]": not an HTTP token)"},
      }) {
    absl::StatusOr<Scenario> bad = ParseScenario(text, ScenarioFormat::kJson);
    ASSERT_TRUE(bad.ok()) << bad.status();
    EXPECT_EQ(ValidateScenario(*bad).message(), error);
  }
  // Text format can say a number, which JSON's reader already refuses.
  absl::StatusOr<Scenario> number = ParseScenario(
      R"pb(expect_sent {
             url_prefix: "https://c.test/"
             count: 1
             headers {
               key: "x"
               value { number_value: 1 }
             }
           })pb",
      ScenarioFormat::kTextproto);
  ASSERT_TRUE(number.ok()) << number.status();
  EXPECT_EQ(ValidateScenario(*number).message(),
            R"(expectSent[0]: field "headers["x"]": must be a string or null)");
}

TEST(ValidateScenarioTest, StepWithoutActionBuiltInCode) {
  Scenario scenario;
  scenario.add_steps();
  EXPECT_EQ(ValidateScenario(scenario).message(),
            "step 0: no action (give one of navigate, createIframe, "
            "fetchLater, abort, navigateIframe, removeIframe, setVisibility, "
            "enterBfcache, restoreFromBfcache, advanceTime, setNetwork, "
            "crashRenderer, closeTab, runScript, loadScript, respond, "
            "shutdownBrowser, crashBrowser, startBrowser)");
}

}  // namespace
}  // namespace fetch_later::scenario
