// A strict RFC 8259 JSON reader that keeps each value's place in the
// document: syntax errors have a line and column, and the scenario reader can
// hand each step's bytes to protobuf's JSON parser on its own.
//
//   absl::StatusOr<JsonNode> root = ParseJsonDocument(R"({"a": [1, true]})");
//   root->members[0].first;              // "a"
//   root->members[0].second.items[1];    // kBool, begin 10, end 14
//   ParseJsonDocument("{\"a\" 1}").status();
//   // "JSON syntax error at line 1, column 6: expected ':' after a field
//   // name, found '1'"
//
// Duplicate keys are kept (the caller decides what they mean); nesting deeper
// than 64 levels is an error. Pure functions.
#ifndef TOOLS_SCENARIO_JSON_DOCUMENT_H_
#define TOOLS_SCENARIO_JSON_DOCUMENT_H_

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace fetch_later::scenario {

// One JSON value and the byte span [`begin`, `end`) it was read from.
struct JsonNode {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = Kind::kNull;
  bool boolean = false;
  std::string text;  // a string's decoded value, or a number's literal
  std::vector<JsonNode> items;
  std::vector<std::pair<std::string, JsonNode>> members;
  size_t begin = 0;  // byte span of the value in the document
  size_t end = 0;
};

// Parses `text` as one JSON value (RFC 8259, nothing before or after it but
// whitespace). Errors are InvalidArgument: "JSON syntax error at line L,
// column C: <what was expected, what was found>" (columns count code points).
absl::StatusOr<JsonNode> ParseJsonDocument(absl::string_view text);

}  // namespace fetch_later::scenario

#endif  // TOOLS_SCENARIO_JSON_DOCUMENT_H_
