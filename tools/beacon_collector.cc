// beacon_collector: the local HTTPS beacon collector
// (//net/testing:https_test_server) as a program, for trying the browser shell
// or curl against it by hand.
//
//   bazel run //tools:beacon_collector -- --port=8443 --ca_cert_out=/tmp/ca.pem
//   --log=/tmp/b.jsonl
//   curl --cacert /tmp/ca.pem --resolve collector.test:8443:127.0.0.1 -d hello
//   https://collector.test:8443/beacon?i=1
//
// Prints "listening on 127.0.0.1:PORT" on stdout once it serves, one JSON line
// per request on stderr (and to --log), and runs until SIGINT or SIGTERM.

#include <pthread.h>
#include <signal.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "net/testing/https_test_server.h"

ABSL_FLAG(int, port, 0, "TCP port on 127.0.0.1 (0: any free port)");
ABSL_FLAG(std::string,
          mode,
          "OK",
          "fault mode: OK, REFUSE, RESET, STALL, HTTP_500 or TLS_FAIL "
          "(SCENARIOS.md setNetwork)");
ABSL_FLAG(std::string,
          ca_cert_out,
          "",
          "if set, write the test root certificate (PEM) here");
ABSL_FLAG(std::string,
          log,
          "",
          "if set, append every request to this file as a JSON line");

namespace {

using fetch_later::net::testing::FaultMode;
using fetch_later::net::testing::FaultModeFromName;
using fetch_later::net::testing::HttpsTestServer;
using fetch_later::net::testing::TestCertificateAuthority;

int Fail(const absl::Status& status) {
  fprintf(stderr, "beacon_collector: %s\n", status.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);

  const int port = absl::GetFlag(FLAGS_port);
  if (port < 0 || port > 65535) {
    return Fail(absl::InvalidArgumentError(
        absl::StrCat("--port=", port, " is not 0..65535")));
  }
  absl::StatusOr<FaultMode> mode = FaultModeFromName(absl::GetFlag(FLAGS_mode));
  if (!mode.ok())
    return Fail(mode.status());

  // Block the termination signals before any thread starts so that every thread
  // inherits the mask and only sigwait() below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  absl::StatusOr<std::unique_ptr<TestCertificateAuthority>> ca =
      TestCertificateAuthority::Create();
  if (!ca.ok())
    return Fail(ca.status());
  if (const std::string out = absl::GetFlag(FLAGS_ca_cert_out); !out.empty()) {
    if (absl::Status s = (*ca)->WriteRootPem(out); !s.ok())
      return Fail(s);
  }

  HttpsTestServer server(ca->get());
  if (const std::string log = absl::GetFlag(FLAGS_log); !log.empty()) {
    if (absl::Status s = server.RecordTo(log); !s.ok())
      return Fail(s);
  }
  server.SetMode(*mode);
  if (absl::Status s = server.Start(static_cast<uint16_t>(port)); !s.ok())
    return Fail(s);
  printf("listening on 127.0.0.1:%u\n", server.port());
  fflush(stdout);
  fprintf(stderr, "beacon_collector: mode %s; Ctrl-C to stop\n",
          fetch_later::net::testing::FaultModeName(*mode));

  // Echo requests to stderr as they arrive, until a stop signal comes.
  size_t echoed = 0;
  while (true) {
    const timespec poll_interval{0, 100 * 1000 * 1000};  // 100 ms
    siginfo_t info;
    const int sig = sigtimedwait(&stop_signals, &info, &poll_interval);
    if (sig == SIGINT || sig == SIGTERM) {
      fprintf(stderr, "beacon_collector: %s, stopping\n",
              sig == SIGINT ? "SIGINT" : "SIGTERM");
      break;
    }
    if (server.request_count() > echoed) {
      const auto requests = server.requests();
      for (; echoed < requests.size(); ++echoed) {
        fprintf(stderr, "%s\n",
                requests[echoed].ToJsonLine(server.start_time()).c_str());
      }
    }
  }
  server.Stop();
  fprintf(stderr, "beacon_collector: %zu requests on %llu connections\n",
          server.request_count(),
          static_cast<unsigned long long>(server.connections_accepted()));
  return 0;
}
