// Blocking loopback TCP helpers for tools and tests that speak HTTP/1.1 or
// WebSocket to a local server by hand (the internals page, Chromium's DevTools
// endpoint): connect, send everything, read until a condition holds.
#ifndef TOOLS_LOOPBACK_SOCKET_H_
#define TOOLS_LOOPBACK_SOCKET_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace fetch_later::tools {

// A connected socket to 127.0.0.1:`port` (close-on-exec), or -1.
int ConnectLoopback(uint16_t port);

// Sends all of `data` on `fd`; false when the peer went away.
bool SendAll(int fd, absl::string_view data);

// Appends to `out` what `fd` receives until `done(out)`, the peer closes, or
// `timeout` passes.
void ReadUntil(int fd,
               std::string& out,
               absl::Duration timeout,
               const std::function<bool(const std::string&)>& done);

}  // namespace fetch_later::tools

#endif  // TOOLS_LOOPBACK_SOCKET_H_
