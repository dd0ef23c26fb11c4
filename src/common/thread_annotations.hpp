// Thread-safety annotations (clang's -Wthread-safety), as LevelDB's port/thread_annotations.h.
//
// They say in code which mutex guards which state:
//   Mutex mu_;
//   std::map<std::string, Stream> streams_ GUARDED_BY(mu_);
//   void Reap() EXCLUSIVE_LOCKS_REQUIRED(mu_);
// clang checks them when built with -Wthread-safety (`./dev test` runs such a build, warning-free);
// under g++ they expand to nothing. Use them with the annotated types of common/mutex.hpp: the standard
// library's mutexes carry no annotations, so clang cannot see them being locked.
#pragma once

#if defined(__clang__)
#define CENOTE_THREAD_ANNOTATION_(x) __attribute__((x))
#else
#define CENOTE_THREAD_ANNOTATION_(x)
#endif

// A type that is a lock ("mutex") or a scoped holder of one.
#define CAPABILITY(x) CENOTE_THREAD_ANNOTATION_(capability(x))
#define SCOPED_CAPABILITY CENOTE_THREAD_ANNOTATION_(scoped_lockable)

// Data members: readable and writable only while holding `x` (exclusively to write, shared to read).
#define GUARDED_BY(x) CENOTE_THREAD_ANNOTATION_(guarded_by(x))
// Pointer members: the pointed-to data is guarded by `x` (the pointer itself is not).
#define PT_GUARDED_BY(x) CENOTE_THREAD_ANNOTATION_(pt_guarded_by(x))

// Lock order: this mutex is always acquired after / before the listed ones.
#define ACQUIRED_AFTER(...) CENOTE_THREAD_ANNOTATION_(acquired_after(__VA_ARGS__))
#define ACQUIRED_BEFORE(...) CENOTE_THREAD_ANNOTATION_(acquired_before(__VA_ARGS__))

// Functions: the caller must hold (exclusively / shared) or must not hold the listed mutexes.
#define EXCLUSIVE_LOCKS_REQUIRED(...) CENOTE_THREAD_ANNOTATION_(exclusive_locks_required(__VA_ARGS__))
#define SHARED_LOCKS_REQUIRED(...) CENOTE_THREAD_ANNOTATION_(shared_locks_required(__VA_ARGS__))
#define LOCKS_EXCLUDED(...) CENOTE_THREAD_ANNOTATION_(locks_excluded(__VA_ARGS__))

// Functions that acquire or release a capability (the lock types' own methods).
#define ACQUIRE(...) CENOTE_THREAD_ANNOTATION_(acquire_capability(__VA_ARGS__))
#define ACQUIRE_SHARED(...) CENOTE_THREAD_ANNOTATION_(acquire_shared_capability(__VA_ARGS__))
#define RELEASE(...) CENOTE_THREAD_ANNOTATION_(release_capability(__VA_ARGS__))
#define RELEASE_SHARED(...) CENOTE_THREAD_ANNOTATION_(release_shared_capability(__VA_ARGS__))
#define RELEASE_GENERIC(...) CENOTE_THREAD_ANNOTATION_(release_generic_capability(__VA_ARGS__))
#define TRY_ACQUIRE(...) CENOTE_THREAD_ANNOTATION_(try_acquire_capability(__VA_ARGS__))
#define ASSERT_CAPABILITY(x) CENOTE_THREAD_ANNOTATION_(assert_capability(x))
#define RETURN_CAPABILITY(x) CENOTE_THREAD_ANNOTATION_(lock_returned(x))

// Escape hatch for code the analysis cannot follow (say why next to each use).
#define NO_THREAD_SAFETY_ANALYSIS CENOTE_THREAD_ANNOTATION_(no_thread_safety_analysis)
