"""Export the bundled Musicnn networks to ONNX, for the faster CPU engine (ONNX Runtime).

    python -m musicmap_desktop.model.onnx_export --out weights/

Writes ``<name>.onnx`` (every filter) and ``<name>.lean.onnx`` (model/lean.py: the dead
filters as constants; the CPU engine's default) for each bundled backbone, byte for byte
the files in weights/ (their sha256: weights/README.md). Input: log-mel windows
[batch, WINDOW_FRAMES, N_MELS] (model/configuration.py); outputs (OUTPUTS): penultimate
[batch, 200], taggram [batch, 50], and the mid-end mean and max pools [batch, 753] each (what
the closed-form album model reads), all from the one pass. Needs torch and the `onnx`
package (the ``build`` extra) at export time only; the app needs just onnxruntime, which
reads the graph (protobuf, nothing unpickled).
"""
from __future__ import annotations

import argparse
import logging
from pathlib import Path

import torch

from . import registry
from .configuration import N_MELS, WINDOW_FRAMES

log = logging.getLogger(__name__)

OUTPUTS = ("penultimate", "taggram", "mean_pool", "max_pool")  # the graphs' outputs, in this order


class _Outputs(torch.nn.Module):
    def __init__(self, model) -> None:
        super().__init__()
        self.model = model

    def forward(self, x):
        out = self.model(x)
        return out.penultimate, out.taggram, out.mean_pool, out.max_pool


def export(name: str, out_dir: Path, lean: bool = False) -> Path:
    model = registry.build(name).model
    if lean:
        from .lean import lean as make_lean, summary

        make_lean(model)
        log.info("%s: computed/all filters: %s", name, summary(model))
    path = out_dir / (f"{name}.lean.onnx" if lean else f"{name}.onnx")
    example = torch.zeros(2, WINDOW_FRAMES, N_MELS)
    torch.onnx.export(_Outputs(model), (example,), str(path), dynamo=False, opset_version=17,
                      input_names=["logmel"], output_names=list(OUTPUTS),
                      dynamic_axes={axis: {0: "batch"} for axis in ("logmel", *OUTPUTS)})
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=Path("weights"))
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for name in registry.MODELS:
        for lean in (False, True):
            log.info("wrote %s", export(name, args.out, lean))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
