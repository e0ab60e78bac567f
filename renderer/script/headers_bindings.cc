#include "renderer/script/headers_bindings.h"

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "renderer/script/bindings.h"
#include "renderer/script/js_util.h"
#include "renderer/script/realm.h"
#include "renderer/script/webidl_conversions.h"

namespace fetch_later::renderer::script {
namespace {

JSValueRef Constructor(Call& call) {
  Headers headers(Headers::Guard::kNone);
  if (!call.missing(0)) {
    // HeadersInit = (sequence<sequence<ByteString>> or
    // record<ByteString, ByteString>).
    JSObjectRef init = AsObject(call.ctx, call.arg(0));
    if (!init) {
      return call.ThrowTypeError(
          "Failed to construct 'Headers': The provided value is not of type "
          "'(record<ByteString, ByteString> or "
          "sequence<sequence<ByteString>>)'.");
    }
    HeaderList pairs;
    if (!ToPairs(call, init, ToByteString, "Headers", &pairs))
      return nullptr;
    JsStatus status = headers.Fill(pairs);
    if (!status.ok())
      return call.Throw(status.error());
  }
  return call.realm->WrapForNewTarget(
      call, std::make_unique<HeadersWrappable>(std::move(headers)), "Headers");
}

bool ByteStringArgs(Call& call,
                    absl::string_view operation,
                    size_t count,
                    std::string* out) {
  if (!call.RequireArgs(count, operation))
    return false;
  for (size_t i = 0; i < count; ++i) {
    if (!ToByteString(call, call.arg(i), &out[i]))
      return false;
  }
  return true;
}

JSValueRef Append(Call& call) {
  auto* h = call.This<HeadersWrappable>();
  std::string args[2];
  if (!h || !ByteStringArgs(call, "append", 2, args))
    return nullptr;
  JsStatus status = h->headers.Append(args[0], args[1]);
  return status.ok() ? nullptr : call.Throw(status.error());
}

JSValueRef Set(Call& call) {
  auto* h = call.This<HeadersWrappable>();
  std::string args[2];
  if (!h || !ByteStringArgs(call, "set", 2, args))
    return nullptr;
  JsStatus status = h->headers.Set(args[0], args[1]);
  return status.ok() ? nullptr : call.Throw(status.error());
}

JSValueRef Delete(Call& call) {
  auto* h = call.This<HeadersWrappable>();
  std::string name;
  if (!h || !ByteStringArgs(call, "delete", 1, &name))
    return nullptr;
  JsStatus status = h->headers.Delete(name);
  return status.ok() ? nullptr : call.Throw(status.error());
}

JSValueRef Get(Call& call) {
  auto* h = call.This<HeadersWrappable>();
  std::string name;
  if (!h || !ByteStringArgs(call, "get", 1, &name))
    return nullptr;
  JsResult<std::optional<std::string>> value = h->headers.Get(name);
  if (!value.ok())
    return call.Throw(value.error());
  return *value ? MakeByteString(call.ctx, **value) : JSValueMakeNull(call.ctx);
}

JSValueRef Has(Call& call) {
  auto* h = call.This<HeadersWrappable>();
  std::string name;
  if (!h || !ByteStringArgs(call, "has", 1, &name))
    return nullptr;
  JsResult<bool> has = h->headers.Has(name);
  if (!has.ok())
    return call.Throw(has.error());
  return JSValueMakeBoolean(call.ctx, *has);
}

// Fetch: getSetCookie(): the Set-Cookie values, in order.
JSValueRef GetSetCookie(Call& call) {
  auto* h = call.This<HeadersWrappable>();
  if (!h)
    return nullptr;
  RootedValues values(call.ctx);
  for (const auto& [name, value] : h->headers.list()) {
    if (absl::EqualsIgnoreCase(name, "set-cookie")) {
      values.push_back(MakeByteString(call.ctx, value));
    }
  }
  return MakeArray(call.ctx, values);
}

JSValueRef Pairs(Call& call) {
  auto* h = call.This<HeadersWrappable>();
  if (!h)
    return nullptr;
  RootedValues pairs(call.ctx);
  for (const auto& [name, value] : SortAndCombine(h->headers)) {
    pairs.push_back(MakeArray(call.ctx, {MakeByteString(call.ctx, name),
                                         MakeByteString(call.ctx, value)}));
  }
  return MakeArray(call.ctx, pairs);
}

}  // namespace

HeaderList SortAndCombine(const Headers& headers) {
  std::set<std::string> names;
  for (const auto& [name, value] : headers.list()) {
    names.insert(absl::AsciiStrToLower(name));
  }
  HeaderList out;
  for (const std::string& name : names) {
    if (name == "set-cookie") {
      for (const auto& [n, value] : headers.list()) {
        if (absl::EqualsIgnoreCase(n, name))
          out.emplace_back(name, value);
      }
      continue;
    }
    JsResult<std::optional<std::string>> value = headers.Get(name);
    if (value.ok() && *value)
      out.emplace_back(name, **value);
  }
  return out;
}

void InstallHeadersBindings(Realm& realm) {
  realm.DefineInterface({
      .name = "Headers",
      .constructor = Native<Constructor>,
      .methods = {{"append", Native<Append>, 2},
                  {"delete", Native<Delete>, 1},
                  {"get", Native<Get>, 1},
                  {"getSetCookie", Native<GetSetCookie>, 0},
                  {"has", Native<Has>, 1},
                  {"set", Native<Set>, 2}},
      .pairs = Native<Pairs>,
  });
}

}  // namespace fetch_later::renderer::script
