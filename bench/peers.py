"""Raw codecs on B: ours without TensorFlow (laplace_rice.codec, else the C++
driver bench/codec_bench) and the other coders a user might pick."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
from common import HERE, ROOT, SCALE, log, median_seconds


def our_raw_codec(symbols: np.ndarray, params: dict, repeats: int, workdir: str) -> dict:
    """laplace_rice.codec (pybind11) if built, else the C++ driver bench/codec_bench."""
    try:
        from laplace_rice import codec  # noqa: PLC0415

        encoded = codec.encode(symbols, **params)
        enc_s, _ = median_seconds(lambda: codec.encode(symbols, **params), repeats)
        dec_s, _ = median_seconds(lambda: codec.decode(encoded, symbols.shape, **params), repeats)
        ok = np.array_equal(np.asarray(codec.decode(encoded, symbols.shape, **params)), symbols)
        return dict(
            via="laplace_rice.codec (Python)",
            encode_s=enc_s,
            decode_s=dec_s,
            bytes=len(encoded),
            round_trip_ok=bool(ok),
        )
    except ImportError as error:
        log(f"raw codec: laplace_rice.codec not importable ({error}); using bench/codec_bench")
    exe = build_codec_bench()
    path = os.path.join(workdir, "b_int32.npy")
    np.save(path, symbols)
    args = [
        exe,
        path,
        str(params["run_length_code"]),
        str(params["magnitude_code"]),
        str(int(params["use_run_length_for_non_zeros"])),
        str(repeats),
    ]
    out = json.loads(subprocess.run(args, check=True, stdout=subprocess.PIPE, text=True).stdout)
    return dict(
        via="bench/codec_bench (C++ driver)",
        encode_s=out["encode_s"],
        decode_s=out["decode_s"],
        count_s=out["count_s"],
        bytes=out["bytes"],
        round_trip_ok=True,  # the driver exits non-zero on a mismatch
    )


def build_codec_bench() -> str:
    build = os.path.join(ROOT, "build", "bench")
    env = dict(os.environ, CMAKE_BUILD_PARALLEL_LEVEL="2")
    if not os.path.exists(os.path.join(build, "CMakeCache.txt")):
        generator = ["-G", "Ninja"] if shutil.which("ninja") else []
        subprocess.run(
            ["cmake", "-S", HERE, "-B", build, "-DCMAKE_BUILD_TYPE=Release", *generator],
            check=True,
            stdout=sys.stderr,
            env=env,
        )
    subprocess.run(["cmake", "--build", build], check=True, stdout=sys.stderr, env=env)
    return os.path.join(build, "codec_bench")


def peers(symbols: np.ndarray, repeats: int) -> list[dict]:
    """Other coders a user might pick, single-threaded, on the same int32 symbols."""
    rows = []

    def add(name, encode, decode, check):
        try:
            encoded = encode()
            enc_s, _ = median_seconds(encode, repeats)
            dec_s, _ = median_seconds(lambda: decode(encoded), repeats)
            size = encoded.nbytes if hasattr(encoded, "nbytes") else len(encoded)
            rows.append(
                dict(
                    name=name,
                    encode_s=enc_s,
                    decode_s=dec_s,
                    bytes=int(size),
                    round_trip_ok=bool(check(decode(encoded))),
                )
            )
        except Exception as error:  # noqa: BLE001 - a missing peer is reported, not fatal
            rows.append(dict(name=name, error=f"{type(error).__name__}: {error}"))

    same = lambda out: np.array_equal(np.asarray(out).reshape(symbols.shape), symbols)  # noqa: E731
    try:
        import imagecodecs

        add(
            "FITS Rice (imagecodecs.rcomp)",
            lambda: imagecodecs.rcomp_encode(symbols, nblock=32),
            lambda e: imagecodecs.rcomp_decode(e, shape=symbols.shape, dtype=np.int32, nblock=32),
            same,
        )
        flags = imagecodecs.AEC.FLAG.DATA_SIGNED | imagecodecs.AEC.FLAG.DATA_PREPROCESS
        add(
            "libaec (imagecodecs.aec, int32)",
            lambda: imagecodecs.aec_encode(symbols, bitspersample=32, flags=flags),
            lambda e: imagecodecs.aec_decode(
                e, bitspersample=32, flags=flags, out=np.empty_like(symbols)
            ),
            same,
        )
        small = symbols.astype(np.int8)
        add(
            "libaec (imagecodecs.aec, int8)",
            lambda: imagecodecs.aec_encode(small, bitspersample=8, flags=flags),
            lambda e: imagecodecs.aec_decode(
                e, bitspersample=8, flags=flags, out=np.empty_like(small)
            ),
            lambda out: np.array_equal(out, small),
        )
    except ImportError as error:
        rows.append(dict(name="imagecodecs", error=str(error)))
    try:
        import zstandard

        for label, data, dtype in (("int32", symbols, np.int32), ("int8", None, np.int8)):
            arr = symbols.astype(dtype) if data is None else data
            raw = arr.tobytes()
            add(
                f"zstd level 3 ({label})",
                lambda raw=raw: zstandard.ZstdCompressor(level=3).compress(raw),
                lambda e: zstandard.ZstdDecompressor().decompress(e),
                lambda out, raw=raw: out == raw,
            )
    except ImportError as error:
        rows.append(dict(name="zstandard", error=str(error)))
    try:
        import constriction

        model = constriction.stream.model.QuantizedLaplace(
            int(symbols.min()), int(symbols.max()), 0.0, SCALE
        )

        def ans_encode():
            coder = constriction.stream.stack.AnsCoder()
            coder.encode_reverse(symbols, model)
            return coder.get_compressed()

        add(
            "constriction ANS, quantized Laplace",
            ans_encode,
            lambda e: constriction.stream.stack.AnsCoder(e).decode(model, symbols.size),
            same,
        )
    except ImportError as error:
        rows.append(dict(name="constriction", error=str(error)))
    return rows
