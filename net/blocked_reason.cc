#include "net/blocked_reason.h"

namespace fetch_later::net {
namespace {

constexpr BlockedReason kAllReasons[] = {
    BlockedReason::kCsp,
    BlockedReason::kCorsPreflight,
    BlockedReason::kModeSameOrigin,
    BlockedReason::kRedirectNotHttps,
    BlockedReason::kRedirectLimit,
    BlockedReason::kRedirectModeError,
    BlockedReason::kNotHttps,
    BlockedReason::kBadPort,
    BlockedReason::kCors,
    BlockedReason::kRetryGate,
    BlockedReason::kExpired,
    BlockedReason::kInFlightAtCrash,
};

}  // namespace

const char* BlockedReasonName(BlockedReason reason) {
  switch (reason) {
    case BlockedReason::kCsp:
      return "CSP";
    case BlockedReason::kCorsPreflight:
      return "CORS_PREFLIGHT";
    case BlockedReason::kModeSameOrigin:
      return "MODE_SAME_ORIGIN";
    case BlockedReason::kRedirectNotHttps:
      return "REDIRECT_NOT_HTTPS";
    case BlockedReason::kRedirectLimit:
      return "REDIRECT_LIMIT";
    case BlockedReason::kRedirectModeError:
      return "REDIRECT_MODE_ERROR";
    case BlockedReason::kNotHttps:
      return "NOT_HTTPS";
    case BlockedReason::kBadPort:
      return "BAD_PORT";
    case BlockedReason::kCors:
      return "CORS";
    case BlockedReason::kRetryGate:
      return "RETRY_GATE";
    case BlockedReason::kExpired:
      return "EXPIRED";
    case BlockedReason::kInFlightAtCrash:
      return "IN_FLIGHT_AT_CRASH";
  }
  return "?";
}

std::optional<BlockedReason> BlockedReasonFromName(absl::string_view name) {
  for (BlockedReason reason : kAllReasons) {
    if (name == BlockedReasonName(reason))
      return reason;
  }
  return std::nullopt;
}

}  // namespace fetch_later::net
