// Tests for the body encoders (renderer/body.h). Body extraction through the
// Request constructor, with the headers it adds, is in request_test.cc.

#include "renderer/body.h"

#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace fetch_later::renderer {
namespace {

// HTML: "multipart/form-data encoding algorithm" details.
TEST(MultipartTest, NewlinesEscapesAndDefaultType) {
  std::string encoded = EncodeMultipartFormData(
      {FormDataEntry::String("a\nb", "x\ny\rz\r\nw"),
       FormDataEntry::File("f\"", "\r\n", "q\"r\n.bin", ""),
       FormDataEntry::File("blob", "", "blob", "")},
      "B");
  EXPECT_EQ(encoded,
            "--B\r\n"
            "Content-Disposition: form-data; name=\"a%0D%0Ab\"\r\n"
            "\r\n"
            "x\r\ny\r\nz\r\nw\r\n"
            "--B\r\n"
            "Content-Disposition: form-data; name=\"f%22\"; "
            "filename=\"q%22r%0A.bin\"\r\n"
            "Content-Type: application/octet-stream\r\n"
            "\r\n"
            "\r\n\r\n"
            "--B\r\n"
            "Content-Disposition: form-data; name=\"blob\"; "
            "filename=\"blob\"\r\n"
            "Content-Type: application/octet-stream\r\n"
            "\r\n"
            "\r\n"
            "--B--\r\n");
  EXPECT_EQ(EncodeMultipartFormData({}, "B"), "--B--\r\n");
}

// URL: "application/x-www-form-urlencoded serializer".
TEST(UrlEncodedTest, Serializer) {
  struct Case {
    const char* source;
    std::vector<std::pair<std::string, std::string>> list;
    const char* expected;
  };
  const Case kCases[] = {
      {"brief example", {{"a", "b"}, {"c", "d e"}}, "a=b&c=d+e"},
      {"unreserved bytes", {{"*-._", "AZaz09"}}, "*-._=AZaz09"},
      {"reserved bytes", {{"a&b=c", "~!'()+"}}, "a%26b%3Dc=%7E%21%27%28%29%2B"},
      {"UTF-8 percent-encoded", {{"k", "caf\xC3\xA9"}}, "k=caf%C3%A9"},
      {"empty name and value", {{"", ""}}, "="},
      {"empty list", {}, ""},
  };
  for (const Case& c : kCases)
    EXPECT_EQ(SerializeUrlEncoded(c.list), c.expected) << c.source;
}

}  // namespace
}  // namespace fetch_later::renderer
