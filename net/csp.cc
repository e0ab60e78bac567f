#include "net/csp.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace fetch_later::net {
namespace {

constexpr char kHeaderName[] = "Content-Security-Policy";

// CSP3's directive names (section 6) and those of its companion
// specifications still delivered in the header.
bool IsKnownDirectiveName(absl::string_view name) {
  static constexpr absl::string_view kNames[] = {
      "base-uri",
      "block-all-mixed-content",
      "child-src",
      "connect-src",
      "default-src",
      "fenced-frame-src",
      "font-src",
      "form-action",
      "frame-ancestors",
      "frame-src",
      "img-src",
      "manifest-src",
      "media-src",
      "object-src",
      "report-to",
      "report-uri",
      "require-trusted-types-for",
      "sandbox",
      "script-src",
      "script-src-attr",
      "script-src-elem",
      "style-src",
      "style-src-attr",
      "style-src-elem",
      "trusted-types",
      "upgrade-insecure-requests",
      "webrtc",
      "worker-src",
  };
  for (absl::string_view n : kNames) {
    if (n == name)
      return true;
  }
  return false;
}

// CSP: the fetch directives, whose values are source lists.
bool IsFetchDirective(absl::string_view name) {
  return absl::EndsWith(name, "-src") || name == "script-src-elem" ||
         name == "script-src-attr" || name == "style-src-elem" ||
         name == "style-src-attr";
}

// CSP grammar: directive-name = 1*( ALPHA / DIGIT / "-" ).
bool IsDirectiveName(absl::string_view name) {
  if (name.empty())
    return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && c != '-')
      return false;
  }
  return true;
}

bool IsAsciiWhitespace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

absl::string_view StripCspWhitespace(absl::string_view s) {
  while (!s.empty() && IsAsciiWhitespace(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && IsAsciiWhitespace(s.back()))
    s.remove_suffix(1);
  return s;
}

// CSP: "parse a serialized CSP" (one policy).
CspPolicy ParseSerializedPolicy(absl::string_view serialized,
                                CspDisposition disposition,
                                std::vector<std::string>& warnings) {
  CspPolicy policy;
  policy.disposition = disposition;
  policy.serialized = std::string(StripCspWhitespace(serialized));
  // Step 3: strictly split on ";".
  for (absl::string_view token : absl::StrSplit(serialized, ';')) {
    // Steps 3.1-3.2: a directive that is not ASCII is ignored whole (not
    // just its bad source expression), so its fallback applies.
    token = StripCspWhitespace(token);
    if (token.empty())
      continue;
    if (!std::all_of(token.begin(), token.end(), [](char c) {
          return absl::ascii_isascii(static_cast<unsigned char>(c));
        })) {
      warnings.push_back(absl::StrCat(kHeaderName, ": the directive \"", token,
                                      "\" is not ASCII and is ignored"));
      continue;
    }
    // Step 3.3: the name runs to the first whitespace.
    size_t name_end = 0;
    while (name_end < token.size() && !IsAsciiWhitespace(token[name_end]))
      ++name_end;
    const std::string name = absl::AsciiStrToLower(token.substr(0, name_end));
    if (!IsDirectiveName(name)) {
      warnings.push_back(absl::StrCat(kHeaderName, ": the directive \"", token,
                                      "\" has an invalid name and is "
                                      "ignored"));
      continue;
    }
    // Step 3.5: a repeated directive is ignored.
    if (policy.Find(name) != nullptr) {
      warnings.push_back(absl::StrCat(kHeaderName, ": a second ", name,
                                      " directive is ignored"));
      continue;
    }
    if (!IsKnownDirectiveName(name)) {
      warnings.push_back(absl::StrCat(kHeaderName, ": unrecognized directive ",
                                      name, " is ignored"));
      continue;
    }
    CspDirective directive;
    directive.name = name;
    if (IsFetchDirective(name)) {
      // Step 3.6: the value, split on ASCII whitespace, as a source list.
      std::vector<absl::string_view> values =
          absl::StrSplit(token.substr(name_end), absl::ByAnyChar(" \t\n\f\r"),
                         absl::SkipEmpty());
      bool has_none = false;
      for (absl::string_view value : values) {
        absl::StatusOr<CspSourceExpression> e = ParseCspSourceExpression(value);
        if (!e.ok()) {
          warnings.push_back(absl::StrCat(
              kHeaderName, ": the source expression \"", value,
              "\" of directive ", name, " is ignored: ", e.status().message()));
          continue;
        }
        if (e->kind == CspSourceExpression::Kind::kNone) {
          has_none = true;
          continue;
        }
        directive.sources.push_back(*std::move(e));
      }
      // 'none' only means "nothing" as the whole list; next to other
      // expressions it is ignored (as Chromium does), with a warning.
      if (has_none && !directive.sources.empty()) {
        warnings.push_back(absl::StrCat(
            kHeaderName, ": 'none' in directive ", name,
            " is ignored because other source expressions are present"));
      }
    }
    policy.directives.push_back(std::move(directive));  // Step 3.8.
  }
  return policy;
}

// CSP: "Should fetch directive execute" for connect-src: the first directive
// of connect-src's fallback list (connect-src, default-src) present in
// `policy`.
const CspDirective* ConnectSrcDirective(const CspPolicy& policy) {
  if (const CspDirective* d = policy.Find("connect-src"))
    return d;
  return policy.Find("default-src");
}

}  // namespace

const CspDirective* CspPolicy::Find(absl::string_view name) const {
  for (const CspDirective& d : directives) {
    if (d.name == name)
      return &d;
  }
  return nullptr;
}

CspParseResult ParseContentSecurityPolicies(
    const std::vector<std::string>& header_values,
    CspDisposition disposition,
    std::optional<Origin> self_origin) {
  auto list = std::make_shared<CspList>();
  list->self_origin = std::move(self_origin);
  CspParseResult result;
  for (const std::string& value : header_values) {
    // "Parse a serialized CSP list": strictly split on ",".
    for (absl::string_view serialized : absl::StrSplit(value, ',')) {
      CspPolicy policy =
          ParseSerializedPolicy(serialized, disposition, result.warnings);
      // "Parse a response's Content Security Policies", step 2.2: a policy
      // with no directives is skipped.
      if (!policy.directives.empty())
        list->policies.push_back(std::move(policy));
    }
  }
  result.list = std::move(list);
  return result;
}

bool DoesUrlMatchSourceListInOrigin(
    const Url& url,
    const std::vector<CspSourceExpression>& sources,
    const Origin& origin,
    int redirect_count) {
  // Steps 1-2: an empty list ('none') matches nothing.
  for (const CspSourceExpression& e : sources) {
    if (DoesUrlMatchExpressionInOrigin(url, e, origin, redirect_count))
      return true;
  }
  return false;
}

std::optional<CspViolation> ShouldRequestBeBlockedByCsp(const CspList& list,
                                                        const Url& url,
                                                        const Origin& origin,
                                                        int redirect_count) {
  for (const CspPolicy& policy : list.policies) {
    if (policy.disposition == CspDisposition::kReportOnly)
      continue;
    const CspDirective* directive = ConnectSrcDirective(policy);
    if (directive == nullptr)
      continue;  // "Should fetch directive execute": no.
    if (DoesUrlMatchSourceListInOrigin(url, directive->sources, origin,
                                       redirect_count)) {
      continue;
    }
    return CspViolation{directive->name, "connect-src", policy.serialized};
  }
  return std::nullopt;
}

}  // namespace fetch_later::net
