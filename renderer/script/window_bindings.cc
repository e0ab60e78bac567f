// The natives behind the prelude's Window, Document, console and error
// reporting: the document's state read from the Realm and its delegate.
#include <string>
#include <vector>

#include "net/origin.h"
#include "renderer/script/abort_bindings.h"
#include "renderer/script/bindings.h"
#include "renderer/script/js_util.h"
#include "renderer/script/realm.h"
#include "renderer/script/webidl_conversions.h"

namespace fetch_later::renderer::script {
namespace {

// HTML: "report an exception" (listener and microtask errors).
JSValueRef ReportException(Call& call) {
  call.realm->ReportException(call.arg(0));
  return nullptr;
}

// console(level, text): one formatted console line.
JSValueRef ConsoleMessage(Call& call) {
  std::string level, text;
  if (!ToDOMString(call, call.arg(0), &level) ||
      !ToDOMString(call, call.arg(1), &text)) {
    return nullptr;
  }
  call.realm->AddConsoleMessage(level, text);
  return nullptr;
}

JSValueRef Now(Call& call) {
  return JSValueMakeNumber(call.ctx, call.realm->timers().now_ms());
}

JSValueRef Hidden(Call& call) {
  return JSValueMakeBoolean(call.ctx, call.realm->hidden());
}

JSValueRef DocumentUrl(Call& call) {
  return MakeString(call.ctx, call.realm->delegate()->Client().url.Serialize());
}

JSValueRef AllowedFeatures(Call& call) {
  RootedValues features(call.ctx);
  for (const std::string& f : call.realm->delegate()->AllowedFeatures()) {
    features.push_back(MakeString(call.ctx, f));
  }
  return MakeArray(call.ctx, features);
}

JSValueRef Origin(Call& call) {
  return MakeString(call.ctx,
                    call.realm->delegate()->Client().origin.Serialize());
}

// HTML: "is a secure context", as the browser decided it for the document
// (its URL and every ancestor's potentially trustworthy).
JSValueRef IsSecureContext(Call& call) {
  return JSValueMakeBoolean(call.ctx, call.realm->secure_context());
}

JSValueRef IsAbortSignal(Call& call) {
  return JSValueMakeBoolean(
      call.ctx, UnwrapAbortSignal(call.ctx, call.arg(0)) != nullptr);
}

JSValueRef SignalAborted(Call& call) {
  std::shared_ptr<AbortSignal> signal =
      UnwrapAbortSignal(call.ctx, call.arg(0));
  return JSValueMakeBoolean(call.ctx, signal && signal->aborted());
}

}  // namespace

void InstallWindowNatives(Realm& realm, JSObjectRef natives) {
  JSContextRef ctx = realm.ctx();
  struct {
    const char* name;
    JSObjectCallAsFunctionCallback function;
  } const kNatives[] = {
      {"reportException", Native<ReportException>},
      {"console", Native<ConsoleMessage>},
      {"now", Native<Now>},
      {"hidden", Native<Hidden>},
      {"documentURL", Native<DocumentUrl>},
      {"allowedFeatures", Native<AllowedFeatures>},
      {"origin", Native<Origin>},
      {"isSecureContext", Native<IsSecureContext>},
      {"isAbortSignal", Native<IsAbortSignal>},
      {"signalAborted", Native<SignalAborted>},
  };
  for (const auto& n : kNatives) {
    SetProperty(ctx, natives, n.name, MakeFunction(ctx, n.name, n.function));
  }
}

}  // namespace fetch_later::renderer::script
