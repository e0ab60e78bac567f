#include "browser/journal/journal_record.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "browser/journal/journal_record.pb.h"
#include "net/request_modes.h"
#include "net/site.h"
#include "net/url.h"

namespace fetch_later::browser::journal {
namespace {

int64_t ToUnixMs(absl::Time t) {
  return absl::ToUnixMillis(t);
}

absl::Status Invalid(absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", why));
}

// A site serialised by SchemefulSite::Serialize(): "null" for an opaque one
// (a new opaque site: the old one was same-site with nothing alive now).
absl::StatusOr<net::SchemefulSite> ParseSite(absl::string_view field,
                                             const std::string& serialized) {
  if (serialized == "null")
    return net::SchemefulSite::Create(net::Origin::CreateOpaque());
  absl::StatusOr<net::Origin> origin = net::Origin::Parse(serialized);
  if (!origin.ok())
    return Invalid(field, origin.status().message());
  return net::SchemefulSite::Create(*origin);
}

}  // namespace

std::string EncodeJournalRecord(const JournaledFetch& fetch) {
  JournalRecord record;
  record.set_version(kJournalRecordVersion);
  const DeferredRequest& request = fetch.request;
  record.set_method(request.method);
  record.set_url(request.url.Serialize());
  for (const auto& [name, value] : request.headers) {
    JournalHeader* header = record.add_headers();
    header->set_name(name);
    header->set_value(value);
  }
  if (request.body_length)
    record.set_body_length(*request.body_length);
  record.set_body(request.body);
  if (request.referrer_url)
    record.set_referrer_url(*request.referrer_url);
  record.set_no_referrer(request.no_referrer);
  record.set_referrer_policy(
      std::string(net::ReferrerPolicyToString(request.referrer_policy)));
  record.set_mode(std::string(net::RequestModeName(request.mode)));
  record.set_credentials(
      std::string(net::CredentialsModeName(request.credentials)));
  record.set_redirect(std::string(net::RedirectModeName(request.redirect)));
  if (const std::optional<net::RetryOptions>& retry = request.retry_options) {
    JournalRetryOptions* r = record.mutable_retry_options();
    r->set_max_attempts(retry->max_attempts);
    if (retry->initial_delay_ms)
      r->set_initial_delay_ms(*retry->initial_delay_ms);
    if (retry->backoff_factor)
      r->set_backoff_factor(*retry->backoff_factor);
    if (retry->max_age_ms)
      r->set_max_age_ms(*retry->max_age_ms);
    r->set_retry_after_unload(retry->retry_after_unload);
    r->set_retry_non_idempotent(retry->retry_non_idempotent);
    r->set_retry_only_if_server_unreached(
        retry->retry_only_if_server_unreached);
  }
  record.set_top_frame_site(
      fetch.network_isolation_key.top_frame_site.Serialize());
  record.set_frame_site(fetch.network_isolation_key.frame_site.Serialize());
  record.set_origin(fetch.origin ? fetch.origin->Serialize() : "");
  record.set_document_url(fetch.document_url);
  if (fetch.csp_list) {
    for (const net::CspPolicy& policy : fetch.csp_list->policies) {
      JournalCspPolicy* p = record.add_csp();
      p->set_serialized(policy.serialized);
      p->set_report_only(policy.disposition ==
                         net::CspDisposition::kReportOnly);
    }
  }
  record.set_queued_at_ms(ToUnixMs(fetch.queued_at));
  if (fetch.activate_at)
    record.set_activate_at_ms(ToUnixMs(*fetch.activate_at));
  return record.SerializeAsString();
}

absl::StatusOr<JournaledFetch> DecodeJournalRecord(absl::string_view bytes) {
  JournalRecord record;
  if (!record.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return Invalid("record", "not a JournalRecord message");
  if (record.version() < 1 || record.version() > kJournalRecordVersion) {
    return Invalid(
        "version",
        absl::StrCat(record.version(), " is not a layout this build reads"));
  }
  // Fetch: a method is a token; the renderer's validator made sure of it, so
  // an empty one can only come from a damaged record.
  if (record.method().empty())
    return Invalid("method", "empty");
  absl::StatusOr<net::Url> url = net::Url::Parse(record.url());
  if (!url.ok())
    return Invalid("url", url.status().message());
  DeferredRequest request{record.method(), *url};
  for (const JournalHeader& header : record.headers())
    request.headers.emplace_back(header.name(), header.value());
  if (record.has_body_length()) {
    if (record.body_length() < record.body().size())
      return Invalid("body_length", "smaller than the body");
    request.body_length = record.body_length();
  } else if (!record.body().empty()) {
    return Invalid("body", "bytes without a body length");
  }
  request.body = record.body();
  if (record.has_referrer_url()) {
    if (!net::Url::Parse(record.referrer_url()).ok())
      return Invalid("referrer_url", "does not parse");
    request.referrer_url = record.referrer_url();
  }
  request.no_referrer = record.no_referrer();
  absl::StatusOr<net::ReferrerPolicy> policy =
      net::ParseReferrerPolicy(record.referrer_policy());
  if (!policy.ok())
    return Invalid("referrer_policy", policy.status().message());
  request.referrer_policy = *policy;
  std::optional<net::RequestMode> mode = net::ParseRequestMode(record.mode());
  std::optional<net::CredentialsMode> credentials =
      net::ParseCredentialsMode(record.credentials());
  std::optional<net::RedirectMode> redirect =
      net::ParseRedirectMode(record.redirect());
  if (!mode)
    return Invalid("mode", absl::StrCat("unknown \"", record.mode(), "\""));
  if (!credentials) {
    return Invalid("credentials",
                   absl::StrCat("unknown \"", record.credentials(), "\""));
  }
  if (!redirect) {
    return Invalid("redirect",
                   absl::StrCat("unknown \"", record.redirect(), "\""));
  }
  request.mode = *mode;
  request.credentials = *credentials;
  request.redirect = *redirect;
  if (record.has_retry_options()) {
    const JournalRetryOptions& r = record.retry_options();
    net::RetryOptions retry;
    retry.max_attempts = r.max_attempts();
    if (r.has_initial_delay_ms())
      retry.initial_delay_ms = r.initial_delay_ms();
    if (r.has_backoff_factor())
      retry.backoff_factor = r.backoff_factor();
    if (r.has_max_age_ms())
      retry.max_age_ms = r.max_age_ms();
    retry.retry_after_unload = r.retry_after_unload();
    retry.retry_non_idempotent = r.retry_non_idempotent();
    retry.retry_only_if_server_unreached = r.retry_only_if_server_unreached();
    request.retry_options = retry;
  }

  absl::StatusOr<net::SchemefulSite> top =
      ParseSite("top_frame_site", record.top_frame_site());
  if (!top.ok())
    return top.status();
  absl::StatusOr<net::SchemefulSite> frame =
      ParseSite("frame_site", record.frame_site());
  if (!frame.ok())
    return frame.status();
  std::optional<net::Origin> origin;
  if (record.origin() == "null") {
    origin = net::Origin::CreateOpaque();
  } else if (!record.origin().empty()) {
    absl::StatusOr<net::Origin> parsed = net::Origin::Parse(record.origin());
    if (!parsed.ok())
      return Invalid("origin", parsed.status().message());
    origin = *std::move(parsed);
  }
  std::shared_ptr<const net::CspList> csp_list;
  if (record.csp_size() > 0) {
    auto list = std::make_shared<net::CspList>();
    for (const JournalCspPolicy& p : record.csp()) {
      net::CspParseResult parsed = net::ParseContentSecurityPolicies(
          {p.serialized()}, p.report_only() ? net::CspDisposition::kReportOnly
                                            : net::CspDisposition::kEnforce);
      for (const net::CspPolicy& policy : parsed.list->policies)
        list->policies.push_back(policy);
    }
    csp_list = std::move(list);
  }
  std::optional<absl::Time> activate_at;
  if (record.has_activate_at_ms())
    activate_at = absl::FromUnixMillis(record.activate_at_ms());
  return JournaledFetch{
      std::move(request),
      net::NetworkIsolationKey{*std::move(top), *std::move(frame)},
      std::move(origin),
      record.document_url(),
      std::move(csp_list),
      absl::FromUnixMillis(record.queued_at_ms()),
      activate_at};
}

}  // namespace fetch_later::browser::journal
