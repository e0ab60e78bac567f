// Request bodies as the WebIDL binding hands them to the Fetch model: the
// BodyInit union (strings, bytes, Blob, File, FormData, URLSearchParams,
// ReadableStream) and Fetch's "extract a body", with the encoders it uses
// (multipart/form-data and application/x-www-form-urlencoded).
//
//   JsResult<BodyWithType> extracted =
//       ExtractBody(BodyInit::String("hello"), /*keepalive=*/true);
//   extracted->body.source;  // "hello"
//   extracted->body.length;  // 5
//   extracted->type;         // "text/plain;charset=UTF-8"
//
// Plain values and pure functions; nothing here is thread-safe or needs to be.
#ifndef RENDERER_BODY_H_
#define RENDERER_BODY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "renderer/js_error.h"

namespace fetch_later::renderer {

// An entry of a FormData's "entry list" (XHR). A string entry has `value`; a
// file entry (a File, or a Blob appended to FormData, which becomes a File
// named "blob") has `value` as the file bytes plus `filename` and `type`.
struct FormDataEntry {
  static FormDataEntry String(std::string name, std::string value);
  static FormDataEntry File(std::string name,
                            std::string bytes,
                            std::string filename,
                            std::string type);

  std::string name;
  bool is_file = false;
  std::string value;
  std::string filename;
  std::string type;
};

// A BodyInit as the binding sees it (Fetch: "BodyInit unions"). kNone is an
// absent or null body.
struct BodyInit {
  enum class Kind {
    kNone,
    kString,           // USVString, given UTF-8 encoded.
    kBytes,            // BufferSource (ArrayBuffer, TypedArray, DataView).
    kBlob,             // Blob.
    kFile,             // File (a Blob with a name).
    kFormData,         // FormData.
    kUrlSearchParams,  // URLSearchParams.
    kStream,           // ReadableStream.
  };

  static BodyInit None();
  static BodyInit String(std::string utf8);
  static BodyInit Bytes(std::string bytes);
  // `type` as given to the Blob constructor; normalised as the File API does
  // (lower-cased; "" if it has a byte outside 0x20-0x7E).
  static BodyInit Blob(std::string bytes, std::string type = "");
  static BodyInit File(std::string bytes,
                       std::string name,
                       std::string type = "");
  static BodyInit FormData(std::vector<FormDataEntry> entries);
  static BodyInit UrlSearchParams(
      std::vector<std::pair<std::string, std::string>> list);
  static BodyInit Stream(bool disturbed_or_locked = false);

  Kind kind = Kind::kNone;
  // kString: UTF-8 text; kBytes/kBlob/kFile: the bytes.
  std::string data;
  // kBlob/kFile: the Blob's `type` attribute.
  std::string type;
  // kFile: the File's name (not sent in a plain body).
  std::string file_name;
  // kFormData: the entry list.
  std::vector<FormDataEntry> form_data;
  // kUrlSearchParams: the list.
  std::vector<std::pair<std::string, std::string>> url_search_params;
  // kStream: whether the stream is disturbed or locked.
  bool stream_disturbed_or_locked = false;

  // For testing only: the multipart/form-data boundary for kFormData. Empty
  // means a fresh random boundary.
  std::string boundary_for_testing;
};

// Fetch: "body". `length` is null for a ReadableStream body, whose bytes are
// not known (`source` is then empty and `is_stream` true).
struct Body {
  std::string source;
  std::optional<uint64_t> length;
  bool is_stream = false;
};

// Fetch: "body with type".
struct BodyWithType {
  Body body;
  std::optional<std::string> type;
};

// Fetch: BodyInit "extract" with `keepalive`. TypeError for a ReadableStream
// when `keepalive` is true or when it is disturbed or locked. `init` must not
// be kNone.
JsResult<BodyWithType> ExtractBody(const BodyInit& init, bool keepalive);

// HTML: "multipart/form-data encoding algorithm" (UTF-8) with `boundary`.
std::string EncodeMultipartFormData(const std::vector<FormDataEntry>& entries,
                                    absl::string_view boundary);
// HTML: a fresh "multipart/form-data boundary string", in Chromium's and
// WebKit's shape: kMultipartBoundaryPrefix and kMultipartBoundaryRandomLength
// random ASCII alphanumerics (38 bytes). Every FormData body uses it, page
// script's included.
inline constexpr absl::string_view kMultipartBoundaryPrefix =
    "----WebKitFormBoundary";
inline constexpr int kMultipartBoundaryRandomLength = 16;
std::string GenerateMultipartBoundary();
// URL: "application/x-www-form-urlencoded serializer".
std::string SerializeUrlEncoded(
    const std::vector<std::pair<std::string, std::string>>& list);

}  // namespace fetch_later::renderer

#endif  // RENDERER_BODY_H_
