#include "tools/headless_chromium.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "tools/loopback_socket.h"

extern char** environ;

namespace fetch_later::tools {
namespace {

// One HTTP/1.1 request to the DevTools HTTP endpoint; the body of the answer.
std::string HttpBody(uint16_t port,
                     const std::string& method,
                     const std::string& target) {
  int fd = ConnectLoopback(port);
  if (fd < 0)
    return "";
  SendAll(fd, absl::StrCat(method, " ", target,
                           " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: "
                           "close\r\n\r\n"));
  // Until the body is complete (Content-Length): Chromium's DevTools HTTP
  // server may keep the connection open despite "Connection: close".
  std::string response;
  ReadUntil(fd, response, absl::Seconds(10), [](const std::string& s) {
    const size_t end = s.find("\r\n\r\n");
    if (end == std::string::npos)
      return false;
    const std::string headers = absl::AsciiStrToLower(s.substr(0, end));
    const size_t at = headers.find("\r\ncontent-length:");
    if (at == std::string::npos)
      return false;  // until the peer closes
    const size_t length = std::strtoul(
        headers.c_str() + at + strlen("\r\ncontent-length:"), nullptr, 10);
    return s.size() >= end + 4 + length;
  });
  close(fd);
  const size_t end = response.find("\r\n\r\n");
  return end == std::string::npos ? "" : response.substr(end + 4);
}

std::string Quote(const std::string& text) {
  google::protobuf::Value value;
  value.set_string_value(text);
  std::string quoted;
  (void)google::protobuf::util::MessageToJsonString(value, &quoted);
  return quoted;
}

}  // namespace

DevToolsSession::DevToolsSession(int fd) : fd_(fd) {}

DevToolsSession::~DevToolsSession() {
  close(fd_);
}

bool DevToolsSession::SendText(const std::string& text) {
  std::string frame;
  frame.push_back(static_cast<char>(0x81));  // FIN, text
  if (text.size() < 126) {
    frame.push_back(static_cast<char>(0x80 | text.size()));
  } else if (text.size() < 65536) {
    frame.push_back(static_cast<char>(0x80 | 126));
    frame.push_back(static_cast<char>(text.size() >> 8));
    frame.push_back(static_cast<char>(text.size() & 0xff));
  } else {
    frame.push_back(static_cast<char>(0x80 | 127));
    for (int i = 7; i >= 0; --i)
      frame.push_back(static_cast<char>((uint64_t{text.size()} >> (8 * i))));
  }
  const unsigned char mask[4] = {0x12, 0x34, 0x56, 0x78};
  frame.append(reinterpret_cast<const char*>(mask), 4);
  for (size_t i = 0; i < text.size(); ++i)
    frame.push_back(static_cast<char>(text[i] ^ mask[i % 4]));
  return SendAll(fd_, frame);
}

std::optional<std::string> DevToolsSession::Receive(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  std::string message;
  while (true) {
    size_t header = 2;
    uint64_t length = 0;
    auto have = [&](size_t n) {
      ReadUntil(fd_, buffer_, deadline - absl::Now(),
                [n](const std::string& s) { return s.size() >= n; });
      return buffer_.size() >= n;
    };
    if (!have(2))
      return std::nullopt;
    const unsigned char b0 = buffer_[0], b1 = buffer_[1];
    length = b1 & 0x7f;
    if (length == 126) {
      header = 4;
      if (!have(4))
        return std::nullopt;
      length = (uint64_t{static_cast<unsigned char>(buffer_[2])} << 8) |
               static_cast<unsigned char>(buffer_[3]);
    } else if (length == 127) {
      header = 10;
      if (!have(10))
        return std::nullopt;
      length = 0;
      for (int i = 2; i < 10; ++i)
        length = (length << 8) | static_cast<unsigned char>(buffer_[i]);
    }
    if (b1 & 0x80)
      return std::nullopt;  // servers do not mask
    if (!have(header + length))
      return std::nullopt;
    const int opcode = b0 & 0x0f;
    std::string payload = buffer_.substr(header, length);
    buffer_.erase(0, header + length);
    if (opcode == 0x8)
      return std::nullopt;  // close
    if (opcode == 0x9 || opcode == 0xA)
      continue;  // ping/pong
    message += payload;
    if (b0 & 0x80)
      return message;
  }
}

bool DevToolsSession::Send(const std::string& method,
                           const std::string& params_json) {
  const int id = next_id_++;
  return SendText(absl::StrCat("{\"id\":", id, ",\"method\":\"", method,
                               "\",\"params\":", params_json, "}"));
}

absl::StatusOr<std::string> DevToolsSession::Call(
    const std::string& method,
    const std::string& params_json) {
  const int id = next_id_++;
  if (!SendText(absl::StrCat("{\"id\":", id, ",\"method\":\"", method,
                             "\",\"params\":", params_json, "}"))) {
    return absl::UnavailableError(absl::StrCat(method, ": send failed"));
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (absl::Now() < deadline) {
    std::optional<std::string> message = Receive(deadline - absl::Now());
    if (!message)
      return absl::UnavailableError(absl::StrCat(method, ": no reply"));
    google::protobuf::Struct reply;
    if (!google::protobuf::util::JsonStringToMessage(*message, &reply).ok())
      continue;
    auto found = reply.fields().find("id");
    if (found == reply.fields().end() || found->second.number_value() != id)
      continue;  // an event
    if (reply.fields().count("error"))
      return absl::InternalError(absl::StrCat(method, ": ", *message));
    std::string result;
    (void)google::protobuf::util::MessageToJsonString(
        reply.fields().at("result"), &result);
    return result;
  }
  return absl::DeadlineExceededError(absl::StrCat(method, ": no reply"));
}

absl::StatusOr<std::string> DevToolsSession::Evaluate(
    const std::string& expression) {
  absl::StatusOr<std::string> result =
      Call("Runtime.evaluate",
           absl::StrCat("{\"expression\":", Quote(expression),
                        ",\"returnByValue\":true,\"awaitPromise\":true}"));
  if (!result.ok())
    return result.status();
  google::protobuf::Struct object;
  if (!google::protobuf::util::JsonStringToMessage(*result, &object).ok())
    return absl::InternalError("Runtime.evaluate: bad reply " + *result);
  if (object.fields().count("exceptionDetails")) {
    return absl::InternalError(
        absl::StrCat("Runtime.evaluate threw: ", *result));
  }
  const auto& inner = object.fields().at("result").struct_value().fields();
  auto value = inner.find("value");
  if (value == inner.end())
    return std::string("null");
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(value->second, &json);
  return json;
}

absl::StatusOr<std::unique_ptr<HeadlessChromium>> HeadlessChromium::Launch(
    const std::string& dir,
    const std::vector<std::string>& extra_args,
    const std::string& binary) {
  if (access(binary.c_str(), X_OK) != 0)
    return absl::UnavailableError(absl::StrCat(binary, " is not installed"));
  auto chromium = std::unique_ptr<HeadlessChromium>(new HeadlessChromium());
  chromium->profile_ = absl::StrCat(dir, "/profile");
  mkdir(chromium->profile_.c_str(), 0700);
  chromium->log_ = absl::StrCat(dir, "/chromium.log");
  std::vector<std::string> args = {
      binary,
      "--headless=new",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--no-first-run",
      "--no-default-browser-check",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-extensions",
      "--remote-debugging-address=127.0.0.1",
      "--remote-debugging-port=0",
      absl::StrCat("--user-data-dir=", chromium->profile_),
  };
  for (const std::string& arg : extra_args)
    args.push_back(arg);
  args.push_back("about:blank");
  std::vector<char*> argv;
  for (auto& arg : args)
    argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    if (!absl::StartsWith(*e, "HOME="))
      env_strings.push_back(*e);
  }
  env_strings.push_back(absl::StrCat("HOME=", dir));
  std::vector<char*> envp;
  for (auto& e : env_strings)
    envp.push_back(e.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, chromium->log_.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attributes, 0);
  const int error = posix_spawn(&chromium->pid_, binary.c_str(), &actions,
                                &attributes, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (error != 0) {
    return absl::UnavailableError(
        absl::StrCat("posix_spawn ", binary, ": ", strerror(error)));
  }
  if (absl::Status up = chromium->WaitForDevTools(absl::Seconds(30));
      !up.ok()) {
    return absl::UnavailableError(
        absl::StrCat(up.message(), "\n", chromium->Log()));
  }
  return chromium;
}

absl::Status HeadlessChromium::WaitForDevTools(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    std::ifstream file(absl::StrCat(profile_, "/DevToolsActivePort"));
    int port = 0;
    if (file >> port && port > 0) {
      port_ = static_cast<uint16_t>(port);
      return absl::OkStatus();
    }
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return absl::UnavailableError("Chromium exited at start");
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  return absl::DeadlineExceededError("no DevToolsActivePort");
}

absl::StatusOr<std::unique_ptr<DevToolsSession>> HeadlessChromium::OpenPage(
    const std::string& url) {
  // PUT /json/new?URL opens a tab and answers its target description.
  const std::string body = HttpBody(port_, "PUT", "/json/new?" + url);
  google::protobuf::Struct target;
  if (!google::protobuf::util::JsonStringToMessage(body, &target).ok() ||
      !target.fields().count("webSocketDebuggerUrl")) {
    return absl::InternalError("/json/new: " + body);
  }
  const std::string ws =
      target.fields().at("webSocketDebuggerUrl").string_value();
  const size_t at = ws.find("/devtools/");
  if (at == std::string::npos)
    return absl::InternalError("webSocketDebuggerUrl: " + ws);
  const int fd = ConnectLoopback(port_);
  if (fd < 0)
    return absl::UnavailableError("cannot connect to DevTools");
  SendAll(fd, absl::StrCat("GET ", ws.substr(at),
                           " HTTP/1.1\r\nHost: 127.0.0.1:", port_,
                           "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n"));
  auto session = std::unique_ptr<DevToolsSession>(new DevToolsSession(fd));
  ReadUntil(fd, session->buffer_, absl::Seconds(10), [](const std::string& s) {
    return absl::StrContains(s, "\r\n\r\n");
  });
  const size_t end = session->buffer_.find("\r\n\r\n");
  if (end == std::string::npos ||
      !absl::StartsWith(session->buffer_, "HTTP/1.1 101")) {
    return absl::InternalError("WebSocket upgrade refused");
  }
  session->buffer_.erase(0, end + 4);
  // Loaded: `url`'s document (not the initial about:blank one) is
  // "complete".
  const std::string loaded = Quote("complete " + url);
  for (absl::Time until = absl::Now() + absl::Seconds(30); absl::Now() < until;
       absl::SleepFor(absl::Milliseconds(5))) {
    absl::StatusOr<std::string> state =
        session->Evaluate("document.readyState + ' ' + location.href");
    if (state.ok() && *state == loaded)
      return session;
  }
  return absl::DeadlineExceededError("the page did not load: " + url);
}

bool HeadlessChromium::Terminate(absl::Duration timeout) {
  if (pid_ <= 0)
    return true;
  kill(pid_, SIGTERM);
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
      kill(-pid_, SIGKILL);  // any helper left in the group
      pid_ = -1;
      return true;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  return false;
}

HeadlessChromium::~HeadlessChromium() {
  if (pid_ <= 0)
    return;
  kill(-pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
}

std::string HeadlessChromium::Log() const {
  std::ifstream file(log_);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

}  // namespace fetch_later::tools
