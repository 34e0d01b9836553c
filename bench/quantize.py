"""An int8 ONNX Runtime graph of the lean Musicnn, calibrated on real music windows: a
measuring tool. Int8 was measured and rejected (docs/listening-speed.md: 91 % top-3 tag
agreement with float on VNNI kernels, 72 % on AVX2 ones, against the >= 95 % required), so
no int8 graph ships and the engine never runs one; this rebuilds it to measure again.

    .venv/bin/python bench/quantize.py --calibration FILES.txt --out /tmp/int8/ [--name msd_musicnn]
    .venv/bin/python bench/listen.py --int8 /tmp/int8/msd_musicnn.int8.onnx

FILES.txt lists music files, one per line (``#`` comments allowed); only ever allowed
sources, never the reserved evaluation packages. Each gives the windows the engine would
embed (20, default plan), decoded and log-mel'd exactly as the engine does.

Static QDQ quantisation of weights/<name>.lean.onnx (model/lean.py): per-channel int8
weights, uint8 activations, MinMax ranges, for the timbral and mid-end convolutions, the
MaxPools after the timbral ones (the max is taken on uint8, before dequantising) and the
dense layers. The temporal convolutions stay float: ONNX Runtime's int8 kernel ran their
(k x 1) single-input-channel shape 4x slower than float. ``--reduce-range`` quantises the
weights to 7 bits, which avoids the int16 saturation of AVX2's (non-VNNI) u8 x s8 kernel.

Writes <name>.int8.onnx and <name>.int8.json (settings, onnxruntime version, and every
calibration file with its sha256). Needs the ``onnx`` package (the ``build`` extra);
deterministic for the same files and onnxruntime version.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import tempfile
from importlib import resources
from pathlib import Path

import numpy as np

from musicmap_desktop.model import registry
from musicmap_desktop.model.digest import file_sha256

log = logging.getLogger(__name__)

BATCH = 4  # calibration windows per run (equal shapes; bounded memory)


def calibration_windows(paths: list[str], n_windows: int = 20) -> np.ndarray:
    """[N, 187, 96] float32 log-mel windows of the files, as the engine computes them."""
    import torch

    from musicmap_desktop.core.audio import decode_segments
    from musicmap_desktop.core.tags import read_info
    from musicmap_desktop.core.windows import plan_windows, segment_starts
    from musicmap_desktop.model.melspec import log_mel

    out = []
    for p in paths:
        with open(p, "rb") as f:
            duration = read_info(f, p).duration
        segs = decode_segments(p, segment_starts(plan_windows(duration, n_windows)))
        out.append(log_mel(torch.from_numpy(segs), center=False, precise=False).numpy())
    return np.concatenate(out)


def _quantizable(graph) -> list[str]:
    """Timbral and mid-end convs, the timbral MaxPools, the dense layers; not the temporal convs."""
    keep = ("/timbral.", "/midend.", "/dense/", "/classifier/")
    return [n.name for n in graph.node
            if n.op_type in ("Conv", "MaxPool", "Gemm") and any(k in n.name for k in keep)]


def quantize(name: str, windows: np.ndarray, out: Path, reduce_range: bool = False) -> Path:
    import onnx
    from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat,
                                          QuantType, quantize_static)
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(CalibrationDataReader):
        def __init__(self):
            self._it = (windows[i:i + BATCH] for i in range(0, len(windows) - BATCH + 1, BATCH))

        def get_next(self):
            batch = next(self._it, None)
            return None if batch is None else {"logmel": batch}

    lean = resources.files(registry.WEIGHTS_PACKAGE) / f"{name}.lean.onnx"
    with tempfile.TemporaryDirectory() as tmp:
        prepared = os.path.join(tmp, "prepared.onnx")
        with resources.as_file(lean) as src:
            quant_pre_process(str(src), prepared)
        nodes = _quantizable(onnx.load(prepared).graph)
        quantize_static(prepared, str(out), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        calibrate_method=CalibrationMethod.MinMax, op_types_to_quantize=["Conv", "MaxPool", "Gemm"],
                        nodes_to_quantize=nodes, reduce_range=reduce_range)
    return out


def read_list(path: Path) -> list[str]:
    lines = (ln.split("#", 1)[0].strip() for ln in path.read_text(encoding="utf-8").splitlines())
    return [ln for ln in lines if ln]


def main(argv: list[str] | None = None) -> int:
    import onnxruntime

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--name", default=registry.DEFAULT_MODEL, choices=sorted(registry.MODELS))
    ap.add_argument("--calibration", type=Path, required=True, help="text file: one music file per line")
    ap.add_argument("--out", type=Path, required=True, help="a folder outside weights/: int8 does not ship")
    ap.add_argument("--reduce-range", action="store_true", help="7-bit weights (no AVX2 int16 saturation)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    args.out.mkdir(parents=True, exist_ok=True)
    files = read_list(args.calibration)
    windows = calibration_windows(files)
    log.info("calibrating on %d windows of %d files", len(windows), len(files))
    path = quantize(args.name, windows, args.out / f"{args.name}.int8.onnx", args.reduce_range)
    record = {"model": args.name, "from": f"{args.name}.lean.onnx", "onnxruntime": onnxruntime.__version__,
              "format": "QDQ", "weights": "int8 per channel" + (", 7-bit (reduce_range)" if args.reduce_range else ""),
              "activations": "uint8, MinMax", "windows": int(len(windows)), "sha256": file_sha256(str(path)),
              "calibration": [{"file": f, "sha256": file_sha256(f)} for f in files]}
    path.with_suffix(".json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    log.info("wrote %s (%d bytes)", path, path.stat().st_size)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
