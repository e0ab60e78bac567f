// File API: Blob and File; Streams: a constructible ReadableStream stub (so
// that a stream body reaches the Fetch model, which refuses it for
// fetchLater/keepalive).
#ifndef RENDERER_SCRIPT_BLOB_BINDINGS_H_
#define RENDERER_SCRIPT_BLOB_BINDINGS_H_

#include <JavaScriptCore/JavaScript.h>

#include <cstdint>
#include <string>

#include "renderer/script/binding.h"

namespace fetch_later::renderer::script {

class Realm;

class BlobWrappable : public ScriptWrappable {
 public:
  BlobWrappable(std::string bytes, std::string type)
      : bytes(std::move(bytes)), type(std::move(type)) {}
  std::string bytes;
  std::string type;  // Already normalised (File API "type").
};

class FileWrappable : public BlobWrappable {
 public:
  FileWrappable(std::string bytes,
                std::string type,
                std::string name,
                int64_t last_modified)
      : BlobWrappable(std::move(bytes), std::move(type)),
        name(std::move(name)),
        last_modified(last_modified) {}
  std::string name;
  int64_t last_modified;
};

class ReadableStreamWrappable : public ScriptWrappable {};

// A new File object.
JSObjectRef WrapFile(Realm& realm,
                     std::string bytes,
                     std::string type,
                     std::string name,
                     int64_t last_modified);

// File API: the Blob constructor's `type` normalisation: "" if any code
// point is outside U+0020-U+007E, else ASCII-lowercased.
std::string NormalizeBlobType(absl::string_view type);

}  // namespace fetch_later::renderer::script

#endif  // RENDERER_SCRIPT_BLOB_BINDINGS_H_
