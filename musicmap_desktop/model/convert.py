"""Convert the official musicnn 0.1.0 TF checkpoints to safetensors (no TensorFlow).

    python -m musicmap_desktop.model.convert --wheel musicnn-0.1.0-py3-none-any.whl --out weights/

``--wheel`` also accepts an unpacked wheel (the folder holding ``musicnn/``) or
the ``musicnn`` package folder itself.  Get the wheel with
``pip download --no-deps musicnn==0.1.0`` (never install it).
"""

from __future__ import annotations

import argparse
import ast
import json
import logging
import shutil
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file

from .configuration import N_MELS
from .digest import file_sha256
from .musicnn import TF_LAYER_MAP, Musicnn
from .tf_checkpoint import read_checkpoint

log = logging.getLogger(__name__)

# output name -> (checkpoint folder in the wheel, label list in configuration.py)
MODELS = {
    "msd_musicnn": ("MSD_musicnn", "MSD_LABELS"),
    "mtt_musicnn": ("MTT_musicnn", "MTT_LABELS"),
}
CKPT_FILES = (".index", ".data-00000-of-00001")
PACKAGE = {"name": "musicnn", "version": "0.1.0", "source": "https://pypi.org/project/musicnn/0.1.0/",
           "authors": "Jordi Pons, Xavier Serra", "license": "ISC"}


def _package_dir(src: Path, tmp: Path) -> Path:
    """Locate (extracting if needed) the ``musicnn`` package folder."""
    if src.is_file():
        with zipfile.ZipFile(src) as zf:
            prefixes = ["musicnn/configuration.py"] + [f"musicnn/{d}/" for d, _ in MODELS.values()]
            wanted = [n for n in zf.namelist() if n.startswith(tuple(prefixes))
                      or ".dist-info/LICENSE" in n]
            zf.extractall(tmp, members=wanted)
        src = tmp
    for cand in (src, src / "musicnn"):
        if (cand / "configuration.py").is_file():
            return cand
    raise FileNotFoundError(f"no musicnn package (configuration.py) under {src}")


def read_labels(config_py: Path, var: str) -> list[str]:
    """Read a list literal from musicnn/configuration.py without importing it."""
    tree = ast.parse(config_py.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == var for t in node.targets):
            return [str(x) for x in ast.literal_eval(node.value)]
    raise KeyError(f"{var} not found in {config_py}")


def config_from_variables(v: dict[str, np.ndarray]) -> dict:
    """Musicnn constructor arguments read off the checkpoint shapes."""
    return dict(
        n_mels=None,  # set by caller from the timbral kernel widths
        n_classes=int(v["dense_1/kernel"].shape[1]),
        timbral_filters=int(v["conv2d/kernel"].shape[3]),
        temporal_filters=int(v["conv2d_2/kernel"].shape[3]),
        midend_filters=int(v["conv2d_5/kernel"].shape[3]),
        backend_units=int(v["dense/kernel"].shape[1]),
        timbral_widths=[int(v["conv2d/kernel"].shape[1]), int(v["conv2d_1/kernel"].shape[1])],
        temporal_lengths=[int(v[f"conv2d_{i}/kernel"].shape[0]) for i in (2, 3, 4)],
    )


def to_state_dict(v: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
    """Map TF variables to Musicnn state_dict entries (kernels re-laid-out)."""
    sd: dict[str, torch.Tensor] = {}
    for scope, path in TF_LAYER_MAP.items():
        if scope.startswith("batch_normalization"):
            for tf_name, pt_name in (("gamma", "weight"), ("beta", "bias"),
                                     ("moving_mean", "running_mean"),
                                     ("moving_variance", "running_var")):
                sd[f"{path}.{pt_name}"] = torch.from_numpy(v[f"{scope}/{tf_name}"].copy())
            sd[f"{path}.num_batches_tracked"] = torch.tensor(0, dtype=torch.int64)
            continue
        k, b = v[f"{scope}/kernel"], v[f"{scope}/bias"]
        if scope.startswith("dense"):
            w = k.T  # [in, out] -> [out, in]
        elif path.startswith("midend"):
            w = k[:, :, 0, :].transpose(2, 1, 0)  # [7, C, 1, out] -> [out, C, 7]
        else:
            w = k.transpose(3, 2, 0, 1)  # [kt, kf, in, out] -> [out, in, kt, kf]
        sd[f"{path}.weight"] = torch.from_numpy(np.ascontiguousarray(w))
        sd[f"{path}.bias"] = torch.from_numpy(b.copy())
    used = {f"{s}/{n}" for s in TF_LAYER_MAP for n in
            ("kernel", "bias", "gamma", "beta", "moving_mean", "moving_variance")}
    unused = sorted(set(v) - used)
    if unused:
        raise ValueError(f"checkpoint variables not mapped: {unused}")
    return sd


def convert_one(pkg: Path, name: str, out: Path) -> dict:
    folder, label_var = MODELS[name]
    ckpt = pkg / folder
    variables = read_checkpoint(str(ckpt) + "/")
    config = config_from_variables(variables)
    config["n_mels"] = N_MELS  # kernels are 0.4/0.7 of it
    model = Musicnn(**config)
    sd = to_state_dict(variables)
    model.load_state_dict(sd, strict=True)  # shapes and names checked here
    tags = read_labels(pkg / "configuration.py", label_var)
    if len(tags) != config["n_classes"]:
        raise ValueError(f"{name}: {len(tags)} labels for {config['n_classes']} outputs")
    weights = out / f"{name}.safetensors"
    # One metadata key only: safetensors serialises metadata from a hash map, so
    # several keys come out in random order and the file hash would vary.
    save_file({k: t.contiguous() for k, t in sd.items()}, str(weights), metadata={"format": "pt"})
    weights.chmod(0o644)
    meta = {
        "name": name,
        "architecture": "musicnn",
        "config": config,
        "tags": tags,
        "source": {**PACKAGE, "checkpoint": f"musicnn/{folder}/",
                   "checkpoint_sha256": {f: file_sha256(ckpt / f) for f in CKPT_FILES}},
        "weights_sha256": file_sha256(weights),
        "n_parameters": int(sum(p.numel() for p in model.parameters())),
    }
    (out / f"{name}.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n",
                                      encoding="utf-8")
    log.info("%s: %d tensors -> %s", name, len(sd), weights)
    return meta


def convert(src: Path, out: Path) -> list[dict]:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        pkg = _package_dir(Path(src), Path(tmp))
        metas = [convert_one(pkg, name, out) for name in MODELS]
        licences = sorted(pkg.parent.glob("musicnn-*.dist-info/LICENSE*"))
        if licences:
            shutil.copyfile(licences[0], out / "LICENSE-musicnn.txt")
    return metas


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wheel", required=True, type=Path,
                    help="musicnn-0.1.0-py3-none-any.whl, or an unpacked copy")
    ap.add_argument("--out", required=True, type=Path, help="output folder (e.g. weights/)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for meta in convert(args.wheel, args.out):
        log.info("%s: %d parameters, sha256 %s", meta["name"], meta["n_parameters"], meta["weights_sha256"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
