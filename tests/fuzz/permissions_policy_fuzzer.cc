// libFuzzer target: the Permissions-Policy header parser (RFC 8941 dictionary)
// and the iframe `allow` attribute parser (policy/permissions_policy.h), then
// the inherited-policy algorithm over what they produced. Input: one selector
// byte (origins), then the header/attribute text.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "net/origin.h"
#include "net/url.h"
#include "policy/permissions_policy.h"
#include "tests/fuzz/fuzz_input.h"

namespace fl = fetch_later;
using fl::policy::Feature;

namespace {
const fl::net::Origin& OriginN(int i) {
  static const fl::net::Origin* const kOrigins[] = {
      new fl::net::Origin(fl::net::Origin::Create(*fl::net::Url::Parse("https://a.test/"))),
      new fl::net::Origin(fl::net::Origin::Create(*fl::net::Url::Parse("https://b.test:8443/"))),
      new fl::net::Origin(fl::net::Origin::Create(*fl::net::Url::Parse("http://localhost/"))),
      new fl::net::Origin(fl::net::Origin::Create(*fl::net::Url::Parse("data:,x"))),  // opaque
  };
  return *kOrigins[i & 3];
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fl::fuzz::FuzzInput in(data, size);
  const uint8_t sel = in.Byte();
  const fl::net::Origin& self = OriginN(sel);
  const fl::net::Origin& target = OriginN(sel >> 2);
  const std::string text = in.Rest();

  fl::policy::DeclaredPolicyResult header =
      fl::policy::ParsePermissionsPolicyHeader(text, self);
  if (!header.error.empty()) {
    for (int f = 0; f < fl::policy::kFeatureCount; ++f) {
      if (header.policy.Contains(static_cast<Feature>(f))) {
        std::fprintf(stderr, "INVARIANT VIOLATED: header ignored (%s) but policy kept\n",
                     header.error.c_str());
        std::abort();
      }
    }
  }
  std::optional<fl::net::Origin> target_origin;
  if (sel & 0x10)
    target_origin = target;
  fl::policy::PolicyDirective allow =
      fl::policy::ParseAllowAttribute(text, self, target_origin);

  // Feed both through the inherited-policy algorithm.
  fl::policy::PermissionsPolicy top =
      fl::policy::PermissionsPolicy::CreateForNavigable(nullptr, self);
  top.SetDeclaredPolicy(header.policy);
  fl::policy::ContainerInfo iframe{&top, self, text, target_origin};
  for (int f = 0; f < fl::policy::kFeatureCount; ++f) {
    const Feature feature = static_cast<Feature>(f);
    (void)fl::policy::DefineInheritedPolicyForFeatureInContainerAtOrigin(
        feature, &iframe, target);
    (void)top.IsFeatureEnabledForOrigin(feature, target);
    if (allow.Get(feature))
      (void)allow.Get(feature)->Matches(target), (void)allow.Get(feature)->DebugString();
    if (header.policy.Get(feature))
      (void)header.policy.Get(feature)->DebugString();
  }
  fl::policy::PermissionsPolicy child =
      fl::policy::PermissionsPolicy::CreateForNavigable(&iframe, target);
  child.SetDeclaredPolicy(allow);
  return 0;
}
