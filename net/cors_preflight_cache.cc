#include "net/cors_preflight_cache.h"

#include <algorithm>
#include <vector>

namespace fetch_later::net {
namespace {

bool Unexpired(const absl::flat_hash_map<std::string, absl::Time>& map,
               absl::string_view name,
               absl::Time now) {
  auto it = map.find(name);
  return it != map.end() && now < it->second;
}

}  // namespace

CorsPreflightCache::CorsPreflightCache(size_t max_entries)
    : max_entries_(std::max<size_t>(1, max_entries)) {}

bool CorsPreflightCache::Allows(
    const Key& key,
    absl::string_view method,
    const std::vector<std::string>& unsafe_header_names,
    absl::Time now) {
  // "Cache entry match": the credentialed entry matches every request; the
  // other one only requests that are not "include".
  std::vector<const Entry*> matching;
  Key credentialed = key;
  credentialed.credentials = true;
  if (auto it = entries_.find(credentialed); it != entries_.end())
    matching.push_back(&it->second);
  if (!key.credentials) {
    if (auto it = entries_.find(key); it != entries_.end())
      matching.push_back(&it->second);
  }
  const bool wildcard = !key.credentials;
  auto has = [&](auto member, absl::string_view name) {
    for (const Entry* e : matching) {
      if (Unexpired(e->*member, name, now))
        return true;
    }
    return false;
  };
  // "Method cache entry match".
  if (!IsCorsSafelistedMethod(method) && !has(&Entry::methods, method) &&
      !(wildcard && has(&Entry::methods, "*"))) {
    return false;
  }
  // "Header-name cache entry match".
  for (const std::string& name : unsafe_header_names) {
    if (has(&Entry::header_names, name))
      continue;
    if (wildcard && !IsCorsNonWildcardRequestHeaderName(name) &&
        has(&Entry::header_names, "*")) {
      continue;
    }
    return false;
  }
  return true;
}

void CorsPreflightCache::Store(const Key& key,
                               const CorsPreflightResult& result,
                               absl::Time now) {
  if (result.max_age <= absl::ZeroDuration()) {
    // Steps 7.11 and 7.13 set the max-age of the matching entries this answer
    // names to 0 (for a request that is not "include", the credentialed
    // entry's too): they are gone. Nothing new is stored.
    Key credentialed = key;
    credentialed.credentials = true;
    for (const Key* k : {&key, static_cast<const Key*>(&credentialed)}) {
      if (k == &credentialed && key.credentials)
        break;
      auto it = entries_.find(*k);
      if (it == entries_.end())
        continue;
      Entry& e = it->second;
      for (const std::string& method : result.methods)
        e.methods.erase(method);
      for (const std::string& name : result.header_names)
        e.header_names.erase(name);
      if (e.methods.empty() && e.header_names.empty()) {
        lru_.erase(e.lru);
        entries_.erase(it);
      }
    }
    return;
  }
  const absl::Time expiry = now + result.max_age;
  auto [it, inserted] = entries_.try_emplace(key);
  Entry& e = it->second;
  if (inserted) {
    if (entries_.size() > max_entries_) {
      // Drop the least recently stored key (never the one just added).
      entries_.erase(lru_.front());
      lru_.pop_front();
    }
    lru_.push_back(key);
    e.lru = std::prev(lru_.end());
  } else {
    lru_.splice(lru_.end(), lru_, e.lru);
  }
  // Fetch: "CORS-preflight fetch" steps 7.11-7.14, `*` included (a
  // credentialed entry's `*` serves requests that are not "include").
  for (const std::string& method : result.methods)
    e.methods[method] = expiry;
  for (const std::string& name : result.header_names)
    e.header_names[name] = expiry;
}

bool CorsPreflightCache::StartOrJoin(const Key& key, Waiter waiter) {
  auto [it, inserted] = in_flight_.try_emplace(key);
  if (!inserted)
    it->second.push_back(waiter);
  return inserted;
}

std::vector<CorsPreflightCache::Waiter> CorsPreflightCache::Finish(
    const Key& key) {
  auto it = in_flight_.find(key);
  if (it == in_flight_.end())
    return {};
  std::vector<Waiter> waiters = std::move(it->second);
  in_flight_.erase(it);
  return waiters;
}

}  // namespace fetch_later::net
