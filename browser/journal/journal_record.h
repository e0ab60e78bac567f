// The journal's record of one deferred fetch (journal_record.proto) in C++
// terms, and the codec between the two. The encoder runs on the fetchLater()
// path; the decoder runs on whatever the disk holds, so it validates every
// field and fails per record, never for the whole journal.
//
//   JournaledFetch fetch{request, nik, origin, document_url, csp, ...};
//   std::string bytes = EncodeJournalRecord(fetch);
//   absl::StatusOr<JournaledFetch> again = DecodeJournalRecord(bytes);
#ifndef BROWSER_JOURNAL_JOURNAL_RECORD_H_
#define BROWSER_JOURNAL_JOURNAL_RECORD_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "browser/deferred_request.h"
#include "net/csp.h"
#include "net/network_stage.h"
#include "net/origin.h"

namespace fetch_later::browser::journal {

// The record layout this build writes (JournalRecord.version).
inline constexpr uint32_t kJournalRecordVersion = 1;

// What a restarted browser needs to send a deferred fetch as its first process
// would have: the request and what main fetch needs of its client.
struct JournaledFetch {
  DeferredRequest request;
  net::NetworkIsolationKey network_isolation_key;
  // The request's origin (the document's); an opaque one comes back as a new
  // opaque origin (it was same-origin with nothing that survives a restart).
  std::optional<net::Origin> origin;
  // The document's URL: the "client" referrer is derived from it.
  std::string document_url;
  // The document's CSP list (null: none).
  std::shared_ptr<const net::CspList> csp_list;
  absl::Time queued_at;
  std::optional<absl::Time> activate_at;
};

std::string EncodeJournalRecord(const JournaledFetch& fetch);

// InvalidArgument (naming the field) when `bytes` is not a record this build
// can send: not a JournalRecord, a newer major layout, a URL or origin that
// does not parse, an unknown mode token.
absl::StatusOr<JournaledFetch> DecodeJournalRecord(absl::string_view bytes);

}  // namespace fetch_later::browser::journal

#endif  // BROWSER_JOURNAL_JOURNAL_RECORD_H_
