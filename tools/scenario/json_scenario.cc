#include "tools/scenario/json_scenario.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "tools/scenario/error_text.h"
#include "tools/scenario/json_document.h"

namespace fetch_later::scenario {
namespace {

namespace pb = ::google::protobuf;

// A JSON value as an error message shows it.
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
          // map<string, string>, or map<string, google.protobuf.Value> whose
          // values may be a string or null (expectSent.headers: null means
          // "absent").
          const bool nullable =
              field->message_type()->map_value()->message_type() ==
              pb::Value::descriptor();
          if (value.kind != JsonNode::Kind::kString &&
              !(nullable && value.kind == JsonNode::Kind::kNull)) {
            return FieldError(
                entry, absl::StrCat(nullable ? "expected a string or null, got "
                                             : "expected a string, got ",
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

// A top-level list of `T` (expectSent, expectBlocked): each item checked, then
// parsed by protobuf.
template <typename T>
absl::Status ParseJsonList(absl::string_view text,
                           const JsonNode& list,
                           absl::string_view name,
                           pb::RepeatedPtrField<T>* out) {
  for (size_t i = 0; i < list.items.size(); ++i) {
    const JsonNode& item = list.items[i];
    const std::string prefix = absl::StrCat(name, "[", i, "]");
    if (absl::Status s = CheckObject(item, T::descriptor(), ""); !s.ok())
      return Prefixed(prefix, s);
    if (absl::Status s = ParseJsonMessage(
            text.substr(item.begin, item.end - item.begin), out->Add());
        !s.ok()) {
      return Prefixed(prefix, s);
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Scenario> ParseJsonScenario(absl::string_view text) {
  absl::StatusOr<JsonNode> root = ParseJsonDocument(text);
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
        if (absl::Status s = ParseJsonList(text, value, "expectSent",
                                           scenario.mutable_expect_sent());
            !s.ok()) {
          return s;
        }
        break;
      case Scenario::kExpectBlockedFieldNumber:
        if (absl::Status s = ParseJsonList(text, value, "expectBlocked",
                                           scenario.mutable_expect_blocked());
            !s.ok()) {
          return s;
        }
        break;
      default:
        return absl::InternalError(
            absl::StrCat("scenario: field \"", key, "\" is not handled"));
    }
  }
  return scenario;
}

}  // namespace fetch_later::scenario
