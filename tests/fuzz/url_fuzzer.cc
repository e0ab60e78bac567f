// libFuzzer target: the WHATWG URL parser (net/url.h). First byte picks a base
// URL (none, https, file, non-special); the rest is the input. Checks what
// net/url_fuzz_test.cc checks for its random inputs: no crash, a success
// serialises to a fixed point, and the origin/site model accepts it.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/status/statusor.h"
#include "net/origin.h"
#include "net/site.h"
#include "net/url.h"
#include "tests/fuzz/fuzz_input.h"

using fetch_later::net::Url;

namespace {
void Fail(const char* what, const std::string& a, const std::string& b) {
  std::fprintf(stderr, "INVARIANT VIOLATED: %s\n  %s\n  %s\n", what, a.c_str(),
               b.c_str());
  std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fetch_later::fuzz::FuzzInput in(data, size);
  static const Url* const kBases[] = {
      nullptr,
      new Url(*Url::Parse("https://example.org/dir/page?x#y")),
      new Url(*Url::Parse("file:///C:/dir/page")),
      new Url(*Url::Parse("web+x://host:1/a/b")),
      new Url(*Url::Parse("about:blank")),
  };
  const Url* base = kBases[in.Byte() % 5];
  const std::string input = in.Rest();
  absl::StatusOr<Url> url = Url::Parse(input, base);
  if (!url.ok()) {
    if (url.status().message().empty())
      Fail("error without a message", input, "");
    return 0;
  }
  const std::string serialized = url->Serialize();
  absl::StatusOr<Url> again = Url::Parse(serialized);
  if (!again.ok())
    Fail("serialisation does not parse again", serialized,
         std::string(again.status().message()));
  if (again->Serialize() != serialized)
    Fail("serialisation is not a fixed point", serialized, again->Serialize());
  const fetch_later::net::Origin origin = fetch_later::net::Origin::Create(*url);
  (void)fetch_later::net::SchemefulSite::Create(origin).Serialize();
  (void)fetch_later::net::IsUrlPotentiallyTrustworthy(*url);
  (void)url->PathForRequest();
  (void)url->Serialize(/*exclude_fragment=*/true);
  return 0;
}
