// JavaScriptCore entry points that Debian's libjavascriptcoregtk-4.1 exports
// but whose declarations live in WebKit's private headers (not installed).
#ifndef RENDERER_SCRIPT_JS_API_H_
#define RENDERER_SCRIPT_JS_API_H_

#include <JavaScriptCore/JavaScript.h>

extern "C" {

// JSContextRefPrivate.h: the watchdog.
typedef bool (*JSShouldTerminateCallback)(JSContextRef ctx, void* context);
void JSContextGroupSetExecutionTimeLimit(JSContextGroupRef group,
                                         double limit,
                                         JSShouldTerminateCallback callback,
                                         void* context);
void JSContextGroupClearExecutionTimeLimit(JSContextGroupRef group);

// JSContextRefPrivate.h: called with (promise, reason) for each rejected
// promise without a handler when the microtask queue is drained.
void JSGlobalContextSetUnhandledRejectionCallback(JSGlobalContextRef ctx,
                                                  JSObjectRef function,
                                                  JSValueRef* exception);

// JSObjectRefPrivate.h: properties script cannot see (traced by the GC).
bool JSObjectSetPrivateProperty(JSContextRef ctx,
                                JSObjectRef object,
                                JSStringRef property_name,
                                JSValueRef value);
JSValueRef JSObjectGetPrivateProperty(JSContextRef ctx,
                                      JSObjectRef object,
                                      JSStringRef property_name);

// JSWeakPrivate.h: weak references (cleared when the object is collected).
typedef const struct OpaqueJSWeak* JSWeakRef;
JSWeakRef JSWeakCreate(JSContextGroupRef group, JSObjectRef object);
void JSWeakRelease(JSContextGroupRef group, JSWeakRef weak);
JSObjectRef JSWeakGetObject(JSWeakRef weak);

}  // extern "C"

#endif  // RENDERER_SCRIPT_JS_API_H_
