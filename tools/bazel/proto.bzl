"""C++ protobuf and gRPC code generation with the system protoc and grpc_cpp_plugin.

Bazel 4.2.3's native proto_library wants a @com_google_protobuf repository, which an offline
Debian build does not have; this macro runs /usr/bin/protoc in a genrule instead.

    cc_grpc_proto_library(
        name = "echo_cc_proto",
        srcs = ["echo.proto"],
        grpc = True,
    )

makes a cc_library named `echo_cc_proto` holding echo.pb.{h,cc} (and echo.grpc.pb.{h,cc}).
Generated headers are included by their workspace path: "ipc/echo.pb.h".
"""

def cc_grpc_proto_library(name, srcs, grpc = False, deps = [], visibility = None, proto_deps = []):
    """`proto_deps`: other .proto files (labels) that `srcs` import; they must also be in `deps`."""
    outs = []
    for src in srcs:
        base = src[:-len(".proto")]
        outs += [base + ".pb.h", base + ".pb.cc"]
        if grpc:
            outs += [base + ".grpc.pb.h", base + ".grpc.pb.cc"]

    pkg = native.package_name()
    grpc_flags = ""
    tools = []
    if grpc:
        grpc_flags = "--plugin=protoc-gen-grpc=/usr/bin/grpc_cpp_plugin --grpc_out=$(GENDIR) "

    native.genrule(
        name = name + "_gen",
        srcs = srcs + proto_deps,
        outs = outs,
        cmd = ("/usr/bin/protoc -I. --cpp_out=$(GENDIR) " + grpc_flags +
               " ".join([(pkg + "/" + s) if pkg else s for s in srcs])),
        tools = tools,
        visibility = ["//visibility:private"],
    )

    native.cc_library(
        name = name,
        srcs = [o for o in outs if o.endswith(".cc")],
        hdrs = [o for o in outs if o.endswith(".h")],
        deps = deps + ["@protobuf"] + (["@grpc"] if grpc else []),
        visibility = visibility,
    )
