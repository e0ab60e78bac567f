// Tests for the CORS-preflight cache (net/cors_preflight_cache.h): Fetch's
// "CORS-preflight cache" entries, their expiry, the in-flight joining and the
// size bound.

#include "net/cors_preflight_cache.h"

#include "gtest/gtest.h"

namespace fetch_later::net {
namespace {

using Key = CorsPreflightCache::Key;

// `credentials`: the request's credentials mode is "include".
Key MakeKey(const char* url = "https://b.test/collect",
            bool credentials = false) {
  return Key{"https://a.test https://a.test", "https://a.test", url,
             credentials};
}

CorsPreflightResult Allow(std::vector<std::string> methods,
                          std::vector<std::string> headers,
                          absl::Duration max_age) {
  return CorsPreflightResult{std::move(methods), std::move(headers), max_age};
}

TEST(CorsPreflightCacheTest, HitUntilMaxAgeThenMiss) {
  CorsPreflightCache cache;
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  EXPECT_FALSE(cache.Allows(MakeKey(), "PUT", {}, t0));
  cache.Store(MakeKey(), Allow({"PUT"}, {"content-type"}, absl::Seconds(5)),
              t0);
  EXPECT_TRUE(cache.Allows(MakeKey(), "PUT", {"content-type"}, t0));
  EXPECT_TRUE(
      cache.Allows(MakeKey(), "POST", {"content-type"}, t0 + absl::Seconds(4)));
  // Expired at max-age (Fetch: "clear cache entries" of expired ones).
  EXPECT_FALSE(
      cache.Allows(MakeKey(), "PUT", {"content-type"}, t0 + absl::Seconds(5)));
  // What was not allowed is a miss.
  EXPECT_FALSE(cache.Allows(MakeKey(), "DELETE", {}, t0));
  EXPECT_FALSE(cache.Allows(MakeKey(), "PUT", {"x-other"}, t0));
}

TEST(CorsPreflightCacheTest, KeyedByUrlAndCredentials) {
  CorsPreflightCache cache;
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  cache.Store(MakeKey(), Allow({"PUT"}, {}, absl::Seconds(60)), t0);
  EXPECT_FALSE(cache.Allows(MakeKey("https://b.test/other"), "PUT", {}, t0));
  // "Cache entry match": an entry whose credentials is false does not match
  // an "include" request.
  EXPECT_FALSE(
      cache.Allows(MakeKey("https://b.test/collect", true), "PUT", {}, t0));
  Key other_nik = MakeKey();
  other_nik.network_isolation_key = "https://c.test https://c.test";
  EXPECT_FALSE(cache.Allows(other_nik, "PUT", {}, t0));
  Key other_origin = MakeKey();
  other_origin.origin = "null";
  EXPECT_FALSE(cache.Allows(other_origin, "PUT", {}, t0));
}

TEST(CorsPreflightCacheTest, ACredentialedEntryMatchesEveryRequest) {
  // "Cache entry match": "entry's credentials is true", or it is false and
  // the request's credentials mode is not "include". Each name may come from
  // either matching entry.
  CorsPreflightCache cache;
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  const Key include = MakeKey("https://b.test/collect", true);
  cache.Store(include, Allow({"PUT"}, {"x-a"}, absl::Seconds(60)), t0);
  EXPECT_TRUE(cache.Allows(MakeKey(), "PUT", {"x-a"}, t0));
  cache.Store(MakeKey(), Allow({"DELETE"}, {"x-b"}, absl::Seconds(60)), t0);
  EXPECT_TRUE(cache.Allows(MakeKey(), "DELETE", {"x-a", "x-b"}, t0));
  EXPECT_FALSE(cache.Allows(include, "DELETE", {}, t0));
  EXPECT_FALSE(cache.Allows(include, "PUT", {"x-b"}, t0));
}

TEST(CorsPreflightCacheTest, WildcardsOnlyWithoutCredentials) {
  CorsPreflightCache cache;
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  cache.Store(MakeKey(), Allow({"*"}, {"*"}, absl::Seconds(60)), t0);
  EXPECT_TRUE(cache.Allows(MakeKey(), "PATCH", {"x-a"}, t0));
  // Authorization is never covered by "*".
  EXPECT_FALSE(cache.Allows(MakeKey(), "PATCH", {"authorization"}, t0));
  const Key include = MakeKey("https://c.test/collect", true);
  cache.Store(include, Allow({"*"}, {"*"}, absl::Seconds(60)), t0);
  // A credentialed "*" entry does not serve an "include" request (Chromium,
  // and "CORS-preflight fetch" steps 7.5 and 7.7; Fetch's "method cache
  // entry match" alone would take it)...
  EXPECT_FALSE(cache.Allows(include, "PATCH", {}, t0));
  EXPECT_FALSE(cache.Allows(include, "POST", {"x-a"}, t0));
  // ... but does serve the others ("cache entry match").
  EXPECT_TRUE(
      cache.Allows(MakeKey("https://c.test/collect"), "PATCH", {"x-a"}, t0));
}

TEST(CorsPreflightCacheTest, MaxAgeZeroStoresNothing) {
  CorsPreflightCache cache;
  cache.Store(MakeKey(), Allow({"PUT"}, {}, absl::ZeroDuration()),
              absl::FromUnixSeconds(1));
  EXPECT_EQ(cache.size(), 0u);
}

TEST(CorsPreflightCacheTest, MaxAgeZeroExpiresTheEntriesItNames) {
  // Fetch "CORS-preflight fetch" steps 7.11 and 7.13: a matching entry's
  // max-age is set to the new answer's, here 0, so it is gone; the entries the
  // new answer does not name keep theirs.
  CorsPreflightCache cache;
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  cache.Store(MakeKey(), Allow({"PUT", "DELETE"}, {"x-a"}, absl::Seconds(60)),
              t0);
  const absl::Time t1 = t0 + absl::Seconds(1);
  cache.Store(MakeKey(), Allow({"PUT"}, {"x-a"}, absl::ZeroDuration()), t1);
  EXPECT_FALSE(cache.Allows(MakeKey(), "PUT", {}, t1));
  EXPECT_FALSE(cache.Allows(MakeKey(), "POST", {"x-a"}, t1));
  EXPECT_TRUE(cache.Allows(MakeKey(), "DELETE", {}, t1));
}

TEST(CorsPreflightCacheTest, ConcurrentRequestsJoinThePreflightInFlight) {
  CorsPreflightCache cache;
  EXPECT_TRUE(cache.StartOrJoin(MakeKey(), {1, 1}));   // sends it
  EXPECT_FALSE(cache.StartOrJoin(MakeKey(), {2, 1}));  // waits
  EXPECT_FALSE(cache.StartOrJoin(MakeKey(), {3, 4}));  // waits
  EXPECT_TRUE(cache.StartOrJoin(MakeKey("https://b.test/x"), {5, 1}));
  std::vector<CorsPreflightCache::Waiter> waiting = cache.Finish(MakeKey());
  ASSERT_EQ(waiting.size(), 2u);
  EXPECT_EQ(waiting[0].seq, 2u);
  EXPECT_EQ(waiting[1].seq, 3u);
  EXPECT_EQ(waiting[1].token, 4u);
  EXPECT_TRUE(cache.Finish(MakeKey()).empty());
  EXPECT_EQ(cache.in_flight(), 1u);
}

TEST(CorsPreflightCacheTest, BoundedDroppingTheLeastRecentlyStored) {
  CorsPreflightCache cache(/*max_entries=*/2);
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  cache.Store(MakeKey("https://b.test/1"), Allow({"PUT"}, {}, absl::Hours(1)),
              t0);
  cache.Store(MakeKey("https://b.test/2"), Allow({"PUT"}, {}, absl::Hours(1)),
              t0);
  cache.Store(MakeKey("https://b.test/1"), Allow({"PUT"}, {}, absl::Hours(1)),
              t0);  // refreshed: now the most recent
  cache.Store(MakeKey("https://b.test/3"), Allow({"PUT"}, {}, absl::Hours(1)),
              t0);
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_TRUE(cache.Allows(MakeKey("https://b.test/1"), "PUT", {}, t0));
  EXPECT_FALSE(cache.Allows(MakeKey("https://b.test/2"), "PUT", {}, t0));
  EXPECT_TRUE(cache.Allows(MakeKey("https://b.test/3"), "PUT", {}, t0));
}

}  // namespace
}  // namespace fetch_later::net
