#include "renderer/request.h"

#include <cmath>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "net/fetch_header_rules.h"
#include "net/total_request_length.h"

namespace fetch_later::renderer {
namespace {

bool IsHttpWhitespace(char c) {
  return c == '\t' || c == ' ' || c == '\r' || c == '\n';
}

absl::string_view StripHttpWhitespace(absl::string_view s) {
  while (!s.empty() && IsHttpWhitespace(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && IsHttpWhitespace(s.back()))
    s.remove_suffix(1);
  return s;
}

// Fetch: "CORS-unsafe request-header byte".
bool IsCorsUnsafeRequestHeaderByte(unsigned char c) {
  if (c < 0x20 && c != 0x09)
    return true;
  switch (c) {
    case '"':
    case '(':
    case ')':
    case ':':
    case '<':
    case '>':
    case '?':
    case '@':
    case '[':
    case '\\':
    case ']':
    case '{':
    case '}':
    case 0x7F:
      return true;
    default:
      return false;
  }
}

bool ContainsCorsUnsafeByte(absl::string_view value) {
  for (unsigned char c : value) {
    if (IsCorsUnsafeRequestHeaderByte(c))
      return true;
  }
  return false;
}

// MIME Sniffing: "parse a MIME type", the essence only (parameters never make
// parsing fail). nullopt on failure.
std::optional<std::string> ParseMimeTypeEssence(absl::string_view input) {
  input = StripHttpWhitespace(input);
  size_t slash = input.find('/');
  if (slash == absl::string_view::npos)
    return std::nullopt;
  absl::string_view type = input.substr(0, slash);
  absl::string_view rest = input.substr(slash + 1);
  absl::string_view subtype = rest.substr(0, rest.find(';'));
  while (!subtype.empty() && IsHttpWhitespace(subtype.back()))
    subtype.remove_suffix(1);
  if (!net::IsHttpToken(type) || !net::IsHttpToken(subtype))
    return std::nullopt;
  return absl::AsciiStrToLower(absl::StrCat(type, "/", subtype));
}

// Fetch: "CORS-safelisted request-header".
bool IsCorsSafelistedRequestHeader(absl::string_view name,
                                   absl::string_view value) {
  if (value.size() > 128)
    return false;
  std::string lower = absl::AsciiStrToLower(name);
  if (lower == "accept")
    return !ContainsCorsUnsafeByte(value);
  if (lower == "accept-language" || lower == "content-language") {
    for (unsigned char c : value) {
      if (!absl::ascii_isalnum(c) && c != ' ' && c != '*' && c != ',' &&
          c != '-' && c != '.' && c != ';' && c != '=') {
        return false;
      }
    }
    return true;
  }
  if (lower == "content-type") {
    if (ContainsCorsUnsafeByte(value))
      return false;
    std::optional<std::string> essence = ParseMimeTypeEssence(value);
    return essence.has_value() &&
           (*essence == "application/x-www-form-urlencoded" ||
            *essence == "multipart/form-data" || *essence == "text/plain");
  }
  // `range` is CORS-safelisted in some forms, but it is not a no-CORS-
  // safelisted name, the only use made of this function here.
  return false;
}

// Fetch: "no-CORS-safelisted request-header name".
bool IsNoCorsSafelistedRequestHeaderName(absl::string_view name) {
  return absl::EqualsIgnoreCase(name, "accept") ||
         absl::EqualsIgnoreCase(name, "accept-language") ||
         absl::EqualsIgnoreCase(name, "content-language") ||
         absl::EqualsIgnoreCase(name, "content-type");
}

// Fetch: "privileged no-CORS request-header name".
bool IsPrivilegedNoCorsRequestHeaderName(absl::string_view name) {
  return absl::EqualsIgnoreCase(name, "range");
}

// Fetch: "no-CORS-safelisted request-header".
bool IsNoCorsSafelistedRequestHeader(absl::string_view name,
                                     absl::string_view value) {
  return IsNoCorsSafelistedRequestHeaderName(name) &&
         IsCorsSafelistedRequestHeader(name, value);
}

// Fetch: "CORS-safelisted method".
bool IsCorsSafelistedMethod(absl::string_view method) {
  return method == "GET" || method == "HEAD" || method == "POST";
}

// The first header of `list` named `name` (byte-case-insensitive).
HeaderList::const_iterator FindHeader(const HeaderList& list,
                                      absl::string_view name) {
  for (auto it = list.begin(); it != list.end(); ++it) {
    if (absl::EqualsIgnoreCase(it->first, name))
      return it;
  }
  return list.end();
}

// Fetch: header list "get".
std::optional<std::string> GetFromHeaderList(const HeaderList& list,
                                             absl::string_view name) {
  std::optional<std::string> result;
  for (const auto& [header_name, value] : list) {
    if (!absl::EqualsIgnoreCase(header_name, name))
      continue;
    if (result.has_value())
      absl::StrAppend(&*result, ", ", value);
    else
      result = value;
  }
  return result;
}

// Fetch: header list "delete".
void DeleteFromHeaderList(HeaderList& list, absl::string_view name) {
  HeaderList kept;
  for (auto& header : list) {
    if (!absl::EqualsIgnoreCase(header.first, name))
      kept.push_back(std::move(header));
  }
  list = std::move(kept);
}

// HTML: the newline normalisation of the multipart/form-data encoding
// algorithm: a CR not followed by LF, or an LF not preceded by CR, becomes
// CRLF.
std::string NormalizeNewlines(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\r') {
      out += "\r\n";
      if (i + 1 < s.size() && s[i + 1] == '\n')
        ++i;
    } else if (c == '\n') {
      out += "\r\n";
    } else {
      out += c;
    }
  }
  return out;
}

// HTML multipart/form-data: field names and filenames escape LF, CR and '"'.
std::string EscapeMultipartName(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '\n')
      out += "%0A";
    else if (c == '\r')
      out += "%0D";
    else if (c == '"')
      out += "%22";
    else
      out += c;
  }
  return out;
}

// File API: the Blob constructor's `type` normalisation.
std::string NormalizeBlobType(absl::string_view type) {
  for (unsigned char c : type) {
    if (c < 0x20 || c > 0x7E)
      return "";
  }
  return absl::AsciiStrToLower(type);
}

bool SameOrigin(const net::Url& url, const net::Origin& origin) {
  return net::Origin::Create(url).IsSameOriginWith(origin);
}

// WebIDL enum conversion of the RequestInit members, in the order WebIDL
// converts dictionary members (lexicographic): credentials, duplex, mode,
// priority, referrerPolicy.
struct ConvertedEnums {
  std::optional<CredentialsMode> credentials;
  std::optional<RequestMode> mode;
  std::optional<RequestPriority> priority;
  std::optional<net::ReferrerPolicy> referrer_policy;
};

JsError EnumError(absl::string_view member,
                  absl::string_view value,
                  absl::string_view type) {
  return MakeTypeError(
      absl::StrCat("Failed to read the '", member,
                   "' property from 'RequestInit': The "
                   "provided value '",
                   value, "' is not a valid enum value of type ", type, "."));
}

JsResult<ConvertedEnums> ConvertEnums(const RequestInit& init) {
  ConvertedEnums out;
  if (init.credentials.has_value()) {
    const std::string& v = *init.credentials;
    if (v == "omit")
      out.credentials = CredentialsMode::kOmit;
    else if (v == "same-origin")
      out.credentials = CredentialsMode::kSameOrigin;
    else if (v == "include")
      out.credentials = CredentialsMode::kInclude;
    else
      return EnumError("credentials", v, "RequestCredentials");
  }
  if (init.duplex.has_value() && *init.duplex != "half")
    return EnumError("duplex", *init.duplex, "RequestDuplex");
  if (init.mode.has_value()) {
    const std::string& v = *init.mode;
    if (v == "navigate")
      out.mode = RequestMode::kNavigate;
    else if (v == "same-origin")
      out.mode = RequestMode::kSameOrigin;
    else if (v == "no-cors")
      out.mode = RequestMode::kNoCors;
    else if (v == "cors")
      out.mode = RequestMode::kCors;
    else
      return EnumError("mode", v, "RequestMode");
  }
  if (init.priority.has_value()) {
    const std::string& v = *init.priority;
    if (v == "high")
      out.priority = RequestPriority::kHigh;
    else if (v == "low")
      out.priority = RequestPriority::kLow;
    else if (v == "auto")
      out.priority = RequestPriority::kAuto;
    else
      return EnumError("priority", v, "RequestPriority");
  }
  if (init.referrer_policy.has_value()) {
    absl::StatusOr<net::ReferrerPolicy> policy =
        net::ParseReferrerPolicy(*init.referrer_policy);
    if (!policy.ok())
      return EnumError("referrerPolicy", *init.referrer_policy,
                       "ReferrerPolicy");
    out.referrer_policy = *policy;
  }
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------
// Errors.

absl::string_view JsError::name() const {
  switch (type) {
    case JsErrorType::kTypeError:
      return "TypeError";
    case JsErrorType::kRangeError:
      return "RangeError";
    case JsErrorType::kAbortError:
      return "AbortError";
    case JsErrorType::kQuotaExceededError:
      return "QuotaExceededError";
    case JsErrorType::kNotAllowedError:
      return "NotAllowedError";
    case JsErrorType::kSecurityError:
      return "SecurityError";
    case JsErrorType::kInvalidStateError:
      return "InvalidStateError";
  }
  return "Error";
}

bool JsError::is_dom_exception() const {
  return type != JsErrorType::kTypeError && type != JsErrorType::kRangeError;
}

JsError MakeTypeError(std::string message) {
  return JsError{JsErrorType::kTypeError, std::move(message), std::nullopt,
                 std::nullopt};
}

JsError MakeRangeError(std::string message) {
  return JsError{JsErrorType::kRangeError, std::move(message), std::nullopt,
                 std::nullopt};
}

JsError MakeAbortError(std::string message) {
  return JsError{JsErrorType::kAbortError, std::move(message), std::nullopt,
                 std::nullopt};
}

// ---------------------------------------------------------------------------
// Headers.

// Fetch: Headers "validate".
JsResult<bool> Headers::Validate(absl::string_view name,
                                 absl::string_view value) const {
  // Step 1.
  if (!net::IsHttpToken(name))
    return MakeTypeError(absl::StrCat("Invalid name: '", name, "'"));
  if (!net::IsHeaderValue(value)) {
    return MakeTypeError(absl::StrCat("Invalid value for header '", name, "'"));
  }
  // Step 2.
  if (guard_ == Guard::kImmutable)
    return MakeTypeError("Headers are immutable");
  // Step 3. (Under "request-no-cors" the callers' no-CORS-safelisted checks
  // exclude every forbidden name.)
  if (guard_ == Guard::kRequest && net::IsForbiddenRequestHeader(name, value))
    return false;
  // Step 4 (guard "response") is not modelled.
  return true;
}

void Headers::RemovePrivilegedNoCorsRequestHeaders() {
  DeleteFromHeaderList(list_, "Range");
}

// Fetch: Headers "append".
JsStatus Headers::Append(absl::string_view name, absl::string_view raw_value) {
  // Step 1.
  std::string value = net::NormalizeHeaderValue(raw_value);
  // Step 2.
  JsResult<bool> valid = Validate(name, value);
  if (!valid.ok())
    return valid.error();
  if (!*valid)
    return {};
  // Step 3.
  if (guard_ == Guard::kRequestNoCors) {
    std::optional<std::string> temporary = GetFromHeaderList(list_, name);
    std::string combined =
        temporary.has_value() ? absl::StrCat(*temporary, ", ", value) : value;
    if (!IsNoCorsSafelistedRequestHeader(name, combined))
      return {};
  }
  // Step 4: header list "append" reuses the casing of an existing name.
  auto existing = FindHeader(list_, name);
  std::string stored_name =
      existing != list_.end() ? existing->first : std::string(name);
  list_.emplace_back(std::move(stored_name), std::move(value));
  // Step 5.
  if (guard_ == Guard::kRequestNoCors)
    RemovePrivilegedNoCorsRequestHeaders();
  return {};
}

// Fetch: Headers set(name, value).
JsStatus Headers::Set(absl::string_view name, absl::string_view raw_value) {
  std::string value = net::NormalizeHeaderValue(raw_value);
  JsResult<bool> valid = Validate(name, value);
  if (!valid.ok())
    return valid.error();
  if (!*valid)
    return {};
  if (guard_ == Guard::kRequestNoCors &&
      !IsNoCorsSafelistedRequestHeader(name, value)) {
    return {};
  }
  // Header list "set": replace the first, remove the others.
  HeaderList updated;
  bool replaced = false;
  for (auto& header : list_) {
    if (!absl::EqualsIgnoreCase(header.first, name)) {
      updated.push_back(std::move(header));
    } else if (!replaced) {
      updated.emplace_back(std::move(header.first), value);
      replaced = true;
    }
  }
  if (!replaced)
    updated.emplace_back(std::string(name), std::move(value));
  list_ = std::move(updated);
  if (guard_ == Guard::kRequestNoCors)
    RemovePrivilegedNoCorsRequestHeaders();
  return {};
}

// Fetch: Headers delete(name).
JsStatus Headers::Delete(absl::string_view name) {
  // Step 1: validate with a dummy value.
  JsResult<bool> valid = Validate(name, "");
  if (!valid.ok())
    return valid.error();
  if (!*valid)
    return {};
  // Step 2.
  if (guard_ == Guard::kRequestNoCors &&
      !IsNoCorsSafelistedRequestHeaderName(name) &&
      !IsPrivilegedNoCorsRequestHeaderName(name)) {
    return {};
  }
  // Steps 3-4.
  if (!Contains(name))
    return {};
  DeleteFromHeaderList(list_, name);
  // Step 5.
  if (guard_ == Guard::kRequestNoCors)
    RemovePrivilegedNoCorsRequestHeaders();
  return {};
}

JsResult<std::optional<std::string>> Headers::Get(
    absl::string_view name) const {
  if (!net::IsHttpToken(name))
    return MakeTypeError(absl::StrCat("Invalid name: '", name, "'"));
  return GetFromHeaderList(list_, name);
}

JsResult<bool> Headers::Has(absl::string_view name) const {
  if (!net::IsHttpToken(name))
    return MakeTypeError(absl::StrCat("Invalid name: '", name, "'"));
  return Contains(name);
}

JsStatus Headers::Fill(const HeaderList& init) {
  for (const auto& [name, value] : init) {
    JsStatus status = Append(name, value);
    if (!status.ok())
      return status;
  }
  return {};
}

bool Headers::Contains(absl::string_view name) const {
  return FindHeader(list_, name) != list_.end();
}

// ---------------------------------------------------------------------------
// Bodies.

FormDataEntry FormDataEntry::String(std::string name, std::string value) {
  FormDataEntry entry;
  entry.name = std::move(name);
  entry.value = std::move(value);
  return entry;
}

FormDataEntry FormDataEntry::File(std::string name,
                                  std::string bytes,
                                  std::string filename,
                                  std::string type) {
  FormDataEntry entry;
  entry.name = std::move(name);
  entry.is_file = true;
  entry.value = std::move(bytes);
  entry.filename = std::move(filename);
  entry.type = NormalizeBlobType(type);
  return entry;
}

BodyInit BodyInit::None() {
  return BodyInit();
}

BodyInit BodyInit::String(std::string utf8) {
  BodyInit init;
  init.kind = Kind::kString;
  init.data = std::move(utf8);
  return init;
}

BodyInit BodyInit::Bytes(std::string bytes) {
  BodyInit init;
  init.kind = Kind::kBytes;
  init.data = std::move(bytes);
  return init;
}

BodyInit BodyInit::Blob(std::string bytes, std::string type) {
  BodyInit init;
  init.kind = Kind::kBlob;
  init.data = std::move(bytes);
  init.type = NormalizeBlobType(type);
  return init;
}

BodyInit BodyInit::File(std::string bytes, std::string name, std::string type) {
  BodyInit init;
  init.kind = Kind::kFile;
  init.data = std::move(bytes);
  init.file_name = std::move(name);
  init.type = NormalizeBlobType(type);
  return init;
}

BodyInit BodyInit::FormData(std::vector<FormDataEntry> entries) {
  BodyInit init;
  init.kind = Kind::kFormData;
  init.form_data = std::move(entries);
  return init;
}

BodyInit BodyInit::UrlSearchParams(
    std::vector<std::pair<std::string, std::string>> list) {
  BodyInit init;
  init.kind = Kind::kUrlSearchParams;
  init.url_search_params = std::move(list);
  return init;
}

BodyInit BodyInit::Stream(bool disturbed_or_locked) {
  BodyInit init;
  init.kind = Kind::kStream;
  init.stream_disturbed_or_locked = disturbed_or_locked;
  return init;
}

// HTML: "multipart/form-data encoding algorithm", UTF-8, in the RFC 7578
// layout browsers produce.
std::string EncodeMultipartFormData(const std::vector<FormDataEntry>& entries,
                                    absl::string_view boundary) {
  std::string out;
  for (const FormDataEntry& entry : entries) {
    absl::StrAppend(&out, "--", boundary, "\r\n",
                    "Content-Disposition: form-data; name=\"",
                    EscapeMultipartName(NormalizeNewlines(entry.name)), "\"");
    if (entry.is_file) {
      absl::StrAppend(
          &out, "; filename=\"", EscapeMultipartName(entry.filename),
          "\"\r\nContent-Type: ",
          entry.type.empty() ? "application/octet-stream" : entry.type,
          "\r\n\r\n", entry.value, "\r\n");
    } else {
      absl::StrAppend(&out, "\r\n\r\n", NormalizeNewlines(entry.value), "\r\n");
    }
  }
  absl::StrAppend(&out, "--", boundary, "--\r\n");
  return out;
}

std::string GenerateMultipartBoundary() {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  absl::BitGen gen;
  std::string boundary = "----FetchLaterFormBoundary";
  for (int i = 0; i < 16; ++i)
    boundary += kAlphabet[absl::Uniform<size_t>(gen, 0, sizeof(kAlphabet) - 1)];
  return boundary;
}

// URL: "application/x-www-form-urlencoded serializer" (UTF-8; the
// application/x-www-form-urlencoded percent-encode set; space as '+').
std::string SerializeUrlEncoded(
    const std::vector<std::pair<std::string, std::string>>& list) {
  auto encode = [](absl::string_view s, std::string* out) {
    for (unsigned char c : s) {
      if (absl::ascii_isalnum(c) || c == '*' || c == '-' || c == '.' ||
          c == '_') {
        *out += static_cast<char>(c);
      } else if (c == ' ') {
        *out += '+';
      } else {
        absl::StrAppendFormat(out, "%%%02X", c);
      }
    }
  };
  std::string out;
  for (const auto& [name, value] : list) {
    if (!out.empty())
      out += '&';
    encode(name, &out);
    out += '=';
    encode(value, &out);
  }
  return out;
}

// Fetch: BodyInit "extract".
JsResult<BodyWithType> ExtractBody(const BodyInit& init, bool keepalive) {
  BodyWithType result;
  switch (init.kind) {
    case BodyInit::Kind::kNone:
      break;
    case BodyInit::Kind::kBlob:
    case BodyInit::Kind::kFile:
      result.body.source = init.data;
      if (!init.type.empty())
        result.type = init.type;
      break;
    case BodyInit::Kind::kBytes:
      result.body.source = init.data;
      break;
    case BodyInit::Kind::kFormData: {
      std::string boundary = init.boundary_for_testing.empty()
                                 ? GenerateMultipartBoundary()
                                 : init.boundary_for_testing;
      result.body.source = EncodeMultipartFormData(init.form_data, boundary);
      result.type = absl::StrCat("multipart/form-data; boundary=", boundary);
      break;
    }
    case BodyInit::Kind::kUrlSearchParams:
      result.body.source = SerializeUrlEncoded(init.url_search_params);
      result.type = "application/x-www-form-urlencoded;charset=UTF-8";
      break;
    case BodyInit::Kind::kString:
      result.body.source = init.data;
      result.type = "text/plain;charset=UTF-8";
      break;
    case BodyInit::Kind::kStream:
      if (keepalive) {
        return MakeTypeError(
            "Keepalive request cannot have a ReadableStream body.");
      }
      if (init.stream_disturbed_or_locked) {
        return MakeTypeError(
            "Failed to construct 'Request': The provided ReadableStream is "
            "disturbed or locked.");
      }
      result.body.is_stream = true;
      result.body.length = std::nullopt;
      return result;
  }
  result.body.length = result.body.source.size();
  return result;
}

// ---------------------------------------------------------------------------
// Abort.

std::shared_ptr<AbortSignal> AbortSignal::Create() {
  return std::shared_ptr<AbortSignal>(new AbortSignal());
}

// DOM: "create a dependent abort signal".
std::shared_ptr<AbortSignal> AbortSignal::CreateDependent(
    const std::vector<std::shared_ptr<AbortSignal>>& signals) {
  std::shared_ptr<AbortSignal> result = Create();
  // Step 2.
  for (const auto& signal : signals) {
    if (signal->aborted()) {
      result->reason_ = signal->reason_;
      return result;
    }
  }
  // Steps 3-4.
  result->dependent_ = true;
  for (const auto& signal : signals) {
    if (!signal->dependent_) {
      result->source_signals_.push_back(signal);
      signal->dependent_signals_.push_back(result);
      continue;
    }
    for (const auto& weak_source : signal->source_signals_) {
      std::shared_ptr<AbortSignal> source = weak_source.lock();
      if (!source)
        continue;
      result->source_signals_.push_back(source);
      source->dependent_signals_.push_back(result);
    }
  }
  return result;
}

void AbortSignal::AddAlgorithm(AbortAlgorithm algorithm) {
  if (aborted())
    return;
  algorithms_.push_back(std::move(algorithm));
}

// DOM: "signal abort".
void AbortSignal::Abort(std::optional<JsError> reason) {
  // Step 1.
  if (aborted())
    return;
  // Step 2.
  reason_ = reason.has_value()
                ? *std::move(reason)
                : MakeAbortError("signal is aborted without reason");
  // Steps 3-4.
  std::vector<std::shared_ptr<AbortSignal>> dependents_to_abort;
  for (const auto& weak_dependent : dependent_signals_) {
    std::shared_ptr<AbortSignal> dependent = weak_dependent.lock();
    if (dependent && !dependent->aborted()) {
      dependent->reason_ = reason_;
      dependents_to_abort.push_back(std::move(dependent));
    }
  }
  // Step 5.
  RunAbortSteps();
  // Step 6.
  for (const auto& dependent : dependents_to_abort)
    dependent->RunAbortSteps();
}

// DOM: "run the abort steps" (no event target is modelled).
void AbortSignal::RunAbortSteps() {
  std::vector<AbortAlgorithm> algorithms = std::move(algorithms_);
  algorithms_.clear();
  for (AbortAlgorithm& algorithm : algorithms)
    algorithm();
}

// ---------------------------------------------------------------------------
// Requests.

ClientContext ClientContext::ForDocument(const net::Url& url) {
  return ClientContext{url, url, net::Origin::Create(url), true,
                       net::kDefaultReferrerPolicy};
}

std::string RequestReferrer::ToString() const {
  switch (kind) {
    case Kind::kNoReferrer:
      return "";
    case Kind::kClient:
      return "about:client";
    case Kind::kUrl:
      return url->Serialize();
  }
  return "";
}

bool RequestInit::IsEmpty() const {
  return !method.has_value() && !headers.has_value() &&
         body.kind == BodyInit::Kind::kNone && !referrer.has_value() &&
         !referrer_policy.has_value() && !mode.has_value() &&
         !credentials.has_value() && !keepalive.has_value() && !signal &&
         !priority.has_value() && !duplex.has_value();
}

// Fetch: "new Request(input, init)".
JsResult<Request> ConstructRequest(const RequestInfo& input,
                                   const RequestInit& init,
                                   const ClientContext& client) {
  // The binding converts `init` (its enum members) before the steps run.
  JsResult<ConvertedEnums> enums = ConvertEnums(init);
  if (!enums.ok())
    return enums.error();

  // Steps 1-6: request, fallbackMode, baseURL, signal.
  const net::Url& base_url = client.base_url;
  std::optional<RequestMode> fallback_mode;
  std::shared_ptr<AbortSignal> signal;
  std::optional<Request> request;
  const Request* input_request = input.request();
  if (const std::string* url_string = input.url()) {
    // Step 5.
    absl::StatusOr<net::Url> parsed = net::Url::Parse(*url_string, &base_url);
    if (!parsed.ok()) {
      return MakeTypeError(
          absl::StrCat("Failed to parse URL from ", *url_string));
    }
    if (parsed->IncludesCredentials()) {
      return MakeTypeError(
          absl::StrCat("Request cannot be constructed from a URL that includes "
                       "credentials: ",
                       *url_string));
    }
    request.emplace(Request(*std::move(parsed)));
    fallback_mode = RequestMode::kCors;
  } else {
    // Step 6: copy input's request (step 12 makes the new request from its
    // fields; the Request object's headers and signal are replaced below).
    request.emplace(*input_request);
    signal = input_request->signal();
  }
  // Step 7.
  const net::Origin& origin = client.origin;

  // Step 13: request's client is `client`; nothing else to do here.

  // Step 14.
  if (!init.IsEmpty()) {
    if (request->mode_ == RequestMode::kNavigate)
      request->mode_ = RequestMode::kSameOrigin;
    request->referrer_ = RequestReferrer();
    request->referrer_policy_ = net::ReferrerPolicy::kEmpty;
  }

  // Step 15: referrer.
  if (init.referrer.has_value()) {
    const std::string& referrer = *init.referrer;
    if (referrer.empty()) {
      request->referrer_ = {RequestReferrer::Kind::kNoReferrer, std::nullopt};
    } else {
      absl::StatusOr<net::Url> parsed = net::Url::Parse(referrer, &base_url);
      if (!parsed.ok()) {
        return MakeTypeError(
            absl::StrCat("Referrer '", referrer, "' is not a valid URL."));
      }
      if ((parsed->scheme() == "about" && parsed->PathString() == "client") ||
          !SameOrigin(*parsed, origin)) {
        request->referrer_ = {RequestReferrer::Kind::kClient, std::nullopt};
      } else {
        request->referrer_ = {RequestReferrer::Kind::kUrl, *std::move(parsed)};
      }
    }
  }

  // Step 16.
  if (enums->referrer_policy.has_value())
    request->referrer_policy_ = *enums->referrer_policy;

  // Steps 17-19.
  std::optional<RequestMode> mode =
      enums->mode.has_value() ? enums->mode : fallback_mode;
  if (mode == RequestMode::kNavigate) {
    return MakeTypeError(
        "Cannot construct a Request with a RequestInit whose mode member is "
        "set as 'navigate'.");
  }
  if (mode.has_value())
    request->mode_ = *mode;

  // Step 20.
  if (enums->credentials.has_value())
    request->credentials_ = *enums->credentials;

  // Steps 21-24 (cache, redirect, integrity) are not modelled.

  // Step 25.
  if (init.keepalive.has_value())
    request->keepalive_ = *init.keepalive;

  // Step 26.
  if (init.method.has_value()) {
    const std::string& method = *init.method;
    if (!net::IsHttpToken(method)) {
      return MakeTypeError(
          absl::StrCat("'", method, "' is not a valid HTTP method."));
    }
    if (net::IsForbiddenMethod(method)) {
      return MakeTypeError(
          absl::StrCat("'", method, "' HTTP method is unsupported."));
    }
    request->method_ = net::NormalizeMethod(method);
  }

  // Step 27.
  if (init.signal)
    signal = init.signal;

  // Step 28.
  if (enums->priority.has_value())
    request->priority_ = *enums->priority;

  // Steps 29-31: this's signal is a dependent signal of `signal`.
  std::vector<std::shared_ptr<AbortSignal>> signals;
  if (signal)
    signals.push_back(signal);
  request->signal_ = AbortSignal::CreateDependent(signals);

  // Step 32: this's headers, guard "request", over a copy of request's header
  // list (`request` is already a copy).
  request->headers_.guard_ = Headers::Guard::kRequest;

  // Step 33.
  if (request->mode_ == RequestMode::kNoCors) {
    if (!IsCorsSafelistedMethod(request->method_)) {
      return MakeTypeError(absl::StrCat("'", request->method_,
                                        "' is unsupported in no-cors mode."));
    }
    request->headers_.guard_ = Headers::Guard::kRequestNoCors;
  }

  // Step 34.
  if (!init.IsEmpty()) {
    HeaderList headers = init.headers.has_value()
                             ? *init.headers
                             : HeaderList(request->headers_.list());
    request->headers_.list_.clear();
    JsStatus filled = request->headers_.Fill(headers);
    if (!filled.ok())
      return filled.error();
  }

  // Step 35.
  std::optional<Body> input_body =
      input_request != nullptr ? input_request->body() : std::nullopt;

  // Step 36.
  bool has_init_body = init.body.kind != BodyInit::Kind::kNone;
  if ((has_init_body || input_body.has_value()) &&
      (request->method_ == "GET" || request->method_ == "HEAD")) {
    return MakeTypeError("Request with GET/HEAD method cannot have body.");
  }

  // Steps 37-38.
  std::optional<Body> init_body;
  if (has_init_body) {
    JsResult<BodyWithType> extracted =
        ExtractBody(init.body, request->keepalive_);
    if (!extracted.ok())
      return extracted.error();
    init_body = std::move(extracted->body);
    if (extracted->type.has_value() &&
        !request->headers_.Contains("Content-Type")) {
      JsStatus appended =
          request->headers_.Append("Content-Type", *extracted->type);
      if (!appended.ok())
        return appended.error();
    }
  }

  // Steps 39-40: a body whose source is null (a ReadableStream).
  std::optional<Body> input_or_init_body =
      init_body.has_value() ? init_body : input_body;
  if (input_or_init_body.has_value() && input_or_init_body->is_stream) {
    if (init_body.has_value() && !init.duplex.has_value()) {
      return MakeTypeError(
          "The `duplex` member must be specified for a request with a "
          "streaming body");
    }
    if (request->mode_ != RequestMode::kSameOrigin &&
        request->mode_ != RequestMode::kCors) {
      return MakeTypeError(
          "A streaming body requires mode 'same-origin' or 'cors'.");
    }
  }

  // Steps 41-43. (Input bodies are not tracked as disturbed here, so the
  // "unusable" check of step 42 never fires.)
  request->body_ = std::move(input_or_init_body);
  return *std::move(request);
}

// Fetch: "total request length". Only a referrer that is a URL has a
// serialisation; a stream body (null length) counts 0.
uint64_t TotalRequestLength(const Request& request) {
  return net::TotalRequestLength(
      request.url().Serialize(/*exclude_fragment=*/true),
      request.referrer().kind == RequestReferrer::Kind::kUrl
          ? request.referrer().url->Serialize()
          : "",
      request.header_list(), request.body_length().value_or(0));
}

std::optional<net::Url> DetermineReferrerForRequest(
    const Request& request,
    const ClientContext& client) {
  net::ReferrerPolicy policy = request.referrer_policy();
  if (policy == net::ReferrerPolicy::kEmpty)
    policy = client.referrer_policy;
  switch (request.referrer().kind) {
    case RequestReferrer::Kind::kNoReferrer:
      return std::nullopt;
    case RequestReferrer::Kind::kClient:
      // Referrer Policy "determine request's referrer" step 3: an opaque
      // document origin sends no referrer.
      if (client.origin.opaque())
        return std::nullopt;
      return net::DetermineRequestReferrer(policy, client.url, request.url());
    case RequestReferrer::Kind::kUrl:
      return net::DetermineRequestReferrer(policy, *request.referrer().url,
                                           request.url());
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------
// fetchLater().

// Fetch: "fetchLater(input, init)" method steps 1-9.
JsResult<ValidatedFetchLater> ValidateFetchLater(
    const std::optional<RequestInfo>& input,
    const DeferredRequestInit& init,
    const ClientContext& client) {
  // WebIDL overload resolution: `input` is required.
  if (!input.has_value()) {
    return MakeTypeError(
        "Failed to execute 'fetchLater' on 'Window': 1 argument required, but "
        "only 0 present.");
  }
  // WebIDL dictionary conversion: DeferredRequestInit's own member is
  // converted after the inherited RequestInit members, and a
  // DOMHighResTimeStamp (a restricted double) must be finite.
  JsResult<ConvertedEnums> enums = ConvertEnums(init);
  if (!enums.ok())
    return enums.error();
  if (init.activate_after.has_value() && !std::isfinite(*init.activate_after)) {
    return MakeTypeError(
        "Failed to read the 'activateAfter' property from "
        "'DeferredRequestInit': The provided double value is non-finite.");
  }

  // Step 1.
  JsResult<Request> request_object = ConstructRequest(*input, init, client);
  if (!request_object.ok())
    return request_object.error();
  // Step 2.
  if (request_object->signal()->aborted())
    return *request_object->signal()->reason();
  // Step 3.
  const Request& request = *request_object;
  // Step 4.
  std::optional<double> activate_after = init.activate_after;
  // Step 5.
  if (activate_after.has_value() && *activate_after < 0) {
    return MakeRangeError(
        "fetchLater: activateAfter must be a non-negative number.");
  }
  // Step 6.
  if (!client.fully_active) {
    return MakeTypeError("fetchLater: the document is not fully active.");
  }
  // Step 7.
  if (!request.url().SchemeIsHttpOrHttps()) {
    return MakeTypeError(
        absl::StrCat("fetchLater: the URL scheme must be http or https: ",
                     request.url().Serialize()));
  }
  // Step 8.
  if (!net::IsUrlPotentiallyTrustworthy(request.url())) {
    return MakeTypeError(
        absl::StrCat("fetchLater: the URL must be potentially trustworthy: ",
                     request.url().Serialize()));
  }
  // Step 9.
  if (request.body().has_value() && !request.body()->length.has_value()) {
    return MakeTypeError(
        "fetchLater: a request with a ReadableStream body cannot be "
        "deferred.");
  }
  // Steps 10-16 are the browser's: "available deferred-fetch quota" for the
  // request's client and URL origin, "total request length",
  // QuotaExceededError, "queue a deferred fetch", the abort step on the
  // signal, and the FetchLaterResult whose `activated` the IPC layer sets.
  return ValidatedFetchLater{std::move(request_object).value(), activate_after};
}

}  // namespace fetch_later::renderer
