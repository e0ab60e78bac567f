#include "net/cors_safelist.h"

#include <algorithm>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "net/http_token.h"

namespace fetch_later::net {
namespace {

// Fetch: "HTTP whitespace".
bool IsHttpWhitespace(char c) {
  return c == '\t' || c == '\n' || c == '\r' || c == ' ';
}

bool ContainsCorsUnsafeRequestHeaderByte(absl::string_view value) {
  return std::any_of(value.begin(), value.end(), [](char c) {
    return IsCorsUnsafeRequestHeaderByte(static_cast<unsigned char>(c));
  });
}

// MIME Sniffing: "parse a MIME type", up to its essence (steps 1-10; the
// parameters that follow never make parsing fail). nullopt for failure.
// A byte >= 0x80 (a code point U+0080-U+00FF after isomorphic decoding) is
// not an HTTP token code point, so it fails the type and subtype checks.
std::optional<std::string> ParseMimeTypeEssence(absl::string_view input) {
  // Step 1: remove leading and trailing HTTP whitespace.
  while (!input.empty() && IsHttpWhitespace(input.front()))
    input.remove_prefix(1);
  while (!input.empty() && IsHttpWhitespace(input.back()))
    input.remove_suffix(1);
  // Steps 3-6: the type, up to "/", which must be there.
  const size_t slash = input.find('/');
  if (slash == absl::string_view::npos)
    return std::nullopt;
  const absl::string_view type = input.substr(0, slash);
  if (!IsHttpToken(type))
    return std::nullopt;
  // Steps 7-9: the subtype, up to ";", without trailing HTTP whitespace.
  absl::string_view subtype = input.substr(slash + 1);
  subtype = subtype.substr(0, subtype.find(';'));
  while (!subtype.empty() && IsHttpWhitespace(subtype.back()))
    subtype.remove_suffix(1);
  if (!IsHttpToken(subtype))
    return std::nullopt;
  // Step 10: both ASCII-lowercased.
  return absl::AsciiStrToLower(absl::StrCat(type, "/", subtype));
}

// A run of ASCII digits as a decimal number, compared without overflow:
// leading zeros stripped.
absl::string_view StripLeadingZeros(absl::string_view digits) {
  while (digits.size() > 1 && digits.front() == '0')
    digits.remove_prefix(1);
  return digits;
}

// `a` <= `b` for two non-empty runs of ASCII digits, as numbers.
bool DecimalLessOrEqual(absl::string_view a, absl::string_view b) {
  a = StripLeadingZeros(a);
  b = StripLeadingZeros(b);
  if (a.size() != b.size())
    return a.size() < b.size();
  return a <= b;
}

absl::string_view CollectAsciiDigits(absl::string_view data, size_t* pos) {
  const size_t start = *pos;
  while (*pos < data.size() && absl::ascii_isdigit(data[*pos]))
    ++*pos;
  return data.substr(start, *pos - start);
}

// Fetch: "parse a single range header value" with allowWhitespace false,
// reduced to what the `range` safelist asks of it: whether it parses and has
// a range start (its step 3 of "CORS-safelisted request-header": a null start,
// `bytes=-500`, is not safelisted).
bool IsSingleRangeWithStart(absl::string_view value) {
  // Steps 1-3: "bytes", then position at the 5th code point.
  if (!absl::StartsWith(value, "bytes"))
    return false;
  size_t pos = 5;
  // Steps 5-6.
  if (pos >= value.size() || value[pos] != '=')
    return false;
  ++pos;
  // Steps 8-9.
  const absl::string_view start = CollectAsciiDigits(value, &pos);
  // Steps 11-12.
  if (pos >= value.size() || value[pos] != '-')
    return false;
  ++pos;
  // Steps 14-15.
  const absl::string_view end = CollectAsciiDigits(value, &pos);
  // Step 16.
  if (pos != value.size())
    return false;
  // Step 17 (both null) is covered by the safelist's own rule: the start
  // must be non-null.
  if (start.empty())
    return false;
  // Step 18.
  if (!end.empty() && !DecimalLessOrEqual(start, end))
    return false;
  return true;
}

}  // namespace

// Fetch: "CORS-safelisted method".
bool IsCorsSafelistedMethod(absl::string_view method) {
  return method == "GET" || method == "HEAD" || method == "POST";
}

// Fetch: "CORS-unsafe request-header byte".
bool IsCorsUnsafeRequestHeaderByte(unsigned char byte) {
  if (byte < 0x20 && byte != 0x09)
    return true;
  switch (byte) {
    case '"':
    case '(':
    case ')':
    case ':':
    case '<':
    case '>':
    case '?':
    case '@':
    case '[':
    case '\\':
    case ']':
    case '{':
    case '}':
    case 0x7F:
      return true;
    default:
      return false;
  }
}

// Fetch: "CORS-safelisted request-header".
bool IsCorsSafelistedRequestHeader(absl::string_view name,
                                   absl::string_view value) {
  // Step 1.
  if (value.size() > 128)
    return false;
  // Step 2: switch on the byte-lowercased name.
  const std::string lower = absl::AsciiStrToLower(name);
  if (lower == "accept")
    return !ContainsCorsUnsafeRequestHeaderByte(value);
  if (lower == "accept-language" || lower == "content-language") {
    return std::all_of(value.begin(), value.end(), [](char c) {
      return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == ' ' ||
             c == '*' || c == ',' || c == '-' || c == '.' || c == ';' ||
             c == '=';
    });
  }
  if (lower == "content-type") {
    if (ContainsCorsUnsafeRequestHeaderByte(value))
      return false;
    const std::optional<std::string> essence = ParseMimeTypeEssence(value);
    return essence.has_value() &&
           (*essence == "application/x-www-form-urlencoded" ||
            *essence == "multipart/form-data" || *essence == "text/plain");
  }
  if (lower == "range")
    return IsSingleRangeWithStart(value);
  return false;
}

// Fetch: "no-CORS-safelisted request-header name".
bool IsNoCorsSafelistedRequestHeaderName(absl::string_view name) {
  return absl::EqualsIgnoreCase(name, "accept") ||
         absl::EqualsIgnoreCase(name, "accept-language") ||
         absl::EqualsIgnoreCase(name, "content-language") ||
         absl::EqualsIgnoreCase(name, "content-type");
}

// Fetch: "privileged no-CORS request-header name".
bool IsPrivilegedNoCorsRequestHeaderName(absl::string_view name) {
  return absl::EqualsIgnoreCase(name, "range");
}

// Fetch: "no-CORS-safelisted request-header".
bool IsNoCorsSafelistedRequestHeader(absl::string_view name,
                                     absl::string_view value) {
  // Steps 1-2.
  return IsNoCorsSafelistedRequestHeaderName(name) &&
         IsCorsSafelistedRequestHeader(name, value);
}

// Fetch: "CORS-unsafe request-header names".
std::vector<std::string> CorsUnsafeRequestHeaderNames(
    absl::Span<const std::pair<std::string, std::string>> header_list) {
  // Steps 1-3.
  std::vector<std::string> unsafe_names;
  std::vector<std::string> potentially_unsafe_names;
  uint64_t safelist_value_size = 0;
  // Step 4.
  for (const auto& [name, value] : header_list) {
    if (!IsCorsSafelistedRequestHeader(name, value)) {
      unsafe_names.push_back(name);
    } else {
      potentially_unsafe_names.push_back(name);
      safelist_value_size += value.size();
    }
  }
  // Step 5.
  if (safelist_value_size > 1024) {
    unsafe_names.insert(unsafe_names.end(), potentially_unsafe_names.begin(),
                        potentially_unsafe_names.end());
  }
  // Step 6: "convert header names to a sorted-lowercase set".
  for (std::string& name : unsafe_names)
    absl::AsciiStrToLower(&name);
  std::sort(unsafe_names.begin(), unsafe_names.end());
  unsafe_names.erase(std::unique(unsafe_names.begin(), unsafe_names.end()),
                     unsafe_names.end());
  return unsafe_names;
}

}  // namespace fetch_later::net
