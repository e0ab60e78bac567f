// The renderer-facing trust boundary under attack. An attacker renderer speaks
// the DeferredFetchHost interface with the raw generated stub (it adds its own
// `renderer-token` metadata and builds every field itself, as a compromised
// renderer process would), next to an honest renderer driven through
// RendererConnection. For every message no honest renderer could send, the
// browser must (Chromium's ReportBadMessage):
//   - answer PERMISSION_DENIED "bad message: <detail>", the detail naming the
//     field and the rule;
//   - record exactly one BadMessageRecord naming the attacker's site and the
//     exact BadMessageReason of the check (every reason is reached by a row,
//     or kReachedElsewhere says where and why not);
//   - revoke the attacker's token (every later call: UNAUTHENTICATED) and end
//     its event stream;
//   - destroy the attacker's documents as a crash would, which sends the
//     deferred fetches they queued honestly before the attack;
//   - leave the honest renderer alone: its pending fetches stay pending, its
//     quota is intact to the byte, and its next fetchLater() is queued.
// Each row of the table runs on a fresh browser.
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "ipc/browser_control.grpc.pb.h"
#include "ipc/renderer_host.grpc.pb.h"
#include "tests/ipc_test_fixture.h"

namespace fetch_later::testing {
namespace {

using ::fetch_later::browser::BadMessageReason;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::StartsWith;
using ::testing::UnorderedElementsAre;

constexpr char kHonestPage[] = "https://honest.test/";
constexpr char kHonestOrigin[] = "https://honest.test";
constexpr char kHonestPending[] = "https://honest.test/pending";
constexpr char kHonestAfter[] = "https://honest.test/after-the-attack";
constexpr char kAttackerPage[] = "https://evil.test/";
constexpr char kAttackerSite[] = "https://evil.test";
// Queued by the attacker's renderer honestly, before the attack: once through
// RendererConnection and once through the raw stub with a chosen client id.
constexpr char kAttackerPending[] = "https://evil.test/pending";
constexpr char kAttackerPendingRaw[] = "https://evil.test/pending-raw";
constexpr uint64_t kAttackerRawClientId = 1000;
// The URL forged messages start from (already serialised: 19 bytes).
constexpr char kForgedUrl[] = "https://evil.test/x";
constexpr int64_t kQuotaPerOrigin = 64 * 1024;
constexpr char kUnknownDocument[] = "0123456789abcdef0123456789abcdef";
constexpr char kDocumentNotHosted[] =
    "document_token: not a document this renderer hosts";

// "total request length" of a message whose URL and referrer are already
// serialised (deferred_request.cc: URL + referrer URL + header names and values
// + body).
uint64_t LengthOf(const ipc::FetchLaterRequest& m) {
  uint64_t total = m.url().size() + m.referrer_url().size();
  for (const ipc::Header& h : m.headers())
    total += h.name().size() + h.value().size();
  if (m.has_body())
    total += m.body().size();
  return total;
}

// A GET for `url` exactly as the honest renderer builds it (referrer
// "client", default policy, no headers, no body).
ipc::FetchLaterRequest HonestGet(const std::string& document_token,
                                 const std::string& url,
                                 uint64_t client_id) {
  ipc::FetchLaterRequest m;
  m.set_document_token(document_token);
  m.set_method("GET");
  m.set_url(url);
  m.set_client_id(client_id);
  m.set_total_request_length(LengthOf(m));
  return m;
}

void AddHeader(ipc::FetchLaterRequest& m,
               const std::string& name,
               const std::string& value) {
  ipc::Header* h = m.add_headers();
  h->set_name(name);
  h->set_value(value);
}

// A renderer process that does not play by the rules: the raw gRPC stub, with
// the `renderer-token` it chooses.
class RawRenderer {
 public:
  // `channel`: the channel the browser made for the renderer whose token this
  // is (IpcTest::RendererChannel), i.e. a compromised renderer's own channel.
  RawRenderer(std::shared_ptr<grpc::Channel> channel, std::string token)
      : stub_(ipc::DeferredFetchHost::NewStub(std::move(channel))),
        token_(std::move(token)) {}

  grpc::Status FetchLater(const ipc::FetchLaterRequest& m,
                          ipc::FetchLaterResponse* response = nullptr) {
    ipc::FetchLaterResponse ignored;
    auto context = Context();
    return stub_->FetchLater(context.get(), m, response ? response : &ignored);
  }
  grpc::Status QueryQuota(const ipc::QueryQuotaRequest& m,
                          ipc::QueryQuotaResponse* response = nullptr) {
    ipc::QueryQuotaResponse ignored;
    auto context = Context();
    return stub_->QueryQuota(context.get(), m, response ? response : &ignored);
  }
  grpc::Status AbortFetchLater(const ipc::AbortFetchLaterRequest& m) {
    ipc::AbortFetchLaterResponse ignored;
    auto context = Context();
    return stub_->AbortFetchLater(context.get(), m, &ignored);
  }
  grpc::Status Fetch(const ipc::FetchRequest& m) {
    ipc::FetchAccepted ignored;
    auto context = Context();
    return stub_->Fetch(context.get(), m, &ignored);
  }
  grpc::Status AbortFetch(const ipc::AbortFetchRequest& m) {
    ipc::AbortFetchResponse ignored;
    auto context = Context();
    return stub_->AbortFetch(context.get(), m, &ignored);
  }
  grpc::Status ReportStepResult(const ipc::StepResult& m) {
    ipc::Empty ignored;
    auto context = Context();
    return stub_->ReportStepResult(context.get(), m, &ignored);
  }
  // Opens the event stream and returns how it ended (reading whatever it got).
  grpc::Status WatchEventsUntilEnd() {
    auto context = Context();
    context->set_deadline(std::chrono::system_clock::now() +
                          std::chrono::seconds(5));
    auto reader = stub_->WatchEvents(context.get(), {});
    ipc::RendererEvent event;
    while (reader->Read(&event)) {
    }
    return reader->Finish();
  }

 private:
  std::unique_ptr<grpc::ClientContext> Context() const {
    auto context = std::make_unique<grpc::ClientContext>();
    if (token_)
      context->AddMetadata("renderer-token", *token_);
    return context;
  }

  std::unique_ptr<ipc::DeferredFetchHost::Stub> stub_;
  std::optional<std::string> token_;

 public:
  // A renderer that sends no `renderer-token` at all.
  static std::unique_ptr<RawRenderer> WithoutToken(
      std::shared_ptr<grpc::Channel> channel) {
    auto r = std::make_unique<RawRenderer>(std::move(channel), "");
    r->token_.reset();
    return r;
  }
};

// What a forging row may name.
struct Tokens {
  std::string attacker_document;
  std::string honest_document;
  // Opens an http: page (another renderer) with an iframe of the attacker's
  // site, hosted by the attacker's renderer and not a secure context; returns
  // the iframe's document token.
  std::function<std::string()> attacker_insecure_document;
};

// One message no honest renderer sends.
struct ForgedCase {
  const char* name;  // the row's name (a gtest identifier)
  // Sends the forged call and returns its status.
  std::function<grpc::Status(RawRenderer&, const Tokens&)> send;
  // The check that fails: exactly this reason is recorded.
  BadMessageReason reason;
  // The bad message's detail, the field name and the rule, as a prefix (the
  // whole detail where it is fixed).
  std::string detail;
};

// gtest prints the row by its name.
void PrintTo(const ForgedCase& c, std::ostream* os) {
  *os << c.name << " (" << c.reason << ": " << c.detail << ")";
}

// Rows that forge a FetchLaterRequest: start from the honest GET of
// kForgedUrl for the attacker's own document, apply `forge`.
ForgedCase Forge(
    const char* name,
    std::function<void(ipc::FetchLaterRequest&, const Tokens&)> forge,
    BadMessageReason reason,
    std::string detail) {
  return ForgedCase{name,
                    [forge](RawRenderer& attacker, const Tokens& tokens) {
                      ipc::FetchLaterRequest m =
                          HonestGet(tokens.attacker_document, kForgedUrl,
                                    /*client_id=*/7);
                      forge(m, tokens);
                      return attacker.FetchLater(m);
                    },
                    reason, std::move(detail)};
}

// As Forge, then sets a matching total_request_length, so only the rule under
// test is broken.
ForgedCase ForgeConsistent(const char* name,
                           std::function<void(ipc::FetchLaterRequest&)> forge,
                           BadMessageReason reason,
                           std::string detail) {
  return Forge(
      name,
      [forge](ipc::FetchLaterRequest& m, const Tokens&) {
        forge(m);
        m.set_total_request_length(LengthOf(m));
      },
      reason, std::move(detail));
}

ForgedCase ForgeHeader(const char* name,
                       std::string header_name,
                       std::string header_value,
                       BadMessageReason reason,
                       std::string detail) {
  return ForgeConsistent(
      name,
      [header_name, header_value](ipc::FetchLaterRequest& m) {
        AddHeader(m, header_name, header_value);
      },
      reason, std::move(detail));
}

ForgedCase ForgeUrl(const char* name,
                    std::string url,
                    BadMessageReason reason,
                    std::string detail) {
  return ForgeConsistent(
      name, [url](ipc::FetchLaterRequest& m) { m.set_url(url); }, reason,
      std::move(detail));
}

ForgedCase ForgeMethod(const char* name,
                       std::string method,
                       BadMessageReason reason,
                       std::string detail) {
  return ForgeConsistent(
      name, [method](ipc::FetchLaterRequest& m) { m.set_method(method); },
      reason, std::move(detail));
}

ForgedCase ForgeActivateAfter(const char* name, double ms) {
  return ForgeConsistent(
      name, [ms](ipc::FetchLaterRequest& m) { m.set_activate_after_ms(ms); },
      BadMessageReason::kFetchLaterActivateAfterInvalid,
      "activate_after_ms: negative or not finite");
}

// Rows that forge a FetchLaterRequest, consistent, from the attacker's
// document that is not a secure context (an iframe in an http: page).
ForgedCase ForgeInsecure(const char* name,
                         std::function<void(ipc::FetchLaterRequest&)> forge,
                         BadMessageReason reason,
                         std::string detail) {
  return Forge(
      name,
      [forge](ipc::FetchLaterRequest& m, const Tokens& tokens) {
        m.set_document_token(tokens.attacker_insecure_document());
        forge(m);
        m.set_total_request_length(LengthOf(m));
      },
      reason, std::move(detail));
}

// Rows that forge a FetchRequest (fetch()): start from an honest GET of
// kForgedUrl for the attacker's own document, apply `forge`.
ForgedCase ForgeFetch(
    const char* name,
    std::function<void(ipc::FetchRequest&, const Tokens&)> forge,
    BadMessageReason reason,
    std::string detail) {
  return ForgedCase{name,
                    [forge](RawRenderer& attacker, const Tokens& tokens) {
                      ipc::FetchRequest m;
                      m.set_document_token(tokens.attacker_document);
                      m.set_client_id(7);
                      m.set_method("GET");
                      m.set_url(kForgedUrl);
                      forge(m, tokens);
                      return attacker.Fetch(m);
                    },
                    reason, std::move(detail)};
}

ForgedCase Query(
    const char* name,
    std::function<void(ipc::QueryQuotaRequest&, const Tokens&)> forge,
    BadMessageReason reason,
    std::string detail) {
  return ForgedCase{name,
                    [forge](RawRenderer& attacker, const Tokens& tokens) {
                      ipc::QueryQuotaRequest m;
                      m.set_document_token(tokens.attacker_document);
                      m.set_url(kAttackerSite);
                      forge(m, tokens);
                      return attacker.QueryQuota(m);
                    },
                    reason, std::move(detail)};
}

const std::string kForgedUrlLength = std::to_string(sizeof(kForgedUrl) - 1);

using Reason = BadMessageReason;

std::vector<ForgedCase> ForgedCases() {
  const std::string long_url =
      "https://evil.test/?" + std::string(65537 - 19, 'u');
  return {
      // ---- Whose document is it?
      Forge(
          "HonestRenderersDocument",
          [](ipc::FetchLaterRequest& m, const Tokens& t) {
            m.set_document_token(t.honest_document);
          },
          Reason::kFetchLaterDocumentNotHosted, kDocumentNotHosted),
      Forge(
          "UnknownDocument",
          [](ipc::FetchLaterRequest& m, const Tokens&) {
            m.set_document_token(kUnknownDocument);
          },
          Reason::kFetchLaterDocumentNotHosted, kDocumentNotHosted),
      Forge(
          "EmptyDocumentToken",
          [](ipc::FetchLaterRequest& m, const Tokens&) {
            m.set_document_token("");
          },
          Reason::kFetchLaterDocumentNotHosted, kDocumentNotHosted),
      // ---- The renderer's count must be the browser's.
      Forge(
          "LengthOverstated",
          [](ipc::FetchLaterRequest& m, const Tokens&) {
            m.set_total_request_length(LengthOf(m) + 1);
          },
          Reason::kFetchLaterTotalLengthMismatch,
          absl::StrCat("total_request_length: says 20, the request is ",
                       kForgedUrlLength)),
      // Understating is how a liar would steal quota.
      Forge(
          "LengthUnderstatedAsZero",
          [](ipc::FetchLaterRequest& m, const Tokens&) {
            m.set_total_request_length(0);
          },
          Reason::kFetchLaterTotalLengthMismatch,
          absl::StrCat("total_request_length: says 0, the request is ",
                       kForgedUrlLength)),
      ForgeConsistent(
          "LengthMatchingButOver64KiB",
          [](ipc::FetchLaterRequest& m) {
            m.set_method("POST");
            m.set_body(std::string(65536, 'b'));  // exactly MAX_FIELD_BYTES
          },
          Reason::kFetchLaterTotalLengthOverOriginQuota,
          "total_request_length: above 64 KiB (should have been QueryQuota)"),
      // ---- URL (fetchLater() steps 7-8, the Request constructor).
      ForgeUrl("HttpUrlNotPotentiallyTrustworthy", "http://example.com/",
               Reason::kFetchLaterUrlNotTrustworthy,
               "url: not potentially trustworthy"),
      ForgeUrl("FtpUrl", "ftp://evil.test/x", Reason::kFetchLaterUrlNotHttpS,
               "url: scheme \"ftp\" is not HTTP(S)"),
      ForgeUrl("DataUrl", "data:text/plain,hi", Reason::kFetchLaterUrlNotHttpS,
               "url: scheme \"data\" is not HTTP(S)"),
      ForgeUrl("JavascriptUrl", "javascript:alert(1)",
               Reason::kFetchLaterUrlNotHttpS,
               "url: scheme \"javascript\" is not HTTP(S)"),
      ForgeUrl("UrlWithCredentials", "https://user:pass@evil.test/x",
               Reason::kFetchLaterUrlHasCredentials,
               "url: includes credentials"),
      ForgeUrl("UrlThatDoesNotParse", "https://[evil.test/x",
               Reason::kFetchLaterUrlUnparsable, "url: "),
      ForgeUrl("UrlOverMaxFieldBytes", long_url, Reason::kFetchLaterUrlTooLong,
               "url: longer than MAX_FIELD_BYTES"),
      // ---- Method.
      ForgeMethod("ForbiddenMethodTrace", "TRACE",
                  Reason::kFetchLaterMethodForbidden,
                  "method: forbidden method"),
      ForgeMethod("ForbiddenMethodLowercaseTrack", "track",
                  Reason::kFetchLaterMethodForbidden,
                  "method: forbidden method"),
      ForgeMethod("MethodNotNormalised", "post",
                  Reason::kFetchLaterMethodNotNormalized,
                  "method: not normalised"),
      ForgeMethod("EmptyMethod", "", Reason::kFetchLaterMethodNotToken,
                  "method: not a method token"),
      ForgeMethod("MethodWithSpace", "GE T", Reason::kFetchLaterMethodNotToken,
                  "method: not a method token"),
      ForgeMethod("MethodOverMaxMethodBytes", std::string(33, 'M'),
                  Reason::kFetchLaterMethodNotToken,
                  "method: not a method token"),
      // ---- Headers.
      ForgeHeader("HeaderNameWithSpace", "X Bad", "1",
                  Reason::kFetchLaterHeaderNameNotToken,
                  "headers[0]: name is not a token"),
      ForgeHeader("HeaderValueCrlfInjection", "X-Note", "a\r\nCookie: stolen=1",
                  Reason::kFetchLaterHeaderValueInvalid,
                  "headers[0]: value is not a header value"),
      ForgeHeader("HeaderValueNul", "X-Note", std::string("a\0b", 3),
                  Reason::kFetchLaterHeaderValueInvalid,
                  "headers[0]: value is not a header value"),
      // The Headers object normalises values; an honest renderer never sends
      // surrounding whitespace.
      ForgeHeader("HeaderValueNotNormalised", "X-Note", " a",
                  Reason::kFetchLaterHeaderValueInvalid,
                  "headers[0]: value is not a header value"),
      ForgeHeader("ForbiddenHeaderCookie", "Cookie", "session=1",
                  Reason::kFetchLaterHeaderForbidden,
                  "headers[0]: forbidden request-header \"Cookie\""),
      ForgeHeader("ForbiddenHeaderHost", "Host", "honest.test",
                  Reason::kFetchLaterHeaderForbidden,
                  "headers[0]: forbidden request-header \"Host\""),
      ForgeHeader("ForbiddenHeaderSecFetchMode", "Sec-Fetch-Mode", "navigate",
                  Reason::kFetchLaterHeaderForbidden,
                  "headers[0]: forbidden request-header \"Sec-Fetch-Mode\""),
      ForgeHeader("ForbiddenHeaderReferer", "Referer", "https://honest.test/",
                  Reason::kFetchLaterHeaderForbidden,
                  "headers[0]: forbidden request-header \"Referer\""),
      ForgeHeader(
          "ForbiddenHeaderProxyPrefix", "Proxy-Authorization", "x",
          Reason::kFetchLaterHeaderForbidden,
          "headers[0]: forbidden request-header \"Proxy-Authorization\""),
      ForgeHeader(
          "ForbiddenMethodOverrideHeader", "X-HTTP-Method-Override", "TRACE",
          Reason::kFetchLaterHeaderForbidden,
          "headers[0]: forbidden request-header \"X-HTTP-Method-Override\""),
      ForgeConsistent(
          "SecondHeaderForbidden",
          [](ipc::FetchLaterRequest& m) {
            AddHeader(m, "X-Ok", "1");
            AddHeader(m, "cookie", "a=b");
          },
          Reason::kFetchLaterHeaderForbidden,
          "headers[1]: forbidden request-header \"cookie\""),
      ForgeHeader("HeaderValueOverMaxFieldBytes", "X-Big",
                  std::string(65537, 'v'), Reason::kFetchLaterHeaderTooLong,
                  "headers[0]: longer than MAX_FIELD_BYTES"),
      ForgeConsistent(
          "MoreThanMaxHeaders",
          [](ipc::FetchLaterRequest& m) {
            for (int i = 0; i < ipc::MAX_HEADERS + 1; ++i)
              AddHeader(m, "X-H", "v");
          },
          Reason::kFetchLaterTooManyHeaders, "headers: more than MAX_HEADERS"),
      // ---- Body.
      ForgeConsistent(
          "GetWithBody", [](ipc::FetchLaterRequest& m) { m.set_body("x=1"); },
          Reason::kFetchLaterBodyWithGetOrHead,
          "body: a GET or HEAD request cannot have a body"),
      ForgeConsistent(
          "HeadWithEmptyBody",
          [](ipc::FetchLaterRequest& m) {
            m.set_method("HEAD");
            m.set_body("");
          },
          Reason::kFetchLaterBodyWithGetOrHead,
          "body: a GET or HEAD request cannot have a body"),
      ForgeConsistent(
          "BodyOverMaxFieldBytes",
          [](ipc::FetchLaterRequest& m) {
            m.set_method("POST");
            m.set_body(std::string(65537, 'b'));
          },
          Reason::kFetchLaterBodyTooLong, "body: longer than MAX_FIELD_BYTES"),
      // ---- activateAfter (fetchLater() step 5 throws RangeError).
      ForgeActivateAfter("NegativeActivateAfter", -1),
      ForgeActivateAfter("NaNActivateAfter",
                         std::numeric_limits<double>::quiet_NaN()),
      ForgeActivateAfter("InfiniteActivateAfter",
                         std::numeric_limits<double>::infinity()),
      // ---- Referrer.
      ForgeConsistent(
          "CrossOriginReferrerUrl",
          [](ipc::FetchLaterRequest& m) {
            m.set_referrer_url("https://honest.test/");
          },
          Reason::kFetchLaterReferrerCrossOrigin,
          "referrer_url: not same origin with the document"),
      ForgeConsistent(
          "ReferrerUrlWithNoReferrer",
          [](ipc::FetchLaterRequest& m) {
            m.set_referrer_url("https://evil.test/");
            m.set_no_referrer(true);
          },
          Reason::kFetchLaterReferrerWithNoReferrer,
          "referrer_url: set together with no_referrer"),
      ForgeConsistent(
          "ReferrerUrlOverMaxFieldBytes",
          [](ipc::FetchLaterRequest& m) {
            m.set_referrer_url("https://evil.test/?" + std::string(65537, 'r'));
          },
          Reason::kFetchLaterReferrerTooLong,
          "referrer_url: longer than MAX_FIELD_BYTES"),
      // The Request constructor parses the referrer against the document's
      // URL; what it sends is the serialisation, which always parses.
      ForgeConsistent(
          "ReferrerUrlThatDoesNotParse",
          [](ipc::FetchLaterRequest& m) {
            m.set_referrer_url("https://[evil.test/");
          },
          Reason::kFetchLaterReferrerUnparsable, "referrer_url: "),
      ForgeConsistent(
          "InvalidReferrerPolicy",
          [](ipc::FetchLaterRequest& m) {
            m.set_referrer_policy("always-send-cookies");
          },
          Reason::kFetchLaterReferrerPolicyInvalid,
          "referrer_policy: 'always-send-cookies' is not a valid "
          "enum value of type ReferrerPolicy"),
      // ---- retryOptions.
      ForgeConsistent(
          "RetryBackoffFactorNaN",
          [](ipc::FetchLaterRequest& m) {
            m.mutable_retry_options()->set_max_attempts(1);
            m.mutable_retry_options()->set_backoff_factor(
                std::numeric_limits<double>::quiet_NaN());
          },
          Reason::kFetchLaterRetryBackoffNotFinite,
          "retry_options.backoff_factor: not finite"),
      // ---- RequestInit's mode, credentials and redirect (proto3 enums are
      // open: any number arrives).
      ForgeConsistent(
          "RequestModeOutOfRange",
          [](ipc::FetchLaterRequest& m) {
            m.set_mode(static_cast<ipc::RequestMode>(7));
          },
          Reason::kFetchLaterRequestModeInvalid,
          "mode: 7 is not a RequestMode"),
      ForgeConsistent(
          "CredentialsModeNegative",
          [](ipc::FetchLaterRequest& m) {
            m.set_credentials(static_cast<ipc::CredentialsMode>(-1));
          },
          Reason::kFetchLaterCredentialsModeInvalid,
          "credentials: -1 is not a CredentialsMode"),
      ForgeConsistent(
          "RedirectModeOutOfRange",
          [](ipc::FetchLaterRequest& m) {
            m.set_redirect(static_cast<ipc::RedirectMode>(3));
          },
          Reason::kFetchLaterRedirectModeInvalid,
          "redirect: 3 is not a RedirectMode"),
      // ---- Mode "no-cors": what the Request constructor refuses (step 33).
      ForgeConsistent(
          "NoCorsWithPut",
          [](ipc::FetchLaterRequest& m) {
            m.set_mode(ipc::REQUEST_MODE_NO_CORS);
            m.set_method("PUT");
          },
          Reason::kFetchLaterNoCorsMethodNotSafelisted,
          "method: \"PUT\" is not CORS-safelisted (mode \"no-cors\")"),
      ForgeConsistent(
          "NoCorsWithACustomHeader",
          [](ipc::FetchLaterRequest& m) {
            m.set_mode(ipc::REQUEST_MODE_NO_CORS);
            AddHeader(m, "Accept", "*/*");
            AddHeader(m, "X-Trace", "1");
          },
          Reason::kFetchLaterNoCorsHeaderNotSafelisted,
          "headers[1]: \"X-Trace\" is not a no-CORS-safelisted "
          "request-header (mode \"no-cors\")"),
      ForgeConsistent(
          "NoCorsWithAJsonContentType",
          [](ipc::FetchLaterRequest& m) {
            m.set_mode(ipc::REQUEST_MODE_NO_CORS);
            m.set_method("POST");
            m.set_body("{}");
            AddHeader(m, "Content-Type", "application/json");
          },
          Reason::kFetchLaterNoCorsHeaderNotSafelisted,
          "headers[0]: \"Content-Type\" is not a no-CORS-safelisted "
          "request-header (mode \"no-cors\")"),
      // The guard checks a name's combined value: two Accept headers of 100
      // bytes each combine to 202 (> 128).
      ForgeConsistent(
          "NoCorsCombinedValueOver128Bytes",
          [](ipc::FetchLaterRequest& m) {
            m.set_mode(ipc::REQUEST_MODE_NO_CORS);
            AddHeader(m, "Accept", std::string(100, 'a'));
            AddHeader(m, "accept", std::string(100, 'b'));
          },
          Reason::kFetchLaterNoCorsHeaderNotSafelisted,
          "headers[0]: \"Accept\" is not a no-CORS-safelisted "
          "request-header (mode \"no-cors\")"),
      // The privileged no-CORS name: the guard removes Range.
      ForgeConsistent(
          "NoCorsWithRange",
          [](ipc::FetchLaterRequest& m) {
            m.set_mode(ipc::REQUEST_MODE_NO_CORS);
            AddHeader(m, "Range", "bytes=0-1");
          },
          Reason::kFetchLaterNoCorsHeaderNotSafelisted,
          "headers[0]: \"Range\" is not a no-CORS-safelisted request-header "
          "(mode \"no-cors\")"),
      // ---- [SecureContext] (Fetch: fetchLater() and RequestInit's
      // retryOptions are exposed in secure contexts only).
      ForgeInsecure(
          "FetchLaterFromNonSecureContext", [](ipc::FetchLaterRequest&) {},
          Reason::kFetchLaterNotSecureContext,
          "document_token: fetchLater() from a non-secure context"),
      ForgeFetch(
          "FetchWithRetryOptionsFromNonSecureContext",
          [](ipc::FetchRequest& m, const Tokens& t) {
            m.set_document_token(t.attacker_insecure_document());
            m.mutable_retry_options()->set_max_attempts(1);
          },
          Reason::kFetchLaterRetryOptionsNotSecureContext,
          "retry_options: [SecureContext], the document is not one"),
      // ---- fetch() (FetchRequest): its own checks; the request's are
      // FetchLater's (one row shows they apply).
      ForgeFetch(
          "FetchFromHonestRenderersDocument",
          [](ipc::FetchRequest& m, const Tokens& t) {
            m.set_document_token(t.honest_document);
          },
          Reason::kFetchDocumentNotHosted, kDocumentNotHosted),
      ForgeFetch(
          "FetchMixedContentFromASecureContext",
          [](ipc::FetchRequest& m, const Tokens&) {
            m.set_url("http://evil.test/x");
          },
          Reason::kFetchMixedContent,
          "url: not potentially trustworthy, from a secure context (mixed "
          "content)"),
      ForgeFetch(
          "FetchRetryAfterUnloadWithoutKeepalive",
          [](ipc::FetchRequest& m, const Tokens&) {
            m.mutable_retry_options()->set_max_attempts(1);
            m.mutable_retry_options()->set_retry_after_unload(true);
          },
          Reason::kFetchRetryAfterUnloadWithoutKeepalive,
          "retry_options.retry_after_unload: without keepalive"),
      ForgeFetch(
          "FetchWithAForbiddenMethod",
          [](ipc::FetchRequest& m, const Tokens&) { m.set_method("TRACE"); },
          Reason::kFetchLaterMethodForbidden, "method: forbidden method"),
      ForgedCase{"AbortFetchOfHonestRenderersDocument",
                 [](RawRenderer& attacker, const Tokens& t) {
                   ipc::AbortFetchRequest m;
                   m.set_document_token(t.honest_document);
                   m.set_client_id(1);
                   return attacker.AbortFetch(m);
                 },
                 Reason::kAbortFetchDocumentNotHosted, kDocumentNotHosted},
      // ---- Ids: unique within the document while pending.
      ForgeConsistent(
          "ReusedClientIdInSameDocument",
          [](ipc::FetchLaterRequest& m) {
            m.set_client_id(kAttackerRawClientId);
          },
          Reason::kFetchLaterClientIdReused,
          "client_id: already used in this document"),
      // ---- QueryQuota.
      Query(
          "QueryQuotaHttpUrl",
          [](ipc::QueryQuotaRequest& m, const Tokens&) {
            m.set_url("http://example.com/");
          },
          Reason::kFetchLaterUrlNotTrustworthy,
          "url: not potentially trustworthy"),
      Query(
          "QueryQuotaFtpUrl",
          [](ipc::QueryQuotaRequest& m, const Tokens&) {
            m.set_url("ftp://evil.test/");
          },
          Reason::kFetchLaterUrlNotHttpS, "url: scheme \"ftp\" is not HTTP(S)"),
      Query(
          "QueryQuotaUrlOverMaxFieldBytes",
          [](ipc::QueryQuotaRequest& m, const Tokens&) {
            m.set_url("https://evil.test/?" + std::string(65537, 'q'));
          },
          Reason::kFetchLaterUrlTooLong, "url: longer than MAX_FIELD_BYTES"),
      Query(
          "QueryQuotaHonestRenderersDocument",
          [](ipc::QueryQuotaRequest& m, const Tokens& t) {
            m.set_document_token(t.honest_document);
          },
          Reason::kQueryQuotaDocumentNotHosted, kDocumentNotHosted),
      // ---- AbortFetchLater: aborting someone else's fetch.
      ForgedCase{"AbortHonestRenderersFetch",
                 [](RawRenderer& attacker, const Tokens& t) {
                   ipc::AbortFetchLaterRequest m;
                   m.set_document_token(t.honest_document);
                   m.set_client_id(1);  // RendererConnection's first id
                   return attacker.AbortFetchLater(m);
                 },
                 Reason::kAbortFetchLaterDocumentNotHosted, kDocumentNotHosted},
      // ---- ReportStepResult: an answer to a step nobody asked for (no page
      // step was ever run in this browser).
      ForgedCase{"StepResultForAStepNeverGiven",
                 [](RawRenderer& attacker, const Tokens&) {
                   ipc::StepResult m;
                   m.set_step_id(1);
                   m.set_outcome(ipc::JS_OK);
                   return attacker.ReportStepResult(m);
                 },
                 Reason::kStepResultUnknownStep,
                 "step_id: not a step given to this renderer"},
  };
}

// Reasons no ForgedCases() row reaches, each with where it is reached and why
// not here.
struct ReachedElsewhere {
  BadMessageReason reason;
  const char* why;
};
constexpr ReachedElsewhere kReachedElsewhere[] = {
    {Reason::kFetchLaterSendNowActivateAfterNotZero,
     "retired: FetchLaterRequest.send_now is gone (fetch() has its own "
     "FetchRequest), so nothing reports it"},
    {Reason::kFetchClientIdReused,
     "needs a fetch() of the attacker's in flight, which would be at the "
     "network stage (the rows check what it was sent); reached in "
     "browser/fetch_test.cc BadMessages"},
    {Reason::kStepResultBadNextTimer,
     "needs a step the browser is waiting on, which the attacker's own "
     "RendererConnection would answer first; reached in "
     "browser/browser_core_script_test.cc ANonsenseTimerTimeIsABadMessage "
     "(a fake renderer answers) and by tests/fuzz/renderer_host_fuzzer.cc"},
    {Reason::kRendererNotSandboxed,
     "needs a renderer process that skipped its sandbox while the browser "
     "requires one; reached in tests/multiprocess_test.cc "
     "AnUnsandboxedRendererIsCutOff"},
};

// Every reason the browser can report is reached by a row above (or named in
// kReachedElsewhere): a new check needs a new row.
TEST(ForgedCasesTest, EveryBadMessageReasonIsReached) {
  std::set<BadMessageReason> reached;
  for (const ForgedCase& c : ForgedCases())
    reached.insert(c.reason);
  for (const ReachedElsewhere& elsewhere : kReachedElsewhere) {
    EXPECT_FALSE(reached.count(elsewhere.reason))
        << elsewhere.reason << " has a row now: drop it from kReachedElsewhere";
    reached.insert(elsewhere.reason);
  }
  for (int i = 1; i <= static_cast<int>(BadMessageReason::kMaxValue); ++i) {
    const auto reason = static_cast<BadMessageReason>(i);
    EXPECT_TRUE(reached.count(reason)) << reason << " is reached by no row";
  }
}

// Two tabs: an honest page and an attacker's page on another site, each with
// deferred fetches queued honestly.
class TrustBoundaryTest : public IpcTest {
 protected:
  void SetUp() override {
    IpcTest::SetUp();
    honest_ = OpenPage(kHonestPage);
    honest_tab_ = tab_;
    attacker_ = OpenPage(kAttackerPage);
    attacker_tab_ = tab_;
    ASSERT_NE(honest_.renderer_token(), attacker_.renderer_token());
    ASSERT_EQ(attacker_.site(), kAttackerSite);
    tokens_ = {attacker_.document_token(), honest_.document_token(),
               [this] { return AttackerInsecureDocument(); }};

    ASSERT_TRUE(
        FetchLater(honest_, renderer::RequestInfo(kHonestPending)).ok());
    ASSERT_TRUE(
        FetchLater(attacker_, renderer::RequestInfo(kAttackerPending)).ok());
    attacker_raw_ = std::make_unique<RawRenderer>(
        RendererChannel(attacker_.renderer_token()),
        attacker_.renderer_token());
    ipc::FetchLaterResponse queued;
    grpc::Status status = attacker_raw_->FetchLater(
        HonestGet(attacker_.document_token(), kAttackerPendingRaw,
                  kAttackerRawClientId),
        &queued);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_EQ(queued.outcome(), ipc::QUEUED);
    ASSERT_EQ(queued.requested(), sizeof(kAttackerPendingRaw) - 1);
    attacker_pending_ = {kAttackerPending, kAttackerPendingRaw};

    honest_origin_quota_ = Quota(honest_, kHonestOrigin);
    honest_top_quota_ = Quota(honest_, "");
    ASSERT_EQ(honest_origin_quota_,
              kQuotaPerOrigin - int64_t{sizeof(kHonestPending) - 1});
    ASSERT_EQ(honest_top_quota_, kQuotaPerOrigin);
    ASSERT_THAT(SentUrls(), IsEmpty());
    ASSERT_THAT(core_->bad_messages(), IsEmpty());
  }

  // The control interface's "available deferred-fetch quota" for `frame`'s
  // document and the origin of `origin_url` ("" for none).
  int64_t Quota(const ipc::Frame& frame, const std::string& origin_url) {
    ipc::QuotaRequest request;
    request.set_document_token(frame.document_token());
    request.set_origin_url(origin_url);
    ipc::QuotaResponse response;
    grpc::ClientContext context;
    grpc::Status status =
        control_->AvailableQuota(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return static_cast<int64_t>(response.available());
  }

  const browser::RendererHost* HostFor(const std::string& token) {
    for (const browser::RendererHost* host : core_->renderers()) {
      if (host->launch_token() == token)
        return host;
    }
    return nullptr;
  }

  // See Tokens::attacker_insecure_document.
  std::string AttackerInsecureDocument() {
    const uint64_t tab = CreateTab();
    ipc::Frame page = Navigate(tab, "http://honest.test/");
    ipc::Frame frame = Iframe(page, "https://evil.test/in-an-http-page");
    EXPECT_EQ(frame.renderer_token(), attacker_.renderer_token());
    return frame.document_token();
  }

  // Everything a cut-off must have done to the attacker, and nothing more.
  void ExpectAttackerCutOff(const grpc::Status& status,
                            BadMessageReason reason,
                            const std::string& detail) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
        << status.error_message();
    EXPECT_THAT(status.error_message(), StartsWith("bad message: " + detail));

    // Exactly one record, naming the attacker's site, the check and the field.
    std::vector<browser::BadMessageRecord> records = core_->bad_messages();
    ASSERT_EQ(records.size(), 1u);
    const browser::RendererHost* host = HostFor(attacker_.renderer_token());
    ASSERT_NE(host, nullptr);
    EXPECT_EQ(records[0].renderer, host->id());
    EXPECT_EQ(records[0].site, kAttackerSite);
    EXPECT_EQ(records[0].reason, reason);
    EXPECT_THAT(records[0].detail, StartsWith(detail));
    EXPECT_EQ(status.error_message(), "bad message: " + records[0].detail);
    EXPECT_TRUE(host->terminated());
    EXPECT_EQ(host->termination_reason(),
              absl::StrCat(browser::BadMessageReasonName(reason), ": ",
                           records[0].detail));

    // Crash semantics: the attacker's documents are gone and their pending
    // fetches were sent (before the bad call was answered), without
    // "notify invoked"; the honest renderer's fetch was not.
    EXPECT_EQ(host->document_count(), 0);
    EXPECT_EQ(
        core_->DocumentForToken(attacker_.document_token()).status().code(),
        absl::StatusCode::kNotFound);
    EXPECT_THAT(SentUrls(),
                ::testing::UnorderedElementsAreArray(attacker_pending_));
    for (const net::OutgoingRequest& sent : network_.sent())
      EXPECT_TRUE(sent.initiator_gone) << sent.url.Serialize();

    // The token is revoked for every method, honest messages included.
    ipc::FetchLaterRequest honest_message =
        HonestGet(attacker_.document_token(), "https://evil.test/again", 99);
    grpc::Status after = attacker_raw_->FetchLater(honest_message);
    EXPECT_EQ(after.error_code(), grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_EQ(after.error_message(), "unknown or revoked renderer-token");
    ipc::QueryQuotaRequest query;
    query.set_document_token(attacker_.document_token());
    query.set_url(kAttackerSite);
    EXPECT_EQ(attacker_raw_->QueryQuota(query).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
    ipc::AbortFetchLaterRequest abort;
    abort.set_document_token(attacker_.document_token());
    abort.set_client_id(kAttackerRawClientId);
    EXPECT_EQ(attacker_raw_->AbortFetchLater(abort).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_EQ(attacker_raw_->WatchEventsUntilEnd().error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
    // The attacker's own event stream (RendererConnection) was ended.
    renderer::RendererConnection& connection =
        *renderers_[attacker_.renderer_token()];
    for (int i = 0; i < 500 && !connection.disconnected(); ++i)
      absl::SleepFor(absl::Milliseconds(10));
    EXPECT_TRUE(connection.disconnected());
    // Refused calls are not bad messages: still one record.
    EXPECT_EQ(core_->bad_messages().size(), 1u);
  }

  void ExpectHonestRendererUnharmed() {
    // Quota intact to the byte.
    EXPECT_EQ(Quota(honest_, kHonestOrigin), honest_origin_quota_);
    EXPECT_EQ(Quota(honest_, ""), honest_top_quota_);
    EXPECT_FALSE(renderers_[honest_.renderer_token()]->disconnected());
    // Still served; the new request costs exactly its own length.
    auto next = FetchLater(honest_, renderer::RequestInfo(kHonestAfter));
    ASSERT_TRUE(next.ok()) << next.error().message;
    EXPECT_EQ(Quota(honest_, kHonestOrigin),
              honest_origin_quota_ - int64_t{sizeof(kHonestAfter) - 1});
    // With no reporting origin the answer is capped at 64 KiB, far below what
    // the tab has left: unchanged.
    EXPECT_EQ(Quota(honest_, ""), honest_top_quota_);
    // Its pending fetches were never sent by the attack: closing its tab sends
    // both now, once.
    const size_t before = network_.sent().size();
    ASSERT_TRUE(CloseTab(honest_tab_).ok());
    std::vector<std::string> urls = SentUrls();
    EXPECT_THAT(std::vector<std::string>(urls.begin() + before, urls.end()),
                UnorderedElementsAre(kHonestPending, kHonestAfter));
    EXPECT_EQ(core_->bad_messages().size(), 1u);
  }

  ipc::Frame honest_;
  ipc::Frame attacker_;
  uint64_t honest_tab_ = 0;
  uint64_t attacker_tab_ = 0;
  Tokens tokens_;
  std::unique_ptr<RawRenderer> attacker_raw_;
  // What the attacker's documents have pending (sent when it is cut off).
  std::vector<std::string> attacker_pending_;
  int64_t honest_origin_quota_ = 0;
  int64_t honest_top_quota_ = 0;
};

class ForgedMessageTest : public TrustBoundaryTest,
                          public ::testing::WithParamInterface<ForgedCase> {};

TEST_P(ForgedMessageTest, IsABadMessageThatCutsOffOnlyTheSender) {
  const ForgedCase& c = GetParam();
  grpc::Status status = c.send(*attacker_raw_, tokens_);
  ExpectAttackerCutOff(status, c.reason, c.detail);
  ExpectHonestRendererUnharmed();
}

INSTANTIATE_TEST_SUITE_P(Table,
                         ForgedMessageTest,
                         ::testing::ValuesIn(ForgedCases()),
                         [](const ::testing::TestParamInfo<ForgedCase>& info) {
                           return std::string(info.param.name);
                         });

// ---- Not bad messages: nobody to cut off, or nothing reached the handler.

// An unknown, malformed or missing renderer-token names no renderer: the call
// is refused and nothing is recorded.
TEST_F(TrustBoundaryTest, UnknownRendererTokenIsUnauthenticatedAndNotRecorded) {
  std::string upper_case = attacker_.renderer_token();
  std::transform(upper_case.begin(), upper_case.end(), upper_case.begin(),
                 ::toupper);
  ASSERT_NE(upper_case, attacker_.renderer_token());  // it has a-f digits
  std::vector<std::unique_ptr<RawRenderer>> strangers;
  for (const std::string& token :
       {std::string(kUnknownDocument), std::string(), upper_case,
        attacker_.renderer_token() + "0", attacker_.document_token()}) {
    strangers.push_back(
        std::make_unique<RawRenderer>(RendererChannel(token), token));
  }
  strangers.push_back(RawRenderer::WithoutToken(RendererChannel("")));
  for (auto& stranger : strangers) {
    // Even a perfectly honest-looking message about a real document.
    grpc::Status status = stranger->FetchLater(
        HonestGet(honest_.document_token(), "https://honest.test/forged", 5));
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_EQ(status.error_message(), "unknown or revoked renderer-token");
    // A forged one too.
    ipc::FetchLaterRequest forged =
        HonestGet(honest_.document_token(), "http://example.com/", 6);
    forged.set_total_request_length(0);
    EXPECT_EQ(stranger->FetchLater(forged).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
    ipc::QueryQuotaRequest query;
    query.set_document_token(honest_.document_token());
    query.set_url(kHonestOrigin);
    EXPECT_EQ(stranger->QueryQuota(query).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
    ipc::AbortFetchLaterRequest abort;
    abort.set_document_token(honest_.document_token());
    abort.set_client_id(1);
    EXPECT_EQ(stranger->AbortFetchLater(abort).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_EQ(stranger->WatchEventsUntilEnd().error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  EXPECT_THAT(core_->bad_messages(), IsEmpty());
  EXPECT_THAT(SentUrls(), IsEmpty());
  for (const browser::RendererHost* host : core_->renderers())
    EXPECT_FALSE(host->terminated()) << host->site();
  EXPECT_EQ(Quota(honest_, kHonestOrigin), honest_origin_quota_);
  // Both real renderers still work.
  ipc::FetchLaterResponse queued;
  ASSERT_TRUE(attacker_raw_
                  ->FetchLater(HonestGet(attacker_.document_token(),
                                         "https://evil.test/still-fine", 2000),
                               &queued)
                  .ok());
  EXPECT_EQ(queued.outcome(), ipc::QUEUED);
  EXPECT_TRUE(FetchLater(honest_, renderer::RequestInfo(kHonestAfter)).ok());
}

// A message over MAX_MESSAGE_BYTES never reaches the handler: gRPC's receive
// limit refuses it with RESOURCE_EXHAUSTED. So, unlike the other Limits, it is
// neither recorded as a bad message nor does it cut the renderer off (the
// handler, which owns that decision, never sees it). This test pins that
// behaviour; ipc/renderer_host.proto's header comment says every Limits
// breach is recorded and cut off, which is not true for this one.
TEST_F(TrustBoundaryTest, MessageOverMaxMessageBytesIsDroppedByGrpc) {
  ipc::FetchLaterRequest huge =
      HonestGet(attacker_.document_token(), kForgedUrl, 8);
  for (int i = 0; i < 5; ++i)
    AddHeader(huge, "X-Pad", std::string(ipc::MAX_FIELD_BYTES, 'p'));
  huge.set_total_request_length(LengthOf(huge));
  ASSERT_GT(huge.ByteSizeLong(), static_cast<size_t>(ipc::MAX_MESSAGE_BYTES));
  grpc::Status status = attacker_raw_->FetchLater(huge);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << status.error_message();
  EXPECT_THAT(core_->bad_messages(), IsEmpty());
  EXPECT_FALSE(HostFor(attacker_.renderer_token())->terminated());
  EXPECT_THAT(SentUrls(), IsEmpty());
  // The same renderer's next call is served normally.
  ipc::FetchLaterResponse queued;
  ASSERT_TRUE(attacker_raw_
                  ->FetchLater(HonestGet(attacker_.document_token(),
                                         "https://evil.test/next", 9),
                               &queued)
                  .ok());
  EXPECT_EQ(queued.outcome(), ipc::QUEUED);
  attacker_pending_.push_back("https://evil.test/next");
  // Just under the limit, a message that breaks a field limit reaches the
  // handler and is a bad message.
  ipc::FetchLaterRequest under =
      HonestGet(attacker_.document_token(), kForgedUrl, 10);
  AddHeader(under, "X-Pad", std::string(ipc::MAX_FIELD_BYTES + 1, 'p'));
  under.set_total_request_length(LengthOf(under));
  ASSERT_LT(under.ByteSizeLong(), static_cast<size_t>(ipc::MAX_MESSAGE_BYTES));
  ExpectAttackerCutOff(attacker_raw_->FetchLater(under),
                       BadMessageReason::kFetchLaterHeaderTooLong,
                       "headers[0]: longer than MAX_FIELD_BYTES");
  ExpectHonestRendererUnharmed();
}

// ---- Cut-off details.

// The attacker's site gets a new renderer (a new token) on its next navigation;
// the old token stays revoked.
TEST_F(TrustBoundaryTest, CutOffSiteGetsAFreshRendererOnNextNavigation) {
  ipc::FetchLaterRequest forged =
      HonestGet(honest_.document_token(), kForgedUrl, 1);
  ExpectAttackerCutOff(attacker_raw_->FetchLater(forged),
                       BadMessageReason::kFetchLaterDocumentNotHosted,
                       kDocumentNotHosted);
  ipc::Frame again = Navigate(attacker_tab_, "https://evil.test/again");
  EXPECT_NE(again.renderer_token(), attacker_.renderer_token());
  EXPECT_EQ(again.site(), kAttackerSite);
  EXPECT_EQ(attacker_raw_
                ->FetchLater(HonestGet(again.document_token(),
                                       "https://evil.test/old-token", 1))
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  RawRenderer fresh(RendererChannel(again.renderer_token()),
                    again.renderer_token());
  ipc::FetchLaterResponse queued;
  ASSERT_TRUE(fresh
                  .FetchLater(HonestGet(again.document_token(),
                                        "https://evil.test/new-token", 1),
                              &queued)
                  .ok());
  EXPECT_EQ(queued.outcome(), ipc::QUEUED);
  // The new renderer cannot speak for the old renderer's (destroyed) document.
  EXPECT_EQ(fresh
                .FetchLater(HonestGet(attacker_.document_token(),
                                      "https://evil.test/old-doc", 2))
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_EQ(core_->bad_messages().size(), 2u);
  EXPECT_EQ(core_->bad_messages()[1].reason,
            BadMessageReason::kFetchLaterDocumentNotHosted);
}

// An attacker framed inside the honest page: cutting it off crashes its
// iframe's document only; the honest top-level document, its pending fetch and
// its quota (which includes the iframe's container reservation) are untouched.
TEST_F(IpcTest, AttackerIframeInHonestPageCrashesOnlyItsOwnDocument) {
  ipc::Frame page = OpenPage(kHonestPage);
  ipc::Frame frame = Iframe(page, "https://evil.test/frame");
  ASSERT_NE(frame.renderer_token(), page.renderer_token());
  ASSERT_TRUE(FetchLater(page, renderer::RequestInfo(kHonestPending)).ok());
  ASSERT_TRUE(
      FetchLater(frame, renderer::RequestInfo("https://evil.test/child")).ok());
  auto quota = [&](const std::string& origin) {
    ipc::QuotaRequest request;
    request.set_document_token(page.document_token());
    request.set_origin_url(origin);
    ipc::QuotaResponse response;
    grpc::ClientContext context;
    EXPECT_TRUE(control_->AvailableQuota(&context, request, &response).ok());
    return response.available();
  };
  const uint64_t origin_quota = quota(kHonestOrigin);
  const uint64_t top_quota = quota("");

  RawRenderer attacker(RendererChannel(frame.renderer_token()),
                       frame.renderer_token());
  // The attacker names its embedder's document.
  grpc::Status status = attacker.FetchLater(
      HonestGet(page.document_token(), "https://honest.test/stolen", 1));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(status.error_message(),
            absl::StrCat("bad message: ", kDocumentNotHosted));
  ASSERT_EQ(core_->bad_messages().size(), 1u);
  EXPECT_EQ(core_->bad_messages()[0].site, kAttackerSite);
  EXPECT_EQ(core_->bad_messages()[0].reason,
            BadMessageReason::kFetchLaterDocumentNotHosted);
  EXPECT_THAT(SentUrls(), ElementsAre("https://evil.test/child"));
  EXPECT_EQ(quota(kHonestOrigin), origin_quota);
  EXPECT_EQ(quota(""), top_quota);
  auto next = FetchLater(page, renderer::RequestInfo(kHonestAfter));
  ASSERT_TRUE(next.ok()) << next.error().message;
  EXPECT_EQ(quota(kHonestOrigin), origin_quota - (sizeof(kHonestAfter) - 1));
  ASSERT_TRUE(CloseTab(tab_).ok());
  EXPECT_THAT(SentUrls(), UnorderedElementsAre("https://evil.test/child",
                                               kHonestPending, kHonestAfter));
}

// Bad messages racing each other from one renderer: every call is refused
// (PERMISSION_DENIED while the handler still saw a live renderer,
// UNAUTHENTICATED after the cut-off), there is one record per PERMISSION_DENIED
// answer, and the pending fetches are sent exactly once.
TEST_F(TrustBoundaryTest, ConcurrentBadMessagesSendPendingFetchesOnce) {
  constexpr int kThreads = 16;
  std::vector<grpc::Status> statuses(kThreads);
  // Channels the browser made for the attacker's renderer, made before any
  // call races.
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < kThreads; ++i)
    channels.push_back(RendererChannel(attacker_.renderer_token()));
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      RawRenderer attacker(channels[i], attacker_.renderer_token());
      ipc::FetchLaterRequest forged =
          HonestGet(attacker_.document_token(), kForgedUrl, 100 + i);
      forged.set_total_request_length(0);
      statuses[i] = attacker.FetchLater(forged);
    });
  }
  for (std::thread& t : threads)
    t.join();
  int denied = 0;
  for (const grpc::Status& status : statuses) {
    if (status.error_code() == grpc::StatusCode::PERMISSION_DENIED) {
      ++denied;
      EXPECT_EQ(status.error_message(),
                absl::StrCat("bad message: total_request_length: says 0, the "
                             "request is ",
                             kForgedUrlLength));
    } else {
      EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
    }
  }
  EXPECT_GE(denied, 1);
  std::vector<browser::BadMessageRecord> records = core_->bad_messages();
  EXPECT_EQ(records.size(), static_cast<size_t>(denied));
  for (const browser::BadMessageRecord& record : records) {
    EXPECT_EQ(record.site, kAttackerSite);
    EXPECT_EQ(record.reason, BadMessageReason::kFetchLaterTotalLengthMismatch);
  }
  EXPECT_THAT(SentUrls(),
              UnorderedElementsAre(kAttackerPending, kAttackerPendingRaw));
  EXPECT_EQ(Quota(honest_, kHonestOrigin), honest_origin_quota_);
  EXPECT_TRUE(FetchLater(honest_, renderer::RequestInfo(kHonestAfter)).ok());
}

// ---- The other side of the boundary: no false positives. Requests an honest
// renderer builds from unusual but valid script input must never be taken for
// bad messages (that would cut off an honest renderer and send its fetches
// early). Each row: fetchLater(url, init) in https://honest.test/page.

struct HonestCase {
  const char* name;
  std::string url;
  renderer::DeferredRequestInit init;
  bool queued;  // false: the renderer itself throws (nothing reaches the IPC)
};

void PrintTo(const HonestCase& c, std::ostream* os) {
  *os << c.name;
}

renderer::DeferredRequestInit Init(
    std::function<void(renderer::DeferredRequestInit&)> fill) {
  renderer::DeferredRequestInit init;
  fill(init);
  return init;
}

std::vector<HonestCase> HonestCases() {
  using renderer::BodyInit;
  using renderer::DeferredRequestInit;
  return {
      {"Fragment", "https://honest.test/x#frag", {}, true},
      {"NonAsciiPathAndQuery",
       "https://honest.test/\xC3\xBC?q=\xC3\xA9",
       {},
       true},
      {"IdnHost",
       "https://b\xC3\xBC"
       "cher.test/",
       {},
       true},
      {"DefaultPortAndDotSegments",
       "https://honest.test:443/a/../b/./c",
       {},
       true},
      {"TabAndNewlineInUrl", "https://honest.test/a\tb\nc", {}, true},
      {"RelativeUrl", "../up?x=1", {}, true},
      {"ReferrerWithFragment", "https://honest.test/r",
       Init([](DeferredRequestInit& i) {
         i.referrer = "https://honest.test/page?q=1#frag";
       }),
       true},
      {"RelativeReferrer", "https://honest.test/r",
       Init([](DeferredRequestInit& i) { i.referrer = "/other"; }), true},
      {"CrossOriginReferrerBecomesClient", "https://honest.test/r",
       Init([](DeferredRequestInit& i) { i.referrer = "https://other.test/"; }),
       true},
      {"NoReferrer", "https://collector.test/r",
       Init([](DeferredRequestInit& i) { i.referrer = ""; }), true},
      {"ReferrerPolicyUnsafeUrl", "https://collector.test/r",
       Init([](DeferredRequestInit& i) { i.referrer_policy = "unsafe-url"; }),
       true},
      {"HeaderValueNeedsNormalising", "https://honest.test/h",
       Init([](DeferredRequestInit& i) {
         i.headers = renderer::HeaderList{{"X-Note", " \t a  b \t "}};
       }),
       true},
      {"ForbiddenHeaderDroppedByHeaders", "https://honest.test/h",
       Init([](DeferredRequestInit& i) {
         i.headers = renderer::HeaderList{{"Cookie", "a=b"}, {"X-Ok", "1"}};
       }),
       true},
      {"LowercaseDelete", "https://honest.test/d",
       Init([](DeferredRequestInit& i) { i.method = "delete"; }), true},
      {"LowercasePatchWithBody", "https://honest.test/p",
       Init([](DeferredRequestInit& i) {
         i.method = "patch";
         i.body = BodyInit::String("x");
       }),
       true},
      {"PostEmptyBody", "https://honest.test/p",
       Init([](DeferredRequestInit& i) {
         i.method = "POST";
         i.body = BodyInit::String("");
       }),
       true},
      // Mode "no-cors": the guard "request-no-cors" drops what the browser
      // would refuse (a custom header, a JSON Content-Type, Range, a second
      // Accept that makes the combined value too long).
      {"NoCorsGuardDropsWhatItDoesNotSafelist", "https://collector.test/n",
       Init([](DeferredRequestInit& i) {
         i.mode = "no-cors";
         i.method = "POST";
         i.body = BodyInit::Blob("{}", "application/json");
         i.headers = renderer::HeaderList{{"X-Trace", "1"},
                                          {"Accept", std::string(100, 'a')},
                                          {"Range", "bytes=0-1"},
                                          {"accept", std::string(100, 'b')},
                                          {"Content-Language", "en"}};
       }),
       true},
      {"NoCorsFormData", "https://collector.test/n",
       Init([](DeferredRequestInit& i) {
         i.mode = "no-cors";
         i.method = "POST";
         i.body =
             BodyInit::FormData({renderer::FormDataEntry::String("k", "v")});
       }),
       true},
      {"NoCorsPutThrowsInRenderer", "https://collector.test/n",
       Init([](DeferredRequestInit& i) {
         i.mode = "no-cors";
         i.method = "PUT";
       }),
       false},
      {"SameOriginOmitError", "https://honest.test/s",
       Init([](DeferredRequestInit& i) {
         i.mode = "same-origin";
         i.credentials = "omit";
         i.redirect = "error";
       }),
       true},
      {"IncludeManual", "https://collector.test/s",
       Init([](DeferredRequestInit& i) {
         i.credentials = "include";
         i.redirect = "manual";
       }),
       true},
      {"ActivateAfterZero", "https://honest.test/t",
       Init([](DeferredRequestInit& i) { i.activate_after = 0; }), true},
      {"ActivateAfterHuge", "https://honest.test/t",
       Init([](DeferredRequestInit& i) { i.activate_after = 1e300; }), true},
      {"CredentialsInUrlThrowsInRenderer",
       "https://u:p@honest.test/",
       {},
       false},
      {"HttpUrlThrowsInRenderer", "http://example.com/", {}, false},
      {"OversizedUsesQueryQuota",
       "https://honest.test/?" + std::string(70000, 'q'),
       {},
       false},
  };
}

class HonestEdgeCaseTest : public IpcTest,
                           public ::testing::WithParamInterface<HonestCase> {};

TEST_P(HonestEdgeCaseTest, IsNotABadMessage) {
  const HonestCase& c = GetParam();
  ipc::Frame page = OpenPage("https://honest.test/page");
  auto result = FetchLater(page, renderer::RequestInfo(c.url), c.init);
  EXPECT_EQ(result.ok(), c.queued)
      << (result.ok() ? "queued" : result.error().message);
  EXPECT_THAT(core_->bad_messages(), IsEmpty());
  EXPECT_FALSE(RendererFor(page).disconnected());
  EXPECT_THAT(SentUrls(), IsEmpty());
  ASSERT_TRUE(CloseTab(tab_).ok());
  EXPECT_EQ(network_.sent().size(), c.queued ? 1u : 0u);
}

INSTANTIATE_TEST_SUITE_P(Table,
                         HonestEdgeCaseTest,
                         ::testing::ValuesIn(HonestCases()),
                         [](const ::testing::TestParamInfo<HonestCase>& info) {
                           return std::string(info.param.name);
                         });

}  // namespace
}  // namespace fetch_later::testing
