#include "browser/bad_message.h"

#include "absl/strings/str_cat.h"

namespace fetch_later::browser {

absl::string_view BadMessageReasonName(BadMessageReason reason) {
  switch (reason) {
    case BadMessageReason::kFetchLaterDocumentNotHosted:
      return "FETCH_LATER_DOCUMENT_NOT_HOSTED";
    case BadMessageReason::kFetchLaterMethodNotToken:
      return "FETCH_LATER_METHOD_NOT_TOKEN";
    case BadMessageReason::kFetchLaterMethodForbidden:
      return "FETCH_LATER_METHOD_FORBIDDEN";
    case BadMessageReason::kFetchLaterMethodNotNormalized:
      return "FETCH_LATER_METHOD_NOT_NORMALIZED";
    case BadMessageReason::kFetchLaterUrlTooLong:
      return "FETCH_LATER_URL_TOO_LONG";
    case BadMessageReason::kFetchLaterUrlUnparsable:
      return "FETCH_LATER_URL_UNPARSABLE";
    case BadMessageReason::kFetchLaterUrlHasCredentials:
      return "FETCH_LATER_URL_HAS_CREDENTIALS";
    case BadMessageReason::kFetchLaterUrlNotHttpS:
      return "FETCH_LATER_URL_NOT_HTTP_S";
    case BadMessageReason::kFetchLaterUrlNotTrustworthy:
      return "FETCH_LATER_URL_NOT_TRUSTWORTHY";
    case BadMessageReason::kFetchLaterReferrerWithNoReferrer:
      return "FETCH_LATER_REFERRER_WITH_NO_REFERRER";
    case BadMessageReason::kFetchLaterReferrerTooLong:
      return "FETCH_LATER_REFERRER_TOO_LONG";
    case BadMessageReason::kFetchLaterReferrerUnparsable:
      return "FETCH_LATER_REFERRER_UNPARSABLE";
    case BadMessageReason::kFetchLaterReferrerCrossOrigin:
      return "FETCH_LATER_REFERRER_CROSS_ORIGIN";
    case BadMessageReason::kFetchLaterReferrerPolicyInvalid:
      return "FETCH_LATER_REFERRER_POLICY_INVALID";
    case BadMessageReason::kFetchLaterTooManyHeaders:
      return "FETCH_LATER_TOO_MANY_HEADERS";
    case BadMessageReason::kFetchLaterHeaderTooLong:
      return "FETCH_LATER_HEADER_TOO_LONG";
    case BadMessageReason::kFetchLaterHeaderNameNotToken:
      return "FETCH_LATER_HEADER_NAME_NOT_TOKEN";
    case BadMessageReason::kFetchLaterHeaderValueInvalid:
      return "FETCH_LATER_HEADER_VALUE_INVALID";
    case BadMessageReason::kFetchLaterHeaderForbidden:
      return "FETCH_LATER_HEADER_FORBIDDEN";
    case BadMessageReason::kFetchLaterBodyWithGetOrHead:
      return "FETCH_LATER_BODY_WITH_GET_OR_HEAD";
    case BadMessageReason::kFetchLaterBodyTooLong:
      return "FETCH_LATER_BODY_TOO_LONG";
    case BadMessageReason::kFetchLaterActivateAfterInvalid:
      return "FETCH_LATER_ACTIVATE_AFTER_INVALID";
    case BadMessageReason::kFetchLaterRetryBackoffNotFinite:
      return "FETCH_LATER_RETRY_BACKOFF_NOT_FINITE";
    case BadMessageReason::kFetchLaterTotalLengthMismatch:
      return "FETCH_LATER_TOTAL_LENGTH_MISMATCH";
    case BadMessageReason::kFetchLaterTotalLengthOverOriginQuota:
      return "FETCH_LATER_TOTAL_LENGTH_OVER_ORIGIN_QUOTA";
    case BadMessageReason::kFetchLaterNotSecureContext:
      return "FETCH_LATER_NOT_SECURE_CONTEXT";
    case BadMessageReason::kFetchLaterRetryOptionsNotSecureContext:
      return "FETCH_LATER_RETRY_OPTIONS_NOT_SECURE_CONTEXT";
    case BadMessageReason::kFetchLaterSendNowActivateAfterNotZero:
      return "FETCH_LATER_SEND_NOW_ACTIVATE_AFTER_NOT_ZERO";
    case BadMessageReason::kFetchLaterClientIdReused:
      return "FETCH_LATER_CLIENT_ID_REUSED";
    case BadMessageReason::kQueryQuotaDocumentNotHosted:
      return "QUERY_QUOTA_DOCUMENT_NOT_HOSTED";
    case BadMessageReason::kAbortFetchLaterDocumentNotHosted:
      return "ABORT_FETCH_LATER_DOCUMENT_NOT_HOSTED";
    case BadMessageReason::kStepResultUnknownStep:
      return "STEP_RESULT_UNKNOWN_STEP";
    case BadMessageReason::kStepResultBadNextTimer:
      return "STEP_RESULT_BAD_NEXT_TIMER";
    case BadMessageReason::kFetchLaterRequestModeInvalid:
      return "FETCH_LATER_REQUEST_MODE_INVALID";
    case BadMessageReason::kFetchLaterCredentialsModeInvalid:
      return "FETCH_LATER_CREDENTIALS_MODE_INVALID";
    case BadMessageReason::kFetchLaterRedirectModeInvalid:
      return "FETCH_LATER_REDIRECT_MODE_INVALID";
    case BadMessageReason::kFetchLaterNoCorsMethodNotSafelisted:
      return "FETCH_LATER_NO_CORS_METHOD_NOT_SAFELISTED";
    case BadMessageReason::kFetchLaterNoCorsHeaderNotSafelisted:
      return "FETCH_LATER_NO_CORS_HEADER_NOT_SAFELISTED";
    case BadMessageReason::kRendererNotSandboxed:
      return "RENDERER_NOT_SANDBOXED";
    case BadMessageReason::kFetchDocumentNotHosted:
      return "FETCH_DOCUMENT_NOT_HOSTED";
    case BadMessageReason::kFetchMixedContent:
      return "FETCH_MIXED_CONTENT";
    case BadMessageReason::kFetchRetryAfterUnloadWithoutKeepalive:
      return "FETCH_RETRY_AFTER_UNLOAD_WITHOUT_KEEPALIVE";
    case BadMessageReason::kFetchClientIdReused:
      return "FETCH_CLIENT_ID_REUSED";
    case BadMessageReason::kAbortFetchDocumentNotHosted:
      return "ABORT_FETCH_DOCUMENT_NOT_HOSTED";
  }
  // No default above: the compiler names a reason left without a name.
  return "UNKNOWN_BAD_MESSAGE_REASON";
}

std::ostream& operator<<(std::ostream& os, BadMessageReason reason) {
  return os << BadMessageReasonName(reason);
}

std::string BadMessage::ToString() const {
  return absl::StrCat(BadMessageReasonName(reason), ": ", detail);
}

std::ostream& operator<<(std::ostream& os, const BadMessage& bad) {
  return os << bad.ToString();
}

}  // namespace fetch_later::browser
