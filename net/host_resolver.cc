#include "net/host_resolver.h"

#include <arpa/inet.h>
#include <netdb.h>

#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace fetch_later::net {
namespace {

// Glob match with '*' (any run, including empty), ASCII case-insensitive.
bool GlobMatch(absl::string_view pattern, absl::string_view text) {
  size_t p = 0, t = 0, star = absl::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] != '*' &&
        absl::ascii_tolower(static_cast<unsigned char>(pattern[p])) ==
            absl::ascii_tolower(static_cast<unsigned char>(text[t]))) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != absl::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*')
    ++p;
  return p == pattern.size();
}

// Splits "host", "host:port", "[v6]", "[v6]:port".
bool SplitHostPort(absl::string_view in, std::string* host, int* port) {
  *port = -1;
  absl::string_view port_part;
  if (absl::StartsWith(in, "[")) {
    size_t close = in.find(']');
    if (close == absl::string_view::npos)
      return false;
    *host = std::string(in.substr(0, close + 1));
    absl::string_view rest = in.substr(close + 1);
    if (rest.empty())
      return true;
    if (rest.front() != ':')
      return false;
    port_part = rest.substr(1);
  } else {
    size_t colon = in.rfind(':');
    if (colon == absl::string_view::npos) {
      *host = std::string(in);
      return !host->empty();
    }
    *host = std::string(in.substr(0, colon));
    port_part = in.substr(colon + 1);
  }
  uint32_t p = 0;
  if (host->empty() || !absl::SimpleAtoi(port_part, &p) || p > 65535)
    return false;
  *port = static_cast<int>(p);
  return true;
}

}  // namespace

std::string IpEndpoint::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&address);
    inet_ntop(AF_INET, &in->sin_addr, buf, sizeof(buf));
    return absl::StrCat(buf, ":", ntohs(in->sin_port));
  }
  const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&address);
  inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof(buf));
  return absl::StrCat("[", buf, "]:", ntohs(in6->sin6_port));
}

bool ParseIpLiteral(absl::string_view host,
                    uint16_t port,
                    IpEndpoint* endpoint) {
  IpEndpoint e;
  std::string h(host);
  if (absl::StartsWith(h, "[") && absl::EndsWith(h, "]")) {
    h = h.substr(1, h.size() - 2);
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&e.address);
    if (inet_pton(AF_INET6, h.c_str(), &in6->sin6_addr) != 1)
      return false;
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    e.length = sizeof(sockaddr_in6);
  } else {
    auto* in = reinterpret_cast<sockaddr_in*>(&e.address);
    if (inet_pton(AF_INET, h.c_str(), &in->sin_addr) != 1)
      return false;
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    e.length = sizeof(sockaddr_in);
  }
  *endpoint = e;
  return true;
}

absl::StatusOr<HostResolver> HostResolver::Create(absl::string_view rules) {
  HostResolver resolver;
  for (absl::string_view raw :
       absl::StrSplit(rules, ',', absl::SkipWhitespace())) {
    std::vector<absl::string_view> parts =
        absl::StrSplit(absl::StripAsciiWhitespace(raw), ' ', absl::SkipEmpty());
    Rule rule;
    if (parts.size() == 2 && absl::EqualsIgnoreCase(parts[0], "EXCLUDE")) {
      rule.exclude = true;
      rule.pattern = std::string(parts[1]);
    } else if (parts.size() == 3 && absl::EqualsIgnoreCase(parts[0], "MAP")) {
      rule.pattern = std::string(parts[1]);
      if (parts[2] == "~NOTFOUND") {
        rule.not_found = true;
      } else if (!SplitHostPort(parts[2], &rule.replacement_host,
                                &rule.replacement_port)) {
        return absl::InvalidArgumentError(
            absl::StrCat("host resolver rule \"", raw,
                         "\": replacement is not host[:port] or ~NOTFOUND"));
      }
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("host resolver rule \"", raw,
                       "\" is not \"MAP <pattern> <replacement>\" or "
                       "\"EXCLUDE <pattern>\""));
    }
    resolver.rules_.push_back(std::move(rule));
  }
  return resolver;
}

absl::StatusOr<std::vector<IpEndpoint>> HostResolver::Resolve(
    absl::string_view host,
    uint16_t port) const {
  std::string target(host);
  int target_port = port;
  for (const Rule& rule : rules_) {
    if (!GlobMatch(rule.pattern, host))
      continue;
    if (rule.exclude)
      break;
    if (rule.not_found) {
      return absl::NotFoundError(absl::StrCat(
          "host \"", host, "\" mapped to ~NOTFOUND by a host resolver rule"));
    }
    target = rule.replacement_host;
    if (rule.replacement_port >= 0)
      target_port = rule.replacement_port;
    break;
  }
  IpEndpoint literal;
  if (ParseIpLiteral(target, static_cast<uint16_t>(target_port), &literal)) {
    return std::vector<IpEndpoint>{literal};
  }
  // getaddrinfo: blocks the calling thread (see the header comment).
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG;
  addrinfo* result = nullptr;
  int rc = getaddrinfo(target.c_str(), std::to_string(target_port).c_str(),
                       &hints, &result);
  if (rc != 0) {
    return absl::NotFoundError(
        absl::StrCat("getaddrinfo(\"", target, "\"): ", gai_strerror(rc)));
  }
  std::vector<IpEndpoint> endpoints;
  for (addrinfo* ai = result; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_addrlen > sizeof(sockaddr_storage))
      continue;
    IpEndpoint e;
    std::memcpy(&e.address, ai->ai_addr, ai->ai_addrlen);
    e.length = ai->ai_addrlen;
    endpoints.push_back(e);
  }
  freeaddrinfo(result);
  if (endpoints.empty()) {
    return absl::NotFoundError(
        absl::StrCat("getaddrinfo(\"", target, "\"): no addresses"));
  }
  return endpoints;
}

}  // namespace fetch_later::net
