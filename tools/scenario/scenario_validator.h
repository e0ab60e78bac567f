// The scenario checks a schema cannot express: which frames exist when each
// step runs, that URLs parse against the right document, ranges, names and
// step order (SCENARIOS.md). Errors name the step and the field the way the
// readers do ("step 4 (fetchLater): field \"frame\": unknown frame \"f9\"").
//
//   if (absl::Status s = ValidateScenario(scenario); !s.ok()) return s;
//
// Pure functions.
#ifndef TOOLS_SCENARIO_SCENARIO_VALIDATOR_H_
#define TOOLS_SCENARIO_SCENARIO_VALIDATOR_H_

#include "absl/status/status.h"
#include "tools/scenario/scenario.pb.h"

namespace fetch_later::scenario {

// Checks what the schema cannot express, walking the steps in order and
// tracking which frames exist:
//  - every step has exactly one action; `expect` only on `fetchLater`,
//    `runScript` and `loadScript` steps; `runScript.source` and
//    `loadScript.path` are not empty and their frame exists;
//  - frames: "top" exists once a `navigate` of "top" ran (until `closeTab`);
//    an iframe exists from its `createIframe` until it is removed or a
//    navigation replaces the document that contains it; `createIframe.parent`,
//    `navigate.frame` (other than "top"), `navigateIframe.id`,
//    `removeIframe.id`, `fetchLater.frame` and `crashRenderer.frame` must exist
//    when their step runs; `createIframe.id` must not be "top" or an existing
//    frame's id;
//  - `navigate.url`, `createIframe.src` / `redirectTo` and
//    `navigateIframe.url` parse with net::Url::Parse (relative ones against the
//    document they are resolved from); `fetchLater.url` is not checked (a bad
//    one is a TypeError test), nor is a negative `activateAfterMs`
//    (RangeError);
//  - `body.size` is 0..16 MiB (0 for a NONE body); `advanceTime.ms` >= 0;
//    `navigateIframe.initiator` is "parent" or "self"; `abort.signal` names a
//    signal an earlier `fetchLater` passed; response header names are HTTP
//    tokens; `restoreFromBfcache` follows an `enterBfcache`;
//  - `expectSent[].urlPrefix` is non-empty and `count` >= 0.
// Returns the first problem found.
absl::Status ValidateScenario(const Scenario& scenario);

}  // namespace fetch_later::scenario

#endif  // TOOLS_SCENARIO_SCENARIO_VALIDATOR_H_
