#include "renderer/body.h"

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace fetch_later::renderer {
namespace {

// HTML: the newline normalisation of the multipart/form-data encoding
// algorithm: a CR not followed by LF, or an LF not preceded by CR, becomes
// CRLF.
std::string NormalizeNewlines(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\r') {
      out += "\r\n";
      if (i + 1 < s.size() && s[i + 1] == '\n')
        ++i;
    } else if (c == '\n') {
      out += "\r\n";
    } else {
      out += c;
    }
  }
  return out;
}

// HTML multipart/form-data: field names and filenames escape LF, CR and '"'.
std::string EscapeMultipartName(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '\n')
      out += "%0A";
    else if (c == '\r')
      out += "%0D";
    else if (c == '"')
      out += "%22";
    else
      out += c;
  }
  return out;
}

// File API: the Blob constructor's `type` normalisation.
std::string NormalizeBlobType(absl::string_view type) {
  for (unsigned char c : type) {
    if (c < 0x20 || c > 0x7E)
      return "";
  }
  return absl::AsciiStrToLower(type);
}

}  // namespace

FormDataEntry FormDataEntry::String(std::string name, std::string value) {
  FormDataEntry entry;
  entry.name = std::move(name);
  entry.value = std::move(value);
  return entry;
}

FormDataEntry FormDataEntry::File(std::string name,
                                  std::string bytes,
                                  std::string filename,
                                  std::string type) {
  FormDataEntry entry;
  entry.name = std::move(name);
  entry.is_file = true;
  entry.value = std::move(bytes);
  entry.filename = std::move(filename);
  entry.type = NormalizeBlobType(type);
  return entry;
}

BodyInit BodyInit::None() {
  return BodyInit();
}

BodyInit BodyInit::String(std::string utf8) {
  BodyInit init;
  init.kind = Kind::kString;
  init.data = std::move(utf8);
  return init;
}

BodyInit BodyInit::Bytes(std::string bytes) {
  BodyInit init;
  init.kind = Kind::kBytes;
  init.data = std::move(bytes);
  return init;
}

BodyInit BodyInit::Blob(std::string bytes, std::string type) {
  BodyInit init;
  init.kind = Kind::kBlob;
  init.data = std::move(bytes);
  init.type = NormalizeBlobType(type);
  return init;
}

BodyInit BodyInit::File(std::string bytes, std::string name, std::string type) {
  BodyInit init;
  init.kind = Kind::kFile;
  init.data = std::move(bytes);
  init.file_name = std::move(name);
  init.type = NormalizeBlobType(type);
  return init;
}

BodyInit BodyInit::FormData(std::vector<FormDataEntry> entries) {
  BodyInit init;
  init.kind = Kind::kFormData;
  init.form_data = std::move(entries);
  return init;
}

BodyInit BodyInit::UrlSearchParams(
    std::vector<std::pair<std::string, std::string>> list) {
  BodyInit init;
  init.kind = Kind::kUrlSearchParams;
  init.url_search_params = std::move(list);
  return init;
}

BodyInit BodyInit::Stream(bool disturbed_or_locked) {
  BodyInit init;
  init.kind = Kind::kStream;
  init.stream_disturbed_or_locked = disturbed_or_locked;
  return init;
}

// HTML: "multipart/form-data encoding algorithm", UTF-8, in the RFC 7578
// layout browsers produce.
std::string EncodeMultipartFormData(const std::vector<FormDataEntry>& entries,
                                    absl::string_view boundary) {
  std::string out;
  for (const FormDataEntry& entry : entries) {
    absl::StrAppend(&out, "--", boundary, "\r\n",
                    "Content-Disposition: form-data; name=\"",
                    EscapeMultipartName(NormalizeNewlines(entry.name)), "\"");
    if (entry.is_file) {
      absl::StrAppend(
          &out, "; filename=\"", EscapeMultipartName(entry.filename),
          "\"\r\nContent-Type: ",
          entry.type.empty() ? "application/octet-stream" : entry.type,
          "\r\n\r\n", entry.value, "\r\n");
    } else {
      absl::StrAppend(&out, "\r\n\r\n", NormalizeNewlines(entry.value), "\r\n");
    }
  }
  absl::StrAppend(&out, "--", boundary, "--\r\n");
  return out;
}

// HTML leaves the boundary string to the user agent; Chromium and WebKit
// (FormDataEncoder::GenerateUniqueBoundaryString) use "----WebKitFormBoundary"
// and 16 alphanumerics, 38 bytes, and so does this one, so that a FormData
// body's total request length agrees with theirs byte for byte.
std::string GenerateMultipartBoundary() {
  static constexpr char kAlphanumerics[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  absl::BitGen gen;
  std::string boundary(kMultipartBoundaryPrefix);
  for (int i = 0; i < kMultipartBoundaryRandomLength; ++i) {
    boundary += kAlphanumerics[absl::Uniform<size_t>(
        gen, 0, sizeof(kAlphanumerics) - 1)];
  }
  return boundary;
}

// URL: "application/x-www-form-urlencoded serializer" (UTF-8; the
// application/x-www-form-urlencoded percent-encode set; space as '+').
std::string SerializeUrlEncoded(
    const std::vector<std::pair<std::string, std::string>>& list) {
  auto encode = [](absl::string_view s, std::string* out) {
    for (unsigned char c : s) {
      if (absl::ascii_isalnum(c) || c == '*' || c == '-' || c == '.' ||
          c == '_') {
        *out += static_cast<char>(c);
      } else if (c == ' ') {
        *out += '+';
      } else {
        absl::StrAppendFormat(out, "%%%02X", c);
      }
    }
  };
  std::string out;
  for (const auto& [name, value] : list) {
    if (!out.empty())
      out += '&';
    encode(name, &out);
    out += '=';
    encode(value, &out);
  }
  return out;
}

// Fetch: BodyInit "extract".
JsResult<BodyWithType> ExtractBody(const BodyInit& init, bool keepalive) {
  BodyWithType result;
  switch (init.kind) {
    case BodyInit::Kind::kNone:
      break;
    case BodyInit::Kind::kBlob:
    case BodyInit::Kind::kFile:
      result.body.source = init.data;
      if (!init.type.empty())
        result.type = init.type;
      break;
    case BodyInit::Kind::kBytes:
      result.body.source = init.data;
      break;
    case BodyInit::Kind::kFormData: {
      std::string boundary = init.boundary_for_testing.empty()
                                 ? GenerateMultipartBoundary()
                                 : init.boundary_for_testing;
      result.body.source = EncodeMultipartFormData(init.form_data, boundary);
      result.type = absl::StrCat("multipart/form-data; boundary=", boundary);
      break;
    }
    case BodyInit::Kind::kUrlSearchParams:
      result.body.source = SerializeUrlEncoded(init.url_search_params);
      result.type = "application/x-www-form-urlencoded;charset=UTF-8";
      break;
    case BodyInit::Kind::kString:
      result.body.source = init.data;
      result.type = "text/plain;charset=UTF-8";
      break;
    case BodyInit::Kind::kStream:
      if (keepalive) {
        return MakeTypeError(
            "Keepalive request cannot have a ReadableStream body.");
      }
      if (init.stream_disturbed_or_locked) {
        return MakeTypeError(
            "Failed to construct 'Request': The provided ReadableStream is "
            "disturbed or locked.");
      }
      result.body.is_stream = true;
      result.body.length = std::nullopt;
      return result;
  }
  result.body.length = result.body.source.size();
  return result;
}

}  // namespace fetch_later::renderer
