// Test helpers: a ScriptDelegate that records calls (fetchLater validated by
// the real ValidateFetchLater, fetch() by the binding's ValidateFetch) and a
// fixture that evaluates expressions.
#ifndef RENDERER_SCRIPT_SCRIPT_TEST_UTIL_H_
#define RENDERER_SCRIPT_SCRIPT_TEST_UTIL_H_

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "net/url.h"
#include "renderer/fetch_later.h"
#include "renderer/headers.h"
#include "renderer/js_error.h"
#include "renderer/request.h"
#include "renderer/script/document_script.h"

namespace fetch_later::renderer::testing {

class FakeScriptDelegate : public ScriptDelegate {
 public:
  struct RecordedCall {
    std::string url;
    std::string method;
    std::string body;
    HeaderList headers;
    std::optional<double> activate_after_ms;
    std::optional<RetryOptionsInit> retry;
    std::shared_ptr<std::atomic<bool>> activated;
    bool keepalive = false;  // fetch()
  };

  explicit FakeScriptDelegate(absl::string_view url = "https://a.test/page")
      : client_(ClientContext::ForDocument(*net::Url::Parse(url))) {}

  JsResult<FetchLaterResult> FetchLater(
      const RequestInfo& input,
      const DeferredRequestInit& init,
      const std::optional<RetryOptionsInit>& retry) override {
    JsResult<ValidatedFetchLater> validated =
        ValidateFetchLater(input, init, client_);
    if (!validated.ok())
      return validated.error();
    // The browser's step 12.
    if (quota_error)
      return *quota_error;
    RecordedCall call;
    call.url = validated->request.url().Serialize();
    call.method = validated->request.method();
    call.body = validated->request.body_bytes();
    call.headers = validated->request.header_list();
    call.activate_after_ms = validated->activate_after_ms;
    call.retry = retry;
    call.activated = std::make_shared<std::atomic<bool>>(false);
    fetch_later_calls.push_back(call);
    return FetchLaterResult(call.activated);
  }

  // fetch(): records the request (validated by the real ValidateFetch() in
  // the binding) and returns the next id (1, 2, ...); a test ends it with
  // DocumentScript::CompleteFetch().
  JsResult<uint64_t> Fetch(
      const Request& request,
      const std::optional<RetryOptionsInit>& retry) override {
    if (fetch_error)
      return *fetch_error;
    RecordedCall call;
    call.url = request.url().Serialize();
    call.method = request.method();
    call.body = request.body_bytes();
    call.headers = request.header_list();
    call.retry = retry;
    call.keepalive = request.keepalive();
    fetch_calls.push_back(call);
    return next_fetch_id++;
  }
  void AbortFetch(uint64_t fetch_id) override {
    aborted_fetches.push_back(fetch_id);
  }

  ClientContext Client() override { return client_; }
  std::vector<std::string> AllowedFeatures() override { return features; }

  ClientContext client_;
  std::vector<std::string> features = {"deferred-fetch"};
  std::optional<JsError> quota_error;
  std::optional<JsError> fetch_error;
  std::vector<RecordedCall> fetch_later_calls;
  std::vector<RecordedCall> fetch_calls;
  uint64_t next_fetch_id = 1;
  std::vector<uint64_t> aborted_fetches;  // AbortFetch() calls, in order
};

// One engine, one document at https://a.test/page.
class ScriptTest : public ::testing::Test {
 protected:
  ScriptTest()
      : engine_(ScriptEngineOptions{absl::Milliseconds(500)}),
        script_(std::make_unique<DocumentScript>(&engine_,
                                                 &delegate_,
                                                 DocumentScriptOptions{})) {
    Run(R"JS(
      globalThis.describe = (e) => {
        if (e instanceof Error || e instanceof DOMException)
          return `${e.name}: ${e.message}`;
        return `${typeof e} ${String(e)}`;
      };
    )JS");
  }

  ScriptRunResult Run(absl::string_view source) {
    return script_->RunClassicScript(source, "test.js");
  }

  // String(expression), or "threw <name>: <message>".
  std::string Eval(absl::string_view expression) {
    ScriptRunResult r =
        Run(std::string("try { console.log('=' + String((() => (") +
            std::string(expression) +
            "))())); } catch (e) { console.log('=threw ' + describe(e)); }");
    for (const ScriptError& e : r.errors)
      ADD_FAILURE() << e.ToString();
    if (r.console.empty())
      return "<no output>";
    std::string line = r.console.back();
    size_t eq = line.find('=');
    return eq == std::string::npos ? line : line.substr(eq + 1);
  }

  FakeScriptDelegate delegate_;
  ScriptEngine engine_;
  std::unique_ptr<DocumentScript> script_;
};

}  // namespace fetch_later::renderer::testing

#endif  // RENDERER_SCRIPT_SCRIPT_TEST_UTIL_H_
