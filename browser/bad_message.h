// Bad messages: a message from a renderer that no honest renderer sends (like
// Chromium's content/browser/bad_message.h). The browser never trusts a
// renderer: every renderer-facing handler in BrowserCore re-checks what it is
// told, and when a check fails it calls BrowserCore::ReportBadMessage() at once
// with the reason for that check. The renderer is then cut off (its token is
// revoked, its documents are destroyed as in a crash) and the reason travels
// with the report: the `renderer.bad_message` NetLog event, the debug
// snapshot's BadMessage, the renderer's termination reason.
//
//   // In a renderer-facing handler:
//   if (!hosted) {
//     return ReportBadMessage(renderer,
//                             BadMessageReason::kFetchLaterDocumentNotHosted,
//                             "document_token: not a document this renderer "
//                             "hosts");
//   }
//
// Pure validation helpers (fetch_later_request_validator.h) do not report:
// they return a BadMessageOr<T> carrying the reason, which their caller
// reports.
#ifndef BROWSER_BAD_MESSAGE_H_
#define BROWSER_BAD_MESSAGE_H_

#include <ostream>
#include <string>
#include <utility>
#include <variant>

#include "absl/strings/string_view.h"

namespace fetch_later::browser {

// One value per check the browser makes on renderer input. The numbers are
// stable (they name a reason in logs and bug reports): never renumber or reuse
// one; add a new reason at the end, before kMaxValue, and give it a name in
// BadMessageReasonName(). 0 is never a reason.
enum class BadMessageReason : int {
  // ---- FetchLater (fetchLater() steps 6 and 10-14, re-checked).
  // `document_token` names no document of the calling renderer.
  kFetchLaterDocumentNotHosted = 1,
  // Method: not a token (empty, longer than MAX_METHOD_BYTES, bad characters).
  kFetchLaterMethodNotToken = 2,
  // Method: CONNECT, TRACE or TRACK (any case).
  kFetchLaterMethodForbidden = 3,
  // Method: not as the Request constructor normalises it ("post").
  kFetchLaterMethodNotNormalized = 4,
  // URL (FetchLater's `url` and QueryQuota's: the checks of fetchLater() steps
  // 7-8 and the Request constructor, shared by both messages).
  kFetchLaterUrlTooLong = 5,         // longer than MAX_FIELD_BYTES
  kFetchLaterUrlUnparsable = 6,      // the URL parser fails
  kFetchLaterUrlHasCredentials = 7,  // the Request constructor throws
  kFetchLaterUrlNotHttpS = 8,        // step 7: not an HTTP(S) scheme
  kFetchLaterUrlNotTrustworthy = 9,  // step 8: not potentially trustworthy
  // Referrer (the Request constructor's "referrer" member).
  kFetchLaterReferrerWithNoReferrer = 10,  // referrer_url and no_referrer
  kFetchLaterReferrerTooLong = 11,         // longer than MAX_FIELD_BYTES
  kFetchLaterReferrerUnparsable = 12,      // the URL parser fails
  kFetchLaterReferrerCrossOrigin = 13,     // not same origin with the document
  kFetchLaterReferrerPolicyInvalid = 14,   // not a ReferrerPolicy value
  // Headers (what a Headers object with guard "request" can hold).
  kFetchLaterTooManyHeaders = 15,      // more than MAX_HEADERS
  kFetchLaterHeaderTooLong = 16,       // a name or value over MAX_FIELD_BYTES
  kFetchLaterHeaderNameNotToken = 17,  // the name is not a token
  kFetchLaterHeaderValueInvalid = 18,  // not a normalised header value
  kFetchLaterHeaderForbidden = 19,     // a forbidden request-header
  // Body.
  kFetchLaterBodyWithGetOrHead = 20,  // the Request constructor throws
  kFetchLaterBodyTooLong = 21,        // longer than MAX_FIELD_BYTES
  // activateAfter: negative or not finite (step 5 throws a RangeError).
  kFetchLaterActivateAfterInvalid = 22,
  // retryOptions.backoffFactor: not finite (Web IDL `double` is finite).
  kFetchLaterRetryBackoffNotFinite = 23,
  // The renderer's "total request length" is not the browser's.
  kFetchLaterTotalLengthMismatch = 24,
  // Above 64 KiB: can never fit (step 11.3); an honest renderer asks
  // QueryQuota instead.
  kFetchLaterTotalLengthOverOriginQuota = 25,
  // fetchLater() is [SecureContext]: called from a document that is not one.
  kFetchLaterNotSecureContext = 26,
  // retryOptions ([SecureContext]) from a non-secure document: a fetch()'s
  // (FetchRequest; fetchLater() from such a document is reason 26).
  kFetchLaterRetryOptionsNotSecureContext = 27,
  // Retired: FetchLaterRequest.send_now (fetch() through the deferred-fetch
  // path) with an activate_after_ms other than 0. fetch() has its own message
  // (FetchRequest) now; never reported.
  kFetchLaterSendNowActivateAfterNotZero = 28,
  // client_id already names a pending fetch of the document.
  kFetchLaterClientIdReused = 29,
  // ---- QueryQuota (its URL checks are kFetchLaterUrl*).
  kQueryQuotaDocumentNotHosted = 30,
  // ---- AbortFetchLater.
  kAbortFetchLaterDocumentNotHosted = 31,
  // ---- ReportStepResult (page script).
  // step_id names no unanswered step given to this renderer.
  kStepResultUnknownStep = 32,
  // next_timer_ms is not a finite, non-negative page time.
  kStepResultBadNextTimer = 33,
  // ---- FetchLater: RequestInit's mode, credentials and redirect (the
  // Request constructor's rules, re-checked).
  // `mode` is not a RequestMode value (an honest renderer never sends
  // "navigate": the constructor throws for it).
  kFetchLaterRequestModeInvalid = 34,
  // `credentials` is not a CredentialsMode value.
  kFetchLaterCredentialsModeInvalid = 35,
  // `redirect` is not a RedirectMode value.
  kFetchLaterRedirectModeInvalid = 36,
  // Mode "no-cors" with a method that is not CORS-safelisted (the Request
  // constructor throws, step 33.1).
  kFetchLaterNoCorsMethodNotSafelisted = 37,
  // Mode "no-cors" with a header the guard "request-no-cors" drops (not a
  // no-CORS-safelisted request-header, given the combined value of every
  // header of its name).
  kFetchLaterNoCorsHeaderNotSafelisted = 38,
  // ---- WatchEvents (the renderer's first call, once sealed).
  // The browser's own look at the renderer (/proc/PID/status of every thread:
  // seccomp filter mode, no-new-privs) finds it not sandboxed, and the browser
  // was not started with --no-sandbox.
  kRendererNotSandboxed = 39,
  // ---- Fetch (fetch(), FetchRequest). Its request is checked as a
  // FetchLater one is (method, modes, URL, referrer, headers, body,
  // retryOptions), with the same reasons (kFetchLater*); these are its own.
  // `document_token` names no document of the calling renderer.
  kFetchDocumentNotHosted = 40,
  // From a secure context to a URL that is not potentially trustworthy: the
  // renderer blocks it as mixed content (Mixed Content: "should fetching
  // request be blocked as mixed content?").
  kFetchMixedContent = 41,
  // retryOptions.retryAfterUnload without keepalive (the fetch-retry
  // explainer: it "requires keepalive: true"; the renderer's fetch() rejects
  // it).
  kFetchRetryAfterUnloadWithoutKeepalive = 42,
  // client_id already names a fetch() of the document in flight.
  kFetchClientIdReused = 43,
  // ---- AbortFetch.
  kAbortFetchDocumentNotHosted = 44,

  kMaxValue = kAbortFetchDocumentNotHosted,
};

// The reason's stable name, as logs and the debug interface show it:
// "FETCH_LATER_TOTAL_LENGTH_MISMATCH". "UNKNOWN_BAD_MESSAGE_REASON" for a value
// that is not a reason.
absl::string_view BadMessageReasonName(BadMessageReason reason);

// Prints BadMessageReasonName() (gtest and logs).
std::ostream& operator<<(std::ostream& os, BadMessageReason reason);

// A check that failed: which one, and what exactly the renderer sent.
struct BadMessage {
  BadMessageReason reason;
  // The field and the rule it broke: "url: scheme \"ftp\" is not HTTP(S)".
  std::string detail;

  // "FETCH_LATER_URL_NOT_HTTP_S: url: scheme \"ftp\" is not HTTP(S)".
  std::string ToString() const;

  friend bool operator==(const BadMessage& a, const BadMessage& b) {
    return a.reason == b.reason && a.detail == b.detail;
  }
  friend bool operator!=(const BadMessage& a, const BadMessage& b) {
    return !(a == b);
  }
};

std::ostream& operator<<(std::ostream& os, const BadMessage& bad);

// Either a `T` or the BadMessage a renderer's input caused, like
// absl::StatusOr<T> but with the reason typed. A renderer-facing handler
// returns one after it reported the bad message (the renderer is then cut
// off); a validation helper returns one for its caller to report.
//
//   BadMessageOr<net::Url> url = ValidateFetchLaterUrl(message.url());
//   if (!url.ok())
//     return ReportBadMessage(renderer, url.bad_message());
//   Use(*url);
template <typename T>
class [[nodiscard]] BadMessageOr {
 public:
  BadMessageOr(T value) : value_(std::move(value)) {}       // NOLINT
  BadMessageOr(BadMessage bad) : value_(std::move(bad)) {}  // NOLINT

  bool ok() const { return std::holds_alternative<T>(value_); }

  // Require ok().
  const T& value() const& { return std::get<T>(value_); }
  T& value() & { return std::get<T>(value_); }
  T&& value() && { return std::get<T>(std::move(value_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

  // Requires !ok().
  const BadMessage& bad_message() const { return std::get<BadMessage>(value_); }

 private:
  std::variant<T, BadMessage> value_;
};

}  // namespace fetch_later::browser

#endif  // BROWSER_BAD_MESSAGE_H_
