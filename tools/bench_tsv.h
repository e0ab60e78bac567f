// `--tsv` output shared by the benchmarks, for tools/bench: one row per figure,
//
//   figure<TAB>measured<TAB>reference<TAB>ratio<TAB>target<TAB>verdict
//
// measured and reference with units ("517 ns", "735 us", "778 B"), ratio as
// "1.40x" or "84.9%", target like "<= 2x" ("-" for none), verdict ok, OVER or
// info. In TSV mode only these rows go to stdout; everything a benchmark
// prints with printf (its human tables) goes to stderr, so tools/bench can keep
// it as a log.
#ifndef TOOLS_BENCH_TSV_H_
#define TOOLS_BENCH_TSV_H_

#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <string>

namespace fetch_later::tools::bench_tsv {

inline FILE*& TsvStream() {
  static FILE* stream = nullptr;
  return stream;
}

// Switches to TSV mode: rows to the real stdout, printf output to stderr.
inline void Begin() {
  std::fflush(stdout);
  TsvStream() = fdopen(dup(STDOUT_FILENO), "w");
  dup2(STDERR_FILENO, STDOUT_FILENO);
}

inline bool Enabled() {
  return TsvStream() != nullptr;
}

// printf into a std::string, for the cells: Fmt("%.0f ns", x).
inline std::string Fmt(const char* format, ...)
    __attribute__((format(printf, 1, 2)));
inline std::string Fmt(const char* format, ...) {
  char buffer[256];
  va_list args;
  va_start(args, format);
  std::vsnprintf(buffer, sizeof(buffer), format, args);
  va_end(args);
  return buffer;
}

inline const char* Verdict(bool ok) {
  return ok ? "ok" : "OVER";
}

// One row (nothing outside TSV mode).
inline void Row(const std::string& figure,
                const std::string& measured,
                const std::string& reference,
                const std::string& ratio,
                const std::string& target,
                const std::string& verdict) {
  if (!Enabled())
    return;
  std::fprintf(TsvStream(), "%s\t%s\t%s\t%s\t%s\t%s\n", figure.c_str(),
               measured.c_str(), reference.c_str(), ratio.c_str(),
               target.c_str(), verdict.c_str());
  std::fflush(TsvStream());
}

}  // namespace fetch_later::tools::bench_tsv

#endif  // TOOLS_BENCH_TSV_H_
