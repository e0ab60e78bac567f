// The positional JSON reader (json_document.h): values, the byte span each
// was read from, and syntax errors with their line and column.
#include "tools/scenario/json_document.h"

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gtest/gtest.h"

namespace fetch_later::scenario {
namespace {

TEST(JsonDocumentTest, ValuesKeepTheirSpans) {
  const std::string text = R"( {"a": [1, true], "b": "x\u00e9", "c": null} )";
  absl::StatusOr<JsonNode> root = ParseJsonDocument(text);
  ASSERT_TRUE(root.ok()) << root.status();
  ASSERT_EQ(root->kind, JsonNode::Kind::kObject);
  EXPECT_EQ(text.substr(root->begin, root->end - root->begin),
            R"({"a": [1, true], "b": "x\u00e9", "c": null})");
  ASSERT_EQ(root->members.size(), 3u);
  const JsonNode& a = root->members[0].second;
  EXPECT_EQ(root->members[0].first, "a");
  ASSERT_EQ(a.kind, JsonNode::Kind::kArray);
  ASSERT_EQ(a.items.size(), 2u);
  EXPECT_EQ(a.items[0].kind, JsonNode::Kind::kNumber);
  EXPECT_EQ(a.items[0].text, "1");
  EXPECT_EQ(a.items[1].kind, JsonNode::Kind::kBool);
  EXPECT_TRUE(a.items[1].boolean);
  EXPECT_EQ(text.substr(a.items[1].begin, a.items[1].end - a.items[1].begin),
            "true");
  const JsonNode& b = root->members[1].second;
  EXPECT_EQ(b.kind, JsonNode::Kind::kString);
  EXPECT_EQ(b.text, "x\xC3\xA9");  // decoded to UTF-8
  EXPECT_EQ(text.substr(b.begin, b.end - b.begin), R"("x\u00e9")");
  EXPECT_EQ(root->members[2].second.kind, JsonNode::Kind::kNull);
}

// Duplicate keys are the caller's business: both are kept, in order.
TEST(JsonDocumentTest, DuplicateKeysAreKept) {
  absl::StatusOr<JsonNode> root = ParseJsonDocument(R"({"k": 1, "k": 2})");
  ASSERT_TRUE(root.ok()) << root.status();
  ASSERT_EQ(root->members.size(), 2u);
  EXPECT_EQ(root->members[1].second.text, "2");
}

// RFC 8259 grammar violations, each with its place (columns count code
// points, not bytes).
TEST(JsonDocumentTest, SyntaxErrorsSayWhatAndWhere) {
  struct Case {
    const char* source;
    std::string text;
    const char* error;
  };
  const Case kCases[] = {
      {"RFC 8259 section 4: a member needs ':'", R"({"a" 1})",
       "JSON syntax error at line 1, column 6: expected ':' after a field "
       "name, found '1'"},
      {"section 4: names are strings", "{a: 1}",
       "JSON syntax error at line 1, column 2: expected a field name in "
       "double quotes, found 'a'"},
      {"section 5: no trailing comma", "[1,]",
       "JSON syntax error at line 1, column 4: expected a value, found ']'"},
      {"section 6: no leading zero", "01",
       "JSON syntax error at line 1, column 2: expected the end of the "
       "document, found '1'"},
      {"section 7: control characters are escaped", "\"a\nb\"",
       "JSON syntax error at line 1, column 3: control character in a string "
       "(escape it)"},
      {"section 7: a lone surrogate", R"("\udc00")",
       "JSON syntax error at line 1, column 8: unpaired UTF-16 surrogate in "
       "\\u escape"},
      {"line and code-point column after a newline and a 2-byte character",
       "{\n  \"\xC3\xA9\": tru}",
       "JSON syntax error at line 2, column 8: expected a value, found 't'"},
      {"end of input", "[1",
       "JSON syntax error at line 1, column 3: expected "
       "',' or ']' after an array element, found the "
       "end of the document"},
  };
  for (const Case& c : kCases) {
    absl::StatusOr<JsonNode> root = ParseJsonDocument(c.text);
    ASSERT_FALSE(root.ok()) << c.source;
    EXPECT_EQ(root.status().code(), absl::StatusCode::kInvalidArgument)
        << c.source;
    EXPECT_EQ(root.status().message(), c.error) << c.source;
  }
}

TEST(JsonDocumentTest, NestingIsLimited) {
  EXPECT_TRUE(
      ParseJsonDocument(std::string(64, '[') + std::string(64, ']')).ok());
  absl::StatusOr<JsonNode> deep =
      ParseJsonDocument(std::string(66, '[') + std::string(66, ']'));
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.status().message(),
            "JSON syntax error at line 1, column 66: nested too deeply");
}

}  // namespace
}  // namespace fetch_later::scenario
