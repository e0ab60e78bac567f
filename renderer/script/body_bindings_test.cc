// Blob, File, FormData, URLSearchParams, ReadableStream, TextEncoder and URL
// bindings, and their bodies reaching the Fetch model.
#include <string>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "renderer/script/script_test_util.h"

namespace fetch_later::renderer::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::StartsWith;

std::string HeaderValue(const HeaderList& headers, absl::string_view name) {
  for (const auto& [n, v] : headers) {
    if (absl::EqualsIgnoreCase(n, name))
      return v;
  }
  return "<none>";
}

TEST_F(ScriptTest, BlobAndFile) {
  EXPECT_EQ(Eval("(() => { const b = new Blob(['ab', new Uint8Array([99]), "
                 "new Blob(['d'])], {type: 'Text/Plain'}); return [b.size, "
                 "b.type, b instanceof Blob].join(); })()"),
            "4,text/plain,true");
  EXPECT_EQ(Eval("new Blob(['x'], {type: 'a\\u00e9'}).type"), "");
  EXPECT_EQ(Eval("new Blob(['a\\r\\nb\\rc'], {endings: 'native'}).size"), "5");
  EXPECT_THAT(Eval("new Blob(['x'], {endings: 'bogus'})"),
              StartsWith("threw TypeError"));
  EXPECT_THAT(Eval("new Blob('not a sequence', {})"),
              StartsWith("threw TypeError"));
  EXPECT_EQ(Eval("new Blob(['hello']).slice(1, -1).size"), "3");
  ScriptRunResult r = Run(
      "new Blob(['h\\u00e9']).text().then((t) => console.log(t, t.length));");
  EXPECT_THAT(r.console, ElementsAre("log: h\u00e9 2"));
  EXPECT_EQ(Eval("(() => { const f = new File(['abc'], 'n.txt', {type: "
                 "'text/x', lastModified: 42}); return [f.name, f.size, "
                 "f.type, f.lastModified, f instanceof Blob, f instanceof "
                 "File, Object.prototype.toString.call(f)].join(); })()"),
            "n.txt,3,text/x,42,true,true,[object File]");
  EXPECT_THAT(Eval("new File(['x'])"), StartsWith("threw TypeError"));
}

TEST_F(ScriptTest, BlobBodyReachesTheModel) {
  EXPECT_EQ(Eval("fetchLater('/b', {method: 'POST', body: new Blob(['xyz'], "
                 "{type: 'a/b'})}).activated"),
            "false");
  ASSERT_EQ(delegate_.fetch_later_calls.size(), 1u);
  EXPECT_EQ(delegate_.fetch_later_calls[0].body, "xyz");
  EXPECT_EQ(HeaderValue(delegate_.fetch_later_calls[0].headers, "content-type"),
            "a/b");
}

TEST_F(ScriptTest, BufferSourceBodies) {
  Run(R"JS(
    const bytes = new Uint8Array([1, 2, 3, 4, 5]);
    fetchLater('/1', {method: 'POST', body: bytes.buffer});
    fetchLater('/2', {method: 'POST', body: bytes.subarray(1, 3)});
    fetchLater('/3', {method: 'POST', body: new DataView(bytes.buffer, 3)});
  )JS");
  ASSERT_EQ(delegate_.fetch_later_calls.size(), 3u);
  EXPECT_EQ(delegate_.fetch_later_calls[0].body, "\x01\x02\x03\x04\x05");
  EXPECT_EQ(delegate_.fetch_later_calls[1].body, "\x02\x03");
  EXPECT_EQ(delegate_.fetch_later_calls[2].body, "\x04\x05");
}

TEST_F(ScriptTest, FormData) {
  Run(R"JS(
    globalThis.fd = new FormData();
    fd.append('a', '1');
    fd.append('a', new Blob(['blobbytes'], {type: 'x/y'}));
    fd.append('f', new File(['filebytes'], 'orig.txt'), 'renamed.txt');
    fd.set('s', 'v1');
    fd.append('s', 'v2');
  )JS");
  EXPECT_EQ(Eval("fd.get('a')"), "1");
  EXPECT_EQ(Eval("fd.getAll('a')[1] instanceof File"), "true");
  EXPECT_EQ(Eval("fd.getAll('a')[1].name + ' ' + fd.getAll('a')[1].type"),
            "blob x/y");
  EXPECT_EQ(Eval("fd.get('f').name"), "renamed.txt");
  EXPECT_EQ(Eval("(fd.set('s', 'only'), fd.getAll('s').join())"), "only");
  EXPECT_EQ(Eval("fd.has('s') + ' ' + fd.has('zz') + ' ' + fd.get('zz')"),
            "true false null");
  EXPECT_EQ(Eval("[...fd.keys()].join()"), "a,a,f,s");
  EXPECT_EQ(Eval("(fd.delete('a'), [...fd.keys()].join())"), "f,s");
  EXPECT_THAT(Eval("fd.append('x', 'y', 'z')"), StartsWith("threw TypeError"));
  EXPECT_THAT(Eval("new FormData({})"), StartsWith("threw TypeError"));
  EXPECT_EQ(Eval("fetchLater('/b', {method: 'POST', body: fd}).activated"),
            "false");
  ASSERT_EQ(delegate_.fetch_later_calls.size(), 1u);
  // Chromium's and WebKit's boundary shape: 22 fixed bytes, 16 random
  // alphanumerics.
  const std::string type =
      HeaderValue(delegate_.fetch_later_calls[0].headers, "content-type");
  EXPECT_THAT(type, StartsWith("multipart/form-data; boundary="
                               "----WebKitFormBoundary"));
  EXPECT_EQ(type.size(),
            std::string("multipart/form-data; boundary=").size() + 38)
      << type;
  EXPECT_THAT(delegate_.fetch_later_calls[0].body,
              ::testing::HasSubstr("filename=\"renamed.txt\""));
}

TEST_F(ScriptTest, UrlSearchParams) {
  EXPECT_EQ(Eval("new URLSearchParams('?a=1&b=x+y&a=%C3%A9&&c').toString()"),
            "a=1&b=x+y&a=%C3%A9&c=");
  EXPECT_EQ(Eval("new URLSearchParams('a=1&a=2').getAll('a').join()"), "1,2");
  EXPECT_EQ(Eval("new URLSearchParams([['x', '1'], ['y', '2']]).get('y')"),
            "2");
  EXPECT_EQ(Eval("new URLSearchParams({k: 'v', j: 'w'}).toString()"),
            "k=v&j=w");
  EXPECT_THAT(Eval("new URLSearchParams([['x']])"),
              StartsWith("threw TypeError"));
  EXPECT_EQ(Eval("(() => { const p = new URLSearchParams('b=2&a=1&b=3'); "
                 "p.sort(); p.set('c', 'd e'); p.delete('b', '3'); return "
                 "p + ' ' + p.size + ' ' + p.has('b') + ' ' + "
                 "p.has('b', '3'); })()"),
            "a=1&b=2&c=d+e 3 true false");
  EXPECT_EQ(Eval("new URLSearchParams({}).get('x')"), "null");
  EXPECT_EQ(Eval("fetchLater('/b', {method: 'POST', body: new "
                 "URLSearchParams('q=1')}).activated"),
            "false");
  ASSERT_EQ(delegate_.fetch_later_calls.size(), 1u);
  EXPECT_EQ(delegate_.fetch_later_calls[0].body, "q=1");
  EXPECT_EQ(HeaderValue(delegate_.fetch_later_calls[0].headers, "content-type"),
            "application/x-www-form-urlencoded;charset=UTF-8");
}

TEST_F(ScriptTest, ReadableStream) {
  EXPECT_EQ(Eval("new ReadableStream().locked"), "false");
  EXPECT_EQ(Eval("new ReadableStream({}) instanceof ReadableStream"), "true");
  EXPECT_THAT(Eval("fetchLater('/b', {method: 'POST', body: new "
                   "ReadableStream(), duplex: 'half'})"),
              StartsWith("threw TypeError"));
}

TEST_F(ScriptTest, TextEncoder) {
  EXPECT_EQ(Eval("(() => { const e = new TextEncoder(); const b = "
                 "e.encode('h\\u00e9\\ud800'); return [e.encoding, b "
                 "instanceof Uint8Array, b.length, b[1], b[2]].join(); })()"),
            "utf-8,true,6,195,169");
  EXPECT_EQ(Eval("new TextEncoder().encode().length"), "0");
}

TEST_F(ScriptTest, Url) {
  EXPECT_EQ(Eval("(() => { const u = new URL('b/c?x=1#h', "
                 "'https://u:p@ex.test:8443/a/'); return [u.href, u.origin, "
                 "u.protocol, u.username, u.host, u.hostname, u.port, "
                 "u.pathname, u.search, u.hash].join(' '); })()"),
            "https://u:p@ex.test:8443/a/b/c?x=1#h https://ex.test:8443 "
            "https: u ex.test:8443 ex.test 8443 /a/b/c ?x=1 #h");
  EXPECT_EQ(Eval("String(new URL('HTTPS://A.test'))"), "https://a.test/");
  EXPECT_EQ(Eval("JSON.stringify({u: new URL('https://a.test/x')})"),
            "{\"u\":\"https://a.test/x\"}");
  EXPECT_THAT(Eval("new URL('nope')"), StartsWith("threw TypeError"));
  EXPECT_THAT(Eval("new URL('/x', 'nope')"), StartsWith("threw TypeError"));
  EXPECT_EQ(Eval("URL.canParse('/x') + ' ' + URL.canParse('/x', "
                 "'https://a.test')"),
            "false true");
  EXPECT_EQ(Eval("URL.parse('nope')"), "null");
  EXPECT_EQ(Eval("location.pathname"), "/page");
}

}  // namespace
}  // namespace fetch_later::renderer::testing
