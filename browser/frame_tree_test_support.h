// Test helpers for building frame trees and requests the way the WPT and the
// seeds describe them. For tests and benchmarks only.
#ifndef BROWSER_FRAME_TREE_TEST_SUPPORT_H_
#define BROWSER_FRAME_TREE_TEST_SUPPORT_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "browser/deferred_fetch_quota.h"
#include "browser/frame_tree.h"
#include "gtest/gtest.h"
#include "net/clock.h"

namespace fetch_later::browser::testing {

inline net::Url U(absl::string_view spec) {
  absl::StatusOr<net::Url> url = net::Url::Parse(spec);
  EXPECT_TRUE(url.ok()) << spec << ": " << url.status();
  return *url;
}

inline net::Origin O(absl::string_view spec) {
  return net::Origin::Create(U(spec));
}

// The header the Request constructor adds for a string body: 12 + 24 = 36
// bytes.
inline constexpr absl::string_view kTextPlain = "text/plain;charset=UTF-8";
inline constexpr int64_t kTextPlainHeaderLength = 12 + 24;

// A request as the WPT helpers make it: `referrer: ''` (nothing counted), and
// for a body a String payload with its Content-Type header.
inline DeferredRequest Request(absl::string_view url,
                               int64_t string_body_bytes = -1,
                               absl::string_view method = "") {
  DeferredRequest request{"GET", U(url)};
  if (string_body_bytes >= 0) {
    request.method = method.empty() ? "POST" : std::string(method);
    request.headers.emplace_back("Content-Type", std::string(kTextPlain));
    request.body_length = static_cast<uint64_t>(string_body_bytes);
  } else {
    request.method = method.empty() ? "GET" : std::string(method);
  }
  return request;
}

// The String body size that makes a request to `url` exactly `total` bytes
// long.
inline int64_t BodyToFill(absl::string_view url, int64_t total) {
  return total - static_cast<int64_t>(U(url).Serialize(true).size()) -
         kTextPlainHeaderLength;
}

// Records what the tree processed, in order.
class RecordingSink : public DeferredFetchSink {
 public:
  void OnDeferredFetchProcessed(const ProcessedDeferredFetch& fetch) override {
    absl::MutexLock lock(&mu_);
    processed_.push_back(fetch);
  }
  void OnDocumentStateChanged(const DocumentStateChange& change) override {
    absl::MutexLock lock(&mu_);
    state_changes_.push_back(change);
  }
  std::vector<DocumentStateChange> state_changes() {
    absl::MutexLock lock(&mu_);
    return state_changes_;
  }
  std::vector<ProcessedDeferredFetch> processed() {
    absl::MutexLock lock(&mu_);
    return processed_;
  }
  size_t count() {
    absl::MutexLock lock(&mu_);
    return processed_.size();
  }

 private:
  absl::Mutex mu_;
  std::vector<ProcessedDeferredFetch> processed_;
  std::vector<DocumentStateChange> state_changes_;
};

// A fixture with a tree on a fake clock and short-hands for building pages.
class FrameTreeTest : public ::testing::Test {
 protected:
  FrameTreeTest() : tree_(&sink_, &clock_) {}

  // A new tab showing `url` with an optional Permissions-Policy header.
  DocumentId Top(absl::string_view url, absl::string_view policy_header = "") {
    tab_ = tree_.CreateTopLevelTraversable();
    NavigationParams params{U(url)};
    params.permissions_policy = std::string(policy_header);
    absl::StatusOr<DocumentId> doc = tree_.Navigate(tab_, params);
    EXPECT_TRUE(doc.ok()) << doc.status();
    return doc.value_or(DocumentId());
  }

  struct IframeOptions {
    std::string allow;
    std::optional<std::string> sandbox;
    std::vector<std::string> redirects;
    std::string policy_header;
  };

  // Inserts <iframe src=url> into `parent`; returns the iframe's navigable.
  NavigableId Iframe(DocumentId parent,
                     absl::string_view url,
                     IframeOptions options) {
    IframeParams params{options.allow, options.sandbox,
                        NavigationParams{U(url)}};
    for (const auto& r : options.redirects)
      params.navigation.redirects.push_back(U(r));
    params.navigation.permissions_policy = options.policy_header;
    absl::StatusOr<NavigableId> nav = tree_.CreateIframe(parent, params);
    EXPECT_TRUE(nav.ok()) << nav.status();
    return nav.value_or(NavigableId());
  }
  NavigableId Iframe(DocumentId parent, absl::string_view url) {
    return Iframe(parent, url, IframeOptions{});
  }

  DocumentId Doc(NavigableId navigable) {
    absl::StatusOr<DocumentId> doc = tree_.ActiveDocument(navigable);
    EXPECT_TRUE(doc.ok()) << doc.status();
    return doc.value_or(DocumentId());
  }

  int64_t Reserved(NavigableId navigable) {
    return tree_.ReservedQuotaOfContainer(navigable).value_or(-1);
  }

  // "available deferred-fetch quota" for `document` with no reporting origin:
  // the group's remaining pool, capped at 64 KiB.
  int64_t Available(DocumentId document,
                    std::optional<net::Origin> origin = std::nullopt) {
    return tree_.AvailableQuota(document, origin).value_or(-1);
  }

  FetchLaterDecision Queue(
      DocumentId document,
      DeferredRequest request,
      std::optional<absl::Duration> activate_after = std::nullopt) {
    absl::StatusOr<FetchLaterDecision> d =
        tree_.QueueDeferredFetch(document, std::move(request), activate_after);
    EXPECT_TRUE(d.ok()) << d.status();
    return d.value_or(FetchLaterDecision{FetchLaterOutcome::kNotFullyActive});
  }

  // Spends what the quota group of `document` can still hold, through distinct
  // reporting origins (r0.test, r1.test, ...), each as much as "available
  // deferred-fetch quota" allows, until it allows nothing. Returns the bytes
  // queued: the group's remaining pool.
  int64_t SpendGroupPool(DocumentId document) {
    int64_t spent = 0;
    for (int i = 0; i < 64; ++i) {
      const std::string url = "https://r" + std::to_string(i) + ".test/";
      const int64_t available = Available(document, O(url));
      if (available == 0)
        break;
      EXPECT_EQ(QueueBytes(document, url, available).outcome,
                FetchLaterOutcome::kQueued);
      spent += available;
    }
    return spent;
  }

  // Queues a string-bodied request of exactly `total` bytes to `url`.
  FetchLaterDecision QueueBytes(DocumentId document,
                                absl::string_view url,
                                int64_t total) {
    return Queue(document, Request(url, BodyToFill(url, total)));
  }

  net::FakeClock clock_;
  RecordingSink sink_;
  FrameTree tree_;
  NavigableId tab_;
};

}  // namespace fetch_later::browser::testing

#endif  // BROWSER_FRAME_TREE_TEST_SUPPORT_H_
