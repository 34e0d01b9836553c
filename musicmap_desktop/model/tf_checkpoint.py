"""Read TensorFlow "V2" checkpoints with plain Python + numpy (no TensorFlow).

A V2 checkpoint is ``PREFIX.index`` (a LevelDB-style sorted table mapping each
variable name to a ``BundleEntryProto``) plus ``PREFIX.data-00000-of-0000N``
(raw little-endian tensor bytes).  Only what the musicnn checkpoints need is
supported: numeric dtypes, unsliced tensors, uncompressed or snappy blocks.
"""

from __future__ import annotations

import logging
import os
import struct
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

TABLE_MAGIC = 0xDB4775248B80FB57
FOOTER_LEN = 48  # two padded block handles (40 bytes) + 8-byte magic
BLOCK_TRAILER_LEN = 5  # 1 byte compression type + 4 byte masked crc32c

# tensorflow/core/framework/types.proto -> numpy (little-endian)
DTYPES = {
    1: np.dtype("<f4"), 2: np.dtype("<f8"), 3: np.dtype("<i4"), 4: np.dtype("u1"),
    5: np.dtype("<i2"), 6: np.dtype("i1"), 9: np.dtype("<i8"), 10: np.dtype("?"),
    17: np.dtype("<u2"), 19: np.dtype("<f2"), 22: np.dtype("<u4"), 23: np.dtype("<u8"),
}

# Optimizer slots and training bookkeeping are not model variables.
_SKIP_SUBSTRINGS = ("/Adam", "/Momentum", "/RMSProp", "/ExponentialMovingAverage")
_SKIP_NAMES = ("global_step", "beta1_power", "beta2_power", "")


class CheckpointError(ValueError):
    pass


# --- CRC32C (Castagnoli), masked as in LevelDB / TF -------------------------

def _crc_table() -> list[int]:
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC_TABLE = _crc_table()


def crc32c(data: bytes, crc: int = 0) -> int:
    crc ^= 0xFFFFFFFF
    table = _CRC_TABLE
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data: bytes) -> int:
    crc = crc32c(data)
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


# --- varints, snappy ---------------------------------------------------------

def read_varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise CheckpointError("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise CheckpointError("varint too long")


def snappy_decompress(buf: bytes) -> bytes:
    """Raw snappy format (what LevelDB blocks use when compression type is 1)."""
    n, pos = read_varint(buf, 0)
    out = bytearray()
    while pos < len(buf):
        tag = buf[pos]
        pos += 1
        kind = tag & 3
        if kind == 0:  # literal
            length = tag >> 2
            if length >= 60:
                nb = length - 59
                length = int.from_bytes(buf[pos:pos + nb], "little")
                pos += nb
            length += 1
            out += buf[pos:pos + length]
            pos += length
            continue
        if kind == 1:
            length = 4 + ((tag >> 2) & 7)
            offset = ((tag >> 5) << 8) | buf[pos]
            pos += 1
        elif kind == 2:
            length = (tag >> 2) + 1
            offset = int.from_bytes(buf[pos:pos + 2], "little")
            pos += 2
        else:
            length = (tag >> 2) + 1
            offset = int.from_bytes(buf[pos:pos + 4], "little")
            pos += 4
        if offset == 0 or offset > len(out):
            raise CheckpointError("bad snappy copy offset")
        start = len(out) - offset
        for i in range(length):  # byte by byte: copies may overlap their output
            out.append(out[start + i])
    if len(out) != n:
        raise CheckpointError("snappy length mismatch")
    return bytes(out)


# --- SSTable -----------------------------------------------------------------

def _read_block(data: bytes, offset: int, size: int) -> bytes:
    end = offset + size
    if end + BLOCK_TRAILER_LEN > len(data):
        raise CheckpointError("block handle out of range")
    contents, ctype = data[offset:end], data[end]
    (crc,) = struct.unpack_from("<I", data, end + 1)
    if masked_crc32c(data[offset:end + 1]) != crc:
        raise CheckpointError(f"block crc mismatch at offset {offset}")
    if ctype == 0:
        return contents
    if ctype == 1:
        return snappy_decompress(contents)
    raise CheckpointError(f"unsupported block compression {ctype}")


def _block_entries(block: bytes):
    """Yield (key, value) of one block; keys are prefix-compressed."""
    if len(block) < 4:
        raise CheckpointError("block too short")
    (num_restarts,) = struct.unpack_from("<I", block, len(block) - 4)
    limit = len(block) - 4 - 4 * num_restarts
    pos, key = 0, b""
    while pos < limit:
        shared, pos = read_varint(block, pos)
        non_shared, pos = read_varint(block, pos)
        value_len, pos = read_varint(block, pos)
        if shared > len(key):
            raise CheckpointError("bad shared key prefix")
        key = key[:shared] + block[pos:pos + non_shared]
        pos += non_shared
        yield key, block[pos:pos + value_len]
        pos += value_len


def read_table(data: bytes) -> dict[bytes, bytes]:
    """All key/value pairs of a LevelDB-format table held in memory."""
    if len(data) < FOOTER_LEN:
        raise CheckpointError("index file too short")
    footer = data[-FOOTER_LEN:]
    (magic,) = struct.unpack_from("<Q", footer, 40)
    if magic != TABLE_MAGIC:
        raise CheckpointError("not a TF/LevelDB table (bad magic)")
    _meta_off, pos = read_varint(footer, 0)
    _meta_size, pos = read_varint(footer, pos)
    idx_off, pos = read_varint(footer, pos)
    idx_size, pos = read_varint(footer, pos)
    entries: dict[bytes, bytes] = {}
    for _, handle in _block_entries(_read_block(data, idx_off, idx_size)):
        off, p = read_varint(handle, 0)
        size, _ = read_varint(handle, p)
        entries.update(_block_entries(_read_block(data, off, size)))
    return entries


# --- BundleEntryProto --------------------------------------------------------

def _proto_fields(buf: bytes):
    """Yield (field_number, value) of a protobuf message (varint/len/fixed)."""
    pos = 0
    while pos < len(buf):
        tag, pos = read_varint(buf, pos)
        field, wire = tag >> 3, tag & 7
        if wire == 0:
            value, pos = read_varint(buf, pos)
        elif wire == 1:
            value, pos = buf[pos:pos + 8], pos + 8
        elif wire == 2:
            n, pos = read_varint(buf, pos)
            value, pos = buf[pos:pos + n], pos + n
        elif wire == 5:
            value, pos = buf[pos:pos + 4], pos + 4
        else:
            raise CheckpointError(f"unsupported protobuf wire type {wire}")
        yield field, value


def parse_bundle_entry(buf: bytes) -> dict:
    entry = {"dtype": 0, "shape": [], "shard_id": 0, "offset": 0, "size": 0,
             "crc32c": None, "sliced": False}
    for field, value in _proto_fields(buf):
        if field == 1:
            entry["dtype"] = value
        elif field == 2:  # TensorShapeProto: repeated Dim dim = 2 {int64 size = 1}
            for f, dim in _proto_fields(value):
                if f == 2:
                    size = next((v for ff, v in _proto_fields(dim) if ff == 1), 0)
                    entry["shape"].append(size - (1 << 64) if size >> 63 else size)
        elif field == 3:
            entry["shard_id"] = value
        elif field == 4:
            entry["offset"] = value
        elif field == 5:
            entry["size"] = value
        elif field == 6:
            (entry["crc32c"],) = struct.unpack("<I", value)
        elif field == 7:
            entry["sliced"] = True
    return entry


def is_model_variable(name: str) -> bool:
    return name not in _SKIP_NAMES and not any(s in name for s in _SKIP_SUBSTRINGS)


def read_checkpoint(prefix: str | os.PathLike, *, keep_all: bool = False,
                    verify: bool = True) -> dict[str, np.ndarray]:
    """Return ``{variable name: array}`` of a V2 checkpoint.

    ``prefix`` is the path without ``.index`` (musicnn's is ``dir/`` since its
    files are literally named ``.index`` and ``.data-00000-of-00001``).
    """
    prefix = str(prefix)
    entries = read_table(Path(prefix + ".index").read_bytes())
    header = dict(_proto_fields(entries.get(b"", b"")))
    num_shards = header.get(1, 1)
    if header.get(2, 0) != 0:
        raise CheckpointError("big-endian checkpoints are not supported")
    shards: dict[int, bytes] = {}
    out: dict[str, np.ndarray] = {}
    for raw_name, raw_entry in sorted(entries.items()):
        name = raw_name.decode("utf-8")
        if not raw_name or not (keep_all or is_model_variable(name)):
            continue
        e = parse_bundle_entry(raw_entry)
        if e["sliced"]:
            raise CheckpointError(f"{name}: partitioned variables are not supported")
        if e["dtype"] not in DTYPES:
            raise CheckpointError(f"{name}: unsupported dtype enum {e['dtype']}")
        sid = e["shard_id"]
        if sid not in shards:
            shards[sid] = Path(f"{prefix}.data-{sid:05d}-of-{num_shards:05d}").read_bytes()
        raw = shards[sid][e["offset"]:e["offset"] + e["size"]]
        if len(raw) != e["size"]:
            raise CheckpointError(f"{name}: data file truncated")
        if verify and e["crc32c"] is not None and masked_crc32c(raw) != e["crc32c"]:
            raise CheckpointError(f"{name}: tensor crc mismatch")
        dtype = DTYPES[e["dtype"]]
        count = int(np.prod(e["shape"], dtype=np.int64))
        if count * dtype.itemsize != len(raw):
            raise CheckpointError(f"{name}: size does not match shape {e['shape']}")
        out[name] = np.frombuffer(raw, dtype=dtype).reshape(e["shape"]).copy()
    log.debug("read %d tensors from %s", len(out), prefix)
    return out
