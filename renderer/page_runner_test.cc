// The bodies a scenario's fetchLater step builds (MakeBody): each PageBody type
// is exactly the JavaScript ipc/page_step.proto names (../shared/SCENARIOS.md),
// so the total request length the renderer reports agrees byte for byte with
// Chromium's on the same page.
#include "renderer/page_runner.h"

#include <cstdint>
#include <string>

#include "gtest/gtest.h"
#include "net/url.h"
#include "renderer/body.h"
#include "renderer/js_error.h"
#include "renderer/request.h"

namespace fetch_later::renderer {
namespace {

constexpr char kUrl[] = "https://collector.test/beacon";  // 29 bytes
constexpr uint64_t kUrlLength = 29;
// "Content-Type" is 12 bytes.
constexpr uint64_t kTextPlain = 12 + 24;  // "text/plain;charset=UTF-8"
// "multipart/form-data; boundary=" (30) + the 38-byte boundary.
constexpr uint64_t kMultipartType = 12 + 30 + 38;
// "application/x-www-form-urlencoded;charset=UTF-8".
constexpr uint64_t kUrlEncodedType = 12 + 47;
// The multipart body around one string entry named "k":
// "--" boundary CRLF, `Content-Disposition: form-data; name="k"` CRLF CRLF,
// the value, CRLF, "--" boundary "--" CRLF.
constexpr uint64_t kMultipartFraming =
    (2 + 38 + 2) + (40 + 4) + 2 + (2 + 38 + 4);

struct BodyCase {
  const char* source;
  ipc::PageBody::Type type;
  uint64_t size;
  uint64_t requested;  // "total request length" with `referrer: ''`
};

TEST(MakeBodyTest, EachBodyTypesExactRequestedLength) {
  // clang-format off
  const BodyCase kCases[] = {
      {"NONE: no body", ipc::PageBody::NONE, 0, kUrlLength},
      {"STRING: the payload, text/plain;charset=UTF-8", ipc::PageBody::STRING,
       1000, kUrlLength + kTextPlain + 1000},
      {"BYTES: an ArrayBuffer, no Content-Type", ipc::PageBody::BYTES, 1000,
       kUrlLength + 1000},
      {"BLOB: new Blob([payload]), type \"\", no Content-Type",
       ipc::PageBody::BLOB, 1000, kUrlLength + 1000},
      {"FILE: new File([payload], \"f\"), type \"\", no Content-Type",
       ipc::PageBody::FILE, 1000, kUrlLength + 1000},
      {"FORM_DATA: one string entry k, a 38-byte WebKit-shaped boundary",
       ipc::PageBody::FORM_DATA, 1000,
       kUrlLength + kMultipartType + kMultipartFraming + 1000},
      {"FORM_DATA: empty payload", ipc::PageBody::FORM_DATA, 0,
       kUrlLength + kMultipartType + kMultipartFraming},
      {"URL_SEARCH_PARAMS: k= + payload", ipc::PageBody::URL_SEARCH_PARAMS,
       1000, kUrlLength + kUrlEncodedType + 2 + 1000},
      {"STRING: empty payload", ipc::PageBody::STRING, 0,
       kUrlLength + kTextPlain},
  };
  // clang-format on
  // The numbers spelled out once: 29 + 80 + 132 + 1000 and 29 + 59 + 1002.
  EXPECT_EQ(kCases[5].requested, 1241u);
  EXPECT_EQ(kCases[7].requested, 1090u);
  const ClientContext client =
      ClientContext::ForDocument(*net::Url::Parse("https://a.test/page"));
  for (const BodyCase& c : kCases) {
    SCOPED_TRACE(c.source);
    RequestInit init;
    init.method = "POST";
    init.referrer = "";
    init.body = MakeBody(c.type, c.size);
    JsResult<Request> request = ConstructRequest(kUrl, init, client);
    ASSERT_TRUE(request.ok()) << request.error().message;
    EXPECT_EQ(TotalRequestLength(*request), c.requested);
  }
}

TEST(MakeBodyTest, BodiesAreWhatTheScriptBuilds) {
  BodyInit blob = MakeBody(ipc::PageBody::BLOB, 3);
  EXPECT_EQ(blob.kind, BodyInit::Kind::kBlob);
  EXPECT_EQ(blob.data, "xxx");
  EXPECT_EQ(blob.type, "");
  BodyInit file = MakeBody(ipc::PageBody::FILE, 3);
  EXPECT_EQ(file.kind, BodyInit::Kind::kFile);
  EXPECT_EQ(file.file_name, "f");
  EXPECT_EQ(file.type, "");
  BodyInit form = MakeBody(ipc::PageBody::FORM_DATA, 3);
  ASSERT_EQ(form.form_data.size(), 1u);
  EXPECT_EQ(form.form_data[0].name, "k");
  EXPECT_FALSE(form.form_data[0].is_file);
  EXPECT_EQ(form.form_data[0].value, "xxx");
  BodyInit params = MakeBody(ipc::PageBody::URL_SEARCH_PARAMS, 3);
  EXPECT_EQ(SerializeUrlEncoded(params.url_search_params), "k=xxx");
  EXPECT_EQ(MakeBody(ipc::PageBody::STREAM, 0).kind, BodyInit::Kind::kStream);
}

}  // namespace
}  // namespace fetch_later::renderer
