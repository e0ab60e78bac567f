"""Embeds a text file, byte for byte, in a generated C++ header.

A page's JavaScript, HTML or CSS stays a file of its own (edited, linted and
reviewed as what it is) and is still compiled into the binary: nothing is read
at run time.

    cc_embedded_text(
        name = "prelude_js",
        src = "prelude.js",
        out = "prelude_js.h",
        symbol = "kPreludeSource",
        namespace = "fetch_later::renderer::script",
    )

makes `prelude_js.h` (include it by its workspace path, and list it in the
srcs of the cc_library that does) declaring

    namespace fetch_later::renderer::script {
    inline constexpr char kPreludeSource[] = R"EMBEDDED(<prelude.js>)EMBEDDED";
    }

The build fails if the file contains the raw string's end, `)EMBEDDED"`.
"""

_DELIMITER = "EMBEDDED"

def cc_embedded_text(name, src, out, symbol, namespace, visibility = None):
    """A genrule `name` writing `out`: `src`'s bytes as `namespace::symbol`."""
    pkg = native.package_name()
    guard = (pkg + "/" + out).upper().replace("/", "_").replace(".", "_") + "_"
    end = ")" + _DELIMITER + "\""
    native.genrule(
        name = name,
        srcs = [src],
        outs = [out],
        cmd = " ".join([
            "if grep -qF '%s' $<; then" % end,
            "echo '$<: contains %s, which ends the embedding raw string' >&2;" % end,
            "exit 1;",
            "fi;",
            "(",
            "echo '// Generated from %s/%s; do not edit.';" % (pkg, src),
            "echo '#ifndef %s';" % guard,
            "echo '#define %s';" % guard,
            "echo 'namespace %s {';" % namespace,
            "printf '%%s' 'inline constexpr char %s[] = R\"%s(';" % (symbol, _DELIMITER),
            "cat $<;",
            "echo '%s;';" % end,
            "echo '}  // namespace %s';" % namespace,
            "echo '#endif  // %s'" % guard,
            ") > $@",
        ]),
        visibility = visibility,
    )
