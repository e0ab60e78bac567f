// A small reader over a fuzz input: the decoder of every target in tests/fuzz.
// Built with g++ (regression replay in `bazel test //...`) and clang (libFuzzer),
// so it does not use clang's FuzzedDataProvider. Running out of bytes yields
// zeros, so every input decodes to something.
#ifndef TESTS_FUZZ_FUZZ_INPUT_H_
#define TESTS_FUZZ_FUZZ_INPUT_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace fetch_later::fuzz {

class FuzzInput {
 public:
  FuzzInput(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  bool empty() const { return pos_ >= size_; }
  size_t remaining() const { return size_ - pos_; }

  uint8_t Byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  bool Bool() { return Byte() & 1; }
  uint16_t U16() { return static_cast<uint16_t>(Byte() | (Byte() << 8)); }
  uint32_t U32() { return U16() | (static_cast<uint32_t>(U16()) << 16); }
  uint64_t U64() { return U32() | (static_cast<uint64_t>(U32()) << 32); }
  // Uniform-ish in [0, n); 0 when n == 0.
  size_t Index(size_t n) {
    if (n == 0)
      return 0;
    return (n <= 256 ? Byte() : U32()) % n;
  }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[Index(v.size())];
  }
  // A length byte, then that many bytes (fewer when the input runs out).
  std::string Bytes(size_t max_len) {
    size_t n = Byte();
    if (n > max_len)
      n = max_len;
    if (n > remaining())
      n = remaining();
    std::string s(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n;
    return s;
  }
  // Everything left.
  std::string Rest() {
    std::string s(reinterpret_cast<const char*>(data_ + pos_), remaining());
    pos_ = size_;
    return s;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

}  // namespace fetch_later::fuzz

#endif  // TESTS_FUZZ_FUZZ_INPUT_H_
