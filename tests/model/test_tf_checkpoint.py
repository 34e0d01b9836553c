"""TF V2 checkpoint reader and converter, on checkpoints written by the test itself."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from musicmap_desktop.model import convert
from musicmap_desktop.model.musicnn import TF_LAYER_MAP, Musicnn
from musicmap_desktop.model.tf_checkpoint import (
    TABLE_MAGIC, CheckpointError, crc32c, masked_crc32c, read_checkpoint, snappy_decompress)

# --- a minimal writer for the TF V2 format (LevelDB table + raw data file) -----

_DTYPE_ENUM = {np.dtype("float32"): 1, np.dtype("float64"): 2, np.dtype("int32"): 3,
               np.dtype("int64"): 9, np.dtype("float16"): 19}


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(num: int, wire: int, payload: bytes) -> bytes:
    return _varint(num << 3 | wire) + payload


def _bundle_entry(arr: np.ndarray, offset: int, raw: bytes) -> bytes:
    shape = b"".join(_field(2, 2, _varint(len(d)) + d)
                     for d in (_field(1, 0, _varint(n)) for n in arr.shape))
    msg = _field(1, 0, _varint(_DTYPE_ENUM[arr.dtype]))
    msg += _field(2, 2, _varint(len(shape)) + shape)
    if offset:  # proto3 leaves zero-valued fields out
        msg += _field(4, 0, _varint(offset))
    msg += _field(5, 0, _varint(len(raw)))
    return msg + _field(6, 5, struct.pack("<I", masked_crc32c(raw)))


def _snappy_literals(data: bytes) -> bytes:
    """A valid snappy stream made of literals only (enough to exercise decoding)."""
    out = bytearray(_varint(len(data)))
    for i in range(0, len(data), 60):
        chunk = data[i:i + 60]
        out += bytes([(len(chunk) - 1) << 2]) + chunk
    return bytes(out)


def _block(items: list[tuple[bytes, bytes]], restart_every: int = 2) -> bytes:
    out, restarts, prev = bytearray(), [], b""
    for i, (key, value) in enumerate(items):
        shared = 0
        if i % restart_every == 0:
            restarts.append(len(out))
        else:
            while shared < min(len(prev), len(key)) and prev[shared] == key[shared]:
                shared += 1
        out += _varint(shared) + _varint(len(key) - shared) + _varint(len(value))
        out += key[shared:] + value
        prev = key
    restarts = restarts or [0]
    out += b"".join(struct.pack("<I", r) for r in restarts) + struct.pack("<I", len(restarts))
    return bytes(out)


def _table(items: list[tuple[bytes, bytes]], per_block: int = 3, snappy: bool = False) -> bytes:
    data, index = bytearray(), []

    def put(block: bytes, compress: bool) -> bytes:
        payload, ctype = (_snappy_literals(block), 1) if compress else (block, 0)
        handle = _varint(len(data)) + _varint(len(payload))
        data.extend(payload + bytes([ctype]))
        data.extend(struct.pack("<I", masked_crc32c(payload + bytes([ctype]))))
        return handle

    for i in range(0, len(items), per_block):
        chunk = items[i:i + per_block]
        index.append((chunk[-1][0], put(_block(chunk), snappy)))
    meta_handle = put(_block([]), False)
    index_handle = put(_block(index, restart_every=1), False)
    footer = (meta_handle + index_handle).ljust(40, b"\0") + struct.pack("<Q", TABLE_MAGIC)
    return bytes(data) + footer


def write_checkpoint(prefix: str, tensors: dict[str, np.ndarray], snappy: bool = False) -> None:
    data, entries = bytearray(), []
    for name in sorted(tensors):
        arr = np.asarray(tensors[name])  # (ascontiguousarray would make scalars 1-d)
        raw = arr.astype(arr.dtype.newbyteorder("<")).tobytes()
        entries.append((name.encode(), _bundle_entry(arr, len(data), raw)))
        data += raw
    header = _field(1, 0, _varint(1)) + _field(3, 2, _varint(2) + _field(1, 0, _varint(1)))
    with open(prefix + ".index", "wb") as f:
        f.write(_table([(b"", header)] + entries, snappy=snappy))
    with open(prefix + ".data-00000-of-00001", "wb") as f:
        f.write(data)


# --- reader tests ----------------------------------------------------------------

def test_crc32c_known_vector():
    assert crc32c(b"123456789") == 0xE3069283


def test_snappy_copy_with_overlap():
    # "abc" literal, then a 9-byte copy at offset 3 (overlapping), then "X".
    stream = _varint(13) + bytes([(3 - 1) << 2]) + b"abc" + bytes([((9 - 4) << 2) | 1, 3]) + b"\0X"
    assert snappy_decompress(stream) == b"abcabcabcabcX"


@pytest.mark.parametrize("snappy", [False, True])
def test_reads_variables_and_drops_optimizer_state(tmp_path, snappy):
    rng = np.random.default_rng(0)
    tensors = {
        "conv2d/kernel": rng.standard_normal((7, 38, 1, 4)).astype(np.float32),
        "conv2d/kernel/Adam": rng.standard_normal((7, 38, 1, 4)).astype(np.float32),
        "conv2d/kernel/Adam_1": rng.standard_normal((7, 38, 1, 4)).astype(np.float32),
        "conv2d/bias": np.arange(4, dtype=np.float32),
        "batch_normalization/gamma": np.array([-0.5], np.float32),
        "batch_normalization_10/beta": rng.standard_normal(200).astype(np.float64),
        "half": np.array([[1.5, -2.25]], np.float16),
        "count": np.array(7, np.int32),
        "global_step": np.array(12345, np.int64),
        "beta1_power": np.array(0.9, np.float32),
    }
    prefix = str(tmp_path / "ckpt")
    write_checkpoint(prefix, tensors, snappy=snappy)
    got = read_checkpoint(prefix)
    kept = {k for k in tensors if "/Adam" not in k and k not in ("global_step", "beta1_power")}
    assert set(got) == kept
    for k in kept:
        assert got[k].dtype == tensors[k].dtype and got[k].shape == tensors[k].shape
        np.testing.assert_array_equal(got[k], tensors[k])
    everything = read_checkpoint(prefix, keep_all=True)
    assert set(everything) == set(tensors)
    assert everything["global_step"] == 12345


def test_corruption_is_detected(tmp_path):
    prefix = str(tmp_path / "ckpt")
    write_checkpoint(prefix, {"w": np.ones((3, 3), np.float32)})
    data_file = tmp_path / "ckpt.data-00000-of-00001"
    raw = bytearray(data_file.read_bytes())
    raw[5] ^= 0xFF
    data_file.write_bytes(bytes(raw))
    with pytest.raises(CheckpointError, match="crc"):
        read_checkpoint(prefix)
    index = tmp_path / "ckpt.index"
    index.write_bytes(index.read_bytes()[:-1] + b"\0")
    with pytest.raises(CheckpointError, match="magic"):
        read_checkpoint(prefix)


# --- converter, end to end on a fake musicnn package with small random weights --

def _tf_variables(cfg: dict, rng) -> dict[str, np.ndarray]:
    """TF-named, TF-shaped variables for a Musicnn config (as build_musicnn creates them)."""
    model = Musicnn(**cfg)
    shapes = {n: tuple(p.shape) for n, p in model.state_dict().items()}
    v = {}
    for scope, path in TF_LAYER_MAP.items():
        if scope.startswith("batch_normalization"):
            n = shapes[f"{path}.weight"][0]
            v[f"{scope}/gamma"] = rng.standard_normal(n).astype(np.float32)
            v[f"{scope}/beta"] = rng.standard_normal(n).astype(np.float32)
            v[f"{scope}/moving_mean"] = rng.standard_normal(n).astype(np.float32)
            v[f"{scope}/moving_variance"] = rng.uniform(0.5, 2, n).astype(np.float32)
            continue
        w = shapes[f"{path}.weight"]
        if scope.startswith("dense"):
            k = (w[1], w[0])
        elif len(w) == 3:  # conv1d [out, C, 7] <- TF [7, C, 1, out]
            k = (w[2], w[1], 1, w[0])
        else:  # conv2d [out, in, kt, kf] <- TF [kt, kf, in, out]
            k = (w[2], w[3], w[1], w[0])
        v[f"{scope}/kernel"] = rng.standard_normal(k).astype(np.float32)
        v[f"{scope}/bias"] = rng.standard_normal(w[0]).astype(np.float32)
    return v


def test_convert_fake_wheel(tmp_path):
    cfg = dict(n_mels=96, n_classes=5, timbral_filters=6, temporal_filters=3,
               midend_filters=4, backend_units=7)
    rng = np.random.default_rng(1)
    pkg = tmp_path / "unpacked" / "musicnn"
    labels = {}
    for folder, var in convert.MODELS.values():
        (pkg / folder).mkdir(parents=True)
        v = _tf_variables(cfg, rng)
        v.update({f"{k}/Adam": x for k, x in list(v.items())[:3]}, global_step=np.array(3, np.int64))
        write_checkpoint(str(pkg / folder) + "/", v)
        labels[var] = [f"{folder}-tag{i}" for i in range(cfg["n_classes"])]
    (pkg / "configuration.py").write_text(
        "N_MELS = 96\n" + "".join(f"{k} = {v!r}\n" for k, v in labels.items()))
    dist = tmp_path / "unpacked" / "musicnn-0.1.0.dist-info"
    dist.mkdir()
    (dist / "LICENSE.md").write_text("ISC licence text\n")

    outs = [tmp_path / "out1", tmp_path / "out2"]
    for out in outs:
        assert convert.main(["--wheel", str(tmp_path / "unpacked"), "--out", str(out)]) == 0
    assert (outs[0] / "LICENSE-musicnn.txt").read_text() == "ISC licence text\n"
    for name, (folder, var) in convert.MODELS.items():
        meta = json.loads((outs[0] / f"{name}.json").read_text())
        assert meta["tags"] == labels[var]
        assert {k: meta["config"][k] for k in cfg} == cfg
        files = [out / f"{name}.safetensors" for out in outs]
        assert files[0].read_bytes() == files[1].read_bytes()  # deterministic output
        assert meta["weights_sha256"] == convert.file_sha256(files[0])
        src = read_checkpoint(str(pkg / folder) + "/")
        sd = load_file(str(files[0]))
        model = Musicnn(**meta["config"])
        model.load_state_dict(sd)
        torch.testing.assert_close(sd["timbral.1.conv.weight"][2, 0, 5, 9],
                                   torch.tensor(src["conv2d_1/kernel"][5, 9, 0, 2]))
        torch.testing.assert_close(sd["midend.1.conv.weight"][3, 2, 6],
                                   torch.tensor(src["conv2d_6/kernel"][6, 2, 0, 3]))
        torch.testing.assert_close(sd["dense.weight"][1, 4], torch.tensor(src["dense/kernel"][4, 1]))
        torch.testing.assert_close(sd["bn_pool.running_var"], torch.tensor(
            src["batch_normalization_9/moving_variance"]))
        out = model(torch.zeros(2, 187, 96))
        assert out.logits.shape == (2, 5) and out.penultimate.shape == (2, 7)
