#include "renderer/script/blob_bindings.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "absl/strings/ascii.h"
#include "renderer/script/bindings.h"
#include "renderer/script/js_util.h"
#include "renderer/script/realm.h"
#include "renderer/script/webidl_conversions.h"

namespace fetch_later::renderer::script {
namespace {

// File API: "convert line endings to native" (LF on this platform).
std::string ToNativeLineEndings(absl::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r') {
      out.push_back('\n');
      if (i + 1 < s.size() && s[i + 1] == '\n')
        ++i;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// A BlobPart converted at sequence conversion time: bytes, or a string still
// subject to `endings`.
struct BlobPart {
  std::string data;
  bool is_string = false;
};

// WebIDL: sequence<BlobPart>, BlobPart = (BufferSource or Blob or
// USVString).
bool ToBlobParts(Call& call, JSValueRef value, std::vector<BlobPart>* parts) {
  RootedValues items(call.ctx);
  if (!ToSequence(call, value, "sequence<BlobPart>", &items))
    return false;
  for (JSValueRef item : items) {
    BlobPart part;
    if (auto* blob = Unwrap<BlobWrappable>(call.ctx, item)) {
      part.data = blob->bytes;
    } else if (std::optional<std::string> bytes =
                   BufferSourceBytes(call, item)) {
      part.data = *std::move(bytes);
    } else {
      if (!ToUSVString(call, item, &part.data))
        return false;
      part.is_string = true;
    }
    parts->push_back(std::move(part));
  }
  return true;
}

// BlobPropertyBag / FilePropertyBag, members in lexicographic order.
struct BlobOptions {
  bool native_endings = false;
  std::optional<int64_t> last_modified;
  std::string type;
};

bool ToBlobOptions(Call& call,
                   JSValueRef value,
                   bool file,
                   BlobOptions* options) {
  DictionaryReader dict;
  if (!dict.Open(call, value, file ? "FilePropertyBag" : "BlobPropertyBag")) {
    return false;
  }
  JSValueRef v;
  if (!dict.Get("endings", &v))
    return false;
  if (v) {
    std::string endings;
    if (!ToEnum(call, v, {"transparent", "native"}, "EndingType", &endings)) {
      return false;
    }
    options->native_endings = endings == "native";
  }
  if (file) {
    if (!dict.Get("lastModified", &v))
      return false;
    int64_t last_modified;
    if (v) {
      if (!ToLongLong(call, v, &last_modified))
        return false;
      options->last_modified = last_modified;
    }
  }
  if (!dict.Get("type", &v))
    return false;
  if (v && !ToDOMString(call, v, &options->type))
    return false;
  return true;
}

// File API: "process blob parts".
std::string ProcessBlobParts(const std::vector<BlobPart>& parts,
                             bool native_endings) {
  std::string bytes;
  for (const BlobPart& part : parts) {
    bytes += part.is_string && native_endings ? ToNativeLineEndings(part.data)
                                              : part.data;
  }
  return bytes;
}

JSValueRef BlobConstructor(Call& call) {
  std::vector<BlobPart> parts;
  if (!call.missing(0) && !ToBlobParts(call, call.arg(0), &parts)) {
    return nullptr;
  }
  BlobOptions options;
  if (!ToBlobOptions(call, call.arg(1), /*file=*/false, &options)) {
    return nullptr;
  }
  return call.realm->WrapForNewTarget(
      call,
      std::make_unique<BlobWrappable>(
          ProcessBlobParts(parts, options.native_endings),
          NormalizeBlobType(options.type)),
      "Blob");
}

JSValueRef BlobSize(Call& call) {
  auto* blob = call.This<BlobWrappable>();
  if (!blob)
    return nullptr;
  return JSValueMakeNumber(call.ctx, static_cast<double>(blob->bytes.size()));
}

JSValueRef BlobType(Call& call) {
  auto* blob = call.This<BlobWrappable>();
  if (!blob)
    return nullptr;
  return MakeString(call.ctx, blob->type);
}

// File API: text(): UTF-8 decode.
JSValueRef BlobText(Call& call) {
  auto* blob = call.This<BlobWrappable>();
  if (!blob)
    return nullptr;
  return MakeSettledPromise(call.ctx, MakeString(call.ctx, blob->bytes), true);
}

JSValueRef BlobArrayBuffer(Call& call) {
  auto* blob = call.This<BlobWrappable>();
  if (!blob)
    return nullptr;
  return MakeSettledPromise(call.ctx, MakeArrayBuffer(call.ctx, blob->bytes),
                            true);
}

JSValueRef BlobBytes(Call& call) {
  auto* blob = call.This<BlobWrappable>();
  if (!blob)
    return nullptr;
  return MakeSettledPromise(call.ctx, MakeUint8Array(call.ctx, blob->bytes),
                            true);
}

// File API: slice(start, end, contentType) ([Clamp] long long offsets,
// relative to the end when negative).
JSValueRef BlobSlice(Call& call) {
  auto* blob = call.This<BlobWrappable>();
  if (!blob)
    return nullptr;
  const int64_t size = static_cast<int64_t>(blob->bytes.size());
  auto relative = [&](size_t index, int64_t fallback, int64_t* out) {
    if (call.missing(index)) {
      *out = fallback;
      return true;
    }
    double d;
    if (!ToUnrestrictedDouble(call, call.arg(index), &d))
      return false;
    if (std::isnan(d))
      d = 0;  // [Clamp]: NaN -> 0.
    d = std::nearbyint(d);
    d = std::max(-9007199254740991.0, std::min(9007199254740991.0, d));
    int64_t v = static_cast<int64_t>(d);
    *out = v < 0 ? std::max<int64_t>(size + v, 0) : std::min(v, size);
    return true;
  };
  int64_t start, end;
  if (!relative(0, 0, &start) || !relative(1, size, &end))
    return nullptr;
  std::string type;
  if (!call.missing(2)) {
    if (!ToDOMString(call, call.arg(2), &type))
      return nullptr;
    type = NormalizeBlobType(type);
  }
  int64_t span = std::max<int64_t>(end - start, 0);
  return call.realm->Wrap(
      std::make_unique<BlobWrappable>(blob->bytes.substr(start, span), type),
      "Blob");
}

JSValueRef FileConstructor(Call& call) {
  if (!call.RequireArgs(2, "File"))
    return nullptr;
  std::vector<BlobPart> parts;
  if (!ToBlobParts(call, call.arg(0), &parts))
    return nullptr;
  std::string name;
  if (!ToUSVString(call, call.arg(1), &name))
    return nullptr;
  BlobOptions options;
  if (!ToBlobOptions(call, call.arg(2), /*file=*/true, &options)) {
    return nullptr;
  }
  // File API: lastModified defaults to the current time (the page clock).
  int64_t last_modified = options.last_modified.value_or(
      static_cast<int64_t>(call.realm->timers().now_ms()));
  return call.realm->WrapForNewTarget(
      call,
      std::make_unique<FileWrappable>(
          ProcessBlobParts(parts, options.native_endings),
          NormalizeBlobType(options.type), std::move(name), last_modified),
      "File");
}

JSValueRef FileName(Call& call) {
  auto* file = call.This<FileWrappable>();
  if (!file)
    return nullptr;
  return MakeString(call.ctx, file->name);
}

JSValueRef FileLastModified(Call& call) {
  auto* file = call.This<FileWrappable>();
  if (!file)
    return nullptr;
  return JSValueMakeNumber(call.ctx, static_cast<double>(file->last_modified));
}

JSValueRef FileWebkitRelativePath(Call& call) {
  if (!call.This<FileWrappable>())
    return nullptr;
  return MakeString(call.ctx, "");
}

// Streams: ReadableStream(underlyingSource, strategy). Only the object is
// modelled: it is never locked or disturbed and has no reader.
JSValueRef StreamConstructor(Call& call) {
  if (!call.missing(0) && !JSValueIsNull(call.ctx, call.arg(0)) &&
      !JSValueIsObject(call.ctx, call.arg(0))) {
    return call.ThrowTypeError(
        "Failed to construct 'ReadableStream': The provided value is not of "
        "type 'object'.");
  }
  return call.realm->WrapForNewTarget(
      call, std::make_unique<ReadableStreamWrappable>(), "ReadableStream");
}

JSValueRef StreamLocked(Call& call) {
  if (!call.This<ReadableStreamWrappable>())
    return nullptr;
  return JSValueMakeBoolean(call.ctx, false);
}

}  // namespace

std::string NormalizeBlobType(absl::string_view type) {
  for (char c : type) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7E)
      return "";
  }
  return absl::AsciiStrToLower(type);
}

JSObjectRef WrapFile(Realm& realm,
                     std::string bytes,
                     std::string type,
                     std::string name,
                     int64_t last_modified) {
  return realm.Wrap(
      std::make_unique<FileWrappable>(std::move(bytes), std::move(type),
                                      std::move(name), last_modified),
      "File");
}

void InstallBlobBindings(Realm& realm) {
  realm.DefineInterface({
      .name = "Blob",
      .constructor = Native<BlobConstructor>,
      .length = 0,
      .methods = {{"slice", Native<BlobSlice>, 0},
                  {"text", Native<BlobText>, 0},
                  {"arrayBuffer", Native<BlobArrayBuffer>, 0},
                  {"bytes", Native<BlobBytes>, 0}},
      .attributes = {{"size", Native<BlobSize>}, {"type", Native<BlobType>}},
  });
  realm.DefineInterface({
      .name = "File",
      .parent = "Blob",
      .constructor = Native<FileConstructor>,
      .length = 2,
      .attributes = {{"name", Native<FileName>},
                     {"lastModified", Native<FileLastModified>},
                     {"webkitRelativePath", Native<FileWebkitRelativePath>}},
  });
  realm.DefineInterface({
      .name = "ReadableStream",
      .constructor = Native<StreamConstructor>,
      .attributes = {{"locked", Native<StreamLocked>}},
  });
}

}  // namespace fetch_later::renderer::script
