#include "renderer/headers.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "net/cors_safelist.h"
#include "net/fetch_header_rules.h"
#include "net/http_token.h"

namespace fetch_later::renderer {
namespace {

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

}  // namespace

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
    if (!net::IsNoCorsSafelistedRequestHeader(name, combined))
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
      !net::IsNoCorsSafelistedRequestHeader(name, value)) {
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
      !net::IsNoCorsSafelistedRequestHeaderName(name) &&
      !net::IsPrivilegedNoCorsRequestHeaderName(name)) {
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

}  // namespace fetch_later::renderer
