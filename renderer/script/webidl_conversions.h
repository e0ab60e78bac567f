// Web IDL: "converting an ECMAScript value to an IDL value" for the types the
// bindings use. Each returns false with the exception set on `call` when the
// conversion throws.
#ifndef RENDERER_SCRIPT_WEBIDL_CONVERSIONS_H_
#define RENDERER_SCRIPT_WEBIDL_CONVERSIONS_H_

#include <JavaScriptCore/JavaScript.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "renderer/script/binding.h"
#include "renderer/script/js_util.h"

namespace fetch_later::renderer::script {

// WebIDL: DOMString (ToString; UTF-8 out, lone surrogates become U+FFFD).
bool ToDOMString(Call& call, JSValueRef value, std::string* out);
// WebIDL: USVString (ToString, then "convert to a scalar value string").
bool ToUSVString(Call& call, JSValueRef value, std::string* out);
// WebIDL: ByteString: TypeError for a code unit > 0xFF; bytes out.
bool ToByteString(Call& call, JSValueRef value, std::string* out);
// WebIDL: boolean (ToBoolean; never throws).
bool ToBoolean(Call& call, JSValueRef value);
// WebIDL: double (restricted): ToNumber, TypeError when not finite.
bool ToRestrictedDouble(Call& call,
                        JSValueRef value,
                        absl::string_view what,
                        double* out);
// WebIDL: unrestricted double.
bool ToUnrestrictedDouble(Call& call, JSValueRef value, double* out);
// WebIDL: "ConvertToInt" with [EnforceRange] for an integer type in
// [min, max]: TypeError for NaN, +-Infinity or a value out of range.
bool ToEnforceRangeInteger(Call& call,
                           JSValueRef value,
                           double min,
                           double max,
                           absl::string_view what,
                           double* out);
// WebIDL: "ConvertToInt" without [EnforceRange]/[Clamp] for long (32-bit)
// and long long (64-bit; here the safe range).
bool ToLong(Call& call, JSValueRef value, int32_t* out);
bool ToLongLong(Call& call, JSValueRef value, int64_t* out);

// WebIDL: enumeration: DOMString then membership (TypeError otherwise).
bool ToEnum(Call& call,
            JSValueRef value,
            const std::vector<absl::string_view>& values,
            absl::string_view enum_name,
            std::string* out);

// WebIDL: dictionary. Open() accepts undefined/null (empty) or an object,
// else TypeError. Members are read with Get() in the order the caller asks
// (callers ask in lexicographic order, least-derived dictionary first).
class DictionaryReader {
 public:
  bool Open(Call& call, JSValueRef value, absl::string_view dictionary);
  // The member's value, or nullptr when missing (undefined). False on an
  // exception from the getter.
  bool Get(absl::string_view member, JSValueRef* out);

 private:
  Call* call_ = nullptr;
  JSObjectRef object_ = nullptr;
};

// ECMAScript GetMethod(value, @@iterator): nullptr when undefined/null.
bool GetIteratorMethod(Call& call, JSObjectRef object, JSValueRef* method);
// WebIDL: "create a sequence from an iterable" with `method`.
bool IterableToVector(Call& call,
                      JSObjectRef object,
                      JSValueRef method,
                      RootedValues* out);
// WebIDL: sequence<any>: TypeError unless an object with @@iterator.
bool ToSequence(Call& call,
                JSValueRef value,
                absl::string_view what,
                RootedValues* out);
// WebIDL: record<K, V>: the own enumerable keys, with their values, in
// [[OwnPropertyKeys]] order (keys still to be converted): key i at 2i, its
// value at 2i + 1.
bool ToRecordEntries(Call& call, JSObjectRef object, RootedValues* out);

// WebIDL: sequence<sequence<T>> or record<T, T> of strings (HeadersInit,
// URLSearchParams init): `convert` converts each string. Each inner sequence
// must have exactly two items (TypeError, Fetch "fill" / URL "initialize").
bool ToPairs(Call& call,
             JSObjectRef object,
             bool (*convert)(Call&, JSValueRef, std::string*),
             absl::string_view what,
             std::vector<std::pair<std::string, std::string>>* out);

// WebIDL: BufferSource (ArrayBuffer, a typed array or a DataView): the
// bytes. Returns nullopt when `value` is not a buffer source.
std::optional<std::string> BufferSourceBytes(Call& call, JSValueRef value);

}  // namespace fetch_later::renderer::script

#endif  // RENDERER_SCRIPT_WEBIDL_CONVERSIONS_H_
