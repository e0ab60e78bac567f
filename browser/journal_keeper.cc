#include "browser/journal_keeper.h"

#include <cstdio>
#include <utility>

#include "absl/strings/str_cat.h"
#include "browser/journal/journal_record.h"
#include "net/blocked_reason.h"
#include "net/referrer.h"
#include "net/retry_policy.h"
#include "net/url.h"

namespace fetch_later::browser {
namespace {

using journal::FetchJournal;

std::string Seconds(absl::Duration d) {
  return absl::StrCat(absl::ToInt64Seconds(d), " s");
}

}  // namespace

JournalKeeper::JournalKeeper(Options options) : options_(std::move(options)) {}

void JournalKeeper::Log(const std::string& type,
                        std::map<std::string, std::string> fields) {
  if (options_.net_log != nullptr)
    options_.net_log->AddEvent(type, std::move(fields));
}

void JournalKeeper::OnQueued(DeferredFetchId id,
                             const DeferredRequest& request,
                             const DeferredFetchClient& client,
                             std::optional<absl::Duration> activate_after) {
  if (!enabled())
    return;
  const absl::Time now = options_.clock->Now();
  journal::JournaledFetch fetch{request,         client.network_isolation_key,
                                client.origin,   client.document_url,
                                client.csp_list, now,
                                std::nullopt};
  if (activate_after)
    fetch.activate_at = now + std::max(*activate_after, absl::ZeroDuration());
  absl::Status written =
      options_.journal->Add(id.value(), journal::EncodeJournalRecord(fetch));
  if (!written.ok()) {
    Log("journal.error", {{"id", absl::StrCat(id.value())},
                          {"detail", std::string(written.message())}});
  }
}

void JournalKeeper::OnAborted(DeferredFetchId id) {
  if (enabled())
    options_.journal->Remove(id.value());
}

void JournalKeeper::OnRequestOutcome(const net::RequestOutcome& outcome) {
  if (!enabled())
    return;
  // Acknowledged (any HTTP response) or dropped (a final network error, a
  // refusal): either way it is never sent again.
  options_.journal->Remove(outcome.request_id);
  if (outcome.request_id >= kRestoredRequestIdBase) {
    absl::MutexLock lock(&mu_);
    restored_.erase(outcome.request_id);
  }
}

void JournalKeeper::Drop(const FetchJournal::Entry& entry,
                         net::BlockedReason reason,
                         std::string message) {
  const uint64_t id = kRestoredRequestIdBase + entry.key;
  options_.journal->Adopt(id, entry.key);
  options_.journal->Remove(id);
  const std::string url = entry.fetch.request.url.Serialize();
  Log("journal.restored", {{"id", absl::StrCat(id)},
                           {"method", entry.fetch.request.method},
                           {"url", url},
                           {"decision", "dropped"},
                           {"reason", net::BlockedReasonName(reason)},
                           {"detail", message}});
  ipc::BlockedRequest blocked;
  blocked.set_request_id(id);
  blocked.set_url(url);
  blocked.set_reason(net::BlockedReasonName(reason));
  blocked.set_message(std::move(message));
  absl::MutexLock lock(&mu_);
  blocked_.push_back(std::move(blocked));
}

std::vector<ProcessedDeferredFetch> JournalKeeper::Replay(
    const std::vector<std::string>& startup_notes) {
  std::vector<ProcessedDeferredFetch> to_send;
  if (!enabled())
    return to_send;
  std::vector<std::string> errors = startup_notes;
  std::vector<FetchJournal::Entry> entries = options_.journal->ReadAll(&errors);
  for (const std::string& error : errors) {
    std::fprintf(stderr, "browser: %s\n", error.c_str());
    Log("journal.error", {{"detail", error}});
  }
  const absl::Time now = options_.clock->Now();
  for (FetchJournal::Entry& entry : entries) {
    const uint64_t id = kRestoredRequestIdBase + entry.key;
    DeferredRequest& request = entry.fetch.request;
    const std::string url = request.url.Serialize();
    const absl::Duration age = now - entry.fetch.queued_at;
    if (age > options_.replay_max_age) {
      Drop(entry, net::BlockedReason::kExpired,
           absl::StrCat("queued ", Seconds(age),
                        " before this start, older than --replay_max_age (",
                        Seconds(options_.replay_max_age),
                        "): a beacon from a page left that long ago is not "
                        "sent from the network the user is on now"));
      continue;
    }
    const bool retries = request.retry_options.has_value();
    std::optional<net::OutgoingRequest::Resumption> resumption;
    std::string decision, detail;
    switch (entry.phase) {
      case FetchJournal::Phase::kPending:
        decision = "sent";
        detail =
            "pending when the last browser process ended: sent as its "
            "document's destruction sends it";
        break;
      case FetchJournal::Phase::kFailed:
        options_.journal->Adopt(id, entry.key);
        options_.journal->Remove(id);
        Log("journal.restored",
            {{"id", absl::StrCat(id)},
             {"method", request.method},
             {"url", url},
             {"decision", "removed"},
             {"detail",
              "its last attempt had failed with no retry to come: final"}});
        continue;
      case FetchJournal::Phase::kRetryPending:
        if (retries) {
          resumption = net::OutgoingRequest::Resumption{
              net::OutgoingRequest::Resumption::Kind::kDueRetry,
              std::max<uint32_t>(entry.attempts_started, 1),
              entry.first_failure};
          decision = "retry_due";
          detail = absl::StrCat(
              "retry ", resumption->attempts_started,
              " was waiting when the last browser process ended: due now; "
              "its document is gone, so it needs retryAfterUnload (",
              request.retry_options->retry_after_unload ? "set" : "not set",
              ") and a fully active document with the network isolation key ",
              entry.fetch.network_isolation_key.ToDebugString());
          break;
        }
        [[fallthrough]];
      case FetchJournal::Phase::kOnWire: {
        const bool idempotent = net::IsIdempotentMethod(request.method);
        const bool allowed =
            retries && request.retry_options->retry_non_idempotent;
        if (!idempotent && !allowed) {
          Drop(entry, net::BlockedReason::kInFlightAtCrash,
               absl::StrCat(request.method, " ", url,
                            " was on the wire when the last browser process "
                            "ended; the server may have it, and ",
                            request.method,
                            " is not idempotent (no retryOptions."
                            "retryNonIdempotent): not sent twice"));
          continue;
        }
        resumption = net::OutgoingRequest::Resumption{
            net::OutgoingRequest::Resumption::Kind::kResendAttempt,
            std::max<uint32_t>(entry.attempts_started, 1), entry.first_failure};
        decision = "resent";
        detail = absl::StrCat(
            "on the wire when the last browser process ended; ",
            idempotent ? absl::StrCat(request.method, " is idempotent")
                       : "retryOptions.retryNonIdempotent is set",
            ": sent again with Retry-Attempt: ", resumption->attempts_started);
        break;
      }
    }
    options_.journal->Adopt(id, entry.key);
    Log("journal.restored", {{"id", absl::StrCat(id)},
                             {"method", request.method},
                             {"url", url},
                             {"decision", decision},
                             {"detail", detail}});
    {
      absl::MutexLock lock(&mu_);
      restored_[id] = Restored{id,
                               request.method,
                               url,
                               TotalRequestLength(request),
                               retries,
                               entry.fetch.activate_at,
                               absl::StrCat(decision, ": ", detail)};
    }
    // As "process a deferred fetch" hands it over on fetch group
    // termination: no document left to notify.
    ProcessedDeferredFetch fetch{
        DeferredFetchId(id), DocumentId(), std::move(request),
        /*notify_invoked=*/false, entry.fetch.network_isolation_key};
    fetch.origin = entry.fetch.origin;
    if (fetch.origin && !fetch.origin->opaque()) {
      if (absl::StatusOr<net::Url> document_url =
              net::Url::Parse(entry.fetch.document_url);
          document_url.ok()) {
        fetch.client_referrer = net::StripReferrerSource(*document_url);
      }
    }
    fetch.csp_list = entry.fetch.csp_list;
    fetch.document_url = entry.fetch.document_url;
    fetch.resumption = resumption;
    to_send.push_back(std::move(fetch));
  }
  return to_send;
}

std::vector<ipc::BlockedRequest> JournalKeeper::TakeBlocked() {
  absl::MutexLock lock(&mu_);
  return std::exchange(blocked_, {});
}

std::vector<JournalKeeper::Restored> JournalKeeper::RestoredPending() {
  absl::MutexLock lock(&mu_);
  std::vector<Restored> out;
  out.reserve(restored_.size());
  for (const auto& [id, r] : restored_)
    out.push_back(r);
  return out;
}

std::function<void(const net::AttemptEvent&)> JournalAttemptObserver(
    journal::FetchJournal* journal,
    const net::Clock* clock) {
  return [journal, clock](const net::AttemptEvent& event) {
    switch (event.type) {
      case net::AttemptEvent::Type::kStarted:
        journal->OnAttemptStarted(event.request_id, event.retry_attempt);
        break;
      case net::AttemptEvent::Type::kFailed:
        journal->OnAttemptFailed(event.request_id, clock->Now(),
                                 /*retry_granted=*/false);
        break;
      case net::AttemptEvent::Type::kRetryScheduled:
        journal->OnRetryScheduled(event.request_id);
        break;
      default:
        // A response or a refusal: the final outcome removes the record.
        // Waiting for a same-key document: still a retry pending.
        break;
    }
  };
}

}  // namespace fetch_later::browser
