// URL Standard (https://url.spec.whatwg.org/): the basic URL parser, the host
// parser and the URL serializer. Algorithm and state names below are the
// spec's; validation errors that do not return failure are not reported (the
// spec lets a parser ignore them).

#include "net/url.h"

#include <idn2.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"

namespace fetch_later::net {

namespace {

// The "EOF code point" of the spec; not a scalar value, so it never collides
// with input.
constexpr char32_t kEof = 0xFFFFFFFF;
constexpr char32_t kReplacement = 0xFFFD;

// Inputs longer than this are cut in error messages.
constexpr size_t kMaxInputInMessage = 200;

// --- Code point helpers (Infra Standard) ---

bool IsAsciiAlpha(char32_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool IsAsciiDigit(char32_t c) {
  return c >= '0' && c <= '9';
}
bool IsAsciiHexDigit(char32_t c) {
  return IsAsciiDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool IsAsciiAlphanumeric(char32_t c) {
  return IsAsciiAlpha(c) || IsAsciiDigit(c);
}
char32_t AsciiLower(char32_t c) {
  return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}
int HexValue(char32_t c) {
  if (IsAsciiDigit(c))
    return static_cast<int>(c - '0');
  if (c >= 'a' && c <= 'f')
    return static_cast<int>(c - 'a' + 10);
  if (c >= 'A' && c <= 'F')
    return static_cast<int>(c - 'A' + 10);
  return -1;
}

// Encoding Standard: "UTF-8 decode without BOM" (replacement, not fail): each
// maximal subpart of an ill-formed sequence becomes one U+FFFD.
std::u32string Utf8Decode(absl::string_view bytes) {
  std::u32string out;
  out.reserve(bytes.size());
  size_t i = 0;
  const size_t n = bytes.size();
  while (i < n) {
    const uint8_t b0 = static_cast<uint8_t>(bytes[i]);
    if (b0 < 0x80) {
      out.push_back(b0);
      ++i;
      continue;
    }
    int needed = 0;
    char32_t cp = 0;
    uint8_t lower = 0x80;
    uint8_t upper = 0xBF;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
      needed = 1;
      cp = b0 & 0x1F;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      if (b0 == 0xE0)
        lower = 0xA0;
      if (b0 == 0xED)
        upper = 0x9F;
      needed = 2;
      cp = b0 & 0x0F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      if (b0 == 0xF0)
        lower = 0x90;
      if (b0 == 0xF4)
        upper = 0x8F;
      needed = 3;
      cp = b0 & 0x07;
    } else {
      out.push_back(kReplacement);
      ++i;
      continue;
    }
    size_t j = i + 1;
    bool ok = true;
    for (int k = 0; k < needed; ++k, ++j) {
      if (j >= n) {
        ok = false;
        break;
      }
      const uint8_t b = static_cast<uint8_t>(bytes[j]);
      if (b < lower || b > upper) {
        ok = false;
        break;
      }
      lower = 0x80;
      upper = 0xBF;
      cp = (cp << 6) | (b & 0x3F);
    }
    out.push_back(ok ? cp : kReplacement);
    i = j;  // On failure j is at the offending byte, which is reprocessed.
  }
  return out;
}

void AppendUtf8(char32_t c, std::string* out) {
  if (c < 0x80) {
    out->push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (c >> 6)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (c >> 12)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (c >> 18)));
    out->push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

// "'x'" for printable ASCII, "U+00E9" otherwise; for error messages.
std::string DescribeCodePoint(char32_t c) {
  if (c > 0x20 && c < 0x7F)
    return absl::StrFormat("'%c'", static_cast<char>(c));
  if (c == ' ')
    return "' '";
  return absl::StrFormat("U+%04X", static_cast<uint32_t>(c));
}

// --- Percent-encoding (URL Standard §1.3) ---

enum class EncodeSet {
  kC0Control,
  kFragment,
  kQuery,
  kSpecialQuery,
  kPath,
  kUserinfo,
};

// Whether the byte `b` (an ASCII code point, or a byte of a non-ASCII code
// point's UTF-8 encoding, which every set contains) is in `set`.
bool InEncodeSet(uint8_t b, EncodeSet set) {
  // "C0 control percent-encode set": C0 controls and code points greater than
  // U+007E (~).
  if (b < 0x20 || b > 0x7E)
    return true;
  switch (set) {
    case EncodeSet::kC0Control:
      return false;
    case EncodeSet::kFragment:
      return b == ' ' || b == '"' || b == '<' || b == '>' || b == '`';
    case EncodeSet::kQuery:
      return b == ' ' || b == '"' || b == '#' || b == '<' || b == '>';
    case EncodeSet::kSpecialQuery:
      return InEncodeSet(b, EncodeSet::kQuery) || b == '\'';
    case EncodeSet::kPath:
      return InEncodeSet(b, EncodeSet::kQuery) || b == '?' || b == '^' ||
             b == '`' || b == '{' || b == '}';
    case EncodeSet::kUserinfo:
      return InEncodeSet(b, EncodeSet::kPath) || b == '/' || b == ':' ||
             b == ';' || b == '=' || b == '@' || (b >= '[' && b <= ']') ||
             b == '|';
  }
  return true;
}

void AppendPercentEncodedByte(uint8_t b, std::string* out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out->push_back('%');
  out->push_back(kHex[b >> 4]);
  out->push_back(kHex[b & 0xF]);
}

// URL Standard: "UTF-8 percent-encode" a string (already UTF-8) using `set`.
void AppendPercentEncoded(absl::string_view utf8,
                          EncodeSet set,
                          std::string* out) {
  for (char ch : utf8) {
    const uint8_t b = static_cast<uint8_t>(ch);
    if (InEncodeSet(b, set))
      AppendPercentEncodedByte(b, out);
    else
      out->push_back(ch);
  }
}

// URL Standard: "UTF-8 percent-encode" code point `c` using `set`.
void AppendPercentEncoded(char32_t c, EncodeSet set, std::string* out) {
  std::string utf8;
  AppendUtf8(c, &utf8);
  AppendPercentEncoded(utf8, set, out);
}

// URL Standard: "percent-decode" a byte sequence.
std::string PercentDecode(absl::string_view input) {
  std::string out;
  out.reserve(input.size());
  for (size_t i = 0; i < input.size(); ++i) {
    if (input[i] == '%' && i + 2 < input.size() &&
        HexValue(input[i + 1]) >= 0 && HexValue(input[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(input[i + 1]) * 16 +
                                      HexValue(input[i + 2])));
      i += 2;
    } else {
      out.push_back(input[i]);
    }
  }
  return out;
}

// --- Hosts (URL Standard §3) ---

// URL Standard: "forbidden host code point".
bool IsForbiddenHostCodePoint(char32_t c) {
  switch (c) {
    case 0x00:
    case '\t':
    case '\n':
    case '\r':
    case ' ':
    case '#':
    case '/':
    case ':':
    case '<':
    case '>':
    case '?':
    case '@':
    case '[':
    case '\\':
    case ']':
    case '^':
    case '|':
      return true;
    default:
      return false;
  }
}

// URL Standard: "forbidden domain code point".
bool IsForbiddenDomainCodePoint(char32_t c) {
  return IsForbiddenHostCodePoint(c) || c <= 0x1F || c == '%' || c == 0x7F;
}

// A host failure: the rule broken, to be prefixed with the URL input by the
// caller.
using HostResult = absl::StatusOr<std::string>;

absl::Status HostError(absl::string_view rule) {
  return absl::InvalidArgumentError(rule);
}

// URL Standard: "IPv6 serializer" (with brackets, as the host serializer adds
// them).
std::string SerializeIpv6(const std::array<uint16_t, 8>& address) {
  // Step 2: the first longest run of two or more 0 pieces is compressed.
  int compress = -1;
  int best_len = 1;
  for (int i = 0; i < 8;) {
    if (address[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && address[j] == 0)
      ++j;
    if (j - i > best_len) {
      best_len = j - i;
      compress = i;
    }
    i = j;
  }
  std::string out = "[";
  bool ignore0 = false;
  for (int i = 0; i < 8; ++i) {
    if (ignore0 && address[i] == 0)
      continue;
    ignore0 = false;
    if (compress == i) {
      out += (i == 0) ? "::" : ":";
      ignore0 = true;
      continue;
    }
    absl::StrAppendFormat(&out, "%x", address[i]);
    if (i != 7)
      out += ":";
  }
  out += "]";
  return out;
}

// URL Standard: "IPv6 parser". `input` is the text between the brackets.
HostResult ParseIpv6(absl::string_view input) {
  std::array<uint16_t, 8> address{};
  int piece_index = 0;
  int compress = -1;
  size_t pointer = 0;
  const size_t n = input.size();
  auto c_at = [&](size_t p) -> char32_t {
    return p < n ? static_cast<uint8_t>(input[p]) : kEof;
  };
  const std::string what = absl::StrCat("IPv6 address [", input, "]: ");
  if (c_at(pointer) == ':') {
    if (c_at(pointer + 1) != ':')
      return HostError(what + "a leading ':' must be part of '::'");
    pointer += 2;
    ++piece_index;
    compress = piece_index;
  }
  while (c_at(pointer) != kEof) {
    if (piece_index == 8)
      return HostError(what + "more than eight pieces");
    if (c_at(pointer) == ':') {
      if (compress != -1)
        return HostError(what + "more than one '::'");
      ++pointer;
      ++piece_index;
      compress = piece_index;
      continue;
    }
    uint32_t value = 0;
    int length = 0;
    while (length < 4 && IsAsciiHexDigit(c_at(pointer))) {
      value = value * 0x10 + HexValue(c_at(pointer));
      ++pointer;
      ++length;
    }
    if (c_at(pointer) == '.') {
      if (length == 0)
        return HostError(what + "empty embedded IPv4 part");
      pointer -= length;
      if (piece_index > 6)
        return HostError(what + "embedded IPv4 address after the sixth piece");
      int numbers_seen = 0;
      while (c_at(pointer) != kEof) {
        int ipv4_piece = -1;
        if (numbers_seen > 0) {
          if (c_at(pointer) == '.' && numbers_seen < 4)
            ++pointer;
          else
            return HostError(what + "invalid embedded IPv4 address");
        }
        if (!IsAsciiDigit(c_at(pointer)))
          return HostError(what + "embedded IPv4 part is not a number");
        while (IsAsciiDigit(c_at(pointer))) {
          const int number = static_cast<int>(c_at(pointer) - '0');
          if (ipv4_piece == -1)
            ipv4_piece = number;
          else if (ipv4_piece == 0)
            return HostError(what + "embedded IPv4 part has a leading zero");
          else
            ipv4_piece = ipv4_piece * 10 + number;
          if (ipv4_piece > 255)
            return HostError(what + "embedded IPv4 part greater than 255");
          ++pointer;
        }
        address[piece_index] =
            static_cast<uint16_t>(address[piece_index] * 0x100 + ipv4_piece);
        ++numbers_seen;
        if (numbers_seen == 2 || numbers_seen == 4)
          ++piece_index;
      }
      if (numbers_seen != 4)
        return HostError(what +
                         "embedded IPv4 address has fewer than four parts");
      break;
    } else if (c_at(pointer) == ':') {
      ++pointer;
      if (c_at(pointer) == kEof)
        return HostError(what + "trailing ':'");
    } else if (c_at(pointer) != kEof) {
      return HostError(absl::StrCat(what, "invalid code point ",
                                    DescribeCodePoint(c_at(pointer))));
    }
    address[piece_index] = static_cast<uint16_t>(value);
    ++piece_index;
  }
  if (compress != -1) {
    int swaps = piece_index - compress;
    piece_index = 7;
    while (piece_index != 0 && swaps > 0) {
      std::swap(address[piece_index], address[compress + swaps - 1]);
      --piece_index;
      --swaps;
    }
  } else if (piece_index != 8) {
    return HostError(what + "fewer than eight pieces and no '::'");
  }
  return SerializeIpv6(address);
}

// URL Standard: "IPv4 number parser". Returns nullopt on failure; saturates far
// above 2^32 so that overflow is still detected.
std::optional<uint64_t> ParseIpv4Number(absl::string_view input) {
  if (input.empty())
    return std::nullopt;
  int radix = 10;
  if (input.size() >= 2 && input[0] == '0' &&
      (input[1] == 'x' || input[1] == 'X')) {
    input.remove_prefix(2);
    radix = 16;
  } else if (input.size() >= 2 && input[0] == '0') {
    input.remove_prefix(1);
    radix = 8;
  }
  if (input.empty())
    return 0;
  uint64_t value = 0;
  constexpr uint64_t kSaturated = uint64_t{1} << 40;
  for (char ch : input) {
    const int digit = HexValue(static_cast<uint8_t>(ch));
    if (digit < 0 || digit >= radix)
      return std::nullopt;
    value = value * radix + digit;
    if (value > kSaturated)
      value = kSaturated;
  }
  return value;
}

std::vector<absl::string_view> SplitOnDot(absl::string_view input) {
  std::vector<absl::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t dot = input.find('.', start);
    if (dot == absl::string_view::npos) {
      parts.push_back(input.substr(start));
      return parts;
    }
    parts.push_back(input.substr(start, dot - start));
    start = dot + 1;
  }
}

// URL Standard: "ends in a number checker".
bool EndsInANumber(absl::string_view input) {
  std::vector<absl::string_view> parts = SplitOnDot(input);
  if (parts.back().empty()) {
    if (parts.size() == 1)
      return false;
    parts.pop_back();
  }
  const absl::string_view last = parts.back();
  if (!last.empty() && std::all_of(last.begin(), last.end(),
                                   [](char ch) { return IsAsciiDigit(ch); })) {
    return true;
  }
  return ParseIpv4Number(last).has_value();
}

// URL Standard: "IPv4 parser" followed by the "IPv4 serializer".
HostResult ParseIpv4(absl::string_view input) {
  const std::string what = absl::StrCat("IPv4 address \"", input, "\": ");
  std::vector<absl::string_view> parts = SplitOnDot(input);
  if (parts.back().empty() && parts.size() > 1)
    parts.pop_back();
  if (parts.size() > 4)
    return HostError(what + "more than four parts");
  std::vector<uint64_t> numbers;
  for (absl::string_view part : parts) {
    std::optional<uint64_t> n = ParseIpv4Number(part);
    if (!n)
      return HostError(absl::StrCat(what, "non-numeric part \"", part, "\""));
    numbers.push_back(*n);
  }
  for (size_t i = 0; i + 1 < numbers.size(); ++i) {
    if (numbers[i] > 255)
      return HostError(
          absl::StrCat(what, "part ", i + 1, " is greater than 255"));
  }
  const uint64_t limit = uint64_t{1} << (8 * (5 - numbers.size()));
  if (numbers.back() >= limit)
    return HostError(what + "last part out of range");
  uint64_t ipv4 = numbers.back();
  for (size_t i = 0; i + 1 < numbers.size(); ++i)
    ipv4 += numbers[i] << (8 * (3 - i));
  return absl::StrFormat("%d.%d.%d.%d", (ipv4 >> 24) & 0xFF,
                         (ipv4 >> 16) & 0xFF, (ipv4 >> 8) & 0xFF, ipv4 & 0xFF);
}

// URL Standard: "opaque-host parser".
HostResult ParseOpaqueHost(absl::string_view input) {
  for (char32_t c : Utf8Decode(input)) {
    if (IsForbiddenHostCodePoint(c)) {
      return HostError(absl::StrCat("forbidden host code point ",
                                    DescribeCodePoint(c), " in host"));
    }
  }
  std::string out;
  AppendPercentEncoded(input, EncodeSet::kC0Control, &out);
  return out;
}

bool IsAscii(absl::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char ch) { return static_cast<uint8_t>(ch) < 0x80; });
}

bool StartsWithXnDashDash(absl::string_view label) {
  return absl::StartsWithIgnoreCase(label, "xn--");
}

// UTS #46 "ToASCII" of one label through libidn2 (non-transitional, with NFC;
// falling back to transitional processing only where libidn2's IDNA2008 rules
// disallow a code point that UTS #46 allows, e.g. emoji).
HostResult LabelToAscii(const std::string& label) {
  char* out = nullptr;
  int rc = idn2_lookup_u8(reinterpret_cast<const uint8_t*>(label.c_str()),
                          reinterpret_cast<uint8_t**>(&out),
                          IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT);
  if (rc == IDN2_DISALLOWED) {
    idn2_free(out);
    out = nullptr;
    rc = idn2_lookup_u8(reinterpret_cast<const uint8_t*>(label.c_str()),
                        reinterpret_cast<uint8_t**>(&out),
                        IDN2_TRANSITIONAL | IDN2_NFC_INPUT);
  }
  if (rc != IDN2_OK || out == nullptr) {
    idn2_free(out);
    return HostError(absl::StrCat("domain to ASCII: label \"", label,
                                  "\" fails UTS #46 ToASCII (",
                                  idn2_strerror_name(rc), ")"));
  }
  std::string result(out);
  idn2_free(out);
  return result;
}

// URL Standard: "domain to ASCII" with beStrict = false.
HostResult DomainToAscii(const std::string& domain) {
  std::string result;
  // Step 1's fast path: an ASCII domain with no "xn--" label is just
  // lower-cased.
  bool fast = IsAscii(domain);
  if (fast) {
    for (absl::string_view label : SplitOnDot(domain)) {
      if (StartsWithXnDashDash(label)) {
        fast = false;
        break;
      }
    }
  }
  if (fast) {
    result = absl::AsciiStrToLower(domain);
  } else {
    // UTS #46 processing label by label. Labels are separated by '.' and the
    // three other code points UTS #46 maps to it: U+3002, U+FF0E and U+FF61.
    // ASCII labels that are not A-labels are only lower-cased (UTS #46 with
    // CheckHyphens=false and UseSTD3ASCIIRules=false leaves them otherwise
    // alone); the rest go through libidn2.
    std::u32string cps = Utf8Decode(domain);
    std::string label;
    bool first = true;
    auto flush = [&]() -> absl::Status {
      if (!first)
        result += '.';
      first = false;
      if (IsAscii(label) && !StartsWithXnDashDash(label)) {
        result += absl::AsciiStrToLower(label);
      } else {
        HostResult ascii = LabelToAscii(label);
        if (!ascii.ok())
          return ascii.status();
        result += *ascii;
      }
      label.clear();
      return absl::OkStatus();
    };
    for (char32_t c : cps) {
      if (c == '.' || c == 0x3002 || c == 0xFF0E || c == 0xFF61) {
        absl::Status s = flush();
        if (!s.ok())
          return s;
      } else {
        AppendUtf8(c, &label);
      }
    }
    absl::Status s = flush();
    if (!s.ok())
      return s;
  }
  if (result.empty())
    return HostError(
        "domain to ASCII: the domain is empty after IDNA processing");
  for (char ch : result) {
    const uint8_t b = static_cast<uint8_t>(ch);
    if (b >= 0x80 || IsForbiddenDomainCodePoint(b)) {
      return HostError(absl::StrCat("forbidden domain code point ",
                                    DescribeCodePoint(b), " in host"));
    }
  }
  return result;
}

// URL Standard: "host parser" followed by the "host serializer". `input` is
// UTF-8.
HostResult ParseHost(absl::string_view input, bool is_opaque) {
  if (!input.empty() && input[0] == '[') {
    if (input.back() != ']' || input.size() < 2)
      return HostError("IPv6 host starts with '[' but does not end with ']'");
    return ParseIpv6(input.substr(1, input.size() - 2));
  }
  if (is_opaque)
    return ParseOpaqueHost(input);
  // Step 4: domain is the UTF-8 decode without BOM of the percent-decoding of
  // input.
  std::string domain;
  for (char32_t c : Utf8Decode(PercentDecode(input)))
    AppendUtf8(c, &domain);
  // Forbidden code points are reported as such before IDNA sees them (IDNA
  // would reject some of them with a less helpful error).
  for (char32_t c : Utf8Decode(domain)) {
    if (IsForbiddenDomainCodePoint(c)) {
      return HostError(absl::StrCat(
          "forbidden ", IsForbiddenHostCodePoint(c) ? "host" : "domain",
          " code point ", DescribeCodePoint(c), " in host"));
    }
  }
  HostResult ascii_domain = DomainToAscii(domain);
  if (!ascii_domain.ok())
    return ascii_domain;
  if (EndsInANumber(*ascii_domain))
    return ParseIpv4(*ascii_domain);
  return ascii_domain;
}

// --- Windows drive letters and dot segments ---

// URL Standard: "Windows drive letter" (two code points).
bool IsWindowsDriveLetter(absl::string_view s) {
  return s.size() == 2 && IsAsciiAlpha(static_cast<uint8_t>(s[0])) &&
         (s[1] == ':' || s[1] == '|');
}
bool IsNormalizedWindowsDriveLetter(absl::string_view s) {
  return IsWindowsDriveLetter(s) && s[1] == ':';
}

bool IsSingleDotSegment(absl::string_view s) {
  return s == "." || absl::EqualsIgnoreCase(s, "%2e");
}
bool IsDoubleDotSegment(absl::string_view s) {
  return s == ".." || absl::EqualsIgnoreCase(s, ".%2e") ||
         absl::EqualsIgnoreCase(s, "%2e.") ||
         absl::EqualsIgnoreCase(s, "%2e%2e");
}

std::string TruncatedForMessage(absl::string_view input) {
  if (input.size() <= kMaxInputInMessage)
    return std::string(input);
  return absl::StrCat(input.substr(0, kMaxInputInMessage), "...");
}

}  // namespace

// Runs the URL Standard's "basic URL parser" over one input. Created on the
// stack by Url::Parse() and discarded after one run.
class UrlParser {
 public:
  UrlParser(absl::string_view input, const Url* base)
      : raw_input_(input), base_(base) {}
  UrlParser(const UrlParser&) = delete;
  UrlParser& operator=(const UrlParser&) = delete;

  absl::StatusOr<Url> Run();

 private:
  // The states of the URL Standard's state machine, named as in the spec
  // ("scheme start state" is kSchemeStart, "opaque path state" kOpaquePath).
  // No state override is supported: Parse() is the basic URL parser alone.
  enum class State {
    kSchemeStart,
    kScheme,
    kNoScheme,
    kSpecialRelativeOrAuthority,
    kPathOrAuthority,
    kRelative,
    kRelativeSlash,
    kSpecialAuthoritySlashes,
    kSpecialAuthorityIgnoreSlashes,
    kAuthority,
    kHost,
    kPort,
    kFile,
    kFileSlash,
    kFileHost,
    kPathStart,
    kPath,
    kOpaquePath,
    kQuery,
    kFragment,
  };

  absl::Status Fail(absl::string_view rule) const {
    return absl::InvalidArgumentError(
        absl::StrCat("URL \"", TruncatedForMessage(raw_input_), "\": ", rule));
  }

  char32_t At(int64_t p) const {
    return (p >= 0 && p < static_cast<int64_t>(input_.size())) ? input_[p]
                                                               : kEof;
  }
  // "remaining": the code points after the pointer.
  char32_t Remaining(int offset) const { return At(pointer_ + 1 + offset); }

  // URL Standard: "starts with a Windows drive letter", for the code points
  // from `p` on.
  bool StartsWithWindowsDriveLetter(int64_t p) const {
    if (p < 0 || p + 2 > static_cast<int64_t>(input_.size()))
      return false;
    if (!IsAsciiAlpha(input_[p]) ||
        (input_[p + 1] != ':' && input_[p + 1] != '|'))
      return false;
    if (p + 2 == static_cast<int64_t>(input_.size()))
      return true;
    const char32_t third = input_[p + 2];
    return third == '/' || third == '\\' || third == '?' || third == '#';
  }

  bool UrlIsSpecial() const { return Url::IsSpecialScheme(url_.scheme_); }

  // URL Standard: "shorten a URL's path".
  void ShortenPath() {
    if (url_.scheme_ == "file" && url_.path_.size() == 1 &&
        IsNormalizedWindowsDriveLetter(url_.path_[0])) {
      return;
    }
    if (!url_.path_.empty())
      url_.path_.pop_back();
  }

  absl::string_view raw_input_;
  const Url* base_;
  std::u32string input_;
  int64_t pointer_ = 0;
  Url url_;
  std::string buffer_;
  // Code points in buffer_ while in the authority state (the spec rewinds by
  // that count).
  int64_t buffer_code_points_ = 0;
  bool at_sign_seen_ = false;
  bool inside_brackets_ = false;
  bool password_token_seen_ = false;
};

absl::StatusOr<Url> UrlParser::Run() {
  // Step 1: strip leading and trailing C0 control or space; step 2: remove
  // ASCII tab or newline.
  {
    std::u32string decoded = Utf8Decode(raw_input_);
    size_t begin = 0;
    size_t end = decoded.size();
    while (begin < end && decoded[begin] <= 0x20)
      ++begin;
    while (end > begin && decoded[end - 1] <= 0x20)
      --end;
    input_.reserve(end - begin);
    for (size_t i = begin; i < end; ++i) {
      const char32_t c = decoded[i];
      if (c != '\t' && c != '\n' && c != '\r')
        input_.push_back(c);
    }
  }

  State state = State::kSchemeStart;
  const int64_t size = static_cast<int64_t>(input_.size());
  for (pointer_ = 0;; ++pointer_) {
    const char32_t c = At(pointer_);
    switch (state) {
      case State::kSchemeStart:
        if (IsAsciiAlpha(c)) {
          buffer_.push_back(static_cast<char>(AsciiLower(c)));
          state = State::kScheme;
        } else {
          state = State::kNoScheme;
          --pointer_;
        }
        break;

      case State::kScheme:
        if (IsAsciiAlphanumeric(c) || c == '+' || c == '-' || c == '.') {
          buffer_.push_back(static_cast<char>(AsciiLower(c)));
        } else if (c == ':') {
          url_.scheme_ = std::move(buffer_);
          buffer_.clear();
          if (url_.scheme_ == "file") {
            state = State::kFile;
          } else if (UrlIsSpecial() && base_ != nullptr &&
                     base_->scheme_ == url_.scheme_) {
            state = State::kSpecialRelativeOrAuthority;
          } else if (UrlIsSpecial()) {
            state = State::kSpecialAuthoritySlashes;
          } else if (Remaining(0) == '/') {
            state = State::kPathOrAuthority;
            ++pointer_;
          } else {
            url_.has_opaque_path_ = true;
            url_.opaque_path_.clear();
            state = State::kOpaquePath;
          }
        } else {
          // No scheme after all: start over from the first code point.
          buffer_.clear();
          state = State::kNoScheme;
          pointer_ = -1;
        }
        break;

      case State::kNoScheme:
        if (base_ == nullptr || (base_->has_opaque_path_ && c != '#')) {
          return Fail(
              base_ == nullptr
                  ? "missing scheme and no base URL"
                  : "missing scheme and the base URL has an opaque path");
        } else if (base_->has_opaque_path_ && c == '#') {
          url_.scheme_ = base_->scheme_;
          url_.has_opaque_path_ = true;
          url_.opaque_path_ = base_->opaque_path_;
          url_.query_ = base_->query_;
          url_.fragment_ = "";
          state = State::kFragment;
        } else if (base_->scheme_ != "file") {
          state = State::kRelative;
          --pointer_;
        } else {
          state = State::kFile;
          --pointer_;
        }
        break;

      case State::kSpecialRelativeOrAuthority:
        if (c == '/' && Remaining(0) == '/') {
          state = State::kSpecialAuthorityIgnoreSlashes;
          ++pointer_;
        } else {
          state = State::kRelative;
          --pointer_;
        }
        break;

      case State::kPathOrAuthority:
        if (c == '/') {
          state = State::kAuthority;
        } else {
          state = State::kPath;
          --pointer_;
        }
        break;

      case State::kRelative:
        url_.scheme_ = base_->scheme_;
        if (c == '/') {
          state = State::kRelativeSlash;
        } else if (UrlIsSpecial() && c == '\\') {
          state = State::kRelativeSlash;
        } else {
          url_.username_ = base_->username_;
          url_.password_ = base_->password_;
          url_.host_ = base_->host_;
          url_.port_ = base_->port_;
          url_.path_ = base_->path_;
          url_.query_ = base_->query_;
          if (c == '?') {
            url_.query_ = "";
            state = State::kQuery;
          } else if (c == '#') {
            url_.fragment_ = "";
            state = State::kFragment;
          } else if (c != kEof) {
            url_.query_.reset();
            ShortenPath();
            state = State::kPath;
            --pointer_;
          }
        }
        break;

      case State::kRelativeSlash:
        if (UrlIsSpecial() && (c == '/' || c == '\\')) {
          state = State::kSpecialAuthorityIgnoreSlashes;
        } else if (c == '/') {
          state = State::kAuthority;
        } else {
          url_.username_ = base_->username_;
          url_.password_ = base_->password_;
          url_.host_ = base_->host_;
          url_.port_ = base_->port_;
          state = State::kPath;
          --pointer_;
        }
        break;

      case State::kSpecialAuthoritySlashes:
        if (c == '/' && Remaining(0) == '/') {
          state = State::kSpecialAuthorityIgnoreSlashes;
          ++pointer_;
        } else {
          state = State::kSpecialAuthorityIgnoreSlashes;
          --pointer_;
        }
        break;

      case State::kSpecialAuthorityIgnoreSlashes:
        if (c != '/' && c != '\\') {
          state = State::kAuthority;
          --pointer_;
        }
        break;

      case State::kAuthority:
        if (c == '@') {
          if (at_sign_seen_)
            buffer_.insert(0, "%40");
          at_sign_seen_ = true;
          for (const char ch : buffer_) {
            if (ch == ':' && !password_token_seen_) {
              password_token_seen_ = true;
              continue;
            }
            std::string& target =
                password_token_seen_ ? url_.password_ : url_.username_;
            AppendPercentEncoded(absl::string_view(&ch, 1),
                                 EncodeSet::kUserinfo, &target);
          }
          buffer_.clear();
          buffer_code_points_ = 0;
        } else if (c == kEof || c == '/' || c == '?' || c == '#' ||
                   (UrlIsSpecial() && c == '\\')) {
          if (at_sign_seen_ && buffer_.empty())
            return Fail("missing host after credentials");
          pointer_ -= buffer_code_points_ + 1;
          buffer_.clear();
          buffer_code_points_ = 0;
          state = State::kHost;
        } else {
          AppendUtf8(c, &buffer_);
          ++buffer_code_points_;
        }
        break;

      case State::kHost:
        if (c == ':' && !inside_brackets_) {
          if (buffer_.empty())
            return Fail("missing host before port");
          HostResult host = ParseHost(buffer_, !UrlIsSpecial());
          if (!host.ok())
            return Fail(host.status().message());
          url_.host_ = *std::move(host);
          buffer_.clear();
          state = State::kPort;
        } else if (c == kEof || c == '/' || c == '?' || c == '#' ||
                   (UrlIsSpecial() && c == '\\')) {
          --pointer_;
          if (UrlIsSpecial() && buffer_.empty())
            return Fail("missing host in a special URL");
          HostResult host = ParseHost(buffer_, !UrlIsSpecial());
          if (!host.ok())
            return Fail(host.status().message());
          url_.host_ = *std::move(host);
          buffer_.clear();
          state = State::kPathStart;
        } else {
          if (c == '[')
            inside_brackets_ = true;
          if (c == ']')
            inside_brackets_ = false;
          AppendUtf8(c, &buffer_);
        }
        break;

      case State::kPort:
        if (IsAsciiDigit(c)) {
          buffer_.push_back(static_cast<char>(c));
        } else if (c == kEof || c == '/' || c == '?' || c == '#' ||
                   (UrlIsSpecial() && c == '\\')) {
          if (!buffer_.empty()) {
            uint32_t port = 0;
            for (char digit : buffer_) {
              port = port * 10 + (digit - '0');
              if (port > 65535) {
                return Fail(absl::StrCat(
                    "port ", buffer_, " is out of range (greater than 65535)"));
              }
            }
            std::optional<uint16_t> default_port =
                Url::DefaultPortForScheme(url_.scheme_);
            if (default_port && *default_port == port)
              url_.port_.reset();
            else
              url_.port_ = static_cast<uint16_t>(port);
            buffer_.clear();
          }
          state = State::kPathStart;
          --pointer_;
        } else {
          return Fail(absl::StrCat("invalid code point ", DescribeCodePoint(c),
                                   " in port"));
        }
        break;

      case State::kFile:
        url_.scheme_ = "file";
        url_.host_ = "";
        if (c == '/' || c == '\\') {
          state = State::kFileSlash;
        } else if (base_ != nullptr && base_->scheme_ == "file") {
          url_.host_ = base_->host_;
          url_.path_ = base_->path_;
          url_.query_ = base_->query_;
          if (c == '?') {
            url_.query_ = "";
            state = State::kQuery;
          } else if (c == '#') {
            url_.fragment_ = "";
            state = State::kFragment;
          } else if (c != kEof) {
            url_.query_.reset();
            if (!StartsWithWindowsDriveLetter(pointer_))
              ShortenPath();
            else
              url_.path_.clear();
            state = State::kPath;
            --pointer_;
          }
        } else {
          state = State::kPath;
          --pointer_;
        }
        break;

      case State::kFileSlash:
        if (c == '/' || c == '\\') {
          state = State::kFileHost;
        } else {
          if (base_ != nullptr && base_->scheme_ == "file") {
            url_.host_ = base_->host_;
            if (!StartsWithWindowsDriveLetter(pointer_) &&
                !base_->path_.empty() &&
                IsNormalizedWindowsDriveLetter(base_->path_[0])) {
              url_.path_.push_back(base_->path_[0]);
            }
          }
          state = State::kPath;
          --pointer_;
        }
        break;

      case State::kFileHost:
        if (c == kEof || c == '/' || c == '\\' || c == '?' || c == '#') {
          --pointer_;
          if (IsWindowsDriveLetter(buffer_)) {
            // The Windows drive letter quirk: buffer_ is kept and used in the
            // path state.
            state = State::kPath;
          } else if (buffer_.empty()) {
            url_.host_ = "";
            state = State::kPathStart;
          } else {
            HostResult host = ParseHost(buffer_, !UrlIsSpecial());
            if (!host.ok())
              return Fail(host.status().message());
            url_.host_ = (*host == "localhost") ? "" : *std::move(host);
            buffer_.clear();
            state = State::kPathStart;
          }
        } else {
          AppendUtf8(c, &buffer_);
        }
        break;

      case State::kPathStart:
        if (UrlIsSpecial()) {
          state = State::kPath;
          if (c != '/' && c != '\\')
            --pointer_;
        } else if (c == '?') {
          url_.query_ = "";
          state = State::kQuery;
        } else if (c == '#') {
          url_.fragment_ = "";
          state = State::kFragment;
        } else if (c != kEof) {
          state = State::kPath;
          if (c != '/')
            --pointer_;
        }
        break;

      case State::kPath: {
        const bool slash = c == '/' || (UrlIsSpecial() && c == '\\');
        if (c == kEof || slash || c == '?' || c == '#') {
          if (IsDoubleDotSegment(buffer_)) {
            ShortenPath();
            if (!slash)
              url_.path_.emplace_back();
          } else if (IsSingleDotSegment(buffer_) && !slash) {
            url_.path_.emplace_back();
          } else if (!IsSingleDotSegment(buffer_)) {
            if (url_.scheme_ == "file" && url_.path_.empty() &&
                IsWindowsDriveLetter(buffer_))
              buffer_[1] = ':';
            url_.path_.push_back(buffer_);
          }
          buffer_.clear();
          if (c == '?') {
            url_.query_ = "";
            state = State::kQuery;
          } else if (c == '#') {
            url_.fragment_ = "";
            state = State::kFragment;
          }
        } else {
          AppendPercentEncoded(c, EncodeSet::kPath, &buffer_);
        }
        break;
      }

      case State::kOpaquePath:
        if (c == '?') {
          url_.query_ = "";
          state = State::kQuery;
        } else if (c == '#') {
          url_.fragment_ = "";
          state = State::kFragment;
        } else if (c == ' ') {
          if (Remaining(0) == '?' || Remaining(0) == '#')
            url_.opaque_path_ += "%20";
          else
            url_.opaque_path_ += ' ';
        } else if (c != kEof) {
          AppendPercentEncoded(c, EncodeSet::kC0Control, &url_.opaque_path_);
        }
        break;

      case State::kQuery:
        if (c == '#' || c == kEof) {
          AppendPercentEncoded(
              buffer_,
              UrlIsSpecial() ? EncodeSet::kSpecialQuery : EncodeSet::kQuery,
              &*url_.query_);
          buffer_.clear();
          if (c == '#') {
            url_.fragment_ = "";
            state = State::kFragment;
          }
        } else {
          AppendUtf8(c, &buffer_);
        }
        break;

      case State::kFragment:
        if (c != kEof)
          AppendPercentEncoded(c, EncodeSet::kFragment, &*url_.fragment_);
        break;
    }
    if (pointer_ >= size)
      break;
  }
  return std::move(url_);
}

absl::StatusOr<Url> Url::Parse(absl::string_view input, const Url* base) {
  UrlParser parser(input, base);
  return parser.Run();
}

bool Url::IsSpecialScheme(absl::string_view scheme) {
  return scheme == "http" || scheme == "https" || scheme == "ws" ||
         scheme == "wss" || scheme == "ftp" || scheme == "file";
}

std::optional<uint16_t> Url::DefaultPortForScheme(absl::string_view scheme) {
  if (scheme == "http" || scheme == "ws")
    return 80;
  if (scheme == "https" || scheme == "wss")
    return 443;
  if (scheme == "ftp")
    return 21;
  return std::nullopt;
}

bool Url::IsSpecial() const {
  return IsSpecialScheme(scheme_);
}

std::optional<uint16_t> Url::EffectivePort() const {
  if (port_)
    return port_;
  return DefaultPortForScheme(scheme_);
}

// URL Standard: "URL path serializer".
std::string Url::PathString() const {
  if (has_opaque_path_)
    return opaque_path_;
  std::string out;
  for (const std::string& segment : path_) {
    out += '/';
    out += segment;
  }
  return out;
}

std::string Url::PathForRequest() const {
  std::string out = PathString();
  if (out.empty())
    out = "/";
  if (query_) {
    out += '?';
    out += *query_;
  }
  return out;
}

// URL Standard: "URL serializer".
std::string Url::Serialize(bool exclude_fragment) const {
  std::string out = scheme_;
  out += ':';
  if (host_) {
    out += "//";
    if (IncludesCredentials()) {
      out += username_;
      if (!password_.empty()) {
        out += ':';
        out += password_;
      }
      out += '@';
    }
    out += *host_;
    if (port_)
      absl::StrAppend(&out, ":", *port_);
  }
  // Step 3: guard against a path that would otherwise read as an authority.
  if (!host_ && !has_opaque_path_ && path_.size() > 1 && path_[0].empty())
    out += "/.";
  out += PathString();
  if (query_) {
    out += '?';
    out += *query_;
  }
  if (!exclude_fragment && fragment_) {
    out += '#';
    out += *fragment_;
  }
  return out;
}

}  // namespace fetch_later::net
