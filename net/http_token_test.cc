#include "net/http_token.h"

#include <string>

#include "gtest/gtest.h"

namespace fetch_later::net {
namespace {

// RFC 9110 section 5.6.2: token = 1*tchar.
TEST(HttpTokenTest, Tokens) {
  struct Case {
    const char* source;
    std::string input;
    bool token;
  };
  const Case kCases[] = {
      {"a header name", "X-Trace", true},
      {"every tchar symbol, digits and letters", "!#$%&'*+-.^_`|~09azAZ", true},
      {"a method", "POST", true},
      {"token = 1*tchar: empty is not a token", "", false},
      {"SP is not a tchar", "X Trace", false},
      {"HTAB is not a tchar", "X\tTrace", false},
      {"':' is a delimiter", "X:Trace", false},
      {"non-ASCII is not a tchar", "\xC3\x9C", false},
      {"NUL is not a tchar", std::string("a\0b", 3), false},
      {"CR LF are not tchars", "a\r\nb", false},
  };
  for (const Case& c : kCases)
    EXPECT_EQ(IsHttpToken(c.input), c.token) << c.source;
}

// RFC 9110 section 5.6.2: tchar is VCHAR except the delimiters
// DQUOTE and "(),/:;<=>?@[\]{}".
TEST(HttpTokenTest, TcharIsVisibleAsciiExceptDelimiters) {
  const std::string delimiters = "\"(),/:;<=>?@[\\]{}";
  for (int i = 0; i < 256; ++i) {
    const char c = static_cast<char>(i);
    const bool vchar = i > 0x20 && i < 0x7F;
    const bool expected = vchar && delimiters.find(c) == std::string::npos;
    EXPECT_EQ(IsHttpTokenChar(c), expected) << "byte " << i;
  }
}

}  // namespace
}  // namespace fetch_later::net
