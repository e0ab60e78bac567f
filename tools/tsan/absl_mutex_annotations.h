// ThreadSanitizer annotations for Debian's uninstrumented absl::Mutex.
//
// Debian's Abseil is not built with -fsanitize=thread, so the ABSL_TSAN_MUTEX_*
// annotations inside absl/synchronization/mutex.cc compiled to nothing and
// ThreadSanitizer sees no happens-before edge through absl::Mutex: it would
// report every access guarded by one as a race. This library (linked into
// every binary of `--config=tsan` through `--custom_malloc`, see .bazelrc)
// defines the out-of-line absl::Mutex, absl::CondVar and absl::Notification
// member functions that our code, Abseil and gRPC call. The executable's
// definitions interpose the shared library's, also for calls made inside
// libabsl_* and libgrpc* through their PLT. Each one forwards to the real
// function (dlsym(RTLD_NEXT, ...)) wrapped in the __tsan_mutex_* annotations
// exactly where Abseil's own build would have put them. README "Thread
// safety" has the details.
//
// Notification::Notify() releases, and its waits (also the inline
// HasBeenNotified()) acquire, on the notification's flag. Not wrapped:
// absl::BlockingCounter and absl::Barrier (unused here, not called by gRPC),
// and Mutex::~Mutex (see absl_mutex_annotations.cc).
//
// The library also hands ThreadSanitizer tools/tsan/suppressions.txt through
// __tsan_default_suppressions(), so every process of a test has it.
#ifndef TOOLS_TSAN_ABSL_MUTEX_ANNOTATIONS_H_
#define TOOLS_TSAN_ABSL_MUTEX_ANNOTATIONS_H_

#include <cstdint>

namespace fetch_later::tsan {

// For testing only: how many absl::Mutex and CondVar operations the
// annotating definitions have annotated in this process, from any thread and
// any library. Proves that they interpose the real ones.
int64_t AnnotatedCallsForTesting();

}  // namespace fetch_later::tsan

#endif  // TOOLS_TSAN_ABSL_MUTEX_ANNOTATIONS_H_
