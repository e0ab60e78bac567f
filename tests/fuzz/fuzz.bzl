"""fuzz_target(): one libFuzzer entry point (LLVMFuzzerTestOneInput), built three ways.

    fuzz_target(name = "url", srcs = ["url_fuzzer.cc"], deps = [...])

makes
  - `url_fuzz_lib`: the entry point as a library (alwayslink);
  - `url_fuzzer`: a binary. Under --config=fuzz (clang-14) it links libFuzzer's main
    (-fsanitize=fuzzer); in the default build (g++) it links standalone_main.cc, which runs
    the entry point once over each file or directory given, for reproducing a crash file;
  - `url_replay_test`: a gtest (g++ by default, so `bazel test //...` needs no clang) that
    runs the entry point over every file in corpus/url and regressions/url.
"""

load("@rules_cc//cc:defs.bzl", "cc_binary", "cc_library", "cc_test")

def fuzz_target(name, srcs, deps = [], data = []):
    lib = name + "_fuzz_lib"
    cc_library(
        name = lib,
        testonly = True,
        srcs = srcs,
        deps = deps + [":fuzz_input"],
        alwayslink = True,
    )
    cc_binary(
        name = name + "_fuzzer",
        testonly = True,
        deps = [":" + lib] + select({
            ":fuzzing_engine_libfuzzer": [],
            "//conditions:default": [":standalone_main"],
        }),
        linkopts = select({
            ":fuzzing_engine_libfuzzer": ["-fsanitize=fuzzer"],
            "//conditions:default": [],
        }),
        data = data,
    )
    native.filegroup(
        name = name + "_corpus",
        srcs = native.glob(["corpus/" + name + "/**"], allow_empty = True),
    )
    native.filegroup(
        name = name + "_regressions",
        srcs = native.glob(["regressions/" + name + "/**"], allow_empty = True),
    )
    cc_test(
        name = name + "_replay_test",
        size = "medium",
        srcs = ["replay_test.cc"],
        args = [
            "tests/fuzz/corpus/" + name,
            "tests/fuzz/regressions/" + name,
        ],
        data = [":" + name + "_corpus", ":" + name + "_regressions"] + data,
        # The libFuzzer build has its own main; replay tests are for g++ builds.
        target_compatible_with = select({
            ":fuzzing_engine_libfuzzer": ["@platforms//:incompatible"],
            "//conditions:default": [],
        }),
        deps = [":" + lib, "@gtest_main"],
    )
