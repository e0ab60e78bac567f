// Turns a URL's host into socket addresses, with Chromium's
// `--host-resolver-rules` overrides so tests can point any host name at a
// loopback server without touching DNS.
//
//   absl::StatusOr<HostResolver> r =
//       HostResolver::Create("MAP a.test 127.0.0.1:4433, MAP *.b.test
//       ~NOTFOUND, EXCLUDE x.test");
//   r->Resolve("a.test", 443);   // {127.0.0.1:4433}
//   r->Resolve("c.b.test", 443); // NotFoundError: a DNS failure, on purpose
//
// Rules (comma-separated, evaluated in order, the first matching rule wins):
//   MAP <pattern> <replacement>  pattern: a host name with '*' wildcards;
//   replacement:
//                                "host", "host:port", "[v6]:port", or
//                                "~NOTFOUND" (fail)
//   EXCLUDE <pattern>            a matching host skips all MAP rules (system
//   resolution)
// A host matching no MAP rule (or excluded) is resolved with getaddrinfo().
// Resolve() is synchronous: the HTTPS network stage calls it on its event-loop
// thread, which getaddrinfo may block for as long as DNS takes. That is
// acceptable for this prototype (a handful of deferred fetches, tests use MAP
// rules and IP literals only, which never block); a production stage would
// resolve on a worker thread and post the result back.
//
// Immutable after Create(), so Resolve() is thread-safe.
#ifndef NET_HOST_RESOLVER_H_
#define NET_HOST_RESOLVER_H_

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace fetch_later::net {

// One socket address (IPv4 or IPv6) to connect to.
struct IpEndpoint {
  sockaddr_storage address{};
  socklen_t length = 0;
  std::string ToString() const;  // "127.0.0.1:4433", "[::1]:443"
};

class HostResolver {
 public:
  // Parses `rules` (may be empty: everything goes to getaddrinfo). An unknown
  // directive or a malformed replacement is an InvalidArgumentError naming the
  // rule.
  static absl::StatusOr<HostResolver> Create(absl::string_view rules);

  // `host` as serialised in a URL ("a.test", "127.0.0.1", "[::1]"). Returns at
  // least one endpoint, or NotFoundError (DNS failure) / InvalidArgumentError.
  absl::StatusOr<std::vector<IpEndpoint>> Resolve(absl::string_view host,
                                                  uint16_t port) const;

 private:
  struct Rule {
    bool exclude = false;
    std::string pattern;
    bool not_found = false;  // "~NOTFOUND"
    std::string replacement_host;
    int replacement_port = -1;  // -1: keep the requested port
  };
  std::vector<Rule> rules_;
};

// Whether `host` (a URL host, IPv6 in brackets) is an IP literal; fills
// `endpoint` if so.
bool ParseIpLiteral(absl::string_view host,
                    uint16_t port,
                    IpEndpoint* endpoint);

}  // namespace fetch_later::net

#endif  // NET_HOST_RESOLVER_H_
