// JSON string literals (RFC 8259): the one escaping routine for every JSON this
// project writes by hand (the NetLog's JSON lines, the test collector's log,
// scenario reports).
#ifndef NET_JSON_STRING_H_
#define NET_JSON_STRING_H_

#include <string>

#include "absl/strings/string_view.h"

namespace fetch_later::net {

// Appends `s` as a JSON string literal, quotes included: '"', '\\', \n, \r and
// \t as short escapes, other control characters and DEL as \uXXXX, valid UTF-8
// as is, and every byte that is not part of valid UTF-8 as \ufffd, so the
// output is valid JSON whatever `s` holds.
void AppendJsonString(std::string* out, absl::string_view s);

// The same, returned.
std::string JsonString(absl::string_view s);

}  // namespace fetch_later::net

#endif  // NET_JSON_STRING_H_
