// Proves the build: generated protobuf + gRPC code, a real gRPC server and client over a real
// Unix socket in a private 0700 directory.

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "ipc/echo.grpc.pb.h"

namespace fetch_later::ipc {
namespace {

class EchoService final : public Echo::Service {
  grpc::Status Echo(grpc::ServerContext*,
                    const EchoRequest* request,
                    EchoReply* reply) override {
    reply->set_payload(request->payload());
    return grpc::Status::OK;
  }
};

TEST(EchoOverUnixSocketTest, RoundTripsPayload) {
  // Bazel's TEST_TMPDIR is too long for a Unix socket path (107 bytes): use /tmp.
  char dir_template[] = "/tmp/dfXXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::string dir = dir_template;
  struct stat st;
  ASSERT_EQ(stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  const std::string address = "unix:" + dir + "/echo.sock";

  EchoService service;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials());
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);

  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  auto stub = Echo::NewStub(channel);
  EchoRequest request;
  request.set_payload(std::string("deferred\0fetch", 14));
  EchoReply reply;
  grpc::ClientContext context;
  grpc::Status status = stub->Echo(&context, request, &reply);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(reply.payload(), request.payload());

  server->Shutdown();
  unlink((dir + "/echo.sock").c_str());
  rmdir(dir.c_str());
}

}  // namespace
}  // namespace fetch_later::ipc
