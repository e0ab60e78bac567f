// URL: the URL interface over net::Url (read-only attributes), and
// Encoding: TextEncoder.
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "net/origin.h"
#include "net/url.h"
#include "renderer/script/bindings.h"
#include "renderer/script/js_util.h"
#include "renderer/script/realm.h"
#include "renderer/script/webidl_conversions.h"

namespace fetch_later::renderer::script {
namespace {

class UrlWrappable : public ScriptWrappable {
 public:
  explicit UrlWrappable(net::Url url) : url(std::move(url)) {}
  net::Url url;
};

// URL: "API URL parser" for (url, base): nullopt on failure, with `threw`
// set when a conversion threw.
std::optional<net::Url> ParseArgs(Call& call, bool* threw) {
  *threw = true;
  if (!call.RequireArgs(1, "URL"))
    return std::nullopt;
  std::string input;
  if (!ToUSVString(call, call.arg(0), &input))
    return std::nullopt;
  std::optional<net::Url> base;
  if (!call.missing(1)) {
    std::string base_string;
    if (!ToUSVString(call, call.arg(1), &base_string))
      return std::nullopt;
    *threw = false;
    absl::StatusOr<net::Url> parsed = net::Url::Parse(base_string);
    if (!parsed.ok())
      return std::nullopt;
    base = *std::move(parsed);
  }
  *threw = false;
  absl::StatusOr<net::Url> url =
      net::Url::Parse(input, base ? &*base : nullptr);
  if (!url.ok())
    return std::nullopt;
  return *std::move(url);
}

JSValueRef Constructor(Call& call) {
  bool threw = false;
  std::optional<net::Url> url = ParseArgs(call, &threw);
  if (threw)
    return nullptr;
  if (!url)
    return call.ThrowTypeError("Failed to construct 'URL': Invalid URL");
  return call.realm->WrapForNewTarget(
      call, std::make_unique<UrlWrappable>(*std::move(url)), "URL");
}

JSValueRef CanParse(Call& call) {
  bool threw = false;
  std::optional<net::Url> url = ParseArgs(call, &threw);
  if (threw)
    return nullptr;
  return JSValueMakeBoolean(call.ctx, url.has_value());
}

JSValueRef ParseStatic(Call& call) {
  bool threw = false;
  std::optional<net::Url> url = ParseArgs(call, &threw);
  if (threw)
    return nullptr;
  if (!url)
    return JSValueMakeNull(call.ctx);
  return call.realm->Wrap(std::make_unique<UrlWrappable>(*std::move(url)),
                          "URL");
}

const net::Url* ThisUrl(Call& call) {
  auto* u = call.This<UrlWrappable>();
  return u ? &u->url : nullptr;
}

template <std::string (*F)(const net::Url&)>
JSValueRef Getter(Call& call) {
  const net::Url* url = ThisUrl(call);
  return url ? MakeString(call.ctx, F(*url)) : nullptr;
}

std::string Href(const net::Url& url) {
  return url.Serialize();
}
std::string Origin(const net::Url& url) {
  return net::Origin::Create(url).Serialize();
}
std::string Protocol(const net::Url& url) {
  return absl::StrCat(url.scheme(), ":");
}
std::string Username(const net::Url& url) {
  return url.username();
}
std::string Password(const net::Url& url) {
  return url.password();
}
std::string Hostname(const net::Url& url) {
  return url.host().value_or("");
}
std::string Port(const net::Url& url) {
  return url.port() ? absl::StrCat(*url.port()) : "";
}
std::string Host(const net::Url& url) {
  if (!url.host())
    return "";
  return url.port() ? absl::StrCat(*url.host(), ":", *url.port()) : *url.host();
}
std::string Pathname(const net::Url& url) {
  return url.PathString();
}
std::string Search(const net::Url& url) {
  return url.query() && !url.query()->empty() ? "?" + *url.query() : "";
}
std::string Hash(const net::Url& url) {
  return url.fragment() && !url.fragment()->empty() ? "#" + *url.fragment()
                                                    : "";
}

// Encoding: TextEncoder.
class TextEncoderWrappable : public ScriptWrappable {};

JSValueRef EncoderConstructor(Call& call) {
  return call.realm->WrapForNewTarget(
      call, std::make_unique<TextEncoderWrappable>(), "TextEncoder");
}

JSValueRef EncoderEncoding(Call& call) {
  if (!call.This<TextEncoderWrappable>())
    return nullptr;
  return MakeString(call.ctx, "utf-8");
}

// Encoding: encode(optional USVString input = ""): UTF-8 bytes.
JSValueRef EncoderEncode(Call& call) {
  if (!call.This<TextEncoderWrappable>())
    return nullptr;
  std::string input;
  if (!call.missing(0) && !ToUSVString(call, call.arg(0), &input)) {
    return nullptr;
  }
  return MakeUint8Array(call.ctx, input);
}

}  // namespace

void InstallUrlBindings(Realm& realm) {
  realm.DefineInterface({
      .name = "URL",
      .constructor = Native<Constructor>,
      .length = 1,
      .methods = {{"toJSON", Native<Getter<Href>>, 0},
                  {"toString", Native<Getter<Href>>, 0}},
      .attributes = {{"href", Native<Getter<Href>>},
                     {"origin", Native<Getter<Origin>>},
                     {"protocol", Native<Getter<Protocol>>},
                     {"username", Native<Getter<Username>>},
                     {"password", Native<Getter<Password>>},
                     {"host", Native<Getter<Host>>},
                     {"hostname", Native<Getter<Hostname>>},
                     {"port", Native<Getter<Port>>},
                     {"pathname", Native<Getter<Pathname>>},
                     {"search", Native<Getter<Search>>},
                     {"hash", Native<Getter<Hash>>}},
      .statics = {{"canParse", Native<CanParse>, 1},
                  {"parse", Native<ParseStatic>, 1}},
  });
  realm.DefineInterface({
      .name = "TextEncoder",
      .constructor = Native<EncoderConstructor>,
      .methods = {{"encode", Native<EncoderEncode>, 0}},
      .attributes = {{"encoding", Native<EncoderEncoding>}},
  });
}

}  // namespace fetch_later::renderer::script
