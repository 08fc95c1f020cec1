"""scripts/detect_tf.py: which TensorFlow setup.sh builds against, and the
requirement a wheel declares. Fake distributions stand in for installed
ones: no TensorFlow is installed or removed here."""

from __future__ import annotations

import importlib.util
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "detect_tf.py"


def _load():
    spec = importlib.util.spec_from_file_location("detect_tf", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


detect_tf = _load()


class FakeDist:
    """What detect_tf reads of an importlib.metadata.Distribution."""

    def __init__(self, name: str, version: str):
        self.metadata = {"Name": name, "Version": version}


def _decide(*dists):
    return detect_tf.decide(detect_tf.installed([FakeDist(*d) for d in dists]))


@pytest.mark.parametrize(
    "name, version",
    [
        ("tensorflow", "2.16.1"),  # the GPU build; [and-cuda] adds only nvidia-* wheels
        ("tensorflow-cpu", "2.21.0"),
        ("tensorflow_cpu", "2.18.1"),  # metadata may spell it with an underscore
        ("TensorFlow", "2.20.0"),
        ("tf-nightly", "2.21.0.dev20260101"),
        ("tf_nightly_cpu", "2.17.0rc1"),
    ],
)
def test_a_supported_install_is_built_against(name, version):
    status, line = _decide((name, version), ("numpy", "2.0.0"), ("keras", "3.5.0"))
    assert status == 0
    assert line == f"found {detect_tf._normalize(name)} {version}"


def test_none_installed_asks_for_tensorflow_cpu_in_the_range():
    # tensorboard, keras and tensorflow-io-* are TensorFlow's company, not TensorFlow.
    status, line = _decide(("keras", "3.5.0"), ("tensorboard", "2.21.0"), ("numpy", "2.1.0"))
    assert (status, line) == (1, "none")
    assert detect_tf.default_spec() == "tensorflow-cpu>=2.16,<2.22"


@pytest.mark.parametrize("version", ["2.15.1", "2.22.0", "2.22.0.dev20270101", "1.15.5", "x"])
def test_an_unsupported_release_stops_setup(version):
    status, line = _decide(("tensorflow", version))
    assert status == 2
    assert line.startswith(f"unsupported tensorflow {version}")
    assert "2.16 to 2.21" in line
    # The advice keeps the user's distribution: a GPU user is told `tensorflow`.
    assert "'tensorflow>=2.16,<2.22'" in line


def test_two_distributions_over_one_another_are_reported():
    status, line = _decide(("tensorflow-cpu", "2.21.0"), ("tensorflow", "2.21.0"))
    assert status == 3
    assert line.startswith("several tensorflow 2.21.0, tensorflow-cpu 2.21.0")


@pytest.mark.parametrize(
    "name, version, requirement",
    [
        ("tensorflow-cpu", "2.21.0", "tensorflow-cpu>=2.21,<2.22"),
        ("tensorflow", "2.16.2", "tensorflow>=2.16,<2.17"),
        ("tf-nightly", "2.19.0.dev20250101", "tf-nightly>=2.19,<2.20"),
    ],
)
def test_a_build_requires_its_distribution_at_its_release(name, version, requirement):
    assert detect_tf.requirement(detect_tf.Installed(name, version)) == requirement


def _fake_site(tmp_path, *dists):
    for name, version in dists:
        info = tmp_path / f"{name.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    return tmp_path


@pytest.mark.parametrize(
    "dists, args, status, line",
    [
        ([("tensorflow", "2.17.1")], [], 0, "found tensorflow 2.17.1"),
        ([("tensorflow", "2.17.1")], ["--requirement"], 0, "tensorflow>=2.17,<2.18\n"),
        ([("tensorflow-cpu", "2.21.0")], ["--requirement"], 0, "tensorflow-cpu>=2.21,<2.22\n"),
        ([], [], 1, "none"),
        ([], ["--requirement"], 1, "none"),
        ([], ["--pip-spec"], 0, "tensorflow-cpu>=2.16,<2.22\n"),
        ([("tensorflow-cpu", "2.12.0")], [], 2, "unsupported tensorflow-cpu 2.12.0"),
        ([("tensorflow", "2.21.0"), ("tensorflow-cpu", "2.21.0")], [], 3, "several"),
    ],
)
def test_command_line_on_real_metadata(tmp_path, dists, args, status, line):
    # What setup.sh and build_wheel.sh run, on dist-info folders: python -S
    # leaves site-packages (and this machine's own TensorFlow) off sys.path,
    # PYTHONPATH adds the fakes.
    site = _fake_site(tmp_path, *dists)
    result = subprocess.run(
        [sys.executable, "-S", str(SCRIPT), *args],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert result.returncode == status, result.stderr
    assert result.stdout.startswith(line)


def test_setup_sh_follows_the_detection():
    # setup.sh installs TensorFlow only from the --pip-spec branch.
    text = (ROOT / "scripts" / "setup.sh").read_text()
    installs = [ln for ln in text.splitlines() if "pip install" in ln and "tensorflow" in ln]
    assert installs == [], installs
    assert "scripts/detect_tf.py --pip-spec" in text
