// Helpers shared by the scenario reader's and validator's tests: a table row
// for an exact error and a JSON document built from steps.
#ifndef TOOLS_SCENARIO_SCENARIO_TEST_UTIL_H_
#define TOOLS_SCENARIO_SCENARIO_TEST_UTIL_H_

#include <ostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "tools/scenario/scenario_reader.h"

namespace fetch_later::scenario {

// One row of an error table: a document and the exact message it gives.
struct ErrorCase {
  const char* source;  // what the row tests
  ScenarioFormat format;
  const char* text;
  const char* error;
};

inline void PrintTo(const ErrorCase& c, std::ostream* os) {
  *os << c.source;
}

// A step that gives frame "top" a document.
inline constexpr char kTop[] =
    R"({"navigate": {"frame": "top", "url": "https://a.test/"}})";

// A JSON document with these steps (a JSON array's contents).
inline std::string Steps(const char* steps) {
  return absl::StrCat(R"({"name": "t", "steps": [)", steps, "]}");
}

}  // namespace fetch_later::scenario

#endif  // TOOLS_SCENARIO_SCENARIO_TEST_UTIL_H_
