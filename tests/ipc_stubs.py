"""The Python view of the browser's gRPC interfaces, for the tests' independent clients.

The shell wrappers generate the stubs of ipc/*.proto into a directory on PYTHONPATH (as the
package `ipc`) and copy this file beside them. The interfaces are split one per .proto file
(renderer host, browser control, page steps, shared types); the clients address every message,
enum value and stub through one namespace each:

    from ipc_stubs import pb, pb_grpc
    pb.FetchLaterRequest(...), pb.QUEUED, pb_grpc.BrowserControlStub(channel)
"""

import types

from ipc import browser_control_pb2
from ipc import browser_control_pb2_grpc
from ipc import fetch_types_pb2
from ipc import page_step_pb2
from ipc import renderer_host_pb2
from ipc import renderer_host_pb2_grpc


def _merged(*modules):
    names = {}
    for module in modules:
        for name, value in vars(module).items():
            if not name.startswith("_"):
                names[name] = value
    return types.SimpleNamespace(**names)


pb = _merged(fetch_types_pb2, page_step_pb2, renderer_host_pb2, browser_control_pb2)
pb_grpc = _merged(renderer_host_pb2_grpc, browser_control_pb2_grpc)
