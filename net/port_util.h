// Fetch: "bad port" — the ports a fetch must never connect to, whatever the
// scheme.
//
//   IsPortAllowedByFetch(443);  // true
//   IsPortAllowedByFetch(25);   // false: SMTP is on the Fetch spec's bad-port
//   list
//
// Pure functions, no state; the list is the Fetch standard's table (section
// "Port blocking"), plus port 0, which no URL can legitimately connect to
// (SPEC-NOTES 1.17).
#ifndef NET_PORT_UTIL_H_
#define NET_PORT_UTIL_H_

#include <cstdint>

namespace fetch_later::net {

// Fetch: "bad port" (https://fetch.spec.whatwg.org/#bad-port), or 0.
bool IsBadPort(uint32_t port);
// Fetch: main fetch step "if should request be blocked due to a bad port
// returns blocked".
inline bool IsPortAllowedByFetch(uint32_t port) {
  return !IsBadPort(port);
}

}  // namespace fetch_later::net

#endif  // NET_PORT_UTIL_H_
