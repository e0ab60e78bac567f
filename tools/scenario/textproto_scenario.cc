#include "tools/scenario/textproto_scenario.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/text_format.h"
#include "tools/scenario/error_text.h"

namespace fetch_later::scenario {
namespace {

namespace pb = ::google::protobuf;

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

}  // namespace

absl::StatusOr<Scenario> ParseTextprotoScenario(absl::string_view text) {
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

}  // namespace fetch_later::scenario
