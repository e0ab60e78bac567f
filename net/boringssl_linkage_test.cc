// Guard from ../shared/BUILDING.md: the network stage must run on BoringSSL
// (libssl.so.0 from android-libboringssl-dev), never OpenSSL 3 (libssl.so.3),
// which exports the same symbol names. Reads this test binary's own
// /proc/self/maps after the stage has been linked and used.
#include <fstream>
#include <string>

#include <openssl/ssl.h>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "net/https_network_stage.h"

namespace fetch_later::net {
namespace {

TEST(BoringSslLinkageTest, MapsLibssl0AndNotLibssl3) {
  // Use the library so it is certainly loaded.
  auto stage = HttpsNetworkStage::Create(HttpsNetworkStage::Options());
  ASSERT_TRUE(stage.ok()) << stage.status();
#if !defined(OPENSSL_IS_BORINGSSL)
  FAIL() << "compiled against non-BoringSSL headers";
#endif
  std::ifstream maps("/proc/self/maps");
  std::string line;
  bool boringssl = false, openssl3 = false;
  while (std::getline(maps, line)) {
    if (absl::StrContains(line, "/android/libssl.so") ||
        absl::EndsWith(line, "libssl.so.0")) {
      boringssl = true;
    }
    if (absl::StrContains(line, "libssl.so.3") ||
        absl::StrContains(line, "libcrypto.so.3")) {
      openssl3 = true;
    }
  }
  EXPECT_TRUE(boringssl) << "libssl.so.0 (BoringSSL) is not mapped";
  EXPECT_FALSE(openssl3) << "OpenSSL 3 is mapped into the process";
}

}  // namespace
}  // namespace fetch_later::net
