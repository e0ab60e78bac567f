// The scenario `shell` runs with no --scenario: the whole feature in a few
// seconds.
#ifndef TOOLS_SHELL_DEFAULT_SCENARIO_H_
#define TOOLS_SHELL_DEFAULT_SCENARIO_H_

namespace fetch_later::tools {

inline constexpr char kDefaultScenarioJson[] = R"json({
  "name": "shell default: delegation, minimal quota, errors, abort, activateAfter, retry, tab close",
  "steps": [
    {"navigate": {"frame": "top", "url": "https://news.test/article",
                  "responseHeaders": {"Permissions-Policy": "deferred-fetch=(self \"https://ads.test\")"}}},
    {"createIframe": {"parent": "top", "id": "comments", "src": "https://news.test/comments"}},
    {"createIframe": {"parent": "top", "id": "ads", "src": "https://ads.test/slot", "allow": "deferred-fetch"}},
    {"createIframe": {"parent": "top", "id": "widget", "src": "https://widget.test/embed"}},
    {"createIframe": {"parent": "top", "id": "social", "src": "https://social.test/like"}},
    {"fetchLater": {"frame": "top", "url": "https://collector.test/page?i=1", "method": "POST",
                    "body": {"type": "STRING", "size": 2000}},
     "expect": {"outcome": "OK"}},
    {"fetchLater": {"frame": "comments", "url": "https://collector.test/comments?i=2"},
     "expect": {"outcome": "OK"}},
    {"fetchLater": {"frame": "ads", "url": "https://ads-collector.test/impression?i=3", "method": "POST",
                    "body": {"type": "BYTES", "size": 30000}},
     "expect": {"outcome": "OK"}},
    {"fetchLater": {"frame": "widget", "url": "https://collector.test/w?i=4", "method": "POST",
                    "body": {"type": "STRING", "size": 9000}},
     "expect": {"outcome": "QUOTA_EXCEEDED_ERROR", "quota": 8192, "requested": 9064}},
    {"fetchLater": {"frame": "social", "url": "https://collector.test/s?i=5", "signal": "like"},
     "expect": {"outcome": "OK"}},
    {"abort": {"signal": "like"}},
    {"fetchLater": {"frame": "top", "url": "https://collector.test/timer?i=6", "activateAfterMs": 60000},
     "expect": {"outcome": "OK"}},
    {"advanceTime": {"ms": 60000}},
    {"setNetwork": {"mode": "REFUSE"}},
    {"fetchLater": {"frame": "top", "url": "https://collector.test/retry?i=7", "activateAfterMs": 0,
                    "retryOptions": {"maxAttempts": 3, "initialDelayMs": 1000}},
     "expect": {"outcome": "OK"}},
    {"advanceTime": {"ms": 0}},
    {"setNetwork": {"mode": "OK"}},
    {"advanceTime": {"ms": 1200}},
    {"closeTab": {}}
  ],
  "expectSent": [
    {"urlPrefix": "https://collector.test/page?i=1", "count": 1},
    {"urlPrefix": "https://collector.test/comments?i=2", "count": 1},
    {"urlPrefix": "https://ads-collector.test/impression?i=3", "count": 1},
    {"urlPrefix": "https://collector.test/w?i=4", "count": 0},
    {"urlPrefix": "https://collector.test/s?i=5", "count": 0},
    {"urlPrefix": "https://collector.test/timer?i=6", "count": 1},
    {"urlPrefix": "https://collector.test/retry?i=7", "count": 1}
  ]
})json";

}  // namespace fetch_later::tools

#endif  // TOOLS_SHELL_DEFAULT_SCENARIO_H_
