// Fetch's "CORS-preflight cache". An entry is keyed by (network isolation
// key, byte-serialized request origin, request URL, credentials), the last a
// boolean: whether the request's credentials mode was "include". It holds the
// methods and header names a successful preflight allowed, each until its
// max-age ran out on the stage's clock. A lookup for a request that is not
// "include" also takes the credentialed entry ("cache entry match"). The
// cache also knows which keys have a preflight in flight, so concurrent
// requests that need the same answer wait for that preflight instead of
// sending another (a flush burst of a thousand beacons to one collector URL
// costs one preflight).
//
//   CorsPreflightCache cache(/*max_entries=*/1024);
//   CorsPreflightCache::Key key{nik.ToDebugString(), "https://a.test",
//                               "https://b.test/collect",
//                               /*credentials=*/false};
//   if (!cache.Allows(key, "PUT", {"content-type"}, now)) {
//     if (cache.StartOrJoin(key, /*waiter=*/{seq, token})) { ...send... }
//   }
//   // the preflight answered:
//   cache.Store(key, result, now);
//   std::vector<Waiter> waiting = cache.Finish(key);
//
// Owned by one HttpsStageShard (the key's URL and network isolation key pin
// it, as its pool, to one event loop), used only on that loop; not
// thread-safe. Memory is bounded: at most `max_entries` keys (the least
// recently stored is dropped first).
#ifndef NET_CORS_PREFLIGHT_CACHE_H_
#define NET_CORS_PREFLIGHT_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <list>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "net/cors.h"
#include "net/request_modes.h"

namespace fetch_later::net {

class CorsPreflightCache {
 public:
  // Chromium's PreflightCache keeps at most this many entries.
  static constexpr size_t kDefaultMaxEntries = 1024;

  struct Key {
    std::string network_isolation_key;  // NetworkIsolationKey::ToDebugString()
    // Fetch: "byte-serializing a request origin" ("null" once tainted).
    std::string origin;
    std::string url;  // the request's current URL
    // Fetch: the entry's "credentials": the request's credentials mode is
    // "include".
    bool credentials = false;

    friend bool operator==(const Key& a, const Key& b) {
      return a.network_isolation_key == b.network_isolation_key &&
             a.origin == b.origin && a.url == b.url &&
             a.credentials == b.credentials;
    }
    template <typename H>
    friend H AbslHashValue(H h, const Key& k) {
      return H::combine(std::move(h), k.network_isolation_key, k.origin, k.url,
                        k.credentials);
    }
  };

  // A request waiting for the preflight in flight: the shard's job number and
  // its attempt token.
  struct Waiter {
    uint64_t seq = 0;
    uint64_t token = 0;
  };

  explicit CorsPreflightCache(size_t max_entries = kDefaultMaxEntries);
  CorsPreflightCache(const CorsPreflightCache&) = delete;  // Not copyable.
  CorsPreflightCache& operator=(const CorsPreflightCache&) = delete;

  // Fetch: "method cache entry match" for `method` (or a CORS-safelisted
  // method) and "header-name cache entry match" for each of
  // `unsafe_header_names`, unexpired at `now`, in the entry of `key` and, when
  // `key.credentials` is false, also in the credentialed one. A `*` method or
  // header name counts only for a request that is not "include" (as in
  // Chromium and in "CORS-preflight fetch" steps 7.5 and 7.7; Fetch's cache
  // match alone would let a credentialed `*` entry serve "include" requests)
  // and never covers Authorization.
  bool Allows(const Key& key,
              absl::string_view method,
              const std::vector<std::string>& unsafe_header_names,
              absl::Time now);

  // Fetch: "CORS-preflight fetch" steps 7.11-7.14: remembers what `result`
  // allowed until now + result.max_age (a max-age of 0 stores nothing, and
  // drops the entries `result` names).
  void Store(const Key& key, const CorsPreflightResult& result, absl::Time now);

  // Whether the caller must send the preflight for `key` (true: none was in
  // flight, and now the caller's is), or joined the one in flight as
  // `waiter` (false).
  bool StartOrJoin(const Key& key, Waiter waiter);
  // The preflight for `key` ended (answered, failed or abandoned): returns
  // the requests that waited for it, oldest first.
  std::vector<Waiter> Finish(const Key& key);

  size_t size() const { return entries_.size(); }
  size_t in_flight() const { return in_flight_.size(); }

 private:
  struct Entry {
    // Method or lowercased header name -> expiry.
    absl::flat_hash_map<std::string, absl::Time> methods;
    absl::flat_hash_map<std::string, absl::Time> header_names;
    std::list<Key>::iterator lru;  // position in `lru_`
  };

  const size_t max_entries_;
  absl::flat_hash_map<Key, Entry> entries_;
  std::list<Key> lru_;  // least recently stored first
  absl::flat_hash_map<Key, std::vector<Waiter>> in_flight_;
};

}  // namespace fetch_later::net

#endif  // NET_CORS_PREFLIGHT_CACHE_H_
