// Turns BoringSSL's thread-local error queue into absl::Status messages.
// Internal to
// //net/testing:https_test_server.
#ifndef NET_TESTING_BORINGSSL_ERROR_H_
#define NET_TESTING_BORINGSSL_ERROR_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace fetch_later::net::testing::internal {

// Pops every queued error and joins their ERR_error_string_n texts with "; "
// (or says that none was queued).
std::string DrainBoringSslErrors();

// An INTERNAL status "`what` failed: <queued errors>"; drains the queue.
absl::Status BoringSslError(absl::string_view what);

}  // namespace fetch_later::net::testing::internal

#endif  // NET_TESTING_BORINGSSL_ERROR_H_
