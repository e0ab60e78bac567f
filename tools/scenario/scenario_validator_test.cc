// ValidateScenario against the contract (../shared/SCENARIOS.md): the
// documents parse, and the validator names the step and field of the first
// problem, or leaves what only the browser can judge alone.
#include "tools/scenario/scenario_validator.h"

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
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
        CASE(
            "abort of an unknown signal",
            R"({"fetchLater": {"frame": "top", "url": "/", "signal": "s1"}},
                {"abort": {"signal": "s2"}})",
            R"(step 2 (abort): field "signal": no earlier fetchLater passed signal "s2")"),
        CASE(
            "abort before the fetchLater that passes the signal",
            R"({"abort": {"signal": "s1"}},
                {"fetchLater": {"frame": "top", "url": "/", "signal": "s1"}})",
            R"(step 1 (abort): field "signal": no earlier fetchLater passed signal "s1")"),
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

TEST(ValidateScenarioTest, StepWithoutActionBuiltInCode) {
  Scenario scenario;
  scenario.add_steps();
  EXPECT_EQ(ValidateScenario(scenario).message(),
            "step 0: no action (give one of navigate, createIframe, "
            "fetchLater, abort, navigateIframe, removeIframe, setVisibility, "
            "enterBfcache, restoreFromBfcache, advanceTime, setNetwork, "
            "crashRenderer, closeTab, runScript, loadScript)");
}

}  // namespace
}  // namespace fetch_later::scenario
