// The key of a connection pool in the HTTPS network stage: (scheme, host, port,
// network isolation key). Two partitions never share a socket.
#ifndef NET_POOL_KEY_H_
#define NET_POOL_KEY_H_

#include <cstdint>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "net/network_stage.h"
#include "net/url.h"

namespace fetch_later::net {

struct PoolKey {
  std::string scheme;
  std::string host;
  uint16_t port = 0;
  NetworkIsolationKey nik;

  // "https://host:port | top-frame-site frame-site".
  std::string ToString() const {
    return absl::StrCat(scheme, "://", host, ":", port, " | ",
                        nik.ToDebugString());
  }
  friend bool operator==(const PoolKey& a, const PoolKey& b) {
    return a.scheme == b.scheme && a.host == b.host && a.port == b.port &&
           a.nik == b.nik;
  }
  template <typename H>
  friend H AbslHashValue(H h, const PoolKey& k) {
    return H::combine(std::move(h), k.scheme, k.host, k.port, k.nik);
  }
};

inline PoolKey MakePoolKey(const Url& url, const NetworkIsolationKey& nik) {
  return PoolKey{url.scheme(), url.host().value_or(""),
                 url.EffectivePort().value_or(0), nik};
}

}  // namespace fetch_later::net

#endif  // NET_POOL_KEY_H_
