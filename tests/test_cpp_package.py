"""The installed C++ package: cmake --install, find_package, pkg-config.

Configures the top-level project as on a machine without TensorFlow, builds
and installs the codec to a temporary prefix, then builds examples/cpp_app
(a separate CMake project) and a one-file program (pkg-config) against it.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent


def header_version() -> str:
    """The version written in codec.h, its one source."""
    header = (ROOT / "cc/codec/include/laplace_rice/codec.h").read_text()
    parts = [
        re.search(rf"kVersion{part} = (\d+);", header).group(1)
        for part in ("Major", "Minor", "Patch")
    ]
    return ".".join(parts)


VERSION = header_version()
MAJOR = VERSION.split(".")[0]

pytestmark = pytest.mark.skipif(
    not (shutil.which("cmake") and shutil.which("c++")), reason="needs cmake and a C++ compiler"
)


def run(*args: str | Path, cwd: Path | None = None, env: dict | None = None) -> str:
    result = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert result.returncode == 0, f"{' '.join(map(str, args))} failed:\n{result.stdout}"
    return result.stdout


def generator() -> list[str]:
    return ["-G", "Ninja"] if shutil.which("ninja") else []


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict:
    """Builds and installs the codec; returns the prefix and the configure log."""
    tmp = tmp_path_factory.mktemp("cpp_package")
    build, prefix = tmp / "build", tmp / "prefix"
    # /bin/false as Python: TensorFlow (and pybind11) cannot be found, as on a
    # machine without them; the codec must still build and install.
    configure_log = run(
        "cmake", "-S", ROOT, "-B", build, *generator(),
        "-DLAPLACE_RICE_BUILD_TESTS=OFF",
        "-DPython3_EXECUTABLE=/bin/false",
        "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON",
        f"-DCMAKE_INSTALL_PREFIX={prefix}",
    )  # fmt: skip
    run("cmake", "--build", build, "-j", "2")
    run("cmake", "--install", build)
    return {"prefix": prefix, "configure_log": configure_log, "tmp": tmp, "build": build}


def test_configure_without_tensorflow_skips_the_ops(installed):
    log = installed["configure_log"]
    assert "TensorFlow ops: skipped (TensorFlow not found)" in log
    assert "laplace_rice: TensorFlow not found, op library skipped" in log


def test_install_tree(installed):
    prefix = installed["prefix"]
    files = {str(p.relative_to(prefix)) for p in prefix.rglob("*") if p.is_file() or p.is_symlink()}
    libdir = next(p.parent for p in prefix.rglob("liblaplace_rice_codec.a")).relative_to(prefix)
    expected = {
        "include/laplace_rice/codec.h",
        f"{libdir}/liblaplace_rice_codec.a",
        f"{libdir}/liblaplace_rice_codec.so",
        f"{libdir}/liblaplace_rice_codec.so.{MAJOR}",
        f"{libdir}/liblaplace_rice_codec.so.{VERSION}",
        f"{libdir}/cmake/LaplaceRice/LaplaceRiceConfig.cmake",
        f"{libdir}/cmake/LaplaceRice/LaplaceRiceConfigVersion.cmake",
        f"{libdir}/cmake/LaplaceRice/LaplaceRiceTargets.cmake",
        f"{libdir}/pkgconfig/laplace_rice.pc",
    }
    assert expected <= files, expected - files
    # Nothing of the TensorFlow or Python layers.
    names = [Path(f).name for f in files]
    assert not [n for n in names if n.startswith(("_laplace_rice_ops", "_codec", "_build_info"))]


def test_shared_library_exports_only_the_api(installed):
    if not shutil.which("nm"):
        pytest.skip("needs nm")
    so = next(installed["prefix"].rglob(f"liblaplace_rice_codec.so.{VERSION}"))
    symbols = run("nm", "-D", "--defined-only", "-C", so)
    ours = [line for line in symbols.splitlines() if "laplace_rice::" in line]
    # The entry points are function templates instantiated for the three
    # value types in the library (weak symbols, W), the rest plain functions.
    for family in ("CountBits", "EncodeInto", "Encode", "EncodeToBuffer", "CountBitsParallel",
                   "EncodeParallel", "EncodeUnit", "CountUnitBits", "DecodeTo"):  # fmt: skip
        for value_type in ("int", "float", "double"):
            assert any(f" laplace_rice::{family}<{value_type}>(" in line for line in ours), (
                family,
                value_type,
            )
    # The 1.0 overloads stay exported (cc/codec/src/abi_v1.cc): programs
    # linked against the 1.0 library keep loading.
    v1 = {family: ("int", "float", "double") for family in (
        "CountBits", "EncodeInto", "Encode", "EncodeToBuffer", "CountBitsParallel",
        "EncodeParallel")}  # fmt: skip
    v1["DecodeTo"] = ("unsigned char",)  # its float and double forms
    for family, first_types in v1.items():
        for first in first_types:
            assert any(f" T laplace_rice::{family}({first} const*" in line for line in ours), (
                family,
                first,
            )
    assert any(" T laplace_rice::Decode(unsigned char const*" in line for line in ours)
    # Internal helpers of the codec stay hidden; the only other exports are
    # the type information of lambdas inside the entry points.
    assert not [line for line in ours if "internal::" in line or "anonymous namespace" in line]
    assert all(re.search(r" [TW] laplace_rice::", line) or "::{lambda(" in line for line in ours), (
        ours
    )
    assert not [line for line in ours if "(anonymous namespace)" in line]


def edge_values() -> np.ndarray:
    rng = np.random.default_rng(5)
    values = rng.laplace(scale=3.0, size=5000).round().astype(np.int32)
    values[:700] = 0  # a long run
    values[1000:1010] = [0, 1, -1, 2**31 - 1, -(2**31), 0, 0, 57, -58, 100000]
    return values


def build_app(installed: dict, name: str, *extra: str) -> Path:
    build = installed["tmp"] / name
    run(
        "cmake", "-S", ROOT / "examples" / "cpp_app", "-B", build, *generator(),
        f"-DCMAKE_PREFIX_PATH={installed['prefix']}", *extra,
    )  # fmt: skip
    run("cmake", "--build", build)
    return build / "lr_app"


@pytest.mark.parametrize("linkage", ["shared", "static"])
def test_example_app_round_trip(installed, tmp_path, linkage):
    extra = ["-DLaplaceRice_USE_STATIC_LIBS=ON"] if linkage == "static" else []
    app = build_app(installed, f"app_{linkage}", *extra)
    # The shared build finds the library through its RPATH, the static one
    # does not need it.
    if shutil.which("ldd"):
        assert ("liblaplace_rice_codec.so.1" in run("ldd", app)) == (linkage == "shared")
    raw = tmp_path / "values.i32"
    # Rice magnitudes with a small k write |v| >> k zero bits: the extremes
    # only go with gamma or a large k.
    for params in [(), ("1", "2", "1"), ("-1", "-1", "0"), ("2", "-1", "1"), ("0", "31", "1")]:
        values = edge_values()
        if not params or int(params[1]) in range(0, 20):
            values = np.clip(values, -100000, 100000)
        values.astype("<i4").tofile(raw)
        assert run(app, "roundtrip", raw, *params).startswith(f"ok: {values.size} values")
        code, back = tmp_path / "code.lrc", tmp_path / "back.i32"
        run(app, "encode", raw, code, *params)
        run(app, "decode", code, back, str(values.size), *params)
        decoded = np.fromfile(back, "<i4")
        expected = values.copy()
        if params and int(params[1]) < 0:  # gamma: INT32_MIN -> -INT32_MAX
            expected[expected == -(2**31)] = -(2**31 - 1)
        np.testing.assert_array_equal(decoded, expected)


def test_example_app_reports_bad_strings(installed, tmp_path):
    app = build_app(installed, "app_shared")
    code = tmp_path / "bad.lrc"
    code.write_bytes(b"\x00" * 8)  # a gamma prefix of 64 zero bits
    result = subprocess.run(
        [str(app), "decode", str(code), str(tmp_path / "out.i32"), "10"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("lr_app: decode: ")


def test_find_package_checks_the_version(installed, tmp_path):
    project = tmp_path / "needs2"
    project.mkdir()
    (project / "CMakeLists.txt").write_text(
        "cmake_minimum_required(VERSION 3.18)\nproject(Needs2 LANGUAGES CXX)\n"
        "find_package(LaplaceRice 2.0 REQUIRED)\n"
    )
    result = subprocess.run(
        ["cmake", "-S", str(project), "-B", str(tmp_path / "b"),
         f"-DCMAKE_PREFIX_PATH={installed['prefix']}"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode != 0
    assert VERSION in result.stderr  # names the version it found


def test_pkg_config(installed, tmp_path):
    if not shutil.which("pkg-config"):
        pytest.skip("needs pkg-config")
    pc_dir = next(installed["prefix"].rglob("laplace_rice.pc")).parent
    env = dict(os.environ, PKG_CONFIG_PATH=str(pc_dir))
    assert run("pkg-config", "--modversion", "laplace_rice", env=env).strip() == VERSION
    flags = run("pkg-config", "--cflags", "--libs", "laplace_rice", env=env).split()
    source = tmp_path / "one.cc"
    source.write_text(
        "#include <laplace_rice/codec.h>\n#include <cstdio>\n"
        "int main() {\n"
        "  const int32_t x[] = {0, 0, 3};\n  std::string s;\n"
        "  if (!laplace_rice::Encode(x, 3, laplace_rice::CodeParams{}, &s).ok()) return 1;\n"
        '  std::printf("%02x\\n", static_cast<unsigned char>(s[0]));\n  return 0;\n}\n'
    )
    exe = tmp_path / "one"
    run("c++", "-std=c++17", source, "-o", exe, *flags)
    lib_dir = next(installed["prefix"].rglob("liblaplace_rice_codec.so")).parent
    env_run = dict(os.environ, LD_LIBRARY_PATH=str(lib_dir))
    # Gamma(3) = 011, sign 1, Rice(2, 0) = 001: 0x4e (FORMAT.md).
    assert run(exe, env=env_run).strip() == "4e"


# ---- BUILD (Bazel) stays in step with CMake: same sources, same flags. ----


def bazel_targets() -> dict[str, dict]:
    """The rules in BUILD, by name (Starlark's subset here is Python)."""
    targets: dict[str, dict] = {}

    def rule(**attrs):
        targets[attrs["name"]] = attrs

    def select(branches: dict) -> list:
        return [flag for flags in branches.values() for flag in flags]

    names = dict(cc_library=rule, cc_test=rule, cc_binary=rule, config_setting=rule)
    names.update(package=lambda **_: None, licenses=lambda *_: None, select=select)
    exec(compile((ROOT / "BUILD").read_text(), "BUILD", "exec"), names)
    return targets


def cmake_list(path: str, variable: str) -> list[str]:
    text = (ROOT / path).read_text()
    match = re.search(rf"set\({variable}\s+([^)]*)\)", text)
    assert match, f"{variable} not found in {path}"
    return match.group(1).split()


def under(folder: str, files: list[str]) -> set[str]:
    return {f"{folder}/{f}" for f in files}


def test_bazel_sources_match_cmake():
    targets = bazel_targets()
    codec = targets["codec"]
    sources = {f for f in codec["srcs"] if f.endswith(".cc")}
    assert sources == under("cc/codec", cmake_list("cc/codec/CMakeLists.txt", "CODEC_SOURCES"))
    assert set(codec["hdrs"]) == under(
        "cc/codec", cmake_list("cc/codec/CMakeLists.txt", "CODEC_PUBLIC_HEADERS")
    )
    # Every private header of the codec is listed.
    private = {f"cc/codec/src/{p.name}" for p in (ROOT / "cc/codec/src").glob("*.h")}
    assert private <= set(codec["srcs"])
    assert set(targets["codec_test"]["srcs"]) == under(
        "cc/codec/tests", cmake_list("cc/codec/tests/CMakeLists.txt", "CODEC_TEST_SOURCES")
    )
    ops = targets["ops_kernels"]
    assert {f for f in ops["srcs"] if f.endswith(".cc")} == under(
        "cc/tf", cmake_list("cc/tf/CMakeLists.txt", "OPS_SOURCES")
    )
    assert {f"cc/tf/{p.name}" for p in (ROOT / "cc/tf").glob("*.h")} <= set(ops["srcs"])
    assert ops["alwayslink"] == 1
    assert "@org_tensorflow//tensorflow/core:framework" in ops["deps"]


def test_bazel_flags_match_cmake(installed):
    """The codec's flags in BUILD are those CMake compiles it with."""
    commands = json.loads((installed["build"] / "compile_commands.json").read_text())
    command = next(c for c in commands if c["file"].endswith("cc/codec/src/dispatch.cc"))
    cmake_flags = [f for f in shlex.split(command["command"]) if re.match(r"-(W|O\d|f|std=)", f)]
    cmake_flags = [f for f in cmake_flags if f != "-fPIC"]  # Bazel adds it itself
    # (CMake's Release adds -O3 -DNDEBUG again; bazel -c opt gives -DNDEBUG.)
    assert set(cmake_flags) == set(bazel_targets()["codec"]["copts"])
    warnings = cmake_list("CMakeLists.txt", "LAPLACE_RICE_WARNINGS")
    for target in ("codec", "codec_test", "ops_kernels"):
        copts = bazel_targets()[target]["copts"]
        assert [f for f in copts if f.startswith("-W") and f in warnings] == warnings, target
