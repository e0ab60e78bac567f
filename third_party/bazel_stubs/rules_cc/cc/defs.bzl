# Offline stand-in for @rules_cc: Bazel 4.2.3 asks for this repository, and Debian's
# bazel-rules-cc is too new for it (see ../shared/BUILDING.md). It re-exports the native rules.
cc_binary = native.cc_binary
cc_import = native.cc_import
cc_library = native.cc_library
cc_test = native.cc_test
cc_toolchain = native.cc_toolchain
cc_toolchain_suite = native.cc_toolchain_suite
