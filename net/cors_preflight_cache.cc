#include "net/cors_preflight_cache.h"

#include <algorithm>

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
  auto it = entries_.find(key);
  if (it == entries_.end())
    return false;
  const Entry& e = it->second;
  if (!IsCorsSafelistedMethod(method) && !Unexpired(e.methods, method, now) &&
      !Unexpired(e.methods, "*", now)) {
    return false;
  }
  for (const std::string& name : unsafe_header_names) {
    if (Unexpired(e.header_names, name, now))
      continue;
    if (!IsCorsNonWildcardRequestHeaderName(name) &&
        Unexpired(e.header_names, "*", now)) {
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
    // Steps 7.11 and 7.13 set the max-age of the entries this answer names to
    // 0: they are gone. Nothing new is stored.
    auto it = entries_.find(key);
    if (it == entries_.end())
      return;
    Entry& e = it->second;
    for (const std::string& method : result.methods)
      e.methods.erase(method);
    for (const std::string& name : result.header_names)
      e.header_names.erase(name);
    if (e.methods.empty() && e.header_names.empty()) {
      lru_.erase(e.lru);
      entries_.erase(it);
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
  // Fetch: "CORS-preflight fetch" step 7.9: with credentials "include", `*`
  // is a method / header name like any other, which no request uses.
  const bool wildcard = key.credentials != CredentialsMode::kInclude;
  for (const std::string& method : result.methods) {
    if (method == "*" && !wildcard)
      continue;
    e.methods[method] = expiry;
  }
  for (const std::string& name : result.header_names) {
    if (name == "*" && !wildcard)
      continue;
    e.header_names[name] = expiry;
  }
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
