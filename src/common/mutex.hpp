// Annotated locks (LevelDB's port::Mutex + util/mutexlock.h): thin wrappers over the standard mutexes that
// clang's thread-safety analysis understands (common/thread_annotations.hpp).
//
//   Mutex mu_;                          SharedMutex smu_;
//   int n_ GUARDED_BY(mu_);             Table t_ GUARDED_BY(smu_);
//   { MutexLock lock(mu_); ++n_; }      { ReaderLock r(smu_); Read(t_); }   { WriterLock w(smu_); t_ = ...; }
//
// CondVar waits on a Mutex held through a MutexLock. A MutexLock may be released and re-acquired inside its
// scope (Unlock()/Lock()), for loops that drop the lock around slow work. clang analyses a lambda on its own,
// so a wait predicate that reads guarded state says so: `cv_.Wait(lock, [&]() EXCLUSIVE_LOCKS_REQUIRED(mu_)
// { return done_; })`, or the wait is written as a loop: `while (!done_) cv_.Wait(lock);`.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <shared_mutex>

#include "common/thread_annotations.hpp"

namespace cenote {

class CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ACQUIRE() { mu_.lock(); }
  void Unlock() RELEASE() { mu_.unlock(); }
  bool TryLock() TRY_ACQUIRE(true) { return mu_.try_lock(); }
  // Tells the analysis the caller holds this mutex (for code reached only with it held).
  void AssertHeld() const ASSERT_CAPABILITY(this) {}

 private:
  friend class CondVar;
  std::mutex mu_;
};

class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) ACQUIRE(mu) : mu_(mu) { mu_.Lock(); }
  ~MutexLock() RELEASE() {
    if (held_) mu_.Unlock();
  }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

  // Releases / re-acquires the mutex before the scope ends.
  void Unlock() RELEASE() {
    mu_.Unlock();
    held_ = false;
  }
  void Lock() ACQUIRE() {
    mu_.Lock();
    held_ = true;
  }

 private:
  friend class CondVar;
  Mutex& mu_;
  bool held_ = true;
};

// A condition variable bound to one Mutex; every wait requires that mutex held through `lock` (not annotated:
// the analysis cannot tell that `lock` holds the CondVar's own mutex).
class CondVar {
 public:
  explicit CondVar(Mutex& mu) : mu_(mu) {}
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;

  void Wait(MutexLock& lock) {
    CheckBound(lock);
    std::unique_lock<std::mutex> native(lock.mu_.mu_, std::adopt_lock);
    cv_.wait(native);
    native.release();
  }
  // Waits until `done()` is true (checked with the mutex held).
  // (Not analysed inside: it calls `done` with the mutex held, which the analysis cannot see.)
  template <typename Predicate>
  void Wait(MutexLock& lock, Predicate done) NO_THREAD_SAFETY_ANALYSIS {
    while (!done()) Wait(lock);
  }
  // Returns false on timeout (spurious wake-ups return true; re-check the condition).
  template <typename Rep, typename Period>
  bool WaitFor(MutexLock& lock, std::chrono::duration<Rep, Period> timeout) {
    CheckBound(lock);
    std::unique_lock<std::mutex> native(lock.mu_.mu_, std::adopt_lock);
    bool woke = cv_.wait_for(native, timeout) == std::cv_status::no_timeout;
    native.release();
    return woke;
  }
  // Waits until `done()` or the deadline; returns done().
  template <typename Clock, typename Duration, typename Predicate>
  bool WaitUntil(MutexLock& lock, std::chrono::time_point<Clock, Duration> deadline,
                 Predicate done) NO_THREAD_SAFETY_ANALYSIS {
    CheckBound(lock);
    std::unique_lock<std::mutex> native(lock.mu_.mu_, std::adopt_lock);
    bool result = true;
    while (!done()) {
      if (cv_.wait_until(native, deadline) == std::cv_status::timeout) {
        result = done();
        break;
      }
    }
    native.release();
    return result;
  }

  void Signal() { cv_.notify_one(); }
  void SignalAll() { cv_.notify_all(); }

 private:
  // A wait through another mutex's lock is a programming error that would corrupt both.
  void CheckBound(const MutexLock& lock) const {
    if (&lock.mu_ != &mu_) std::abort();
  }

  Mutex& mu_;
  std::condition_variable cv_;
};

class CAPABILITY("shared_mutex") SharedMutex {
 public:
  SharedMutex() = default;
  SharedMutex(const SharedMutex&) = delete;
  SharedMutex& operator=(const SharedMutex&) = delete;

  void Lock() ACQUIRE() { mu_.lock(); }
  void Unlock() RELEASE() { mu_.unlock(); }
  void LockShared() ACQUIRE_SHARED() { mu_.lock_shared(); }
  void UnlockShared() RELEASE_SHARED() { mu_.unlock_shared(); }
  void AssertHeld() const ASSERT_CAPABILITY(this) {}

 private:
  std::shared_mutex mu_;
};

class SCOPED_CAPABILITY ReaderLock {
 public:
  explicit ReaderLock(SharedMutex& mu) ACQUIRE_SHARED(mu) : mu_(mu) { mu_.LockShared(); }
  ~ReaderLock() RELEASE() { mu_.UnlockShared(); }
  ReaderLock(const ReaderLock&) = delete;
  ReaderLock& operator=(const ReaderLock&) = delete;

 private:
  SharedMutex& mu_;
};

class SCOPED_CAPABILITY WriterLock {
 public:
  explicit WriterLock(SharedMutex& mu) ACQUIRE(mu) : mu_(mu) { mu_.Lock(); }
  ~WriterLock() RELEASE() { mu_.Unlock(); }
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;

 private:
  SharedMutex& mu_;
};

}  // namespace cenote
