#include "tools/scenario/scenario_reader.h"

#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "net/http_token.h"
#include "net/url.h"

namespace fetch_later::scenario {
namespace {

namespace pb = ::google::protobuf;

constexpr int64_t kMaxBodySize = 16 * 1024 * 1024;
constexpr int kMaxJsonDepth = 64;
constexpr size_t kMaxQuotedValue = 60;

// A value shown in a message: quoted, cut to a readable length.
std::string QuoteForMessage(absl::string_view s) {
  if (s.size() > kMaxQuotedValue)
    return absl::StrCat("\"", s.substr(0, kMaxQuotedValue), "...\"");
  return absl::StrCat("\"", s, "\"");
}

// ---------------------------------------------------------------------------------------------
// A strict RFC 8259 parser that keeps each value's place in the document, so
// syntax errors have a line and column and each step can be handed to
// protobuf's JSON parser on its own.

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

std::string Describe(const JsonNode& node) {
  switch (node.kind) {
    case JsonNode::Kind::kNull:
      return "null";
    case JsonNode::Kind::kBool:
      return node.boolean ? "true" : "false";
    case JsonNode::Kind::kNumber:
      return node.text;
    case JsonNode::Kind::kString:
      return QuoteForMessage(node.text);
    case JsonNode::Kind::kArray:
      return "an array";
    case JsonNode::Kind::kObject:
      return "an object";
  }
  return "";
}

class JsonParser {
 public:
  explicit JsonParser(absl::string_view text) : text_(text) {}

  absl::StatusOr<JsonNode> Parse() {
    JsonNode root;
    SkipWhitespace();
    if (absl::Status s = ParseValue(&root, 0); !s.ok())
      return s;
    SkipWhitespace();
    if (pos_ != text_.size())
      return Error("expected the end of the document, found " + Found());
    return root;
  }

 private:
  absl::Status Error(absl::string_view what) const {
    int line = 1;
    int column = 1;
    for (size_t i = 0; i < pos_ && i < text_.size(); ++i) {
      if (text_[i] == '\n') {
        ++line;
        column = 1;
      } else if ((static_cast<unsigned char>(text_[i]) & 0xC0) != 0x80) {
        ++column;  // count code points, not UTF-8 continuation bytes
      }
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "JSON syntax error at line ", line, ", column ", column, ": ", what));
  }

  std::string Found() const {
    if (pos_ >= text_.size())
      return "the end of the document";
    const char c = text_[pos_];
    if (static_cast<unsigned char>(c) < 0x20)
      return absl::StrCat("byte 0x", absl::Hex(static_cast<unsigned char>(c)));
    return absl::StrCat("'", absl::string_view(&text_[pos_], 1), "'");
  }

  void SkipWhitespace() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' ||
            text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  bool ConsumeLiteral(absl::string_view literal) {
    if (absl::StartsWith(text_.substr(pos_), literal)) {
      pos_ += literal.size();
      return true;
    }
    return false;
  }

  absl::Status ParseValue(JsonNode* out, int depth) {
    if (depth > kMaxJsonDepth)
      return Error("nested too deeply");
    out->begin = pos_;
    absl::Status status;
    if (pos_ >= text_.size()) {
      return Error("expected a value, found the end of the document");
    }
    const char c = text_[pos_];
    if (c == '{') {
      status = ParseObject(out, depth);
    } else if (c == '[') {
      status = ParseArray(out, depth);
    } else if (c == '"') {
      out->kind = JsonNode::Kind::kString;
      status = ParseString(&out->text);
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      status = ParseNumber(out);
    } else if (ConsumeLiteral("true")) {
      out->kind = JsonNode::Kind::kBool;
      out->boolean = true;
    } else if (ConsumeLiteral("false")) {
      out->kind = JsonNode::Kind::kBool;
    } else if (ConsumeLiteral("null")) {
      out->kind = JsonNode::Kind::kNull;
    } else {
      return Error("expected a value, found " + Found());
    }
    out->end = pos_;
    return status;
  }

  absl::Status ParseObject(JsonNode* out, int depth) {
    out->kind = JsonNode::Kind::kObject;
    ++pos_;  // '{'
    SkipWhitespace();
    if (pos_ < text_.size() && text_[pos_] == '}') {
      ++pos_;
      return absl::OkStatus();
    }
    while (true) {
      SkipWhitespace();
      if (pos_ >= text_.size() || text_[pos_] != '"')
        return Error("expected a field name in double quotes, found " +
                     Found());
      std::string key;
      if (absl::Status s = ParseString(&key); !s.ok())
        return s;
      SkipWhitespace();
      if (pos_ >= text_.size() || text_[pos_] != ':')
        return Error("expected ':' after a field name, found " + Found());
      ++pos_;
      SkipWhitespace();
      JsonNode value;
      if (absl::Status s = ParseValue(&value, depth + 1); !s.ok())
        return s;
      out->members.emplace_back(std::move(key), std::move(value));
      SkipWhitespace();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == '}') {
        ++pos_;
        return absl::OkStatus();
      }
      return Error("expected ',' or '}' after an object member, found " +
                   Found());
    }
  }

  absl::Status ParseArray(JsonNode* out, int depth) {
    out->kind = JsonNode::Kind::kArray;
    ++pos_;  // '['
    SkipWhitespace();
    if (pos_ < text_.size() && text_[pos_] == ']') {
      ++pos_;
      return absl::OkStatus();
    }
    while (true) {
      SkipWhitespace();
      JsonNode item;
      if (absl::Status s = ParseValue(&item, depth + 1); !s.ok())
        return s;
      out->items.push_back(std::move(item));
      SkipWhitespace();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == ']') {
        ++pos_;
        return absl::OkStatus();
      }
      return Error("expected ',' or ']' after an array element, found " +
                   Found());
    }
  }

  static void AppendUtf8(uint32_t cp, std::string* out) {
    if (cp < 0x80) {
      *out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      *out += static_cast<char>(0xC0 | (cp >> 6));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      *out += static_cast<char>(0xE0 | (cp >> 12));
      *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      *out += static_cast<char>(0xF0 | (cp >> 18));
      *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  bool ParseHex4(uint32_t* out) {
    if (pos_ + 4 > text_.size())
      return false;
    uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = text_[pos_ + i];
      value <<= 4;
      if (c >= '0' && c <= '9')
        value |= c - '0';
      else if (c >= 'a' && c <= 'f')
        value |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        value |= c - 'A' + 10;
      else
        return false;
    }
    pos_ += 4;
    *out = value;
    return true;
  }

  absl::Status ParseString(std::string* out) {
    ++pos_;  // '"'
    while (true) {
      if (pos_ >= text_.size())
        return Error("unterminated string");
      const unsigned char c = static_cast<unsigned char>(text_[pos_]);
      if (c == '"') {
        ++pos_;
        return absl::OkStatus();
      }
      if (c < 0x20)
        return Error("control character in a string (escape it)");
      if (c != '\\') {
        *out += static_cast<char>(c);
        ++pos_;
        continue;
      }
      ++pos_;
      if (pos_ >= text_.size())
        return Error("unterminated string");
      const char escape = text_[pos_++];
      switch (escape) {
        case '"':
          *out += '"';
          break;
        case '\\':
          *out += '\\';
          break;
        case '/':
          *out += '/';
          break;
        case 'b':
          *out += '\b';
          break;
        case 'f':
          *out += '\f';
          break;
        case 'n':
          *out += '\n';
          break;
        case 'r':
          *out += '\r';
          break;
        case 't':
          *out += '\t';
          break;
        case 'u': {
          uint32_t cp;
          if (!ParseHex4(&cp))
            return Error("\\u must be followed by four hex digits");
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t low;
            if (!ConsumeLiteral("\\u") || !ParseHex4(&low) || low < 0xDC00 ||
                low > 0xDFFF) {
              return Error("unpaired UTF-16 surrogate in \\u escape");
            }
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return Error("unpaired UTF-16 surrogate in \\u escape");
          }
          AppendUtf8(cp, out);
          break;
        }
        default:
          --pos_;
          return Error("invalid escape in a string");
      }
    }
  }

  absl::Status ParseNumber(JsonNode* out) {
    out->kind = JsonNode::Kind::kNumber;
    const size_t start = pos_;
    auto digit = [&] {
      return pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9';
    };
    if (text_[pos_] == '-')
      ++pos_;
    if (!digit())
      return Error("expected a digit, found " + Found());
    if (text_[pos_] == '0') {
      ++pos_;
    } else {
      while (digit())
        ++pos_;
    }
    if (pos_ < text_.size() && text_[pos_] == '.') {
      ++pos_;
      if (!digit())
        return Error("expected a digit after '.', found " + Found());
      while (digit())
        ++pos_;
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-'))
        ++pos_;
      if (!digit())
        return Error("expected a digit in the exponent, found " + Found());
      while (digit())
        ++pos_;
    }
    out->text = std::string(text_.substr(start, pos_ - start));
    return absl::OkStatus();
  }

  absl::string_view text_;
  size_t pos_ = 0;
};

// ---------------------------------------------------------------------------------------------
// The schema check: each JSON value against the field it sets, by JSON name
// only, so an error names the field and its place before protobuf's parser
// (whose messages do not) sees it.

const pb::FieldDescriptor* FieldByJsonName(const pb::Descriptor* message,
                                           absl::string_view json_name) {
  for (int i = 0; i < message->field_count(); ++i) {
    if (message->field(i)->json_name() == json_name)
      return message->field(i);
  }
  return nullptr;
}

std::string JoinPath(absl::string_view path, absl::string_view name) {
  return path.empty() ? std::string(name) : absl::StrCat(path, ".", name);
}

absl::Status FieldError(absl::string_view path, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("field \"", path, "\": ", what));
}

absl::Status CheckObject(const JsonNode& node,
                         const pb::Descriptor* message,
                         const std::string& path);

// An integral JSON number, or (as protobuf's JSON mapping allows) a string of
// one, in the range of `field`'s type.
absl::Status CheckInteger(const JsonNode& node,
                          const pb::FieldDescriptor* field,
                          const std::string& path) {
  const bool is_unsigned =
      field->cpp_type() == pb::FieldDescriptor::CPPTYPE_UINT32 ||
      field->cpp_type() == pb::FieldDescriptor::CPPTYPE_UINT64;
  const bool is_64 = field->cpp_type() == pb::FieldDescriptor::CPPTYPE_INT64 ||
                     field->cpp_type() == pb::FieldDescriptor::CPPTYPE_UINT64;
  const std::string expected =
      is_unsigned ? "expected a non-negative integer" : "expected an integer";
  std::string literal;
  if (node.kind == JsonNode::Kind::kNumber) {
    literal = node.text;
  } else if (node.kind == JsonNode::Kind::kString && !node.text.empty() &&
             node.text.find_first_not_of("-0123456789") == std::string::npos) {
    literal = node.text;
  } else {
    return FieldError(path, absl::StrCat(expected, ", got ", Describe(node)));
  }
  // A literal with a fraction or exponent must still be a whole number.
  if (literal.find_first_of(".eE") != std::string::npos) {
    double value;
    if (!absl::SimpleAtod(literal, &value) || std::floor(value) != value)
      return FieldError(path, absl::StrCat(expected, ", got ", Describe(node)));
    if (std::fabs(value) > 9.0e15) {
      return FieldError(path, absl::StrCat(Describe(node), " is out of range"));
    }
    literal = absl::StrCat(static_cast<int64_t>(value));
  }
  if (is_unsigned && absl::StartsWith(literal, "-") &&
      literal.find_first_not_of("-0") != std::string::npos) {
    return FieldError(path, absl::StrCat(expected, ", got ", Describe(node)));
  }
  int64_t signed_value;
  uint64_t unsigned_value;
  bool in_range;
  if (is_unsigned) {
    in_range =
        absl::SimpleAtoi(literal, &unsigned_value) &&
        (is_64 || unsigned_value <= std::numeric_limits<uint32_t>::max());
  } else {
    in_range = absl::SimpleAtoi(literal, &signed_value) &&
               (is_64 || (signed_value >= std::numeric_limits<int32_t>::min() &&
                          signed_value <= std::numeric_limits<int32_t>::max()));
  }
  if (!in_range)
    return FieldError(path, absl::StrCat(Describe(node), " is out of range"));
  return absl::OkStatus();
}

// One value (not a repeated field's list) for `field`.
absl::Status CheckSingleValue(const JsonNode& node,
                              const pb::FieldDescriptor* field,
                              const std::string& path) {
  if (node.kind == JsonNode::Kind::kNull)
    return FieldError(path, "null is not allowed (leave the field out)");
  switch (field->cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_STRING:
      if (node.kind != JsonNode::Kind::kString)
        return FieldError(
            path, absl::StrCat("expected a string, got ", Describe(node)));
      return absl::OkStatus();
    case pb::FieldDescriptor::CPPTYPE_BOOL:
      if (node.kind != JsonNode::Kind::kBool) {
        return FieldError(
            path, absl::StrCat("expected true or false, got ", Describe(node)));
      }
      return absl::OkStatus();
    case pb::FieldDescriptor::CPPTYPE_INT32:
    case pb::FieldDescriptor::CPPTYPE_INT64:
    case pb::FieldDescriptor::CPPTYPE_UINT32:
    case pb::FieldDescriptor::CPPTYPE_UINT64:
      return CheckInteger(node, field, path);
    case pb::FieldDescriptor::CPPTYPE_DOUBLE:
    case pb::FieldDescriptor::CPPTYPE_FLOAT:
      if (node.kind != JsonNode::Kind::kNumber)
        return FieldError(
            path, absl::StrCat("expected a number, got ", Describe(node)));
      return absl::OkStatus();
    case pb::FieldDescriptor::CPPTYPE_ENUM: {
      const pb::EnumDescriptor* type = field->enum_type();
      std::vector<std::string> names;
      for (int i = 0; i < type->value_count(); ++i)
        names.push_back(type->value(i)->name());
      if (node.kind != JsonNode::Kind::kString ||
          type->FindValueByName(node.text) == nullptr) {
        return FieldError(
            path, absl::StrCat("expected one of ", absl::StrJoin(names, ", "),
                               ", got ", Describe(node)));
      }
      return absl::OkStatus();
    }
    case pb::FieldDescriptor::CPPTYPE_MESSAGE:
      if (field->is_map()) {
        if (node.kind != JsonNode::Kind::kObject) {
          return FieldError(
              path, absl::StrCat("expected an object, got ", Describe(node)));
        }
        std::set<std::string> seen;
        for (const auto& [key, value] : node.members) {
          const std::string entry = absl::StrCat(path, "[\"", key, "\"]");
          if (!seen.insert(key).second)
            return FieldError(entry, "given twice");
          if (value.kind != JsonNode::Kind::kString) {
            return FieldError(entry, absl::StrCat("expected a string, got ",
                                                  Describe(value)));
          }
        }
        return absl::OkStatus();
      }
      return CheckObject(node, field->message_type(), path);
  }
  return absl::OkStatus();
}

absl::Status CheckField(const JsonNode& node,
                        const pb::FieldDescriptor* field,
                        const std::string& path) {
  if (field->is_repeated() && !field->is_map()) {
    if (node.kind != JsonNode::Kind::kArray)
      return FieldError(
          path, absl::StrCat("expected an array, got ", Describe(node)));
    for (size_t i = 0; i < node.items.size(); ++i) {
      if (absl::Status s = CheckSingleValue(node.items[i], field,
                                            absl::StrCat(path, "[", i, "]"));
          !s.ok()) {
        return s;
      }
    }
    return absl::OkStatus();
  }
  return CheckSingleValue(node, field, path);
}

// `node` sets a `message`; `path` is its place ("" for the value a step's
// action is given, whose fields are named on their own).
absl::Status CheckObject(const JsonNode& node,
                         const pb::Descriptor* message,
                         const std::string& path) {
  if (node.kind != JsonNode::Kind::kObject) {
    const std::string what =
        absl::StrCat("expected an object, got ", Describe(node));
    return path.empty() ? absl::InvalidArgumentError(what)
                        : FieldError(path, what);
  }
  std::set<std::string> seen;
  for (const auto& [key, value] : node.members) {
    const std::string field_path = JoinPath(path, key);
    const pb::FieldDescriptor* field = FieldByJsonName(message, key);
    if (field == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown field \"", field_path, "\""));
    }
    if (!seen.insert(key).second)
      return FieldError(field_path, "given twice");
    if (absl::Status s = CheckField(value, field, field_path); !s.ok())
      return s;
  }
  return absl::OkStatus();
}

absl::Status Prefixed(absl::string_view prefix, const absl::Status& status) {
  return absl::Status(status.code(),
                      absl::StrCat(prefix, ": ", status.message()));
}

std::string StepPrefix(int index, absl::string_view kind) {
  return kind.empty() ? absl::StrCat("step ", index)
                      : absl::StrCat("step ", index, " (", kind, ")");
}

std::string ActionNames() {
  const pb::OneofDescriptor* action =
      Step::descriptor()->FindOneofByName("action");
  std::vector<std::string> names;
  for (int i = 0; i < action->field_count(); ++i)
    names.push_back(action->field(i)->json_name());
  return absl::StrJoin(names, ", ");
}

absl::Status ParseJsonMessage(absl::string_view json, pb::Message* message) {
  pb::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  pb::util::Status status =
      pb::util::JsonStringToMessage(std::string(json), message, options);
  if (!status.ok())
    return absl::InvalidArgumentError(std::string(status.message()));
  return absl::OkStatus();
}

absl::StatusOr<Step> ParseJsonStep(absl::string_view document,
                                   const JsonNode& node,
                                   int index) {
  if (node.kind != JsonNode::Kind::kObject) {
    return absl::InvalidArgumentError(absl::StrCat(
        StepPrefix(index, ""), ": expected an object, got ", Describe(node)));
  }
  const pb::Descriptor* descriptor = Step::descriptor();
  std::vector<std::string> actions;
  for (const auto& [key, value] : node.members) {
    const pb::FieldDescriptor* field = FieldByJsonName(descriptor, key);
    if (field != nullptr && field->containing_oneof() != nullptr)
      actions.push_back(key);
  }
  if (actions.size() > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(StepPrefix(index, ""), ": two actions, \"", actions[0],
                     "\" and \"", actions[1], "\" (a step has exactly one)"));
  }
  const std::string kind = actions.empty() ? "" : actions[0];
  const std::string prefix = StepPrefix(index, kind);
  std::set<std::string> seen;
  for (const auto& [key, value] : node.members) {
    const pb::FieldDescriptor* field = FieldByJsonName(descriptor, key);
    if (field == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(prefix, ": unknown field \"", key, "\""));
    }
    if (!seen.insert(key).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(prefix, ": field \"", key, "\": given twice"));
    }
    // The action's own fields are named without the action ("url", not
    // "fetchLater.url"); the step says which action it is.
    const std::string path = key == kind ? "" : key;
    if (absl::Status s = CheckObject(value, field->message_type(), path);
        !s.ok()) {
      return Prefixed(prefix, s);
    }
  }
  if (actions.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix, ": no action (give one of ", ActionNames(), ")"));
  }
  Step step;
  if (absl::Status s = ParseJsonMessage(
          document.substr(node.begin, node.end - node.begin), &step);
      !s.ok()) {
    return Prefixed(prefix, s);
  }
  return step;
}

absl::StatusOr<Scenario> ParseJson(absl::string_view text) {
  absl::StatusOr<JsonNode> root = JsonParser(text).Parse();
  if (!root.ok())
    return root.status();
  if (root->kind != JsonNode::Kind::kObject) {
    return absl::InvalidArgumentError(absl::StrCat(
        "scenario: expected a JSON object, got ", Describe(*root)));
  }
  Scenario scenario;
  std::set<std::string> seen;
  for (const auto& [key, value] : root->members) {
    const pb::FieldDescriptor* field =
        FieldByJsonName(Scenario::descriptor(), key);
    if (field == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("scenario: unknown field \"", key, "\""));
    }
    if (!seen.insert(key).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("scenario: field \"", key, "\": given twice"));
    }
    if (field->is_repeated() && value.kind != JsonNode::Kind::kArray) {
      return absl::InvalidArgumentError(
          absl::StrCat("scenario: field \"", key, "\": expected an array, got ",
                       Describe(value)));
    }
    switch (field->number()) {
      case Scenario::kNameFieldNumber:
        if (absl::Status s = CheckField(value, field, key); !s.ok())
          return Prefixed("scenario", s);
        scenario.set_name(value.text);
        break;
      case Scenario::kStepsFieldNumber:
        for (size_t i = 0; i < value.items.size(); ++i) {
          absl::StatusOr<Step> step =
              ParseJsonStep(text, value.items[i], static_cast<int>(i));
          if (!step.ok())
            return step.status();
          *scenario.add_steps() = *std::move(step);
        }
        break;
      case Scenario::kExpectSentFieldNumber:
        for (size_t i = 0; i < value.items.size(); ++i) {
          const JsonNode& item = value.items[i];
          const std::string prefix = absl::StrCat("expectSent[", i, "]");
          if (absl::Status s = CheckObject(item, ExpectSent::descriptor(), "");
              !s.ok()) {
            return Prefixed(prefix, s);
          }
          if (absl::Status s = ParseJsonMessage(
                  text.substr(item.begin, item.end - item.begin),
                  scenario.add_expect_sent());
              !s.ok()) {
            return Prefixed(prefix, s);
          }
        }
        break;
      default:
        return absl::InternalError(
            absl::StrCat("scenario: field \"", key, "\" is not handled"));
    }
  }
  return scenario;
}

// ---------------------------------------------------------------------------------------------
// Text format.

class FirstErrorCollector : public pb::io::ErrorCollector {
 public:
  void AddError(int line,
                pb::io::ColumnNumber column,
                const std::string& message) override {
    if (!has_error_) {
      has_error_ = true;
      line_ = line;
      column_ = column;
      message_ = message;
    }
  }
  void AddWarning(int, pb::io::ColumnNumber, const std::string&) override {}

  bool has_error() const { return has_error_; }
  int line() const { return line_; }
  int column() const { return column_; }
  const std::string& message() const { return message_; }

 private:
  bool has_error_ = false;
  int line_ = 0;
  int column_ = 0;
  std::string message_;
};

class IgnoringErrorCollector : public pb::io::ErrorCollector {
 public:
  void AddError(int, pb::io::ColumnNumber, const std::string&) override {}
};

// Where a text-format error is: the step it is inside (-1 for none), that
// step's action (JSON name), the last field name before it, and the position
// (0-based) of the token it is about.
struct TextPlace {
  int step = -1;
  std::string kind;
  std::string last_field;
  int line = 0;
  int column = 0;
};

constexpr char kNoFieldNamed[] = "has no field named \"";

// The name a protobuf error message is about: the unknown field's, or else
// the first "quoted" one ("" when none).
std::string NameInMessage(absl::string_view message) {
  size_t start = message.find(kNoFieldNamed);
  start = start == absl::string_view::npos ? message.find('"')
                                           : start + sizeof(kNoFieldNamed) - 2;
  if (start == absl::string_view::npos)
    return "";
  const size_t end = message.find('"', start + 1);
  if (end == absl::string_view::npos)
    return "";
  return std::string(message.substr(start + 1, end - start - 1));
}

// protobuf reports some errors at the token they are about and some at the
// token after it; the error is placed at the last token up to (`line`,
// `column`) whose text is the name the message quotes.
TextPlace LocateInText(absl::string_view text,
                       int line,
                       int column,
                       const std::string& message) {
  pb::io::ArrayInputStream input(text.data(), static_cast<int>(text.size()));
  IgnoringErrorCollector ignore;
  pb::io::Tokenizer tokenizer(&input, &ignore);
  tokenizer.set_comment_style(pb::io::Tokenizer::SH_COMMENT_STYLE);

  const std::string name = NameInMessage(message);
  TextPlace place;
  place.line = line;
  place.column = column;
  int step_count = 0;
  std::string open;          // the brackets open at the current token
  bool steps_named = false;  // "steps" was the last field name at depth 0
  size_t steps_list_depth = std::string::npos;  // depth of a "steps: [" list
  size_t step_depth = 0;  // depth inside the current step; 0 = not in one
  std::string previous_identifier;
  while (tokenizer.Next()) {
    const pb::io::Tokenizer::Token& token = tokenizer.current();
    if (token.line > line || (token.line == line && token.column > column))
      break;
    const std::string& t = token.text;
    if (!name.empty() && (t == name || t == absl::StrCat("\"", name, "\""))) {
      place.line = token.line;
      place.column = token.column;
    }
    if (token.line == line && token.column == column)
      break;
    if (token.type == pb::io::Tokenizer::TYPE_IDENTIFIER) {
      previous_identifier = t;
      if (open.empty())
        steps_named = (t == "steps");
      if (step_depth != 0 && open.size() == step_depth && place.kind.empty()) {
        const pb::FieldDescriptor* field =
            Step::descriptor()->FindFieldByName(t);
        if (field != nullptr && field->containing_oneof() != nullptr)
          place.kind = field->json_name();
      }
      continue;
    }
    if ((t == ":" || t == "{" || t == "<") && !previous_identifier.empty())
      place.last_field = previous_identifier;
    if (t == "[") {
      open += '[';
      if (open.size() == 1 && steps_named)
        steps_list_depth = 1;
    } else if (t == "{" || t == "<") {
      const bool starts_step = (open.empty() && steps_named) ||
                               (steps_list_depth != std::string::npos &&
                                open.size() == steps_list_depth);
      open += '{';
      if (starts_step) {
        place.step = step_count++;
        place.kind.clear();
        step_depth = open.size();
      }
    } else if (t == "}" || t == ">" || t == "]") {
      if (!open.empty())
        open.pop_back();
      if (step_depth != 0 && open.size() < step_depth)
        step_depth = 0;
      if (steps_list_depth != std::string::npos &&
          open.size() < steps_list_depth) {
        steps_list_depth = std::string::npos;
      }
    }
    if (t != ":")
      previous_identifier.clear();
  }
  if (step_depth == 0)
    place.step = -1;
  return place;
}

// protobuf's messages, in the words the JSON errors use where they differ.
std::string RewordTextError(const std::string& message,
                            const TextPlace& place) {
  if (absl::StrContains(message, kNoFieldNamed))
    return absl::StrCat("unknown field \"", NameInMessage(message), "\"");
  if (absl::StartsWith(message, "Expected") && !place.last_field.empty())
    return absl::StrCat("field \"", place.last_field, "\": ", message);
  return message;
}

absl::StatusOr<Scenario> ParseTextproto(absl::string_view text) {
  Scenario scenario;
  FirstErrorCollector errors;
  pb::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  if (parser.ParseFromString(std::string(text), &scenario))
    return scenario;
  if (!errors.has_error())
    return absl::InvalidArgumentError("text format: could not parse");
  const TextPlace place =
      LocateInText(text, errors.line(), errors.column(), errors.message());
  const std::string where =
      place.step >= 0 ? StepPrefix(place.step, place.kind) : "scenario";
  return absl::InvalidArgumentError(absl::StrCat(
      where, ": line ", place.line + 1, ", column ", place.column + 1, ": ",
      RewordTextError(errors.message(), place)));
}

// ---------------------------------------------------------------------------------------------
// Validation.

class Validator {
 public:
  absl::Status Run(const Scenario& scenario) {
    for (int i = 0; i < scenario.steps_size(); ++i) {
      const Step& step = scenario.steps(i);
      index_ = i;
      prefix_ = StepPrefix(i, StepKind(step));
      if (absl::Status s = CheckStep(step); !s.ok())
        return s;
    }
    for (int i = 0; i < scenario.expect_sent_size(); ++i) {
      const ExpectSent& expect = scenario.expect_sent(i);
      const std::string prefix = absl::StrCat("expectSent[", i, "]");
      if (expect.url_prefix().empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(prefix, ": field \"urlPrefix\": empty"));
      }
      if (expect.count() < 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            prefix, ": field \"count\": ", expect.count(), " is negative"));
      }
    }
    return absl::OkStatus();
  }

 private:
  struct Frame {
    std::string parent;  // "" for "top"
    std::optional<net::Url> url;
  };

  absl::Status Error(absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat(prefix_, ": ", what));
  }
  absl::Status FieldErr(absl::string_view field, absl::string_view what) const {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix_, ": field \"", field, "\": ", what));
  }

  // `id` names a frame that exists now.
  absl::Status CheckFrame(absl::string_view field,
                          const std::string& id) const {
    if (id.empty())
      return FieldErr(field, "empty");
    if (frames_.count(id) != 0)
      return absl::OkStatus();
    if (auto gone = gone_at_.find(id); gone != gone_at_.end()) {
      return FieldErr(field, absl::StrCat("frame \"", id,
                                          "\" no longer exists (gone since "
                                          "step ",
                                          gone->second, ")"));
    }
    if (id == "top")
      return FieldErr(field,
                      "frame \"top\" has no document yet (navigate it "
                      "first)");
    return FieldErr(field, absl::StrCat("unknown frame \"", id, "\""));
  }

  absl::Status CheckIframe(absl::string_view field,
                           const std::string& id) const {
    if (id == "top")
      return FieldErr(field, "\"top\" is not an iframe");
    return CheckFrame(field, id);
  }

  absl::StatusOr<net::Url> ParseUrl(absl::string_view field,
                                    const std::string& url,
                                    const net::Url* base) const {
    if (url.empty())
      return FieldErr(field, "empty");
    absl::StatusOr<net::Url> parsed = net::Url::Parse(url, base);
    if (!parsed.ok())
      return FieldErr(field, parsed.status().message());
    return parsed;
  }

  absl::Status CheckResponseHeaders(
      const pb::Map<std::string, std::string>& headers) const {
    // Sorted, so that the first bad name reported does not depend on hashing.
    std::map<std::string, std::string> sorted(headers.begin(), headers.end());
    for (const auto& [name, value] : sorted) {
      if (!net::IsHttpToken(name)) {
        return FieldErr("responseHeaders",
                        absl::StrCat("header name ", QuoteForMessage(name),
                                     " is not an HTTP token"));
      }
    }
    return absl::OkStatus();
  }

  // Removes the frames inside `id`'s document (not `id` itself).
  void RemoveDescendants(const std::string& id) {
    bool removed = true;
    while (removed) {
      removed = false;
      for (auto it = frames_.begin(); it != frames_.end(); ++it) {
        if (it->second.parent == id ||
            (!it->second.parent.empty() &&
             frames_.count(it->second.parent) == 0)) {
          gone_at_[it->first] = index_;
          frames_.erase(it);
          removed = true;
          break;
        }
      }
    }
  }

  void RemoveFrame(const std::string& id) {
    RemoveDescendants(id);
    frames_.erase(id);
    gone_at_[id] = index_;
  }

  absl::Status CheckStep(const Step& step) {
    if (step.has_expect() && !step.has_fetch_later() &&
        !step.has_run_script() && !step.has_load_script()) {
      return FieldErr("expect",
                      "only fetchLater, runScript and loadScript steps take an "
                      "expect");
    }
    switch (step.action_case()) {
      case Step::ACTION_NOT_SET:
        return Error(
            absl::StrCat("no action (give one of ", ActionNames(), ")"));
      case Step::kNavigate:
        return CheckNavigate(step.navigate());
      case Step::kCreateIframe:
        return CheckCreateIframe(step.create_iframe());
      case Step::kFetchLater:
        return CheckFetchLater(step);
      case Step::kAbort:
        if (step.abort().signal().empty())
          return FieldErr("signal", "empty");
        if (signals_.count(step.abort().signal()) == 0) {
          return FieldErr("signal",
                          absl::StrCat("no earlier fetchLater passed signal ",
                                       QuoteForMessage(step.abort().signal())));
        }
        return absl::OkStatus();
      case Step::kNavigateIframe:
        return CheckNavigateIframe(step.navigate_iframe());
      case Step::kRemoveIframe:
        if (absl::Status s = CheckIframe("id", step.remove_iframe().id());
            !s.ok()) {
          return s;
        }
        RemoveFrame(step.remove_iframe().id());
        return absl::OkStatus();
      case Step::kSetVisibility:
        return absl::OkStatus();
      case Step::kEnterBfcache:
        if (frames_.count("top") == 0)
          return Error("no page in \"top\" to put in the bfcache");
        if (in_bfcache_)
          return Error("the page is already in the bfcache");
        in_bfcache_ = true;
        return absl::OkStatus();
      case Step::kRestoreFromBfcache:
        if (!in_bfcache_)
          return Error("no page is in the bfcache (no enterBfcache before)");
        in_bfcache_ = false;
        return absl::OkStatus();
      case Step::kAdvanceTime:
        if (step.advance_time().ms() < 0) {
          return FieldErr(
              "ms", absl::StrCat(step.advance_time().ms(), " is negative"));
        }
        return absl::OkStatus();
      case Step::kSetNetwork:
        if (!SetNetwork::Mode_IsValid(step.set_network().mode())) {
          return FieldErr(
              "mode", absl::StrCat("unknown mode ", step.set_network().mode()));
        }
        return absl::OkStatus();
      case Step::kCrashRenderer:
        return CheckFrame("frame", step.crash_renderer().frame());
      case Step::kRunScript:
        if (step.run_script().source().empty())
          return FieldErr("source", "empty");
        return CheckFrame("frame", step.run_script().frame());
      case Step::kLoadScript:
        if (step.load_script().path().empty())
          return FieldErr("path", "empty");
        return CheckFrame("frame", step.load_script().frame());
      case Step::kCloseTab:
        for (const auto& [id, frame] : frames_)
          gone_at_[id] = index_;
        frames_.clear();
        in_bfcache_ = false;
        return absl::OkStatus();
    }
    return Error("unhandled action");
  }

  absl::Status CheckNavigate(const Navigate& navigate) {
    const std::string& id = navigate.frame();
    if (id != "top") {
      if (absl::Status s = CheckFrame("frame", id); !s.ok())
        return s;
    }
    absl::StatusOr<net::Url> url = ParseUrl("url", navigate.url(), nullptr);
    if (!url.ok())
      return url.status();
    if (absl::Status s = CheckResponseHeaders(navigate.response_headers());
        !s.ok()) {
      return s;
    }
    if (frames_.count(id) != 0)
      RemoveDescendants(id);
    Frame& frame = frames_[id];
    frame.url = *std::move(url);
    gone_at_.erase(id);
    return absl::OkStatus();
  }

  absl::Status CheckCreateIframe(const CreateIframe& create) {
    if (absl::Status s = CheckFrame("parent", create.parent()); !s.ok())
      return s;
    const std::string& id = create.id();
    if (id.empty())
      return FieldErr("id", "empty");
    if (id == "top")
      return FieldErr("id", "\"top\" is the top-level frame");
    if (frames_.count(id) != 0)
      return FieldErr("id", absl::StrCat("frame \"", id, "\" already exists"));
    const Frame& parent = frames_.at(create.parent());
    absl::StatusOr<net::Url> src =
        ParseUrl("src", create.src(), parent.url ? &*parent.url : nullptr);
    if (!src.ok())
      return src.status();
    net::Url url = *src;
    if (!create.redirect_to().empty()) {
      absl::StatusOr<net::Url> redirect =
          ParseUrl("redirectTo", create.redirect_to(), &*src);
      if (!redirect.ok())
        return redirect.status();
      url = *std::move(redirect);
    }
    if (absl::Status s = CheckResponseHeaders(create.response_headers());
        !s.ok()) {
      return s;
    }
    frames_[id] = Frame{create.parent(), std::move(url)};
    gone_at_.erase(id);
    return absl::OkStatus();
  }

  absl::Status CheckFetchLater(const Step& step) {
    const FetchLater& fetch = step.fetch_later();
    if (absl::Status s = CheckFrame("frame", fetch.frame()); !s.ok())
      return s;
    if (fetch.has_body()) {
      const Body& body = fetch.body();
      if (!Body::Type_IsValid(body.type()))
        return FieldErr("body.type",
                        absl::StrCat("unknown type ", body.type()));
      if (body.size() < 0)
        return FieldErr("body.size", absl::StrCat(body.size(), " is negative"));
      if (body.size() > kMaxBodySize) {
        return FieldErr("body.size",
                        absl::StrCat(body.size(), " is over the 16 MiB limit"));
      }
      if (body.type() == Body::NONE && body.size() != 0)
        return FieldErr("body.size", "a NONE body has size 0");
    }
    if (!fetch.signal().empty())
      signals_.insert(fetch.signal());
    if (step.has_expect()) {
      const Expect& expect = step.expect();
      if (expect.has_outcome() && !Expect::Outcome_IsValid(expect.outcome())) {
        return FieldErr("expect.outcome",
                        absl::StrCat("unknown outcome ", expect.outcome()));
      }
      if (expect.has_quota() && expect.quota() < 0) {
        return FieldErr("expect.quota",
                        absl::StrCat(expect.quota(), " is negative"));
      }
      if (expect.has_requested() && expect.requested() < 0) {
        return FieldErr("expect.requested",
                        absl::StrCat(expect.requested(), " is negative"));
      }
    }
    return absl::OkStatus();
  }

  absl::Status CheckNavigateIframe(const NavigateIframe& navigate) {
    if (absl::Status s = CheckIframe("id", navigate.id()); !s.ok())
      return s;
    const std::string& initiator = navigate.initiator();
    if (initiator != "parent" && initiator != "self") {
      return FieldErr("initiator",
                      absl::StrCat("must be \"parent\" or \"self\", got ",
                                   QuoteForMessage(initiator)));
    }
    Frame& frame = frames_.at(navigate.id());
    const Frame& source =
        initiator == "parent" ? frames_.at(frame.parent) : frame;
    absl::StatusOr<net::Url> url =
        ParseUrl("url", navigate.url(), source.url ? &*source.url : nullptr);
    if (!url.ok())
      return url.status();
    RemoveDescendants(navigate.id());
    frames_.at(navigate.id()).url = *std::move(url);
    return absl::OkStatus();
  }

  int index_ = 0;
  std::string prefix_;
  std::map<std::string, Frame> frames_;
  std::map<std::string, int> gone_at_;  // frame id -> step it stopped existing
  std::set<std::string> signals_;
  bool in_bfcache_ = false;
};

}  // namespace

std::string StepKind(const Step& step) {
  if (step.action_case() == Step::ACTION_NOT_SET)
    return "";
  return Step::descriptor()->FindFieldByNumber(step.action_case())->json_name();
}

absl::StatusOr<ScenarioFormat> ScenarioFormatForPath(absl::string_view path) {
  if (absl::EndsWith(path, ".json"))
    return ScenarioFormat::kJson;
  if (absl::EndsWith(path, ".textproto") || absl::EndsWith(path, ".txtpb"))
    return ScenarioFormat::kTextproto;
  return absl::InvalidArgumentError(
      absl::StrCat(path,
                   ": unknown scenario file extension (use .json, "
                   ".textproto or .txtpb)"));
}

absl::StatusOr<Scenario> ParseScenario(absl::string_view text,
                                       ScenarioFormat format) {
  switch (format) {
    case ScenarioFormat::kJson:
      return ParseJson(text);
    case ScenarioFormat::kTextproto:
      return ParseTextproto(text);
  }
  return absl::InvalidArgumentError("unknown scenario format");
}

absl::Status ValidateScenario(const Scenario& scenario) {
  return Validator().Run(scenario);
}

absl::StatusOr<Scenario> ReadScenarioFile(const std::string& path) {
  absl::StatusOr<ScenarioFormat> format = ScenarioFormatForPath(path);
  if (!format.ok())
    return format.status();
  std::ifstream file(path, std::ios::binary);
  if (!file)
    return absl::NotFoundError(absl::StrCat(path, ": cannot be read"));
  std::stringstream contents;
  contents << file.rdbuf();
  absl::StatusOr<Scenario> scenario = ParseScenario(contents.str(), *format);
  if (!scenario.ok())
    return Prefixed(path, scenario.status());
  if (absl::Status s = ValidateScenario(*scenario); !s.ok())
    return Prefixed(path, s);
  // loadScript paths are relative to the scenario file: resolved here, once,
  // so every runner finds them; a file that cannot be read is the scenario's
  // error, reported before anything runs.
  const std::string::size_type slash = path.rfind('/');
  const std::string dir =
      slash == std::string::npos ? "" : path.substr(0, slash + 1);
  for (int i = 0; i < scenario->steps_size(); ++i) {
    if (!scenario->steps(i).has_load_script())
      continue;
    LoadScript* load = scenario->mutable_steps(i)->mutable_load_script();
    std::string resolved = load->path();
    if (!absl::StartsWith(resolved, "/"))
      resolved = dir + resolved;
    if (!std::ifstream(resolved, std::ios::binary)) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": step ", i, " (loadScript): field \"path\": cannot read \"",
          resolved, "\""));
    }
    load->set_path(resolved);
  }
  return scenario;
}

}  // namespace fetch_later::scenario
