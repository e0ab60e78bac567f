#include "net/json_string.h"

#include <string>

#include "gtest/gtest.h"

namespace fetch_later::net {
namespace {

TEST(JsonStringTest, EscapesAndReplacesInvalidUtf8) {
  const struct {
    std::string in;
    std::string out;
  } cases[] = {
      {"plain", "\"plain\""},
      {"q\"b\\", "\"q\\\"b\\\\\""},
      {"n\nr\rt\t", "\"n\\nr\\rt\\t\""},
      {std::string("nul\0bell\x07"
                   "del\x7f",
                   13),
       "\"nul\\u0000bell\\u0007del\\u007f\""},
      {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
       "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\""},
      {"bad \xff byte", "\"bad \\ufffd byte\""},
      {"overlong \xc0\xaf", "\"overlong \\ufffd\\ufffd\""},
      {"surrogate \xed\xa0\x80", "\"surrogate \\ufffd\\ufffd\\ufffd\""},
      {"cut \xe2\x82", "\"cut \\ufffd\\ufffd\""},
  };
  for (const auto& c : cases)
    EXPECT_EQ(JsonString(c.in), c.out) << c.in;
}

}  // namespace
}  // namespace fetch_later::net
