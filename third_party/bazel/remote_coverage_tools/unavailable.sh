#!/bin/sh
echo "bazel coverage is not available offline (see WORKSPACE)" >&2
exit 1
