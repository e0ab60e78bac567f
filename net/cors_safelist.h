// Fetch's CORS safelists: which methods and request headers a page may send
// to another origin without a CORS preflight, and which a "no-cors" request
// may carry at all. One definition for the renderer (the Headers guard
// "request-no-cors", the Request constructor's no-cors method check), the
// browser (its re-check of what a renderer sends) and the network stage
// (whether a CORS request needs a preflight).
//
//   net::IsCorsSafelistedMethod("POST");                              // true
//   net::IsCorsSafelistedRequestHeader("Content-Type", "text/plain");  // true
//   net::IsNoCorsSafelistedRequestHeader("X-Trace", "1");             // false
//   net::CorsUnsafeRequestHeaderNames({{"X-Trace", "1"},
//                                      {"Accept", "*/*"}});  // {"x-trace"}
//
// Names compare byte-case-insensitively; values are bytes as they would be
// sent. Pure functions.
#ifndef NET_CORS_SAFELIST_H_
#define NET_CORS_SAFELIST_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace fetch_later::net {

// Fetch: "CORS-safelisted method": `GET`, `HEAD` or `POST` (byte-exact: the
// Request constructor has already normalised the method).
bool IsCorsSafelistedMethod(absl::string_view method);

// Fetch: "CORS-unsafe request-header byte": a byte below 0x20 other than HT,
// or one of `"():<>?@[\]{}` and DEL.
bool IsCorsUnsafeRequestHeaderByte(unsigned char byte);

// Fetch: "CORS-safelisted request-header" (`name`, `value`): a value of at
// most 128 bytes and one of `accept` (no CORS-unsafe request-header byte),
// `accept-language` / `content-language` (only alphanumerics and ` *,-.;=`),
// `content-type` (no CORS-unsafe byte; a MIME type whose essence is
// application/x-www-form-urlencoded, multipart/form-data or text/plain) and
// `range` (a single range header value with a start: `bytes=N-` or
// `bytes=N-M`, N <= M).
bool IsCorsSafelistedRequestHeader(absl::string_view name,
                                   absl::string_view value);

// Fetch: "no-CORS-safelisted request-header name": `accept`,
// `accept-language`, `content-language`, `content-type`.
bool IsNoCorsSafelistedRequestHeaderName(absl::string_view name);

// Fetch: "privileged no-CORS request-header name": `range`.
bool IsPrivilegedNoCorsRequestHeaderName(absl::string_view name);

// Fetch: "no-CORS-safelisted request-header" (`name`, `value`): a
// no-CORS-safelisted request-header name whose (`name`, `value`) is a
// CORS-safelisted request-header. What the Headers guard "request-no-cors"
// keeps (given the combined value of every header of that name).
bool IsNoCorsSafelistedRequestHeader(absl::string_view name,
                                     absl::string_view value);

// Fetch: "CORS-unsafe request-header names" of `header_list`: the names of
// headers that are not CORS-safelisted request-headers, plus the names of the
// safelisted ones when their values add up to more than 1024 bytes; as a
// "sorted-lowercase set" (byte-lowercased, deduplicated, in byte order).
std::vector<std::string> CorsUnsafeRequestHeaderNames(
    absl::Span<const std::pair<std::string, std::string>> header_list);

}  // namespace fetch_later::net

#endif  // NET_CORS_SAFELIST_H_
