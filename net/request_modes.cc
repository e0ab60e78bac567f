#include "net/request_modes.h"

namespace fetch_later::net {

absl::string_view RequestModeName(RequestMode mode) {
  switch (mode) {
    case RequestMode::kCors:
      return "cors";
    case RequestMode::kNoCors:
      return "no-cors";
    case RequestMode::kSameOrigin:
      return "same-origin";
  }
  return "";
}

absl::string_view CredentialsModeName(CredentialsMode mode) {
  switch (mode) {
    case CredentialsMode::kSameOrigin:
      return "same-origin";
    case CredentialsMode::kOmit:
      return "omit";
    case CredentialsMode::kInclude:
      return "include";
  }
  return "";
}

absl::string_view RedirectModeName(RedirectMode mode) {
  switch (mode) {
    case RedirectMode::kFollow:
      return "follow";
    case RedirectMode::kError:
      return "error";
    case RedirectMode::kManual:
      return "manual";
  }
  return "";
}

std::optional<RequestMode> ParseRequestMode(absl::string_view name) {
  for (RequestMode mode :
       {RequestMode::kCors, RequestMode::kNoCors, RequestMode::kSameOrigin}) {
    if (name == RequestModeName(mode))
      return mode;
  }
  return std::nullopt;
}

std::optional<CredentialsMode> ParseCredentialsMode(absl::string_view name) {
  for (CredentialsMode mode :
       {CredentialsMode::kSameOrigin, CredentialsMode::kOmit,
        CredentialsMode::kInclude}) {
    if (name == CredentialsModeName(mode))
      return mode;
  }
  return std::nullopt;
}

std::optional<RedirectMode> ParseRedirectMode(absl::string_view name) {
  for (RedirectMode mode :
       {RedirectMode::kFollow, RedirectMode::kError, RedirectMode::kManual}) {
    if (name == RedirectModeName(mode))
      return mode;
  }
  return std::nullopt;
}

}  // namespace fetch_later::net
