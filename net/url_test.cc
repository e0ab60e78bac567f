// Tests for the URL Standard parser and serializer (net/url.h). Tables name
// their source: "WPT urltestdata.json" rows reproduce web-platform-tests
// url/resources/urltestdata.json entries by meaning, "WPT toascii.json" rows
// url/resources/toascii.json, and other rows cite the URL Standard algorithm
// (or RFC 3986 §5.4 reference-resolution example) they exercise.

#include "net/url.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fetch_later::net {
namespace {

using ::std::literals::string_view_literals::operator""sv;
using ::testing::HasSubstr;

absl::string_view AsAbsl(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

struct ParseCase {
  const char* source;
  std::string_view input;  // May hold NUL and invalid UTF-8.
  const char* base;        // nullptr: no base URL.
  const char* expected;    // The serialisation; nullptr: parsing fails.
};

// clang-format off
constexpr ParseCase kParseCases[] = {
    {"WPT urltestdata.json", "http://example\x09.\x0aorg"sv, "http://example.org/foo/bar", "http://example.org/"},
    {"WPT urltestdata.json", "http://user:pass@foo:21/bar;par?b#c"sv, "http://example.org/foo/bar", "http://user:pass@foo:21/bar;par?b#c"},
    {"WPT urltestdata.json", "https://test:@test"sv, nullptr, "https://test@test/"},
    {"WPT urltestdata.json", "https://:@test"sv, nullptr, "https://test/"},
    {"WPT urltestdata.json", "non-special://test:@test/x"sv, nullptr, "non-special://test@test/x"},
    {"WPT urltestdata.json", "non-special://:@test/x"sv, nullptr, "non-special://test/x"},
    {"WPT urltestdata.json", "http:foo.com"sv, "http://example.org/foo/bar", "http://example.org/foo/foo.com"},
    {"WPT urltestdata.json", "\x09   :foo.com   \x0a"sv, "http://example.org/foo/bar", "http://example.org/foo/:foo.com"},
    {"WPT urltestdata.json", " foo.com  "sv, "http://example.org/foo/bar", "http://example.org/foo/foo.com"},
    {"WPT urltestdata.json", "a:\x09 foo.com"sv, "http://example.org/foo/bar", "a: foo.com"},
    {"WPT urltestdata.json", "http://f:21/ b ? d # e "sv, "http://example.org/foo/bar", "http://f:21/%20b%20?%20d%20#%20e"},
    {"WPT urltestdata.json", "lolscheme:x x#x x"sv, "http://example.org/foo/bar", "lolscheme:x x#x%20x"},
    {"WPT urltestdata.json", "http://f:/c"sv, "http://example.org/foo/bar", "http://f/c"},
    {"WPT urltestdata.json", "http://f:00000000000000/c"sv, "http://example.org/foo/bar", "http://f:0/c"},
    {"WPT urltestdata.json", "http://f:00000000000000000000080/c"sv, "http://example.org/foo/bar", "http://f/c"},
    {"WPT urltestdata.json", "http://f:b/c"sv, "http://example.org/foo/bar", nullptr},
    {"WPT urltestdata.json", "http://f: /c"sv, "http://example.org/foo/bar", nullptr},
    {"WPT urltestdata.json", "http://f:\x0a/c"sv, "http://example.org/foo/bar", "http://f/c"},
    {"WPT urltestdata.json", "http://f:fifty-two/c"sv, "http://example.org/foo/bar", nullptr},
    {"WPT urltestdata.json", "http://f:999999/c"sv, "http://example.org/foo/bar", nullptr},
    {"WPT urltestdata.json", "non-special://f:999999/c"sv, "http://example.org/foo/bar", nullptr},
    {"WPT urltestdata.json", "http://f: 21 / b ? d # e "sv, "http://example.org/foo/bar", nullptr},
    {"WPT urltestdata.json", ""sv, "http://example.org/foo/bar", "http://example.org/foo/bar"},
    {"WPT urltestdata.json", "  \x09"sv, "http://example.org/foo/bar", "http://example.org/foo/bar"},
    {"WPT urltestdata.json", ":foo.com/"sv, "http://example.org/foo/bar", "http://example.org/foo/:foo.com/"},
    {"WPT urltestdata.json", ":"sv, "http://example.org/foo/bar", "http://example.org/foo/:"},
    {"WPT urltestdata.json", ":#"sv, "http://example.org/foo/bar", "http://example.org/foo/:#"},
    {"WPT urltestdata.json", "#"sv, "http://example.org/foo/bar", "http://example.org/foo/bar#"},
    {"WPT urltestdata.json", "#/"sv, "http://example.org/foo/bar", "http://example.org/foo/bar#/"},
    {"WPT urltestdata.json", "#\\"sv, "http://example.org/foo/bar", "http://example.org/foo/bar#\\"},
    {"WPT urltestdata.json", "#;?"sv, "http://example.org/foo/bar", "http://example.org/foo/bar#;?"},
    {"WPT urltestdata.json", "?"sv, "http://example.org/foo/bar", "http://example.org/foo/bar?"},
    {"WPT urltestdata.json", "/"sv, "http://example.org/foo/bar", "http://example.org/"},
    {"WPT urltestdata.json", ":23"sv, "http://example.org/foo/bar", "http://example.org/foo/:23"},
    {"WPT urltestdata.json", "/:23"sv, "http://example.org/foo/bar", "http://example.org/:23"},
    {"WPT urltestdata.json", "\\x"sv, "http://example.org/foo/bar", "http://example.org/x"},
    {"WPT urltestdata.json", "\\\\x\\hello"sv, "http://example.org/foo/bar", "http://x/hello"},
    {"WPT urltestdata.json", "::"sv, "http://example.org/foo/bar", "http://example.org/foo/::"},
    {"WPT urltestdata.json", "foo://"sv, "http://example.org/foo/bar", "foo://"},
    {"WPT urltestdata.json", "http://a:b@c:29/d"sv, "http://example.org/foo/bar", "http://a:b@c:29/d"},
    {"WPT urltestdata.json", "http::@c:29"sv, "http://example.org/foo/bar", "http://example.org/foo/:@c:29"},
    {"WPT urltestdata.json", "http://&a:foo(b]c@d:2/"sv, "http://example.org/foo/bar", "http://&a:foo(b%5Dc@d:2/"},
    {"WPT urltestdata.json", "http://::@c@d:2"sv, "http://example.org/foo/bar", "http://:%3A%40c@d:2/"},
    {"WPT urltestdata.json", "http://foo.com:b@d/"sv, "http://example.org/foo/bar", "http://foo.com:b@d/"},
    {"WPT urltestdata.json", "http://foo.com/\\@"sv, "http://example.org/foo/bar", "http://foo.com//@"},
    {"WPT urltestdata.json", "http:\\\\foo.com\\"sv, "http://example.org/foo/bar", "http://foo.com/"},
    {"WPT urltestdata.json", "http:\\\\a\\b:c\\d@foo.com\\"sv, "http://example.org/foo/bar", "http://a/b:c/d@foo.com/"},
    {"WPT urltestdata.json", "foo:/"sv, "http://example.org/foo/bar", "foo:/"},
    {"WPT urltestdata.json", "foo:/bar.com/"sv, "http://example.org/foo/bar", "foo:/bar.com/"},
    {"WPT urltestdata.json", "foo://///////"sv, "http://example.org/foo/bar", "foo://///////"},
    {"WPT urltestdata.json", "foo://///////bar.com/"sv, "http://example.org/foo/bar", "foo://///////bar.com/"},
    {"WPT urltestdata.json", "foo:////://///"sv, "http://example.org/foo/bar", "foo:////://///"},
    {"WPT urltestdata.json", "c:/foo"sv, "http://example.org/foo/bar", "c:/foo"},
    {"WPT urltestdata.json", "//foo/bar"sv, "http://example.org/foo/bar", "http://foo/bar"},
    {"WPT urltestdata.json", "http://foo/path;a??e#f#g"sv, "http://example.org/foo/bar", "http://foo/path;a??e#f#g"},
    {"WPT urltestdata.json", "http://foo/abcd?efgh?ijkl"sv, "http://example.org/foo/bar", "http://foo/abcd?efgh?ijkl"},
    {"WPT urltestdata.json", "http://foo/abcd#foo?bar"sv, "http://example.org/foo/bar", "http://foo/abcd#foo?bar"},
    {"WPT urltestdata.json", "[61:24:74]:98"sv, "http://example.org/foo/bar", "http://example.org/foo/[61:24:74]:98"},
    {"WPT urltestdata.json", "http:[61:27]/:foo"sv, "http://example.org/foo/bar", "http://example.org/foo/[61:27]/:foo"},
    {"WPT urltestdata.json", "http:/example.com/"sv, "http://example.org/foo/bar", "http://example.org/example.com/"},
    {"WPT urltestdata.json", "ftp:/example.com/"sv, "http://example.org/foo/bar", "ftp://example.com/"},
    {"WPT urltestdata.json", "https:/example.com/"sv, "http://example.org/foo/bar", "https://example.com/"},
    {"WPT urltestdata.json", "madeupscheme:/example.com/"sv, "http://example.org/foo/bar", "madeupscheme:/example.com/"},
    {"WPT urltestdata.json", "file:/example.com/"sv, "http://example.org/foo/bar", "file:///example.com/"},
    {"WPT urltestdata.json", "ws:/example.com/"sv, "http://example.org/foo/bar", "ws://example.com/"},
    {"WPT urltestdata.json", "data:/example.com/"sv, "http://example.org/foo/bar", "data:/example.com/"},
    {"WPT urltestdata.json", "javascript:/example.com/"sv, "http://example.org/foo/bar", "javascript:/example.com/"},
    {"WPT urltestdata.json", "mailto:/example.com/"sv, "http://example.org/foo/bar", "mailto:/example.com/"},
    {"WPT urltestdata.json", "http:example.com/"sv, "http://example.org/foo/bar", "http://example.org/foo/example.com/"},
    {"WPT urltestdata.json", "ftp:example.com/"sv, "http://example.org/foo/bar", "ftp://example.com/"},
    {"WPT urltestdata.json", "/a/ /c"sv, "http://example.org/foo/bar", "http://example.org/a/%20/c"},
    {"WPT urltestdata.json", "/a%2fc"sv, "http://example.org/foo/bar", "http://example.org/a%2fc"},
    {"WPT urltestdata.json", "/a/%2f/c"sv, "http://example.org/foo/bar", "http://example.org/a/%2f/c"},
    {"WPT urltestdata.json", "#\xce\xb2"sv, "http://example.org/foo/bar", "http://example.org/foo/bar#%CE%B2"},
    {"WPT urltestdata.json", "data:text/html,test#test"sv, "http://example.org/foo/bar", "data:text/html,test#test"},
    {"WPT urltestdata.json", "tel:1234567890"sv, "http://example.org/foo/bar", "tel:1234567890"},
    {"WPT urltestdata.json", "ssh://example.com/foo/bar.git"sv, "http://example.org/", "ssh://example.com/foo/bar.git"},
    {"WPT urltestdata.json", "http:"sv, "http://example.org/foo/bar", "http://example.org/foo/bar"},
    {"WPT urltestdata.json", "http:"sv, nullptr, nullptr},
    {"WPT urltestdata.json", "http://www.google.com/foo?bar=baz# \xc2\xbb"sv, nullptr, "http://www.google.com/foo?bar=baz#%20%C2%BB"},
    {"WPT urltestdata.json", "data:test# \xc2\xbb"sv, nullptr, "data:test#%20%C2%BB"},
    {"WPT urltestdata.json", "http://www/foo%2Ehtml"sv, nullptr, "http://www/foo%2Ehtml"},
    {"WPT urltestdata.json", "http://user:pass@/"sv, nullptr, nullptr},
    {"WPT urltestdata.json", "http://%25DOMAIN:foobar@foodomain.com/"sv, nullptr, "http://%25DOMAIN:foobar@foodomain.com/"},
    {"WPT urltestdata.json", "http:\\\\www.google.com\\foo"sv, nullptr, "http://www.google.com/foo"},
    {"WPT urltestdata.json", "http://@www.example.com"sv, nullptr, "http://www.example.com/"},
    {"WPT urltestdata.json", "http:@:www.example.com"sv, nullptr, nullptr},
    {"WPT urltestdata.json", "http://@pple.com"sv, nullptr, "http://pple.com/"},
    {"WPT urltestdata.json", "http::b@www.example.com"sv, nullptr, "http://:b@www.example.com/"},
    {"WPT urltestdata.json", "http://www.@pple.com"sv, nullptr, "http://www.@pple.com/"},
    {"WPT urltestdata.json", "http://@:www.example.com"sv, nullptr, nullptr},
    {"WPT urltestdata.json", "http://a:b@/www.example.com"sv, nullptr, nullptr},
    {"WPT urltestdata.json", "http://@/www.example.com"sv, nullptr, nullptr},
    {"WPT urltestdata.json", "http:/:@/www.example.com"sv, nullptr, nullptr},
    {"WPT urltestdata.json", "http://[1::2]:3:4"sv, nullptr, nullptr},
    {"WPT urltestdata.json", "http://2001::1"sv, nullptr, nullptr},
    {"WPT urltestdata.json", "http://2001::1]"sv, nullptr, nullptr},
    {"WPT urltestdata.json", "http://2001::1]:80"sv, nullptr, nullptr},
    {"WPT urltestdata.json", "http://foo:80/"sv, nullptr, "http://foo/"},
    {"WPT urltestdata.json", "http://foo:81/"sv, nullptr, "http://foo:81/"},
    {"WPT urltestdata.json", "httpa://foo:80/"sv, nullptr, "httpa://foo:80/"},
    {"WPT urltestdata.json", "http://foo:-80/"sv, nullptr, nullptr},
    {"WPT urltestdata.json", "https://foo:443/"sv, nullptr, "https://foo/"},
    {"WPT urltestdata.json", "https://foo:80/"sv, nullptr, "https://foo:80/"},
    {"WPT urltestdata.json", "ftp://foo:21/"sv, nullptr, "ftp://foo/"},
    {"WPT urltestdata.json", "ftp://foo:80/"sv, nullptr, "ftp://foo:80/"},
    {"WPT urltestdata.json", "ws://foo:80/"sv, nullptr, "ws://foo/"},
    {"WPT urltestdata.json", "ws://foo:443/"sv, nullptr, "ws://foo:443/"},
    {"WPT urltestdata.json", "wss://foo:443/"sv, nullptr, "wss://foo/"},
    {"WPT urltestdata.json", "wss://foo:80/"sv, nullptr, "wss://foo:80/"},
    {"brief: default port elision", "https://a:443/"sv, nullptr, "https://a/"},
    {"brief: port range", "https://a:65535/"sv, nullptr, "https://a:65535/"},
    {"brief: port out of range", "https://a:65536/"sv, nullptr, nullptr},
    {"URL Standard: port state", "http://a:0/"sv, nullptr, "http://a:0/"},
    {"WPT urltestdata.json", "http://example.com/././foo"sv, nullptr, "http://example.com/foo"},
    {"WPT urltestdata.json", "http://example.com/./.foo"sv, nullptr, "http://example.com/.foo"},
    {"WPT urltestdata.json", "http://example.com/foo/."sv, nullptr, "http://example.com/foo/"},
    {"WPT urltestdata.json", "http://example.com/foo/./"sv, nullptr, "http://example.com/foo/"},
    {"WPT urltestdata.json", "http://example.com/foo/bar/.."sv, nullptr, "http://example.com/foo/"},
    {"WPT urltestdata.json", "http://example.com/foo/bar/../"sv, nullptr, "http://example.com/foo/"},
    {"WPT urltestdata.json", "http://example.com/foo/..bar"sv, nullptr, "http://example.com/foo/..bar"},
    {"WPT urltestdata.json", "http://example.com/foo/bar/../ton/../../a"sv, nullptr, "http://example.com/a"},
    {"WPT urltestdata.json", "http://example.com/foo/../../.."sv, nullptr, "http://example.com/"},
    {"WPT urltestdata.json", "http://example.com/foo/../../../ton"sv, nullptr, "http://example.com/ton"},
    {"WPT urltestdata.json", "http://example.com/foo/%2e"sv, nullptr, "http://example.com/foo/"},
    {"WPT urltestdata.json", "http://example.com/foo/%2e%2"sv, nullptr, "http://example.com/foo/%2e%2"},
    {"WPT urltestdata.json", "http://example.com/foo/%2e./%2e%2e/.%2e/%2e.bar"sv, nullptr, "http://example.com/%2e.bar"},
    {"WPT urltestdata.json", "http://example.com////../.."sv, nullptr, "http://example.com//"},
    {"WPT urltestdata.json", "http://example.com/foo/bar//../.."sv, nullptr, "http://example.com/foo/"},
    {"WPT urltestdata.json", "http://example.com/foo/bar//.."sv, nullptr, "http://example.com/foo/bar/"},
    {"WPT urltestdata.json", "http://example.com/%2E%2E/x"sv, nullptr, "http://example.com/x"},
    {"WPT urltestdata.json", "http://example.com/%20foo"sv, nullptr, "http://example.com/%20foo"},
    {"WPT urltestdata.json", "http://example.com/foo%"sv, nullptr, "http://example.com/foo%"},
    {"WPT urltestdata.json", "http://example.com/foo%2"sv, nullptr, "http://example.com/foo%2"},
    {"WPT urltestdata.json", "http://example.com/foo%2zbar"sv, nullptr, "http://example.com/foo%2zbar"},
    {"WPT urltestdata.json", "http://example.com/foo%2\xc3\x82\xc2\xa9zbar"sv, nullptr, "http://example.com/foo%2%C3%82%C2%A9zbar"},
    {"WPT urltestdata.json", "http://example.com/foo%41%7a"sv, nullptr, "http://example.com/foo%41%7a"},
    {"WPT urltestdata.json", "http://example.com/foo\x09\xc2\x91%91"sv, nullptr, "http://example.com/foo%C2%91%91"},
    {"WPT urltestdata.json", "http://example.com/foo%00%51"sv, nullptr, "http://example.com/foo%00%51"},
    {"WPT urltestdata.json", "http://example.com/(%28:%3A%29)"sv, nullptr, "http://example.com/(%28:%3A%29)"},
    {"WPT urltestdata.json", "http://example.com/foo\x09" "bar"sv, nullptr, "http://example.com/foobar"},
    {"WPT urltestdata.json", "http://example.com\\\\foo\\\\bar"sv, nullptr, "http://example.com//foo//bar"},
    {"WPT urltestdata.json", "http://example.com/@asdf%40"sv, nullptr, "http://example.com/@asdf%40"},
    {"WPT urltestdata.json", "http://example.com/\xe4\xbd\xa0\xe5\xa5\xbd\xe4\xbd\xa0\xe5\xa5\xbd"sv, nullptr, "http://example.com/%E4%BD%A0%E5%A5%BD%E4%BD%A0%E5%A5%BD"},
    {"WPT urltestdata.json", "http://example.com/\xe2\x80\xa5/foo"sv, nullptr, "http://example.com/%E2%80%A5/foo"},
    {"WPT urltestdata.json", "http://example.com/\xef\xbb\xbf/foo"sv, nullptr, "http://example.com/%EF%BB%BF/foo"},
    {"WPT urltestdata.json", "http://example.com/\xe2\x80\xae/foo/\xe2\x80\xad/bar"sv, nullptr, "http://example.com/%E2%80%AE/foo/%E2%80%AD/bar"},
    {"URL Standard: path percent-encode set", "https://example.com/a b/\xc3\xbc{}^`|"sv, nullptr, "https://example.com/a%20b/%C3%BC%7B%7D%5E%60|"},
    {"WPT urltestdata.json", "http://host/?'"sv, nullptr, "http://host/?%27"},
    {"WPT urltestdata.json", "notspecial://host/?'"sv, nullptr, "notspecial://host/?'"},
    {"URL Standard: special-query percent-encode set", "https://example.com/?q='x y'"sv, nullptr, "https://example.com/?q=%27x%20y%27"},
    {"URL Standard: query percent-encode set", "https://example.com/?a\"b<c>d`e"sv, nullptr, "https://example.com/?a%22b%3Cc%3Ed`e"},
    {"URL Standard: query state, UTF-8", "https://example.com/?\xc3\xbc=\xc3\xa9"sv, nullptr, "https://example.com/?%C3%BC=%C3%A9"},
    {"URL Standard: fragment percent-encode set", "https://example.com/#a b`c\"d<e>f'"sv, nullptr, "https://example.com/#a%20b%60c%22d%3Ce%3Ef'"},
    {"URL Standard: fragment state", "https://example.com/#\xc3\xbc#"sv, nullptr, "https://example.com/#%C3%BC#"},
    {"URL Standard: empty query and fragment", "https://example.com/?#"sv, nullptr, "https://example.com/?#"},
    {"URL Standard: userinfo percent-encode set", "http://user name:pa ss@host/"sv, nullptr, "http://user%20name:pa%20ss@host/"},
    {"URL Standard: authority state, last '@' wins", "https://user:p@ss@host/"sv, nullptr, "https://user:p%40ss@host/"},
    {"URL Standard: userinfo percent-encode set", "https://\xc3\xbcser:p\xc3\xa4ss@host/"sv, nullptr, "https://%C3%BCser:p%C3%A4ss@host/"},
    {"URL Standard: userinfo percent-encode set", "http://a;b=c@host/"sv, nullptr, "http://a%3Bb%3Dc@host/"},
    {"URL Standard: URL serializer, empty password", "http://user:@host"sv, nullptr, "http://user@host/"},
    {"URL Standard: URL serializer, empty username", "http://:pass@host"sv, nullptr, "http://:pass@host/"},
    {"URL Standard: basic URL parser step 1", "  https://example.com/  "sv, nullptr, "https://example.com/"},
    {"URL Standard: basic URL parser step 1", "\x01\x1f https://example.com/x\x00 "sv, nullptr, "https://example.com/x"},
    {"URL Standard: basic URL parser step 3", "ht\x09tps://exa\x0ample.com/p\x0d/q"sv, nullptr, "https://example.com/p/q"},
    {"URL Standard: basic URL parser step 3", "https://example.com/a\x09" "b?c\x0a" "d#e\x0d" "f"sv, nullptr, "https://example.com/ab?cd#ef"},
    {"URL Standard: special authority slashes", "https:\\\\example.com\\a\\b"sv, nullptr, "https://example.com/a/b"},
    {"URL Standard: non-special keeps '\\'", "foo://example.com\\a\\b"sv, nullptr, nullptr},
    {"URL Standard: non-special path keeps '\\'", "foo://example.com/a\\b"sv, nullptr, "foo://example.com/a\\b"},
    {"brief: IDNA", "https://m\xc3\xbcnchen.de/"sv, nullptr, "https://xn--mnchen-3ya.de/"},
    {"brief: IDNA", "https://\xc3\x89XAMPLE.com/"sv, nullptr, "https://xn--xample-9ua.com/"},
    {"brief: full-width", "https://\xef\xbd\x85\xef\xbd\x98\xef\xbd\x81\xef\xbd\x8d\xef\xbd\x90\xef\xbd\x8c\xef\xbd\x85\xef\xbc\x8e\xef\xbd\x83\xef\xbd\x8f\xef\xbd\x8d/"sv, nullptr, "https://example.com/"},
    {"brief: invalid punycode", "https://xn--a/"sv, nullptr, nullptr},
    {"WPT toascii.json", "https://xn--a.com/"sv, nullptr, nullptr},
    {"WPT toascii.json", "https://xn--/"sv, nullptr, nullptr},
    {"WPT toascii.json", "https://XN--MNCHEN-3YA.de/"sv, nullptr, "https://xn--mnchen-3ya.de/"},
    {"WPT toascii.json", "https://xn--mnchen-3ya.de/"sv, nullptr, "https://xn--mnchen-3ya.de/"},
    {"WPT urltestdata.json", "http://GOO \xe3\x80\x80goo.com"sv, nullptr, nullptr},
    {"WPT urltestdata.json", "http://www.foo\xe3\x80\x82" "bar.com"sv, nullptr, "http://www.foo.bar.com/"},
    {"WPT urltestdata.json", "http://\xef\xb7\x90zyx.com"sv, nullptr, nullptr},
    {"WPT urltestdata.json", "http://%ef%b7%90zyx.com"sv, nullptr, nullptr},
    {"WPT urltestdata.json", "http://\xef\xbc\x85\xef\xbc\x94\xef\xbc\x91.com"sv, nullptr, nullptr},
    {"WPT urltestdata.json", "http://%ef%bc%85%ef%bc%94%ef%bc%91.com"sv, nullptr, nullptr},
    {"WPT urltestdata.json", "http://\xef\xbc\x85\xef\xbc\x90\xef\xbc\x90.com"sv, nullptr, nullptr},
    {"WPT urltestdata.json", "http://\xef\xbc\xa7\xef\xbd\x8f.com"sv, nullptr, "http://go.com/"},
    {"WPT urltestdata.json", "http://%ef%bc%a7%ef%bd%8f.com"sv, nullptr, "http://go.com/"},
    {"WPT urltestdata.json", "https://fa\xc3\x9f.ExAmPlE/"sv, nullptr, "https://xn--fa-hia.example/"},
    {"WPT urltestdata.json", "http://\xe4\xbd\xa0\xe5\xa5\xbd\xe4\xbd\xa0\xe5\xa5\xbd"sv, nullptr, "http://xn--6qqa088eba/"},
    {"WPT urltestdata.json", "http://\xe2\x98\x83.net/"sv, nullptr, "http://xn--n3h.net/"},
    {"WPT toascii.json", "http://xn--ls8h/"sv, nullptr, "http://xn--ls8h/"},
    {"WPT toascii.json (CheckJoiners)", "https://a\xe2\x80\x8d" "b.com/"sv, nullptr, nullptr},
    {"WPT urltestdata.json", "http://a\xc2\xad" "b/"sv, nullptr, "http://ab/"},
    {"WPT urltestdata.json", "http://\xc2\xad/"sv, nullptr, nullptr},
    {"WPT urltestdata.json", "http://GOO\xe2\x80\x8b\xe2\x81\xa0\xef\xbb\xbfgoo.com"sv, nullptr, "http://googoo.com/"},
    {"WPT urltestdata.json", "https://x/\x00y"sv, nullptr, "https://x/%00y"},
    {"WPT urltestdata.json", "https://x/?\x00y"sv, nullptr, "https://x/?%00y"},
    {"WPT urltestdata.json", "https://x/#\x00y"sv, nullptr, "https://x/#%00y"},
    {"WPT urltestdata.json", "non-special:opaque  ?hi"sv, nullptr, "non-special:opaque %20?hi"},
    {"WPT urltestdata.json", "non-special:opaque \x09\x09  \x09#hi"sv, nullptr, "non-special:opaque  %20#hi"},
    {"WPT urltestdata.json", "http://example.com/\xf0\x9f\x98\x80"sv, nullptr, "http://example.com/%F0%9F%98%80"},
    {"URL Standard: host parser, percent-decoded", "https://%E2%98%83.com/"sv, nullptr, "https://xn--n3h.com/"},
    {"URL Standard: forbidden host code point", "https://exa mple.com"sv, nullptr, nullptr},
    {"URL Standard: forbidden host code point", "https://exa%20mple.com"sv, nullptr, nullptr},
    {"URL Standard: forbidden host code point", "https://a<b.com/"sv, nullptr, nullptr},
    {"URL Standard: forbidden host code point", "https://a^b.com/"sv, nullptr, nullptr},
    {"URL Standard: forbidden host code point", "https://a|b.com/"sv, nullptr, nullptr},
    {"URL Standard: forbidden domain code point", "http://%zz%66%a.com"sv, nullptr, nullptr},
    {"URL Standard: forbidden domain code point", "http://hello%00"sv, nullptr, nullptr},
    {"URL Standard: forbidden domain code point", "http://%25"sv, nullptr, nullptr},
    {"URL Standard: domain to ASCII lowercases", "https://EXAMPLE.COM./"sv, nullptr, "https://example.com./"},
    {"WPT urltestdata.json", "http://./"sv, nullptr, "http://./"},
    {"WPT urltestdata.json", "http://../"sv, nullptr, "http://../"},
    {"WPT urltestdata.json", "http://[www.google.com]/"sv, nullptr, nullptr},
    {"WPT urltestdata.json", "http://foo.09.."sv, nullptr, "http://foo.09../"},
    {"URL Standard: opaque host", "foo://m\xc3\xbcnchen.de/"sv, nullptr, "foo://m%C3%BCnchen.de/"},
    {"URL Standard: opaque host", "foo://a%20b/"sv, nullptr, "foo://a%20b/"},
    {"URL Standard: opaque host", "foo://a b/"sv, nullptr, nullptr},
    {"WPT urltestdata.json", "sc://\xc3\xb1"sv, nullptr, "sc://%C3%B1"},
    {"WPT urltestdata.json", "sc://\xc3\xb1.test/"sv, nullptr, "sc://%C3%B1.test/"},
    {"WPT urltestdata.json", "sc://@/"sv, nullptr, nullptr},
    {"WPT urltestdata.json", "sc://te@s:t@test/"sv, nullptr, "sc://te%40s:t@test/"},
    {"WPT urltestdata.json", "sc://:/"sv, nullptr, nullptr},
    {"WPT urltestdata.json", "sc://:12/"sv, nullptr, nullptr},
    {"WPT urltestdata.json", "sc::a@example.net"sv, nullptr, "sc::a@example.net"},
    {"WPT urltestdata.json", "http://%30%78%63%30%2e%30%32%35%30.01"sv, nullptr, "http://192.168.0.1/"},
    {"WPT urltestdata.json", "http://%30%78%63%30%2e%30%32%35%30.01%2e"sv, nullptr, "http://192.168.0.1/"},
    {"WPT urltestdata.json", "http://192.168.0.257"sv, nullptr, nullptr},
    {"WPT urltestdata.json", "http://%3g%78%63%30%2e%30%32%35%30%2E.01"sv, nullptr, nullptr},
    {"WPT urltestdata.json", "http://192.168.0.1 hello"sv, nullptr, nullptr},
    {"WPT urltestdata.json", "http://0Xc0.0250.01"sv, nullptr, "http://192.168.0.1/"},
    {"WPT urltestdata.json", "http://10000000000"sv, nullptr, nullptr},
    {"WPT urltestdata.json", "http://4294967295"sv, nullptr, "http://255.255.255.255/"},
    {"WPT urltestdata.json", "http://4294967296"sv, nullptr, nullptr},
    {"WPT urltestdata.json", "http://0xffffffff"sv, nullptr, "http://255.255.255.255/"},
    {"WPT urltestdata.json", "http://0xffffffff1"sv, nullptr, nullptr},
    {"WPT urltestdata.json", "http://256.256.256.256"sv, nullptr, nullptr},
    {"WPT urltestdata.json", "https://0x.0x.0"sv, nullptr, "https://0.0.0.0/"},
    {"WPT urltestdata.json", "https://0x100000000/test"sv, nullptr, nullptr},
    {"WPT urltestdata.json", "https://256.0.0.1/test"sv, nullptr, nullptr},
    {"WPT urltestdata.json", "http://1.2.3.4.5"sv, nullptr, nullptr},
    {"WPT urltestdata.json", "http://1.2.3.4.5."sv, nullptr, nullptr},
    {"WPT urltestdata.json", "http://0..0x300/"sv, nullptr, nullptr},
    {"WPT urltestdata.json", "http://256.256.256.256.256"sv, nullptr, nullptr},
    {"WPT urltestdata.json", "http://foo.09"sv, nullptr, nullptr},
    {"WPT urltestdata.json", "http://foo.0x4"sv, nullptr, nullptr},
    {"WPT urltestdata.json", "http://0999999999999999999/"sv, nullptr, nullptr},
    {"WPT urltestdata.json", "http://1.2.3.09"sv, nullptr, nullptr},
    {"WPT urltestdata.json", "http://09.2.3.4"sv, nullptr, nullptr},
    {"WPT urltestdata.json", "http://0x100.2.3.4"sv, nullptr, nullptr},
    {"brief: IPv4 shorthand", "http://0x7f.1/"sv, nullptr, "http://127.0.0.1/"},
    {"URL Standard: IPv4 parser", "http://127.0.0x0.1"sv, nullptr, "http://127.0.0.1/"},
    {"URL Standard: IPv4 parser, octal", "http://0177.0.0.1"sv, nullptr, "http://127.0.0.1/"},
    {"URL Standard: IPv4 parser", "http://127.1"sv, nullptr, "http://127.0.0.1/"},
    {"URL Standard: IPv4 parser", "http://2130706433"sv, nullptr, "http://127.0.0.1/"},
    {"URL Standard: IPv4 parser, trailing dot", "http://127.0.0.1./"sv, nullptr, "http://127.0.0.1/"},
    {"URL Standard: IPv4 parser, overflow", "http://99999999999999999999999999/"sv, nullptr, nullptr},
    {"URL Standard: opaque host is not IPv4", "foo://0x7f.1/"sv, nullptr, "foo://0x7f.1/"},
    {"brief: IPv6", "http://[::1]"sv, nullptr, "http://[::1]/"},
    {"brief: IPv6", "http://[0:0::1]"sv, nullptr, "http://[::1]/"},
    {"brief: IPv6 compression", "http://[1:0:0:2::3:0]"sv, nullptr, "http://[1::2:0:0:3:0]/"},
    {"brief: IPv6 embedded IPv4", "http://[::ffff:192.168.0.1]"sv, nullptr, "http://[::ffff:c0a8:1]/"},
    {"WPT urltestdata.json", "http://[2001::1]"sv, nullptr, "http://[2001::1]/"},
    {"WPT urltestdata.json", "http://[::127.0.0.1]"sv, nullptr, "http://[::7f00:1]/"},
    {"WPT urltestdata.json", "http://[0:0:0:0:0:0:13.1.68.3]"sv, nullptr, "http://[::d01:4403]/"},
    {"WPT urltestdata.json", "http://[2001::1]:80"sv, nullptr, "http://[2001::1]/"},
    {"URL Standard: IPv6 serializer", "http://[0:0:0:0:0:0:0:0]"sv, nullptr, "http://[::]/"},
    {"URL Standard: IPv6 serializer, lower-case", "http://[ABCD:EF01:2345:6789:ABCD:EF01:2345:6789]/"sv, nullptr, "http://[abcd:ef01:2345:6789:abcd:ef01:2345:6789]/"},
    {"URL Standard: IPv6 serializer", "http://[1:0:0:0:0:0:0:0]"sv, nullptr, "http://[1::]/"},
    {"URL Standard: IPv6 serializer, no single-zero compression", "http://[1:0:1:0:1:0:1:0]"sv, nullptr, "http://[1:0:1:0:1:0:1:0]/"},
    {"URL Standard: IPv6 serializer, first longest run", "http://[1:0:0:1:0:0:1:1]"sv, nullptr, "http://[1::1:0:0:1:1]/"},
    {"URL Standard: IPv6 serializer, leading zeros", "http://[0001:0002::00ab]"sv, nullptr, "http://[1:2::ab]/"},
    {"URL Standard: IPv6 with port", "https://[::1]:443/"sv, nullptr, "https://[::1]/"},
    {"URL Standard: IPv6 with port", "http://[1:2:3:4:5:6:7:8]:8080/"sv, nullptr, "http://[1:2:3:4:5:6:7:8]:8080/"},
    {"URL Standard: IPv6 in opaque host", "foo://[::1]/"sv, nullptr, "foo://[::1]/"},
    {"WPT urltestdata.json", "http://[::1.2.3.]"sv, nullptr, nullptr},
    {"WPT urltestdata.json", "http://[::1.2.]"sv, nullptr, nullptr},
    {"WPT urltestdata.json", "http://[::1.]"sv, nullptr, nullptr},
    {"WPT urltestdata.json", "http://[::127.0.0.0.1]"sv, nullptr, nullptr},
    {"WPT urltestdata.json", "http://[0::0::0]"sv, nullptr, nullptr},
    {"WPT urltestdata.json", "http://[0:.0]"sv, nullptr, nullptr},
    {"WPT urltestdata.json", "http://[0:0:0:0:0:0:0:0:0]"sv, nullptr, nullptr},
    {"WPT urltestdata.json", "http://[1:2:3:4:5:6:7]"sv, nullptr, nullptr},
    {"WPT urltestdata.json", "http://[::1.2.3.4x]"sv, nullptr, nullptr},
    {"WPT urltestdata.json", "http://[::01.2.3.4]"sv, nullptr, nullptr},
    {"WPT urltestdata.json", "http://[::1.2.3.256]"sv, nullptr, nullptr},
    {"URL Standard: IPv6 parser", "http://[:1]"sv, nullptr, nullptr},
    {"URL Standard: IPv6 parser", "http://[1:]"sv, nullptr, nullptr},
    {"URL Standard: IPv6-unclosed", "http://[::1"sv, nullptr, nullptr},
    {"URL Standard: IPv6 parser, 5 hex digits", "http://[12345::1]"sv, nullptr, nullptr},
    {"WPT urltestdata.json", "file:c:\\foo\\bar.html"sv, "file:///tmp/mock/path", "file:///c:/foo/bar.html"},
    {"WPT urltestdata.json", "  File:c|////foo\\bar.html"sv, "file:///tmp/mock/path", "file:///c:////foo/bar.html"},
    {"WPT urltestdata.json", "C|/foo/bar"sv, "file:///tmp/mock/path", "file:///C:/foo/bar"},
    {"WPT urltestdata.json", "/C|\\foo\\bar"sv, "file:///tmp/mock/path", "file:///C:/foo/bar"},
    {"WPT urltestdata.json", "//C|/foo/bar"sv, "file:///tmp/mock/path", "file:///C:/foo/bar"},
    {"WPT urltestdata.json", "//server/file"sv, "file:///tmp/mock/path", "file://server/file"},
    {"WPT urltestdata.json", "\\\\server\\file"sv, "file:///tmp/mock/path", "file://server/file"},
    {"WPT urltestdata.json", "/\\server/file"sv, "file:///tmp/mock/path", "file://server/file"},
    {"WPT urltestdata.json", "file:///foo/bar.txt"sv, "file:///tmp/mock/path", "file:///foo/bar.txt"},
    {"WPT urltestdata.json", "file:///home/me"sv, "file:///tmp/mock/path", "file:///home/me"},
    {"WPT urltestdata.json", "//"sv, "file:///tmp/mock/path", "file:///"},
    {"WPT urltestdata.json", "///"sv, "file:///tmp/mock/path", "file:///"},
    {"WPT urltestdata.json", "///test"sv, "file:///tmp/mock/path", "file:///test"},
    {"WPT urltestdata.json", "file://test"sv, "file:///tmp/mock/path", "file://test/"},
    {"WPT urltestdata.json", "file://localhost"sv, "file:///tmp/mock/path", "file:///"},
    {"WPT urltestdata.json", "file://localhost/"sv, "file:///tmp/mock/path", "file:///"},
    {"WPT urltestdata.json", "file://localhost/test"sv, "file:///tmp/mock/path", "file:///test"},
    {"WPT urltestdata.json", "test"sv, "file:///tmp/mock/path", "file:///tmp/mock/test"},
    {"WPT urltestdata.json", "file:test"sv, "file:///tmp/mock/path", "file:///tmp/mock/test"},
    {"WPT urltestdata.json", "file:.."sv, "file:///C:/", "file:///C:/"},
    {"WPT urltestdata.json", "/"sv, "file:///C:/a/b", "file:///C:/"},
    {"WPT urltestdata.json", "file://example.net/C:/"sv, nullptr, "file://example.net/C:/"},
    {"WPT urltestdata.json", "file://1.2.3.4/C:/"sv, nullptr, "file://1.2.3.4/C:/"},
    {"WPT urltestdata.json", "file:///C|/"sv, nullptr, "file:///C:/"},
    {"URL Standard: file host state", "file://LOCALHOST/x"sv, nullptr, "file:///x"},
    {"URL Standard: file host, IDNA", "file://m\xc3\xbcnchen.de/x"sv, nullptr, "file://xn--mnchen-3ya.de/x"},
    {"RFC 3986 5.4.1", "g"sv, "http://a/b/c/d;p?q", "http://a/b/c/g"},
    {"RFC 3986 5.4.1", "./g"sv, "http://a/b/c/d;p?q", "http://a/b/c/g"},
    {"RFC 3986 5.4.1", "g/"sv, "http://a/b/c/d;p?q", "http://a/b/c/g/"},
    {"RFC 3986 5.4.1", "/g"sv, "http://a/b/c/d;p?q", "http://a/g"},
    {"RFC 3986 5.4.1", "//g"sv, "http://a/b/c/d;p?q", "http://g/"},
    {"RFC 3986 5.4.1", "?y"sv, "http://a/b/c/d;p?q", "http://a/b/c/d;p?y"},
    {"RFC 3986 5.4.1", "g?y"sv, "http://a/b/c/d;p?q", "http://a/b/c/g?y"},
    {"RFC 3986 5.4.1", "#s"sv, "http://a/b/c/d;p?q", "http://a/b/c/d;p?q#s"},
    {"RFC 3986 5.4.1", "g#s"sv, "http://a/b/c/d;p?q", "http://a/b/c/g#s"},
    {"RFC 3986 5.4.1", ";x"sv, "http://a/b/c/d;p?q", "http://a/b/c/;x"},
    {"RFC 3986 5.4.1", "g;x?y#s"sv, "http://a/b/c/d;p?q", "http://a/b/c/g;x?y#s"},
    {"RFC 3986 5.4.1", ""sv, "http://a/b/c/d;p?q", "http://a/b/c/d;p?q"},
    {"RFC 3986 5.4.1", "."sv, "http://a/b/c/d;p?q", "http://a/b/c/"},
    {"RFC 3986 5.4.1", ".."sv, "http://a/b/c/d;p?q", "http://a/b/"},
    {"RFC 3986 5.4.1", "../g"sv, "http://a/b/c/d;p?q", "http://a/b/g"},
    {"RFC 3986 5.4.1", "../.."sv, "http://a/b/c/d;p?q", "http://a/"},
    {"RFC 3986 5.4.1", "../../g"sv, "http://a/b/c/d;p?q", "http://a/g"},
    {"RFC 3986 5.4.2", "../../../g"sv, "http://a/b/c/d;p?q", "http://a/g"},
    {"RFC 3986 5.4.2", "/./g"sv, "http://a/b/c/d;p?q", "http://a/g"},
    {"RFC 3986 5.4.2", "/../g"sv, "http://a/b/c/d;p?q", "http://a/g"},
    {"RFC 3986 5.4.2", "g."sv, "http://a/b/c/d;p?q", "http://a/b/c/g."},
    {"RFC 3986 5.4.2", "..g"sv, "http://a/b/c/d;p?q", "http://a/b/c/..g"},
    {"RFC 3986 5.4.2", "./../g"sv, "http://a/b/c/d;p?q", "http://a/b/g"},
    {"RFC 3986 5.4.2", "./g/."sv, "http://a/b/c/d;p?q", "http://a/b/c/g/"},
    {"RFC 3986 5.4.2", "g/./h"sv, "http://a/b/c/d;p?q", "http://a/b/c/g/h"},
    {"RFC 3986 5.4.2", "g/../h"sv, "http://a/b/c/d;p?q", "http://a/b/c/h"},
    {"RFC 3986 5.4.2", "g;x=1/../y"sv, "http://a/b/c/d;p?q", "http://a/b/c/y"},
    {"url.h example", "/beacon"sv, "https://EXAMPLE.com:443/a/../b?q#frag", "https://example.com/beacon"},
    {"relative to a base with port", "?x"sv, "https://example.com:8443/a/b?c#d", "https://example.com:8443/a/b?x"},
    {"relative to a base with port", "#y"sv, "https://example.com:8443/a/b?c#d", "https://example.com:8443/a/b?c#y"},
    {"relative to a base with port", "../c"sv, "https://example.com:8443/a/b?c#d", "https://example.com:8443/c"},
    {"scheme-relative", "//other.test/x"sv, "https://example.com:8443/a/b", "https://other.test/x"},
    {"URL Standard: special authority slashes", "http:x"sv, "https://example.com/", "http://x/"},
    {"URL Standard: special relative or authority", "https:x"sv, "https://example.com/a/b", "https://example.com/a/x"},
    {"URL Standard: credentials inherited", "x"sv, "https://u:p@example.com/a/b", "https://u:p@example.com/a/x"},
    {"URL Standard: no scheme, opaque base", "x"sv, "about:blank", nullptr},
    {"URL Standard: no scheme, opaque base, fragment", "#x"sv, "about:blank", "about:blank#x"},
    {"URL Standard: no scheme, no base", "x"sv, nullptr, nullptr},
    {"URL Standard: no scheme, no base", "//example.com/"sv, nullptr, nullptr},
    {"URL Standard: non-special relative", "../d"sv, "ssh://host/a/b/c", "ssh://host/a/d"},
    {"brief: about:blank", "about:blank"sv, nullptr, "about:blank"},
    {"brief: about:srcdoc", "about:srcdoc"sv, nullptr, "about:srcdoc"},
    {"brief: blob:", "blob:https://example.com/uuid"sv, nullptr, "blob:https://example.com/uuid"},
    {"brief: data:", "data:text/plain,hello world"sv, nullptr, "data:text/plain,hello world"},
    {"URL Standard: opaque path state, space before '?'", "data:text/plain,a b ?q"sv, nullptr, "data:text/plain,a b%20?q"},
    {"URL Standard: opaque path state, trailing space", "data:a #f"sv, nullptr, "data:a%20#f"},
    {"brief: javascript:", "JavaScript:alert('x y')"sv, nullptr, "javascript:alert('x y')"},
    {"brief: mailto:", "mailto:user@example.com?subject=hi there"sv, nullptr, "mailto:user@example.com?subject=hi%20there"},
    {"URL Standard: C0 control percent-encode set", "mailto:\xc3\x9c@x\x7f"sv, nullptr, "mailto:%C3%9C@x%7F"},
    {"brief: ssh:", "ssh://git@github.com:22/a/b.git"sv, nullptr, "ssh://git@github.com:22/a/b.git"},
    {"URL Standard: non-special, no path", "ssh://host"sv, nullptr, "ssh://host"},
    {"WPT urltestdata.json", "non-spec:/.//"sv, nullptr, "non-spec:/.//"},
    {"WPT urltestdata.json", "non-spec:/..//"sv, nullptr, "non-spec:/.//"},
    {"WPT urltestdata.json", "non-spec:/a/..//"sv, nullptr, "non-spec:/.//"},
    {"WPT urltestdata.json", "non-spec:/.//path"sv, nullptr, "non-spec:/.//path"},
    {"WPT urltestdata.json", "web+demo:/.//not-a-host/"sv, nullptr, "web+demo:/.//not-a-host/"},
    {"WPT urltestdata.json", "sc:\\../"sv, nullptr, "sc:\\../"},
    {"URL Standard: scheme state", "a1+-.b:x"sv, nullptr, "a1+-.b:x"},
    {"URL Standard: scheme start state", "1a:x"sv, nullptr, nullptr},
    {"invalid UTF-8 in path", "https://example.com/\xff"sv, nullptr, "https://example.com/%EF%BF%BD"},
    {"invalid UTF-8, truncated sequence", "https://example.com/\xc3?\xe2\x82#\xf0"sv, nullptr, "https://example.com/%EF%BF%BD?%EF%BF%BD#%EF%BF%BD"},
    {"invalid UTF-8 in host", "https://\xff.com/"sv, nullptr, nullptr},
    {"invalid UTF-8 in opaque host", "foo://\xff/"sv, nullptr, "foo://%EF%BF%BD/"},
    {"invalid UTF-8, surrogate", "https://example.com/\xed\xa0\x80"sv, nullptr, "https://example.com/%EF%BF%BD%EF%BF%BD%EF%BF%BD"},
};
// clang-format on

class UrlParseTest : public ::testing::TestWithParam<ParseCase> {};

TEST_P(UrlParseTest, ParsesAndSerializes) {
  const ParseCase& c = GetParam();
  std::optional<Url> base;
  if (c.base != nullptr) {
    absl::StatusOr<Url> parsed_base = Url::Parse(c.base);
    ASSERT_TRUE(parsed_base.ok()) << c.base << ": " << parsed_base.status();
    base = *parsed_base;
  }
  absl::StatusOr<Url> url =
      Url::Parse(AsAbsl(c.input), base ? &*base : nullptr);
  if (c.expected == nullptr) {
    ASSERT_FALSE(url.ok()) << "[" << c.source << "] expected failure, got "
                           << url->Serialize();
    EXPECT_EQ(url.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(url.status().message()), HasSubstr("URL \""));
    return;
  }
  ASSERT_TRUE(url.ok()) << "[" << c.source << "] " << url.status();
  EXPECT_EQ(url->Serialize(), c.expected) << "[" << c.source << "]";
  // The serialisation is a fixed point of the parser.
  absl::StatusOr<Url> reparsed = Url::Parse(url->Serialize());
  ASSERT_TRUE(reparsed.ok()) << reparsed.status();
  EXPECT_EQ(reparsed->Serialize(), c.expected);
}

INSTANTIATE_TEST_SUITE_P(Table, UrlParseTest, ::testing::ValuesIn(kParseCases));

// Components of a parsed URL, as the accessors report them.
struct ComponentsCase {
  const char* source;
  const char* input;
  const char* scheme;
  const char* username;
  const char* password;
  const char* host;  // nullptr: no host.
  std::optional<uint16_t> port;
  std::optional<uint16_t> effective_port;
  const char* path;
  const char* query;     // nullptr: no query.
  const char* fragment;  // nullptr: no fragment.
  bool opaque_path;
};

// clang-format off
const ComponentsCase kComponentsCases[] = {
    {"url.h example", "https://EXAMPLE.com:443/a/../b?q#frag", "https", "", "", "example.com",
     std::nullopt, 443, "/b", "q", "frag", false},
    {"WPT urltestdata.json", "http://user:pass@foo:21/bar;par?b#c", "http", "user", "pass", "foo",
     21, 21, "/bar;par", "b", "c", false},
    {"brief: about:blank", "about:blank", "about", "", "", nullptr, std::nullopt, std::nullopt,
     "blank", nullptr, nullptr, true},
    {"brief: blob:", "blob:https://example.com/uuid", "blob", "", "", nullptr, std::nullopt,
     std::nullopt, "https://example.com/uuid", nullptr, nullptr, true},
    {"brief: data:", "data:text/plain,x?y#z", "data", "", "", nullptr, std::nullopt, std::nullopt,
     "text/plain,x", "y", "z", true},
    {"brief: IPv6", "http://[0:0::1]:8080/", "http", "", "", "[::1]", 8080, 8080, "/", nullptr,
     nullptr, false},
    {"brief: IPv4", "ws://0x7f.1/chat", "ws", "", "", "127.0.0.1", std::nullopt, 80, "/chat",
     nullptr, nullptr, false},
    {"URL Standard: empty query and fragment", "wss://h/?#", "wss", "", "", "h", std::nullopt, 443,
     "/", "", "", false},
    {"URL Standard: file host", "file:///C:/x", "file", "", "", "", std::nullopt, std::nullopt,
     "/C:/x", nullptr, nullptr, false},
    {"URL Standard: non-special authority", "ssh://u@h:22", "ssh", "u", "", "h", 22, 22, "",
     nullptr, nullptr, false},
    {"URL Standard: non-special path only", "foo:/a/b", "foo", "", "", nullptr, std::nullopt,
     std::nullopt, "/a/b", nullptr, nullptr, false},
    {"URL Standard: ftp default port", "ftp://h:21/", "ftp", "", "", "h", std::nullopt, 21, "/",
     nullptr, nullptr, false},
};
// clang-format on

TEST(UrlComponentsTest, AccessorsReportTheParsedComponents) {
  for (const ComponentsCase& c : kComponentsCases) {
    SCOPED_TRACE(std::string(c.source) + ": " + c.input);
    absl::StatusOr<Url> url = Url::Parse(c.input);
    ASSERT_TRUE(url.ok()) << url.status();
    EXPECT_EQ(url->scheme(), c.scheme);
    EXPECT_EQ(url->username(), c.username);
    EXPECT_EQ(url->password(), c.password);
    EXPECT_EQ(url->host(),
              c.host ? std::optional<std::string>(c.host) : std::nullopt);
    EXPECT_EQ(url->port(), c.port);
    EXPECT_EQ(url->EffectivePort(), c.effective_port);
    EXPECT_EQ(url->PathString(), c.path);
    EXPECT_EQ(url->query(),
              c.query ? std::optional<std::string>(c.query) : std::nullopt);
    EXPECT_EQ(url->fragment(), c.fragment
                                   ? std::optional<std::string>(c.fragment)
                                   : std::nullopt);
    EXPECT_EQ(url->has_opaque_path(), c.opaque_path);
    EXPECT_EQ(url->IncludesCredentials(),
              *c.username != '\0' || *c.password != '\0');
  }
}

// URL Standard: "URL serializer" with `exclude fragment`, and the HTTP/1.1
// origin-form.
struct SerializeCase {
  const char* source;
  const char* input;
  const char* without_fragment;
  const char* path_for_request;
};

const SerializeCase kSerializeCases[] = {
    {"url.h example", "https://EXAMPLE.com:443/a/../b?q#frag",
     "https://example.com/b?q", "/b?q"},
    {"URL Standard: exclude fragment", "https://a.test/x#", "https://a.test/x",
     "/x"},
    {"URL Standard: exclude fragment", "https://a.test/x?#f",
     "https://a.test/x?", "/x?"},
    {"URL Standard: exclude fragment", "https://a.test", "https://a.test/",
     "/"},
    {"URL Standard: exclude fragment", "about:blank#top", "about:blank",
     "blank"},
    {"URL Standard: exclude fragment", "ssh://h#f", "ssh://h", "/"},
    {"RFC 9112 origin-form", "http://u:p@h:81/p%20q?a=b c#f",
     "http://u:p@h:81/p%20q?a=b%20c", "/p%20q?a=b%20c"},
};

TEST(UrlSerializeTest, ExcludeFragmentAndPathForRequest) {
  for (const SerializeCase& c : kSerializeCases) {
    SCOPED_TRACE(std::string(c.source) + ": " + c.input);
    absl::StatusOr<Url> url = Url::Parse(c.input);
    ASSERT_TRUE(url.ok()) << url.status();
    EXPECT_EQ(url->Serialize(/*exclude_fragment=*/true), c.without_fragment);
    EXPECT_EQ(url->PathForRequest(), c.path_for_request);
  }
}

TEST(UrlSerializeTest, HeaderExamples) {
  absl::StatusOr<Url> url = Url::Parse("https://EXAMPLE.com:443/a/../b?q#frag");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->Serialize(), "https://example.com/b?q#frag");
  EXPECT_EQ(url->Serialize(/*exclude_fragment=*/true),
            "https://example.com/b?q");
  absl::StatusOr<Url> beacon = Url::Parse("/beacon", &*url);
  ASSERT_TRUE(beacon.ok());
  EXPECT_EQ(beacon->Serialize(), "https://example.com/beacon");
  EXPECT_TRUE(beacon->SchemeIsHttpOrHttps());
  EXPECT_TRUE(beacon->IsSpecial());
  EXPECT_EQ(*url, *Url::Parse("https://example.com/b?q#frag"));
  EXPECT_NE(*url, *beacon);
}

TEST(UrlSchemeTest, SpecialSchemesAndDefaultPorts) {
  EXPECT_TRUE(Url::IsSpecialScheme("http"));
  EXPECT_TRUE(Url::IsSpecialScheme("https"));
  EXPECT_TRUE(Url::IsSpecialScheme("ws"));
  EXPECT_TRUE(Url::IsSpecialScheme("wss"));
  EXPECT_TRUE(Url::IsSpecialScheme("ftp"));
  EXPECT_TRUE(Url::IsSpecialScheme("file"));
  EXPECT_FALSE(Url::IsSpecialScheme("blob"));
  EXPECT_FALSE(Url::IsSpecialScheme("HTTP"));
  EXPECT_EQ(Url::DefaultPortForScheme("http"), 80);
  EXPECT_EQ(Url::DefaultPortForScheme("https"), 443);
  EXPECT_EQ(Url::DefaultPortForScheme("ws"), 80);
  EXPECT_EQ(Url::DefaultPortForScheme("wss"), 443);
  EXPECT_EQ(Url::DefaultPortForScheme("ftp"), 21);
  EXPECT_EQ(Url::DefaultPortForScheme("file"), std::nullopt);
  EXPECT_EQ(Url::DefaultPortForScheme("ssh"), std::nullopt);
}

// Error messages name the input and the rule it broke.
struct ErrorCase {
  const char* input;
  const char* message;
};

const ErrorCase kErrorCases[] = {
    {"https://exa mple.com",
     "URL \"https://exa mple.com\": forbidden host code point ' ' in host"},
    {"https://a%25b/",
     "URL \"https://a%25b/\": forbidden domain code point '%' in host"},
    {"https://a:65536/",
     "URL \"https://a:65536/\": port 65536 is out of range (greater than "
     "65535)"},
    {"https://a:8o/", "URL \"https://a:8o/\": invalid code point 'o' in port"},
    {"/relative", "URL \"/relative\": missing scheme and no base URL"},
    {"https://user@/",
     "URL \"https://user@/\": missing host after credentials"},
    {"https://?x", "URL \"https://?x\": missing host in a special URL"},
    {"http://1.2.3.4.5",
     "URL \"http://1.2.3.4.5\": IPv4 address \"1.2.3.4.5\": more than four "
     "parts"},
    {"http://256.0.0.1",
     "URL \"http://256.0.0.1\": IPv4 address \"256.0.0.1\": part 1 is greater "
     "than 255"},
    {"http://4294967296",
     "URL \"http://4294967296\": IPv4 address \"4294967296\": last part out of "
     "range"},
    {"http://[1::2::3]/",
     "URL \"http://[1::2::3]/\": IPv6 address [1::2::3]: more than one '::'"},
    {"http://[::1/",
     "URL \"http://[::1/\": IPv6 host starts with '[' but does not end with "
     "']'"},
    {"https://xn--a/",
     "URL \"https://xn--a/\": domain to ASCII: label \"xn--a\" fails UTS #46 "
     "ToASCII "
     "(IDN2_INVALID_NONTRANSITIONAL)"},
};

TEST(UrlErrorTest, MessagesNameTheInputAndTheRule) {
  for (const ErrorCase& c : kErrorCases) {
    absl::StatusOr<Url> url = Url::Parse(c.input);
    ASSERT_FALSE(url.ok()) << c.input;
    EXPECT_EQ(url.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(url.status().message(), c.message);
  }
}

TEST(UrlErrorTest, LongInputsAreCutInMessages) {
  const std::string input = "https://exa mple.com/" + std::string(1000, 'a');
  absl::StatusOr<Url> url = Url::Parse(input);
  ASSERT_FALSE(url.ok());
  EXPECT_LT(url.status().message().size(), 300u);
  EXPECT_THAT(std::string(url.status().message()),
              HasSubstr("...\": forbidden host code point"));
}

}  // namespace
}  // namespace fetch_later::net
