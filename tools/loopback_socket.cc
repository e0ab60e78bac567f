#include "tools/loopback_socket.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/time/clock.h"

namespace fetch_later::tools {

int ConnectLoopback(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) !=
      0) {
    close(fd);
    return -1;
  }
  return fd;
}

bool SendAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0)
      return false;
    data.remove_prefix(n);
  }
  return true;
}

void ReadUntil(int fd,
               std::string& out,
               absl::Duration timeout,
               const std::function<bool(const std::string&)>& done) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!done(out)) {
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration())
      return;
    pollfd pfd = {fd, POLLIN, 0};
    if (poll(&pfd, 1, absl::ToInt64Milliseconds(left) + 1) <= 0)
      return;
    char buffer[65536];
    ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    if (n <= 0)
      return;
    out.append(buffer, n);
  }
}

}  // namespace fetch_later::tools
