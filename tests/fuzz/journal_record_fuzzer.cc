// libFuzzer target: the browser's journal record decoder
// (browser/journal/journal_record.h), which reads whatever the profile
// directory holds after a crash, a disk error or tampering. The input is the
// record's bytes. Checks: no crash; a failure is InvalidArgument with a message
// (the browser names it with the file and record, and skips the record); a
// record that decodes encodes to bytes that decode again to the same encoding
// (the browser re-writes records it read from a damaged file).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "browser/journal/journal_record.h"

namespace {
void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "INVARIANT VIOLATED: %s\n  %s\n", what, detail.c_str());
  std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using fetch_later::browser::journal::DecodeJournalRecord;
  using fetch_later::browser::journal::EncodeJournalRecord;
  using fetch_later::browser::journal::JournaledFetch;
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<JournaledFetch> fetch = DecodeJournalRecord(bytes);
  if (!fetch.ok()) {
    if (!absl::IsInvalidArgument(fetch.status()))
      Fail("error is not InvalidArgument", fetch.status().ToString());
    if (fetch.status().message().empty())
      Fail("error without a message", "");
    return 0;
  }
  const std::string once = EncodeJournalRecord(*fetch);
  absl::StatusOr<JournaledFetch> again = DecodeJournalRecord(once);
  if (!again.ok())
    Fail("a re-encoded record does not decode", again.status().ToString());
  const std::string twice = EncodeJournalRecord(*again);
  if (once != twice)
    Fail("encoding is not a fixed point", fetch->request.url.Serialize());
  return 0;
}
