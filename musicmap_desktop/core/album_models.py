"""Which album model turns window features into track vectors: the versioned store.

Retrained models live in the user's models folder as ``album-<hash>.safetensors``
with a ``.json`` record (metrics, split, settings) written *after* the weights:
a model counts only once its record exists, so a retrain killed midway leaves
the previous model in use. The bundled model ships in ``weights/``; its record
says whether it beat plain Musicnn mean‖max on unseen albums (``default``).

``None`` as a model entry means the untrained mean‖max vector. No torch here.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from .errors import UserError
from .store import ids

BUNDLED_STEM = "album_bundled"
ZWCCN = "zwccn_v1"  # model/zwccn.ARCHITECTURE, as records name it (no numpy import here)
MEANMAX = "meanmax"
BUNDLED = "bundled"
AUTO = "auto"


@dataclass(frozen=True)
class AlbumModelEntry:
    id: str  # ids.album_model_id of the weights file
    path: str
    kind: str  # "bundled" | "retrained"
    info: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def created(self) -> float:
        return float(self.info.get("created", 0.0))

    @property
    def backbone_id(self) -> str | None:
        return self.info.get("backbone_id")

    @property
    def needs_pools(self) -> bool:
        """The closed-form model (model/zwccn.py) reads the cached pools besides the window features."""
        return self.info.get("architecture") == ZWCCN

    @property
    def backbone_top(self) -> str | None:
        """The fine-tuned backbone top file this model reads features from (--finetune-backbone)."""
        name = self.info.get("backbone_top")
        return str(Path(self.path).with_name(name)) if name else None


def windows_backbone_id(entry: AlbumModelEntry | None, backbone_id: str) -> str:
    """The backbone whose window features ``entry`` reads: its fine-tuned one, else ``backbone_id``."""
    return entry.backbone_id if entry is not None and entry.backbone_top else backbone_id


def _fits(entry: AlbumModelEntry | None, backbone_id: str | None) -> bool:
    """Trained on features of this backbone (or of a top fine-tuned from it)."""
    return entry is not None and (backbone_id is None or entry.backbone_id is None
                                  or ids.base_id(entry.backbone_id) == ids.base_id(backbone_id))


def _read_entry(weights: Path, kind: str) -> AlbumModelEntry | None:
    record = weights.with_suffix(".json")
    try:
        info = json.loads(record.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # no record (yet): an unfinished or foreign file
    if not weights.is_file() or not isinstance(info, dict) or "id" not in info:
        return None
    return AlbumModelEntry(info["id"], str(weights), kind, info)


def retrained_models(models_dir: str) -> list[AlbumModelEntry]:
    """Complete retrained models, newest first."""
    folder = Path(models_dir)
    if not folder.is_dir():
        return []
    found = (_read_entry(p, "retrained") for p in folder.glob(f"{ids.ALBUM_PREFIX}*.safetensors"))
    return sorted((e for e in found if e is not None), key=lambda e: e.created, reverse=True)


def bundled_model() -> AlbumModelEntry | None:
    weights = resources.files("musicmap_desktop.weights") / f"{BUNDLED_STEM}.safetensors"
    with resources.as_file(weights) as path:  # a real file for wheels and checkouts alike
        return _read_entry(Path(path), "bundled")


def choose_model(choice: str, models_dir: str, backbone_id: str | None = None) -> AlbumModelEntry | None:
    """``auto`` | ``bundled`` | ``meanmax`` | a model id (or a unique prefix of one).

    auto: the default is the bundled model when its record says it beat untrained mean‖max
    on unseen albums (issue 14's fold test), else mean‖max (None); the newest retrained
    model for this backbone that beat that default on its held-out albums takes over.
    """
    if choice == MEANMAX:
        return None
    retrained, bundled = retrained_models(models_dir), bundled_model()  # each read once
    if choice == AUTO:
        default = bundled if _fits(bundled, backbone_id) and bundled.info.get("default") else None
        better = [e for e in retrained if _fits(e, backbone_id) and beats_default(e, default)]
        return better[0] if better else default
    if choice == BUNDLED:
        if bundled is None:
            raise UserError("this installation has no bundled album model")
        return bundled
    matches = _named(choice, retrained, bundled)
    if len(matches) != 1:
        known = ", ".join(e.id for e in retrained) or "none"
        what = "is ambiguous" if matches else "matches no model"
        raise UserError(f"--model {choice} {what} (retrained models: {known}; also: auto, bundled, meanmax)")
    return matches[0]


def beats_default(entry: AlbumModelEntry, default: AlbumModelEntry | None) -> bool:
    """Did this retrained model beat, on its held-out albums, what ``auto`` uses without it?
    Against the bundled model only a record compared with that very model counts (an older
    retrain was compared with mean‖max, not with it)."""
    if default is None:
        return bool(entry.info.get("beats_meanmax", True))
    return entry.info.get("compared_with") == default.id and bool(entry.info.get("beats_default"))


def _named(choice: str, retrained: list[AlbumModelEntry], bundled: AlbumModelEntry | None) -> list[AlbumModelEntry]:
    """The models whose id (with or without its prefix) starts with ``choice``."""
    return [e for e in retrained + ([bundled] if bundled else [])
            if e.id.startswith(choice) or e.id.removeprefix(ids.ALBUM_PREFIX).startswith(choice)]


def load_album_model(entry: AlbumModelEntry, device: str = "cpu"):
    """The model ``entry`` names, loaded (either kind: model/load_album.py); a UserError when its
    file cannot be used (a pickle or a foreign file put in the models folder), which names the
    way out."""
    from ..model.load_album import load_album_model as load
    from ..model.model_file import ModelFileError

    try:
        return load(entry.path, device)
    except ModelFileError as e:
        raise UserError(f"cannot use album model {entry.id}: {e}; choose another with --model "
                        "(or Library → Track vectors), or delete that file") from e


@dataclass(frozen=True)
class VectorModels:
    """The album models this installation can use, looked up afresh on every call,
    so a model retrained from the command line shows up in a running window."""

    models_dir: str
    backbone_id: str

    def choices(self) -> list[tuple[str, str]]:
        """(menu label, choice) pairs; a choice is what ``resolve`` and --model accept."""
        out = [("Automatic (the best measured: the default, or your retrained model where it beat it)", AUTO)]
        if bundled_model() is not None:
            out.append(("Bundled album model", BUNDLED))
        out.append(("Musicnn mean and max (untrained)", MEANMAX))
        for e in retrained_models(self.models_dir):
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(e.created))
            out.append((f"Retrained on your albums, {when} ({e.id})", e.id))
        return out

    def resolve(self, choice: str) -> AlbumModelEntry | None:
        """The model ``choice`` names; the default (auto) when it names none any more (a model
        deleted since it was chosen, a build without the bundled model)."""
        bundled = bundled_model()
        gone = (choice == BUNDLED and bundled is None) or (
            choice not in (AUTO, BUNDLED, MEANMAX)
            and len(_named(choice, retrained_models(self.models_dir), bundled)) != 1)
        return choose_model(AUTO if gone else choice, self.models_dir, self.backbone_id)


def write_record(weights_path: str, info: dict) -> AlbumModelEntry:
    """Write the model's record next to its weights, atomically; from now on it is in use."""
    weights = Path(weights_path)
    info = {"created": time.time(), **info}
    record = weights.with_suffix(".json")
    tmp = record.with_name(record.name + ".tmp")
    tmp.write_text(json.dumps(info, indent=2, ensure_ascii=False, sort_keys=True), encoding="utf-8")
    os.replace(tmp, record)
    return AlbumModelEntry(info["id"], str(weights), "retrained", info)
