#include "policy/structured_fields.h"

#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "net/http_token.h"

namespace fetch_later::policy::sf {

namespace {

constexpr int64_t kMaxInteger = 999'999'999'999'999;

bool IsLcAlpha(char c) {
  return c >= 'a' && c <= 'z';
}
bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}
bool IsAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool IsBase64Char(char c) {
  return IsAlpha(c) || IsDigit(c) || c == '+' || c == '/' || c == '=';
}

// Describes the character at an error position for messages: 'x', end of input,
// byte 0xC3.
std::string DescribeChar(absl::string_view input, size_t pos) {
  if (pos >= input.size())
    return "end of input";
  unsigned char c = static_cast<unsigned char>(input[pos]);
  if (c < 0x20 || c >= 0x7f)
    return absl::StrFormat("byte 0x%02X", c);
  return absl::StrCat("'", absl::string_view(&input[pos], 1), "'");
}

// The parsing algorithms of RFC 8941 section 4.2, over `input` with a cursor.
// Each Parse* method consumes what it parsed; on failure it returns an error
// naming the offset.
class Parser {
 public:
  Parser(absl::string_view input, absl::string_view field_name)
      : input_(input), field_name_(field_name) {}

  // RFC 8941 section 4.2, steps 1-2 and 5-7, around `parse_body`.
  template <typename T, typename F>
  absl::StatusOr<T> ParseField(F parse_body) {
    // Step 1 ("convert input_bytes into an ASCII string"): fail on non-ASCII.
    for (size_t i = 0; i < input_.size(); ++i) {
      if (static_cast<unsigned char>(input_[i]) >= 0x80) {
        pos_ = i;
        return Error("field values must be ASCII");
      }
    }
    DiscardSp();  // Step 2.
    absl::StatusOr<T> output = parse_body();
    if (!output.ok())
      return output;
    DiscardSp();   // Step 6.
    if (!AtEnd())  // Step 7.
      return Error("unexpected characters after the value");
    return output;
  }

  // RFC 8941 section 4.2.2: "Parsing a Dictionary".
  absl::StatusOr<Dictionary> ParseDictionaryBody() {
    Dictionary dictionary;
    while (!AtEnd()) {
      absl::StatusOr<std::string> key = ParseKey();
      if (!key.ok())
        return key.status();
      std::optional<Member> member;
      if (Peek() == '=') {
        ++pos_;
        absl::StatusOr<Member> value = ParseItemOrInnerList();
        if (!value.ok())
          return value.status();
        member.emplace(*std::move(value));
      } else {
        absl::StatusOr<Parameters> params = ParseParameters();
        if (!params.ok())
          return params.status();
        member.emplace(Item{BareItem::Boolean(true), *std::move(params)});
      }
      SetMember(dictionary, *std::move(key), *std::move(member));
      DiscardOws();
      if (AtEnd())
        return dictionary;
      if (Peek() != ',')
        return Error("expected ',' or end of dictionary");
      ++pos_;
      DiscardOws();
      if (AtEnd())
        return Error("trailing ',' in dictionary");
    }
    return dictionary;
  }

  // RFC 8941 section 4.2.1: "Parsing a List".
  absl::StatusOr<List> ParseListBody() {
    List members;
    while (!AtEnd()) {
      absl::StatusOr<Member> member = ParseItemOrInnerList();
      if (!member.ok())
        return member.status();
      members.push_back(*std::move(member));
      DiscardOws();
      if (AtEnd())
        return members;
      if (Peek() != ',')
        return Error("expected ',' or end of list");
      ++pos_;
      DiscardOws();
      if (AtEnd())
        return Error("trailing ',' in list");
    }
    return members;
  }

  // RFC 8941 section 4.2.3: "Parsing an Item".
  absl::StatusOr<Item> ParseItemBody() {
    absl::StatusOr<BareItem> bare = ParseBareItem();
    if (!bare.ok())
      return bare.status();
    absl::StatusOr<Parameters> params = ParseParameters();
    if (!params.ok())
      return params.status();
    return Item{*std::move(bare), *std::move(params)};
  }

 private:
  bool AtEnd() const { return pos_ >= input_.size(); }
  char Peek() const { return AtEnd() ? '\0' : input_[pos_]; }
  void DiscardSp() {
    while (!AtEnd() && input_[pos_] == ' ')
      ++pos_;
  }
  // OWS: SP and HTAB.
  void DiscardOws() {
    while (!AtEnd() && (input_[pos_] == ' ' || input_[pos_] == '\t'))
      ++pos_;
  }

  absl::Status Error(absl::string_view rule) const {
    return absl::InvalidArgumentError(
        absl::StrCat(field_name_, ": at offset ", pos_, ": ", rule, " (found ",
                     DescribeChar(input_, pos_), ")"));
  }

  template <typename V>
  static void SetMember(std::vector<std::pair<std::string, V>>& map,
                        std::string key,
                        V value) {
    for (auto& [k, v] : map) {
      if (k == key) {
        v = std::move(value);
        return;
      }
    }
    map.emplace_back(std::move(key), std::move(value));
  }

  // RFC 8941 section 4.2.1.1: "Parsing an Item or Inner List".
  absl::StatusOr<Member> ParseItemOrInnerList() {
    if (Peek() == '(') {
      absl::StatusOr<InnerList> list = ParseInnerList();
      if (!list.ok())
        return list.status();
      return Member(*std::move(list));
    }
    absl::StatusOr<Item> item = ParseItemBody();
    if (!item.ok())
      return item.status();
    return Member(*std::move(item));
  }

  // RFC 8941 section 4.2.1.2: "Parsing an Inner List".
  absl::StatusOr<InnerList> ParseInnerList() {
    ++pos_;  // '('
    InnerList list;
    while (!AtEnd()) {
      DiscardSp();
      if (Peek() == ')') {
        ++pos_;
        absl::StatusOr<Parameters> params = ParseParameters();
        if (!params.ok())
          return params.status();
        list.params = *std::move(params);
        return list;
      }
      absl::StatusOr<Item> item = ParseItemBody();
      if (!item.ok())
        return item.status();
      list.items.push_back(*std::move(item));
      if (AtEnd())
        break;
      if (Peek() != ' ' && Peek() != ')')
        return Error("expected SP or ')' after an inner-list item");
    }
    return Error("unterminated inner list: expected ')'");
  }

  // RFC 8941 section 4.2.3.1: "Parsing a Bare Item".
  absl::StatusOr<BareItem> ParseBareItem() {
    char c = Peek();
    if (c == '-' || IsDigit(c))
      return ParseNumber();
    if (c == '"')
      return ParseString();
    if (IsAlpha(c) || c == '*')
      return ParseToken();
    if (c == ':')
      return ParseByteSequence();
    if (c == '?')
      return ParseBoolean();
    return Error(
        "expected an item (integer, decimal, string, token, byte sequence or "
        "boolean)");
  }

  // RFC 8941 section 4.2.3.2: "Parsing Parameters".
  absl::StatusOr<Parameters> ParseParameters() {
    Parameters params;
    while (!AtEnd()) {
      if (Peek() != ';')
        break;
      ++pos_;
      DiscardSp();
      absl::StatusOr<std::string> key = ParseKey();
      if (!key.ok())
        return key.status();
      BareItem value = BareItem::Boolean(true);
      if (Peek() == '=') {
        ++pos_;
        absl::StatusOr<BareItem> bare = ParseBareItem();
        if (!bare.ok())
          return bare.status();
        value = *std::move(bare);
      }
      SetMember(params, *std::move(key), std::move(value));
    }
    return params;
  }

  // RFC 8941 section 4.2.3.3: "Parsing a Key".
  absl::StatusOr<std::string> ParseKey() {
    char c = Peek();
    if (!IsLcAlpha(c) && c != '*')
      return Error("a key must start with a lowercase letter or '*'");
    std::string key;
    while (!AtEnd()) {
      c = input_[pos_];
      if (!IsLcAlpha(c) && !IsDigit(c) && c != '_' && c != '-' && c != '.' &&
          c != '*')
        break;
      key.push_back(c);
      ++pos_;
    }
    return key;
  }

  // RFC 8941 section 4.2.4: "Parsing an Integer or Decimal".
  absl::StatusOr<BareItem> ParseNumber() {
    bool is_decimal = false;
    int sign = 1;
    std::string digits;  // input_number without the sign
    if (Peek() == '-') {
      ++pos_;
      sign = -1;
    }
    if (!IsDigit(Peek()))
      return Error("expected a digit");
    size_t dot_position = 0;  // index of '.' in `digits`
    while (!AtEnd()) {
      char c = input_[pos_];
      if (IsDigit(c)) {
        digits.push_back(c);
      } else if (!is_decimal && c == '.') {
        if (digits.size() > 12)
          return Error("a decimal has at most 12 integer digits");
        digits.push_back(c);
        dot_position = digits.size() - 1;
        is_decimal = true;
      } else {
        break;
      }
      if (!is_decimal && digits.size() > 15)
        return Error("an integer has at most 15 digits");
      if (is_decimal && digits.size() > 16)
        return Error("a decimal has at most 16 characters");
      ++pos_;
    }
    if (!is_decimal) {
      int64_t value = 0;
      for (char d : digits)
        value = value * 10 + (d - '0');
      return BareItem::Integer(sign * value);
    }
    if (digits.back() == '.')
      return Error("a decimal must not end with '.'");
    size_t fraction_digits = digits.size() - dot_position - 1;
    if (fraction_digits > 3)
      return Error("a decimal has at most 3 fractional digits");
    int64_t thousandths = 0;
    for (size_t i = 0; i < digits.size(); ++i) {
      if (i != dot_position)
        thousandths = thousandths * 10 + (digits[i] - '0');
    }
    for (size_t i = fraction_digits; i < 3; ++i)
      thousandths *= 10;
    return BareItem::Decimal(sign * thousandths);
  }

  // RFC 8941 section 4.2.5: "Parsing a String".
  absl::StatusOr<BareItem> ParseString() {
    ++pos_;  // '"'
    std::string output;
    while (!AtEnd()) {
      char c = input_[pos_];
      if (c == '\\') {
        ++pos_;
        if (AtEnd())
          return Error("unterminated string: '\\' at end of input");
        char next = input_[pos_];
        if (next != '"' && next != '\\')
          return Error("only '\\\"' and '\\\\' are escapes in a string");
        output.push_back(next);
        ++pos_;
      } else if (c == '"') {
        ++pos_;
        return BareItem::String(std::move(output));
      } else if (static_cast<unsigned char>(c) < 0x20 ||
                 static_cast<unsigned char>(c) >= 0x7f) {
        return Error("strings may contain only printable ASCII");
      } else {
        output.push_back(c);
        ++pos_;
      }
    }
    return Error("unterminated string: expected '\"'");
  }

  // RFC 8941 section 4.2.6: "Parsing a Token".
  absl::StatusOr<BareItem> ParseToken() {
    std::string output;
    while (!AtEnd()) {
      char c = input_[pos_];
      if (!net::IsHttpTokenChar(c) && c != ':' && c != '/')
        break;
      output.push_back(c);
      ++pos_;
    }
    return BareItem::Token(std::move(output));
  }

  // RFC 8941 section 4.2.7: "Parsing a Byte Sequence".
  absl::StatusOr<BareItem> ParseByteSequence() {
    ++pos_;  // ':'
    size_t start = pos_;
    while (!AtEnd() && input_[pos_] != ':') {
      if (!IsBase64Char(input_[pos_]))
        return Error("byte sequences may contain only base64 characters");
      ++pos_;
    }
    if (AtEnd())
      return Error("unterminated byte sequence: expected ':'");
    absl::string_view b64 = input_.substr(start, pos_ - start);
    std::string bytes;
    // Step 8: decode; missing '=' padding is accepted, as the RFC recommends.
    if (!absl::Base64Unescape(b64, &bytes)) {
      pos_ = start;
      return Error("byte sequence is not valid base64");
    }
    ++pos_;  // ':'
    return BareItem::ByteSequence(std::move(bytes));
  }

  // RFC 8941 section 4.2.8: "Parsing a Boolean".
  absl::StatusOr<BareItem> ParseBoolean() {
    ++pos_;  // '?'
    char c = Peek();
    if (c == '1' || c == '0') {
      ++pos_;
      return BareItem::Boolean(c == '1');
    }
    return Error("a boolean is '?1' or '?0'");
  }

  absl::string_view input_;
  absl::string_view field_name_;
  size_t pos_ = 0;
};

}  // namespace

BareItem BareItem::Integer(int64_t value) {
  return BareItem(Type::kInteger, value, "");
}
BareItem BareItem::Decimal(int64_t thousandths) {
  return BareItem(Type::kDecimal, thousandths, "");
}
BareItem BareItem::String(std::string value) {
  return BareItem(Type::kString, 0, std::move(value));
}
BareItem BareItem::Token(std::string value) {
  return BareItem(Type::kToken, 0, std::move(value));
}
BareItem BareItem::ByteSequence(std::string bytes) {
  return BareItem(Type::kByteSequence, 0, std::move(bytes));
}
BareItem BareItem::Boolean(bool value) {
  return BareItem(Type::kBoolean, value ? 1 : 0, "");
}

std::string BareItem::DebugString() const {
  switch (type_) {
    case Type::kInteger:
      return absl::StrCat(number_);
    case Type::kDecimal: {
      int64_t abs = number_ < 0 ? -number_ : number_;
      std::string fraction = absl::StrFormat("%03d", abs % 1000);
      while (fraction.size() > 1 && fraction.back() == '0')
        fraction.pop_back();
      return absl::StrCat(number_ < 0 ? "-" : "", abs / 1000, ".", fraction);
    }
    case Type::kString: {
      std::string out = "\"";
      for (char c : string_) {
        if (c == '"' || c == '\\')
          out.push_back('\\');
        out.push_back(c);
      }
      out.push_back('"');
      return out;
    }
    case Type::kToken:
      return string_;
    case Type::kByteSequence:
      return absl::StrCat(":", absl::Base64Escape(string_), ":");
    case Type::kBoolean:
      return number_ ? "?1" : "?0";
  }
  return "";
}

absl::StatusOr<Dictionary> ParseDictionary(absl::string_view input,
                                           absl::string_view field_name) {
  Parser parser(input, field_name);
  return parser.ParseField<Dictionary>(
      [&] { return parser.ParseDictionaryBody(); });
}

absl::StatusOr<List> ParseList(absl::string_view input,
                               absl::string_view field_name) {
  Parser parser(input, field_name);
  return parser.ParseField<List>([&] { return parser.ParseListBody(); });
}

absl::StatusOr<Item> ParseItem(absl::string_view input,
                               absl::string_view field_name) {
  Parser parser(input, field_name);
  return parser.ParseField<Item>([&] { return parser.ParseItemBody(); });
}

const Member* Find(const Dictionary& dictionary, absl::string_view key) {
  for (const auto& [k, member] : dictionary) {
    if (k == key)
      return &member;
  }
  return nullptr;
}

}  // namespace fetch_later::policy::sf
