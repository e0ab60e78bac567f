#include "browser/net_log.h"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "net/json_string.h"

namespace fetch_later::browser {
namespace {

int64_t SteadyNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

NetLog::NetLog(const net::Clock* clock, size_t backlog)
    : clock_(clock), backlog_limit_(backlog), start_steady_ns_(SteadyNowNs()) {}

NetLog::~NetLog() {
  absl::MutexLock lock(&mu_);
  if (file_ != nullptr)
    std::fclose(file_);
  file_ = nullptr;
}

absl::Status NetLog::WriteTo(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "w");
  if (file == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("--net-log: cannot open \"", path,
                     "\" for writing: ", std::strerror(errno)));
  }
  absl::MutexLock lock(&mu_);
  if (file_ != nullptr)
    std::fclose(file_);
  file_ = file;
  return absl::OkStatus();
}

void NetLog::AddEvent(const std::string& type,
                      std::map<std::string, std::string> fields) {
  ipc::debug::Event event;
  event.set_type(type);
  event.set_clock_ms(absl::ToUnixMillis(clock_->Now()));
  auto* map = event.mutable_fields();
  for (auto& [key, value] : fields)
    (*map)[key] = std::move(value);

  absl::MutexLock lock(&mu_);
  // Numbered and dated under the lock, so sequence and monotonic_us agree.
  event.set_sequence(next_sequence_++);
  event.set_monotonic_us((SteadyNowNs() - start_steady_ns_) / 1000);
  if (file_ != nullptr) {
    std::string line = ToJson(event);
    line.push_back('\n');
    std::fwrite(line.data(), 1, line.size(), file_);
    std::fflush(file_);
  }
  for (Watcher* watcher : watchers_)
    watcher->Push(event);
  if (backlog_limit_ > 0) {
    backlog_.push_back(std::move(event));
    while (backlog_.size() > backlog_limit_)
      backlog_.pop_front();
  }
}

void NetLog::Watcher::Push(const ipc::debug::Event& event) {
  absl::MutexLock lock(&mu_);
  queue_.push_back(event);
  while (queue_.size() > kWatcherQueueLimit) {
    queue_.pop_front();
    ++dropped_;
  }
}

std::optional<ipc::debug::Event> NetLog::Watcher::Next(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return closed_ || !queue_.empty();
  };
  if (!mu_.AwaitWithTimeout(absl::Condition(&ready), timeout) || closed_)
    return std::nullopt;
  ipc::debug::Event event = std::move(queue_.front());
  queue_.pop_front();
  return event;
}

void NetLog::Watcher::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
}

uint64_t NetLog::Watcher::dropped() const {
  absl::MutexLock lock(&mu_);
  return dropped_;
}

NetLog::Watcher::~Watcher() {
  absl::MutexLock lock(&log_->mu_);
  log_->watchers_.erase(this);
}

std::unique_ptr<NetLog::Watcher> NetLog::Watch(bool include_backlog) {
  std::unique_ptr<Watcher> watcher(new Watcher(this));
  absl::MutexLock lock(&mu_);
  if (include_backlog) {
    for (const ipc::debug::Event& event : backlog_)
      watcher->Push(event);
  }
  watchers_.insert(watcher.get());
  return watcher;
}

std::vector<ipc::debug::Event> NetLog::Backlog() const {
  absl::MutexLock lock(&mu_);
  return std::vector<ipc::debug::Event>(backlog_.begin(), backlog_.end());
}

uint64_t NetLog::event_count() const {
  absl::MutexLock lock(&mu_);
  return next_sequence_ - 1;
}

std::string NetLog::ToJson(const ipc::debug::Event& event) {
  std::string out =
      absl::StrCat("{\"sequence\":", event.sequence(),
                   ",\"monotonic_us\":", event.monotonic_us(),
                   ",\"clock_ms\":", event.clock_ms(), ",\"type\":");
  net::AppendJsonString(&out, event.type());
  out.append(",\"fields\":{");
  // Sorted keys: the same event always gives the same line.
  std::map<std::string, std::string> sorted(event.fields().begin(),
                                            event.fields().end());
  bool first = true;
  for (const auto& [key, value] : sorted) {
    if (!first)
      out.push_back(',');
    first = false;
    net::AppendJsonString(&out, key);
    out.push_back(':');
    net::AppendJsonString(&out, value);
  }
  out.append("}}");
  return out;
}

}  // namespace fetch_later::browser
