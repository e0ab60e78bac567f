// RFC 8941 "Structured Field Values for HTTP": parsing of Dictionaries, Lists
// and Items (with the Inner Lists and Parameters they contain). Pure functions;
// no I/O.
//
//   absl::StatusOr<sf::Dictionary> dict = sf::ParseDictionary(
//       "deferred-fetch=(self \"https://b.test\"), deferred-fetch-minimal=*",
//       "Permissions-Policy");
//   const sf::Member* member = sf::Find(*dict, "deferred-fetch-minimal");
//   member->is_inner_list();                       // false
//   member->item().value.is_token();               // true
//   member->item().value.string_value();           // "*"
//
// A field value that does not match the grammar fails as a whole (RFC 8941
// section 4.2, "fail parsing"); the absl::InvalidArgumentError names the field,
// the character offset in the input and the rule that was broken:
//   "Permissions-Policy: at offset 17: expected ',' or end of dictionary".
//
// Only RFC 8941's types are known: integers, decimals, strings, tokens, byte
// sequences and booleans. RFC 9651's Dates (`@`) and Display Strings (`%"`)
// fail to parse.
#ifndef POLICY_STRUCTURED_FIELDS_H_
#define POLICY_STRUCTURED_FIELDS_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace fetch_later::policy::sf {

// RFC 8941 section 3.3: "Bare Item". A small value type.
class BareItem {
 public:
  enum class Type {
    kInteger,
    kDecimal,
    kString,
    kToken,
    kByteSequence,
    kBoolean
  };

  // `value` must be within +/-999,999,999,999,999 (RFC 8941 section 3.3.1).
  static BareItem Integer(int64_t value);
  // `thousandths` is the decimal times 1000: Decimal(1500) is 1.5. RFC 8941
  // decimals have at most three fractional digits, so this representation is
  // exact.
  static BareItem Decimal(int64_t thousandths);
  static BareItem String(std::string value);
  static BareItem Token(std::string value);
  // `bytes` is the decoded byte sequence (not base64).
  static BareItem ByteSequence(std::string bytes);
  static BareItem Boolean(bool value);

  Type type() const { return type_; }
  bool is_integer() const { return type_ == Type::kInteger; }
  bool is_decimal() const { return type_ == Type::kDecimal; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_token() const { return type_ == Type::kToken; }
  bool is_byte_sequence() const { return type_ == Type::kByteSequence; }
  bool is_boolean() const { return type_ == Type::kBoolean; }

  // For integers; for decimals, the value in thousandths.
  int64_t integer_value() const { return number_; }
  double decimal_value() const { return static_cast<double>(number_) / 1000.0; }
  // For strings (unescaped), tokens and byte sequences (decoded bytes).
  const std::string& string_value() const { return string_; }
  bool boolean_value() const { return number_ != 0; }

  // A debugging form in the field syntax: 42, 1.5, "a\"b", tok, :aGk=:, ?1.
  std::string DebugString() const;

  friend bool operator==(const BareItem& a, const BareItem& b) {
    return a.type_ == b.type_ && a.number_ == b.number_ &&
           a.string_ == b.string_;
  }
  friend bool operator!=(const BareItem& a, const BareItem& b) {
    return !(a == b);
  }

 private:
  BareItem(Type type, int64_t number, std::string string)
      : type_(type), number_(number), string_(std::move(string)) {}

  Type type_;
  int64_t number_;      // integer, decimal (thousandths) or boolean (0/1)
  std::string string_;  // string, token or byte sequence
};

// RFC 8941 section 3.1.2: "Parameters": an ordered map key -> bare item. A key
// given twice keeps its first position and takes the last value.
using Parameters = std::vector<std::pair<std::string, BareItem>>;

// RFC 8941 section 3.3: "Item".
struct Item {
  BareItem value;
  Parameters params;
};

// RFC 8941 section 3.1.1: "Inner List".
struct InnerList {
  std::vector<Item> items;
  Parameters params;
};

// A member of a List or a Dictionary: an Item or an Inner List.
class Member {
 public:
  explicit Member(Item item) : is_inner_list_(false), item_(std::move(item)) {}
  explicit Member(InnerList list)
      : is_inner_list_(true),
        item_{BareItem::Boolean(false), {}},
        inner_list_(std::move(list)) {}

  bool is_inner_list() const { return is_inner_list_; }
  // Only when !is_inner_list().
  const Item& item() const { return item_; }
  // Only when is_inner_list().
  const InnerList& inner_list() const { return inner_list_; }
  // The member's parameters, whichever form it has.
  const Parameters& params() const {
    return is_inner_list_ ? inner_list_.params : item_.params;
  }

 private:
  bool is_inner_list_;
  Item item_;
  InnerList inner_list_;
};

// RFC 8941 section 3.1: "List".
using List = std::vector<Member>;

// RFC 8941 section 3.2: "Dictionary": an ordered map key -> member, keys
// unique. A key given twice keeps its first position and takes the last value
// (section 4.2.2, "overwriting any existing value").
using Dictionary = std::vector<std::pair<std::string, Member>>;

// RFC 8941 section 4.2: "Parsing Structured Fields" with field_type
// "dictionary", "list" or "item". `input` is the field value (already combined
// if the field was sent more than once). `field_name` prefixes error messages.
// Input that is empty (after leading and trailing SP) gives an empty Dictionary
// or List; for an Item it fails.
absl::StatusOr<Dictionary> ParseDictionary(absl::string_view input,
                                           absl::string_view field_name);
absl::StatusOr<List> ParseList(absl::string_view input,
                               absl::string_view field_name);
absl::StatusOr<Item> ParseItem(absl::string_view input,
                               absl::string_view field_name);

// The member named `key`, or null.
const Member* Find(const Dictionary& dictionary, absl::string_view key);

}  // namespace fetch_later::policy::sf

#endif  // POLICY_STRUCTURED_FIELDS_H_
