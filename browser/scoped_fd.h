// ScopedFd: owns a file descriptor and closes it on destruction (Chromium's
// base::ScopedFD). Move-only. Used for the renderer's end of its channel
// between the moment the browser makes it and the moment the launcher hands it
// to the child process (or a test to its in-process renderer).
#ifndef BROWSER_SCOPED_FD_H_
#define BROWSER_SCOPED_FD_H_

#include <unistd.h>

#include <utility>

namespace fetch_later::browser {

class ScopedFd {
 public:
  ScopedFd() = default;
  explicit ScopedFd(int fd) : fd_(fd) {}
  ~ScopedFd() { Reset(); }
  ScopedFd(ScopedFd&& other) : fd_(other.Release()) {}
  ScopedFd& operator=(ScopedFd&& other) {
    if (this != &other) {
      Reset();
      fd_ = other.Release();
    }
    return *this;
  }
  ScopedFd(const ScopedFd&) = delete;  // Not copyable.
  ScopedFd& operator=(const ScopedFd&) = delete;

  int get() const { return fd_; }
  bool is_valid() const { return fd_ >= 0; }
  // Gives up ownership: the caller closes the descriptor.
  int Release() { return std::exchange(fd_, -1); }
  void Reset() {
    if (fd_ >= 0)
      close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

}  // namespace fetch_later::browser

#endif  // BROWSER_SCOPED_FD_H_
