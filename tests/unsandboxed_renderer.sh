#!/bin/sh
# A renderer that does not seal itself, behind the browser's back (the browser
# was not given --no-sandbox): for tests/multiprocess_test.cc, which checks that
# the browser cuts it off.
exec "$(dirname "$0")/../renderer/renderer" "$@" --no-sandbox
