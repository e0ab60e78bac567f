#include "policy/structured_fields.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"

namespace fetch_later::policy::sf {
namespace {

constexpr absl::string_view kField = "Permissions-Policy";

std::string ParamsToString(const Parameters& params) {
  std::string out;
  for (const auto& [key, value] : params) {
    absl::StrAppend(&out, ";", key);
    if (!(value.is_boolean() && value.boolean_value()))
      absl::StrAppend(&out, "=", value.DebugString());
  }
  return out;
}

std::string MemberToString(const Member& member) {
  if (!member.is_inner_list())
    return absl::StrCat(member.item().value.DebugString(),
                        ParamsToString(member.item().params));
  std::vector<std::string> items;
  for (const Item& item : member.inner_list().items)
    items.push_back(
        absl::StrCat(item.value.DebugString(), ParamsToString(item.params)));
  return absl::StrCat("(", absl::StrJoin(items, " "), ")",
                      ParamsToString(member.inner_list().params));
}

// The dictionary re-serialised canonically (RFC 8941 section 4.1), with a
// boolean true member value written out as ?1 so that it is visible.
std::string DictionaryToString(const Dictionary& dictionary) {
  std::vector<std::string> members;
  for (const auto& [key, member] : dictionary)
    members.push_back(absl::StrCat(key, "=", MemberToString(member)));
  return absl::StrJoin(members, ", ");
}

struct ValidCase {
  const char* source;
  const char* input;
  const char* expected;  // DictionaryToString of the result
};

TEST(StructuredFieldsTest, ValidDictionaries) {
  const ValidCase kCases[] = {
      {"Permissions Policy spec: header example", "deferred-fetch=*",
       "deferred-fetch=*"},
      {"RFC 8941 4.2.2: empty field value is an empty dictionary", "", ""},
      {"RFC 8941 4.2 step 2/6: leading and trailing SP discarded", "   a=1   ",
       "a=1"},
      {"SPEC-NOTES 1.15: header naming self and an origin",
       "deferred-fetch=(self \"https://b.test\")",
       "deferred-fetch=(self \"https://b.test\")"},
      {"RFC 8941 3.1.1: empty inner list", "deferred-fetch=()",
       "deferred-fetch=()"},
      {"RFC 8941 3.1.1: SP around inner-list items", "a=(  1   2  )",
       "a=(1 2)"},
      {"RFC 8941 3.2: OWS (SP and HTAB) around commas", "a=1 ,\tb=2,c=3\t, d=4",
       "a=1, b=2, c=3, d=4"},
      {"RFC 8941 3.3.3: string escapes", "a=\"q\\\"b\\\\s\"",
       "a=\"q\\\"b\\\\s\""},
      {"RFC 8941 3.3.3: empty string", "a=\"\"", "a=\"\""},
      {"RFC 8941 3.3.4: tokens may contain ':' and '/'", "a=foo/bar:baz*",
       "a=foo/bar:baz*"},
      {"RFC 8941 3.3.4: token starting with '*'", "a=*b", "a=*b"},
      {"RFC 8941 3.3.1: integers", "a=0, b=-42, c=999999999999999",
       "a=0, b=-42, c=999999999999999"},
      {"RFC 8941 3.3.2: decimals", "a=1.5, b=-0.25, c=123456789012.123",
       "a=1.5, b=-0.25, c=123456789012.123"},
      {"RFC 8941 3.3.6: booleans", "a=?1, b=?0", "a=?1, b=?0"},
      {"RFC 8941 3.2: a key without a value is boolean true", "a, b;x=1",
       "a=?1, b=?1;x=1"},
      {"RFC 8941 3.3.5: byte sequence", "a=:aGk=:", "a=:aGk=:"},
      {"RFC 8941 4.2.7: byte sequence without padding", "a=:aGk:", "a=:aGk=:"},
      {"RFC 8941 3.3.5: empty byte sequence", "a=::", "a=::"},
      {"RFC 8941 3.1.2: parameters on items and inner lists",
       "a=(1;x 2;y=\"z\");report-to=\"ep\", b=tok;q=0.5",
       "a=(1;x 2;y=\"z\");report-to=\"ep\", b=tok;q=0.5"},
      {"RFC 8941 4.2.3.2: SP after ';' in parameters", "a=1; x=2", "a=1;x=2"},
      {"RFC 8941 4.2.2: duplicate key keeps first position, last value",
       "a=1, b=2, a=3", "a=3, b=2"},
      {"RFC 8941 4.2.3.2: duplicate parameter: last value", "a=1;x=1;x=2",
       "a=1;x=2"},
      {"RFC 8941 3.1.2: keys may use digits _ - . *", "a1_-.*=1, *k=2",
       "a1_-.*=1, *k=2"},
      {"RFC 8941 3.1.1: nested items of every type in an inner list",
       "a=(1 1.5 \"s\" t :aGk=: ?0)", "a=(1 1.5 \"s\" t :aGk=: ?0)"},
  };
  for (const ValidCase& c : kCases) {
    SCOPED_TRACE(absl::StrCat(c.source, ": ", c.input));
    absl::StatusOr<Dictionary> dictionary = ParseDictionary(c.input, kField);
    ASSERT_TRUE(dictionary.ok()) << dictionary.status();
    EXPECT_EQ(DictionaryToString(*dictionary), c.expected);
  }
}

TEST(StructuredFieldsTest, ValuesAreDecoded) {
  // RFC 8941 3.3.3, 3.3.5, 3.3.2: the unescaped string, the decoded bytes, the
  // exact decimal.
  absl::StatusOr<Dictionary> d =
      ParseDictionary("s=\"a\\\"b\", b=:aGk=:, n=-1.05, t=self", kField);
  ASSERT_TRUE(d.ok()) << d.status();
  ASSERT_EQ(d->size(), 4u);
  EXPECT_TRUE(Find(*d, "s")->item().value.is_string());
  EXPECT_EQ(Find(*d, "s")->item().value.string_value(), "a\"b");
  EXPECT_TRUE(Find(*d, "b")->item().value.is_byte_sequence());
  EXPECT_EQ(Find(*d, "b")->item().value.string_value(), "hi");
  EXPECT_TRUE(Find(*d, "n")->item().value.is_decimal());
  EXPECT_EQ(Find(*d, "n")->item().value.integer_value(), -1050);
  EXPECT_DOUBLE_EQ(Find(*d, "n")->item().value.decimal_value(), -1.05);
  EXPECT_EQ(Find(*d, "t")->item().value, BareItem::Token("self"));
  EXPECT_EQ(Find(*d, "missing"), nullptr);
}

struct InvalidCase {
  const char* source;
  const char* input;
  const char* expected_message;  // exact absl::Status message
};

TEST(StructuredFieldsTest, MalformedDictionariesFailWithOffsetAndRule) {
  const InvalidCase kCases[] = {
      {"RFC 8941 4.2.5: unterminated string",
       "deferred-fetch=(\"https://b.test)",
       "Permissions-Policy: at offset 32: unterminated string: expected '\"' "
       "(found end of "
       "input)"},
      {"RFC 8941 4.2.3.3: keys are lowercase (SPEC-NOTES: Deferred-Fetch=*)",
       "Deferred-Fetch=*",
       "Permissions-Policy: at offset 0: a key must start with a lowercase "
       "letter or '*' "
       "(found 'D')"},
      {"RFC 8941 4.2.3.3: uppercase inside a key stops the key",
       "deferred-Fetch=*",
       "Permissions-Policy: at offset 9: expected ',' or end of dictionary "
       "(found 'F')"},
      {"RFC 8941 4.2.2: trailing comma", "deferred-fetch=*,",
       "Permissions-Policy: at offset 17: trailing ',' in dictionary (found "
       "end of input)"},
      {"RFC 8941 4.2.2: garbage after an item",
       "deferred-fetch=self \"https://b.test\"",
       "Permissions-Policy: at offset 20: expected ',' or end of dictionary "
       "(found '\"')"},
      {"RFC 8941 4.2 step 1: non-ASCII",
       "deferred-fetch=(\"https://\xC3\xA9.test\")",
       "Permissions-Policy: at offset 25: field values must be ASCII (found "
       "byte 0xC3)"},
      {"RFC 8941 4.2.1.2: unterminated inner list", "a=(1 2",
       "Permissions-Policy: at offset 6: unterminated inner list: expected ')' "
       "(found end of "
       "input)"},
      {"RFC 8941 4.2.1.2: items in an inner list are separated by SP",
       "a=(1,2)",
       "Permissions-Policy: at offset 4: expected SP or ')' after an "
       "inner-list item (found "
       "',')"},
      {"RFC 8941 4.2.3.1: not an item", "a=@1",
       "Permissions-Policy: at offset 2: expected an item (integer, decimal, "
       "string, token, "
       "byte sequence or boolean) (found '@')"},
      {"RFC 8941 4.2.2: '=' without a value", "a=",
       "Permissions-Policy: at offset 2: expected an item (integer, decimal, "
       "string, token, "
       "byte sequence or boolean) (found end of input)"},
      {"RFC 8941 4.2.5: only \\\" and \\\\ escape", "a=\"\\n\"",
       "Permissions-Policy: at offset 4: only '\\\"' and '\\\\' are escapes in "
       "a string (found "
       "'n')"},
      {"RFC 8941 4.2.5: control characters in a string", "a=\"x\ty\"",
       "Permissions-Policy: at offset 4: strings may contain only printable "
       "ASCII (found byte "
       "0x09)"},
      {"RFC 8941 4.2.8: boolean", "a=?2",
       "Permissions-Policy: at offset 3: a boolean is '?1' or '?0' (found "
       "'2')"},
      {"RFC 8941 4.2.7: byte sequence alphabet", "a=:a*k=:",
       "Permissions-Policy: at offset 4: byte sequences may contain only "
       "base64 characters "
       "(found '*')"},
      {"RFC 8941 4.2.7: unterminated byte sequence", "a=:aGk=",
       "Permissions-Policy: at offset 7: unterminated byte sequence: expected "
       "':' (found end "
       "of input)"},
      {"RFC 8941 4.2.4: integer longer than 15 digits", "a=1234567890123456",
       "Permissions-Policy: at offset 17: an integer has at most 15 digits "
       "(found '6')"},
      {"RFC 8941 4.2.4: decimal with 13 integer digits", "a=1234567890123.5",
       "Permissions-Policy: at offset 15: a decimal has at most 12 integer "
       "digits (found "
       "'.')"},
      {"RFC 8941 4.2.4: decimal with 4 fractional digits", "a=1.2345",
       "Permissions-Policy: at offset 8: a decimal has at most 3 fractional "
       "digits (found end "
       "of input)"},
      {"RFC 8941 4.2.4: decimal ending in '.'", "a=1.",
       "Permissions-Policy: at offset 4: a decimal must not end with '.' "
       "(found end of input)"},
      {"RFC 8941 4.2.4: '-' without digits", "a=-x",
       "Permissions-Policy: at offset 3: expected a digit (found 'x')"},
      {"RFC 8941 3.2: HTAB is not SP before the first key", "\ta=1",
       "Permissions-Policy: at offset 0: a key must start with a lowercase "
       "letter or '*' "
       "(found byte 0x09)"},
      {"RFC 8941 4.2.3.2: parameter key must be lowercase", "a=1;X=2",
       "Permissions-Policy: at offset 4: a key must start with a lowercase "
       "letter or '*' "
       "(found 'X')"},
      {"RFC 9651 Date is not RFC 8941", "a=@1659578233",
       "Permissions-Policy: at offset 2: expected an item (integer, decimal, "
       "string, token, "
       "byte sequence or boolean) (found '@')"},
  };
  for (const InvalidCase& c : kCases) {
    SCOPED_TRACE(absl::StrCat(c.source, ": ", c.input));
    absl::StatusOr<Dictionary> dictionary = ParseDictionary(c.input, kField);
    ASSERT_FALSE(dictionary.ok());
    EXPECT_EQ(dictionary.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(std::string(dictionary.status().message()), c.expected_message);
  }
}

TEST(StructuredFieldsTest, ListsAndItems) {
  // RFC 8941 3.1: a List; 3.3: an Item.
  absl::StatusOr<List> list = ParseList("1, (a b);p, \"s\"", "Test-List");
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ(MemberToString((*list)[1]), "(a b);p");
  EXPECT_TRUE(ParseList("", "Test-List").ok());
  EXPECT_EQ(
      ParseList("1,", "Test-List").status().message(),
      "Test-List: at offset 2: trailing ',' in list (found end of input)");

  absl::StatusOr<Item> item = ParseItem(" tok;a=1 ", "Test-Item");
  ASSERT_TRUE(item.ok()) << item.status();
  EXPECT_EQ(item->value, BareItem::Token("tok"));
  EXPECT_EQ(ParseItem("", "Test-Item").status().message(),
            "Test-Item: at offset 0: expected an item (integer, decimal, "
            "string, token, byte "
            "sequence or boolean) (found end of input)");
  EXPECT_EQ(ParseItem("1 2", "Test-Item").status().message(),
            "Test-Item: at offset 2: unexpected characters after the value "
            "(found '2')");
}

}  // namespace
}  // namespace fetch_later::policy::sf
