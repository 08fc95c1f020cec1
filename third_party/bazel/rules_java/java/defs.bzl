"""Offline stand-in for @rules_java//java:defs.bzl: Bazel's native Java rules.

Nothing in laplace_rice is Java, but Bazel registers its JDK toolchains in
every workspace and their BUILD file loads these names from @rules_java,
which it would download. Written for this project: it forwards to the
native rules and adds nothing.
"""

def java_binary(**attrs):
    native.java_binary(**attrs)

def java_import(**attrs):
    native.java_import(**attrs)

def java_library(**attrs):
    native.java_library(**attrs)

def java_runtime(**attrs):
    native.java_runtime(**attrs)

def java_toolchain(**attrs):
    native.java_toolchain(**attrs)
