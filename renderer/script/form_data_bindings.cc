#include "renderer/script/form_data_bindings.h"

#include <memory>
#include <string>
#include <utility>

#include "renderer/script/bindings.h"
#include "renderer/script/blob_bindings.h"
#include "renderer/script/js_util.h"
#include "renderer/script/realm.h"
#include "renderer/script/webidl_conversions.h"

namespace fetch_later::renderer::script {
namespace {

JSValueRef Constructor(Call& call) {
  // FormData(optional HTMLFormElement form, optional HTMLElement? submitter):
  // there are no elements here, so any given form is the wrong type.
  if (!call.missing(0)) {
    return call.ThrowTypeError(
        "Failed to construct 'FormData': parameter 1 is not of type "
        "'HTMLFormElement'.");
  }
  return call.realm->WrapForNewTarget(
      call, std::make_unique<FormDataWrappable>(), "FormData");
}

// XHR: "create an entry" from append/set's (name, value[, filename])
// overloads.
bool CreateEntry(Call& call,
                 absl::string_view operation,
                 FormDataEntry* entry) {
  if (!call.RequireArgs(2, operation))
    return false;
  std::string name;
  if (!ToUSVString(call, call.arg(0), &name))
    return false;
  auto* blob = Unwrap<BlobWrappable>(call.ctx, call.arg(1));
  if (call.argc >= 3 && !blob) {
    // The 3-argument overload takes a Blob.
    call.ThrowTypeError(std::string("Failed to execute '") +
                        std::string(operation) +
                        "' on 'FormData': parameter 2 is not of type 'Blob'.");
    return false;
  }
  if (!blob) {
    std::string value;
    if (!ToUSVString(call, call.arg(1), &value))
      return false;
    *entry = FormDataEntry::String(std::move(name), std::move(value));
    return true;
  }
  // A Blob that is not a File becomes a File named "blob"; a filename
  // renames it.
  std::string filename;
  if (auto* file = dynamic_cast<FileWrappable*>(blob))
    filename = file->name;
  else
    filename = "blob";
  if (call.argc >= 3 && !call.missing(2) &&
      !ToUSVString(call, call.arg(2), &filename)) {
    return false;
  }
  *entry = FormDataEntry::File(std::move(name), blob->bytes,
                               std::move(filename), blob->type);
  return true;
}

JSValueRef Append(Call& call) {
  auto* form = call.This<FormDataWrappable>();
  if (!form)
    return nullptr;
  FormDataEntry entry;
  if (!CreateEntry(call, "append", &entry))
    return nullptr;
  form->entries.push_back(std::move(entry));
  return nullptr;
}

JSValueRef Set(Call& call) {
  auto* form = call.This<FormDataWrappable>();
  if (!form)
    return nullptr;
  FormDataEntry entry;
  if (!CreateEntry(call, "set", &entry))
    return nullptr;
  // XHR set(): replace the first entry named name, remove the others.
  auto& entries = form->entries;
  bool replaced = false;
  for (auto it = entries.begin(); it != entries.end();) {
    if (it->name != entry.name) {
      ++it;
    } else if (!replaced) {
      *it = entry;
      replaced = true;
      ++it;
    } else {
      it = entries.erase(it);
    }
  }
  if (!replaced)
    entries.push_back(std::move(entry));
  return nullptr;
}

JSValueRef EntryValue(Call& call, const FormDataEntry& entry) {
  if (!entry.is_file)
    return MakeString(call.ctx, entry.value);
  return WrapFile(*call.realm, entry.value, entry.type, entry.filename,
                  static_cast<int64_t>(call.realm->timers().now_ms()));
}

bool NameArg(Call& call, absl::string_view operation, std::string* name) {
  return call.RequireArgs(1, operation) && ToUSVString(call, call.arg(0), name);
}

JSValueRef Get(Call& call) {
  auto* form = call.This<FormDataWrappable>();
  std::string name;
  if (!form || !NameArg(call, "get", &name))
    return nullptr;
  for (const FormDataEntry& entry : form->entries) {
    if (entry.name == name)
      return EntryValue(call, entry);
  }
  return JSValueMakeNull(call.ctx);
}

JSValueRef GetAll(Call& call) {
  auto* form = call.This<FormDataWrappable>();
  std::string name;
  if (!form || !NameArg(call, "getAll", &name))
    return nullptr;
  RootedValues values(call.ctx);
  for (const FormDataEntry& entry : form->entries) {
    if (entry.name == name)
      values.push_back(EntryValue(call, entry));
  }
  return MakeArray(call.ctx, values);
}

JSValueRef Has(Call& call) {
  auto* form = call.This<FormDataWrappable>();
  std::string name;
  if (!form || !NameArg(call, "has", &name))
    return nullptr;
  for (const FormDataEntry& entry : form->entries) {
    if (entry.name == name)
      return JSValueMakeBoolean(call.ctx, true);
  }
  return JSValueMakeBoolean(call.ctx, false);
}

JSValueRef Delete(Call& call) {
  auto* form = call.This<FormDataWrappable>();
  std::string name;
  if (!form || !NameArg(call, "delete", &name))
    return nullptr;
  auto& entries = form->entries;
  for (auto it = entries.begin(); it != entries.end();) {
    it = it->name == name ? entries.erase(it) : it + 1;
  }
  return nullptr;
}

JSValueRef Pairs(Call& call) {
  auto* form = call.This<FormDataWrappable>();
  if (!form)
    return nullptr;
  RootedValues pairs(call.ctx);
  for (const FormDataEntry& entry : form->entries) {
    pairs.push_back(MakeArray(
        call.ctx, {MakeString(call.ctx, entry.name), EntryValue(call, entry)}));
  }
  return MakeArray(call.ctx, pairs);
}

}  // namespace

void InstallFormDataBindings(Realm& realm) {
  realm.DefineInterface({
      .name = "FormData",
      .constructor = Native<Constructor>,
      .methods = {{"append", Native<Append>, 2},
                  {"delete", Native<Delete>, 1},
                  {"get", Native<Get>, 1},
                  {"getAll", Native<GetAll>, 1},
                  {"has", Native<Has>, 1},
                  {"set", Native<Set>, 2}},
      .pairs = Native<Pairs>,
  });
}

}  // namespace fetch_later::renderer::script
