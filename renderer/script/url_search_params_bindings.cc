#include "renderer/script/url_search_params_bindings.h"

#include <algorithm>
#include <memory>

#include "absl/strings/str_split.h"
#include "renderer/body.h"
#include "renderer/script/bindings.h"
#include "renderer/script/js_util.h"
#include "renderer/script/realm.h"
#include "renderer/script/webidl_conversions.h"

namespace fetch_later::renderer::script {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

// URL: "percent-decode" after replacing '+' with space, then "UTF-8 decode
// without BOM" (invalid sequences become U+FFFD).
std::string DecodeComponent(absl::string_view s) {
  std::string bytes;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '+') {
      bytes.push_back(' ');
    } else if (c == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 &&
               HexValue(s[i + 2]) >= 0) {
      bytes.push_back(
          static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2])));
      i += 2;
    } else {
      bytes.push_back(c);
    }
  }
  std::u16string utf16 = Utf8ToUtf16(bytes);
  return Utf16ToUtf8(reinterpret_cast<const JSChar*>(utf16.data()),
                     utf16.size());
}

JSValueRef Constructor(Call& call) {
  auto params = std::make_unique<UrlSearchParamsWrappable>();
  if (!call.missing(0)) {
    JSValueRef init = call.arg(0);
    // (sequence<sequence<USVString>> or record<USVString, USVString> or
    // USVString): objects are the first two, anything else a string.
    if (JSObjectRef object = AsObject(call.ctx, init)) {
      if (!ToPairs(call, object, ToUSVString, "URLSearchParams",
                   &params->list)) {
        return nullptr;
      }
    } else {
      std::string s;
      if (!ToUSVString(call, init, &s))
        return nullptr;
      absl::string_view view = s;
      if (!view.empty() && view[0] == '?')
        view.remove_prefix(1);
      params->list = ParseUrlEncoded(view);
    }
  }
  return call.realm->WrapForNewTarget(call, std::move(params),
                                      "URLSearchParams");
}

bool StringArgs(Call& call,
                absl::string_view operation,
                size_t required,
                size_t count,
                std::string* out) {
  if (!call.RequireArgs(required, operation))
    return false;
  for (size_t i = 0; i < count; ++i) {
    if (!ToUSVString(call, call.arg(i), &out[i]))
      return false;
  }
  return true;
}

JSValueRef Append(Call& call) {
  auto* p = call.This<UrlSearchParamsWrappable>();
  std::string args[2];
  if (!p || !StringArgs(call, "append", 2, 2, args))
    return nullptr;
  p->list.emplace_back(std::move(args[0]), std::move(args[1]));
  return nullptr;
}

// delete(name, optional value) and has(name, optional value).
bool Matches(const std::pair<std::string, std::string>& entry,
             const std::string& name,
             const std::optional<std::string>& value) {
  return entry.first == name && (!value || entry.second == *value);
}

bool NameAndOptionalValue(Call& call,
                          absl::string_view operation,
                          std::string* name,
                          std::optional<std::string>* value) {
  if (!StringArgs(call, operation, 1, 1, name))
    return false;
  if (!call.missing(1)) {
    std::string v;
    if (!ToUSVString(call, call.arg(1), &v))
      return false;
    *value = std::move(v);
  }
  return true;
}

JSValueRef Delete(Call& call) {
  auto* p = call.This<UrlSearchParamsWrappable>();
  std::string name;
  std::optional<std::string> value;
  if (!p || !NameAndOptionalValue(call, "delete", &name, &value)) {
    return nullptr;
  }
  p->list.erase(
      std::remove_if(p->list.begin(), p->list.end(),
                     [&](const auto& e) { return Matches(e, name, value); }),
      p->list.end());
  return nullptr;
}

JSValueRef Has(Call& call) {
  auto* p = call.This<UrlSearchParamsWrappable>();
  std::string name;
  std::optional<std::string> value;
  if (!p || !NameAndOptionalValue(call, "has", &name, &value))
    return nullptr;
  for (const auto& e : p->list) {
    if (Matches(e, name, value))
      return JSValueMakeBoolean(call.ctx, true);
  }
  return JSValueMakeBoolean(call.ctx, false);
}

JSValueRef Get(Call& call) {
  auto* p = call.This<UrlSearchParamsWrappable>();
  std::string name;
  if (!p || !StringArgs(call, "get", 1, 1, &name))
    return nullptr;
  for (const auto& e : p->list) {
    if (e.first == name)
      return MakeString(call.ctx, e.second);
  }
  return JSValueMakeNull(call.ctx);
}

JSValueRef GetAll(Call& call) {
  auto* p = call.This<UrlSearchParamsWrappable>();
  std::string name;
  if (!p || !StringArgs(call, "getAll", 1, 1, &name))
    return nullptr;
  RootedValues values(call.ctx);
  for (const auto& e : p->list) {
    if (e.first == name)
      values.push_back(MakeString(call.ctx, e.second));
  }
  return MakeArray(call.ctx, values);
}

JSValueRef Set(Call& call) {
  auto* p = call.This<UrlSearchParamsWrappable>();
  std::string args[2];
  if (!p || !StringArgs(call, "set", 2, 2, args))
    return nullptr;
  bool replaced = false;
  for (auto it = p->list.begin(); it != p->list.end();) {
    if (it->first != args[0]) {
      ++it;
    } else if (!replaced) {
      it->second = args[1];
      replaced = true;
      ++it;
    } else {
      it = p->list.erase(it);
    }
  }
  if (!replaced)
    p->list.emplace_back(std::move(args[0]), std::move(args[1]));
  return nullptr;
}

// URL: sort(): stable, by the names' UTF-16 code units.
JSValueRef Sort(Call& call) {
  auto* p = call.This<UrlSearchParamsWrappable>();
  if (!p)
    return nullptr;
  std::stable_sort(p->list.begin(), p->list.end(),
                   [](const auto& a, const auto& b) {
                     return Utf8ToUtf16(a.first) < Utf8ToUtf16(b.first);
                   });
  return nullptr;
}

JSValueRef ToStringOp(Call& call) {
  auto* p = call.This<UrlSearchParamsWrappable>();
  if (!p)
    return nullptr;
  return MakeString(call.ctx, SerializeUrlEncoded(p->list));
}

JSValueRef Size(Call& call) {
  auto* p = call.This<UrlSearchParamsWrappable>();
  if (!p)
    return nullptr;
  return JSValueMakeNumber(call.ctx, static_cast<double>(p->list.size()));
}

JSValueRef Pairs(Call& call) {
  auto* p = call.This<UrlSearchParamsWrappable>();
  if (!p)
    return nullptr;
  RootedValues pairs(call.ctx);
  for (const auto& [name, value] : p->list) {
    pairs.push_back(MakeArray(
        call.ctx, {MakeString(call.ctx, name), MakeString(call.ctx, value)}));
  }
  return MakeArray(call.ctx, pairs);
}

}  // namespace

NameValueList ParseUrlEncoded(absl::string_view input) {
  NameValueList list;
  for (absl::string_view sequence : absl::StrSplit(input, '&')) {
    if (sequence.empty())
      continue;
    size_t eq = sequence.find('=');
    absl::string_view name = sequence.substr(0, eq);
    absl::string_view value =
        eq == absl::string_view::npos ? "" : sequence.substr(eq + 1);
    list.emplace_back(DecodeComponent(name), DecodeComponent(value));
  }
  return list;
}

void InstallUrlSearchParamsBindings(Realm& realm) {
  realm.DefineInterface({
      .name = "URLSearchParams",
      .constructor = Native<Constructor>,
      .methods = {{"append", Native<Append>, 2},
                  {"delete", Native<Delete>, 1},
                  {"get", Native<Get>, 1},
                  {"getAll", Native<GetAll>, 1},
                  {"has", Native<Has>, 1},
                  {"set", Native<Set>, 2},
                  {"sort", Native<Sort>, 0},
                  {"toString", Native<ToStringOp>, 0}},
      .attributes = {{"size", Native<Size>}},
      .pairs = Native<Pairs>,
  });
}

}  // namespace fetch_later::renderer::script
