// A deterministic fuzz-style robustness test for the URL parser: a few thousand
// random and mutated byte strings must never crash it, and every success must
// serialise to a fixed point (URL Standard §4.1 goal: parse(serialize(url))
// serialises the same).

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "net/origin.h"
#include "net/site.h"
#include "net/url.h"

namespace fetch_later::net {
namespace {

const char* const kSeeds[] = {
    "https://user:pass@example.com:8443/a/b/../c?q=1#f",
    "http://[::ffff:192.168.0.1]/",
    "http://0x7f.1/",
    "file:///C:/x/../y",
    "file://host/share",
    "blob:https://example.com/uuid",
    "data:text/plain,hello world ?x",
    "about:blank",
    "javascript:alert(1)",
    "mailto:a@b.c",
    "ssh://git@github.com:22/a.git",
    "web+demo:/.//not-a-host/",
    "https://m\xc3\xbcnchen.de/\xe2\x82\xac",
    "https://xn--mnchen-3ya.de/",
    "//host/path",
    "../relative?x#y",
    "\\\\server\\file",
    "foo://[::1]:80/",
};

// Fragments that steer the parser into interesting states.
const char* const kTokens[] = {
    "/",
    "\\",
    ":",
    "@",
    "[",
    "]",
    "%",
    "%2e",
    "%2E",
    "..",
    ".",
    "?",
    "#",
    " ",
    "\t",
    "\n",
    "\x00",
    "\x7f",
    "0x",
    "::",
    "127",
    "255",
    "|",
    "C:",
    "c|",
    "xn--",
    "\xc3\xa9",
    "\xef\xbc\x8e",
    "\xe3\x80\x82",
    "\xff",
    "\xed\xa0\x80",
    "'",
    "^",
    "{",
    "%41",
    "https:",
    "file:",
    "a:",
    "//",
    "localhost",
    "1.2.3.4",
    "0177",
    "4294967296",
    "\xe2\x80\x8d",
};

std::string Mutate(std::string s, std::mt19937& rng) {
  std::uniform_int_distribution<int> op_dist(0, 3);
  const int rounds = std::uniform_int_distribution<int>(1, 4)(rng);
  for (int r = 0; r < rounds; ++r) {
    const size_t pos =
        s.empty() ? 0 : std::uniform_int_distribution<size_t>(0, s.size())(rng);
    switch (op_dist(rng)) {
      case 0: {  // Insert a token.
        const char* token = kTokens[std::uniform_int_distribution<size_t>(
            0, sizeof(kTokens) / sizeof(kTokens[0]) - 1)(rng)];
        std::string t =
            token[0] == '\0' ? std::string(1, '\0') : std::string(token);
        s.insert(pos, t);
        break;
      }
      case 1:  // Insert a random byte.
        s.insert(
            pos, 1,
            static_cast<char>(std::uniform_int_distribution<int>(0, 255)(rng)));
        break;
      case 2:  // Delete a byte.
        if (pos < s.size())
          s.erase(pos, 1);
        break;
      default:  // Replace a byte.
        if (pos < s.size())
          s[pos] = static_cast<char>(
              std::uniform_int_distribution<int>(0, 255)(rng));
        break;
    }
  }
  return s;
}

TEST(UrlFuzzTest, NoCrashAndSerializationIsAFixedPoint) {
  std::mt19937 rng(20240601);
  const Url base = *Url::Parse("https://example.org/dir/page?x#y");
  const Url file_base = *Url::Parse("file:///C:/dir/page");
  int successes = 0;
  constexpr int kIterations = 6000;
  for (int i = 0; i < kIterations; ++i) {
    std::string input;
    if (i % 5 == 0) {
      const int len = std::uniform_int_distribution<int>(0, 40)(rng);
      for (int k = 0; k < len; ++k)
        input.push_back(
            static_cast<char>(std::uniform_int_distribution<int>(0, 255)(rng)));
    } else {
      input = Mutate(kSeeds[i % (sizeof(kSeeds) / sizeof(kSeeds[0]))], rng);
    }
    const Url* bases[] = {nullptr, &base, &file_base};
    absl::StatusOr<Url> url = Url::Parse(input, bases[i % 3]);
    if (!url.ok()) {
      EXPECT_FALSE(url.status().message().empty());
      continue;
    }
    ++successes;
    const std::string serialized = url->Serialize();
    absl::StatusOr<Url> again = Url::Parse(serialized);
    ASSERT_TRUE(again.ok()) << "input: " << testing::PrintToString(input)
                            << "\nserialized: " << serialized << "\n"
                            << again.status();
    EXPECT_EQ(again->Serialize(), serialized)
        << "input: " << testing::PrintToString(input);
    // The origin and site model must accept whatever the parser produced.
    const Origin origin = Origin::Create(*url);
    (void)SchemefulSite::Create(origin).Serialize();
    (void)IsUrlPotentiallyTrustworthy(*url);
    (void)url->PathForRequest();
  }
  // The mutations keep a good share of the inputs valid, so the round trip is
  // exercised.
  EXPECT_GT(successes, kIterations / 4);
}

}  // namespace
}  // namespace fetch_later::net
