"""A FoldTable as markdown: the summary (mean ± sd over the folds, the win test against
untrained) and album P@5 / mAP / AMI per fold. The model card and the README quote it."""
from __future__ import annotations

import numpy as np

from .fold_eval import HEADERS, METRICS, WIN_MARGIN, FoldTable


def _cell(v) -> str:
    return "—" if v is None else f"{v[0]:.3f} ± {v[1]:.3f}"


def _num(v) -> str:
    return "—" if v is None or (isinstance(v, float) and np.isnan(v)) else f"{v:.3f}"


def summary_text(table: FoldTable) -> str:
    base = table.untrained()
    head = ["vectors", *HEADERS, "ΔP@5 vs untrained", "folds lost", "verdict"]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 2) + "---|"]
    for name, row in table.summary().items():
        cells = [_cell(row[m]) for m in METRICS]
        cells += [f"{row['delta_p_at_5']:+.3f}", f"{row['folds_lost']}/{len(table.folds)}",
                  "WINS" if row["wins"] else ""]
        lines.append(f"| {name.replace('|', chr(92) + '|')} | " + " | ".join(cells) + " |")
    lines.append(f"\n(untrained = {base}, the better of raw and centred on average; WINS = "
                 f"≥ +{WIN_MARGIN:.2f} album P@5 on average and no fold lost)")
    return "\n".join(lines)


def per_fold_text(table: FoldTable) -> str:
    names = list(table.rows)
    lines = ["| fold | test tracks / albums | " + " | ".join(n.replace("|", "\\|") for n in names) + " |",
             "|---|---|" + "---|" * len(names)]
    for i, fold in enumerate(table.folds):
        cells = [" / ".join(_num(table.rows[n][i].get(m)) for m in ("album_p_at_k", "album_map", "album_ami"))
                 for n in names]
        lines.append(f"| {fold['name']} | {fold['tracks']} / {fold['albums']} | " + " | ".join(cells) + " |")
    means = [" / ".join(_num(table.mean(n, m)) for m in ("album_p_at_k", "album_map", "album_ami")) for n in names]
    lines.append("| mean | | " + " | ".join(means) + " |")
    return "\n".join(lines)


def fold_table_text(table: FoldTable) -> str:
    s = table.settings
    sizes = [f["tracks"] for f in table.folds]
    albums = [f["albums"] for f in table.folds]
    head = (f"{s.folds} folds × {s.repeats} repeat(s), disjoint by {_groups_name(s.groups)} "
            f"({table.n_groups} groups): each fold holds out {min(sizes)}–{max(sizes)} tracks of "
            f"{min(albums)}–{max(albums)} albums; learned rows train on the other folds only.")
    return (head + "\n\n" + summary_text(table) + "\n\nPer fold, album P@5 / mAP / AMI:\n\n"
            + per_fold_text(table))


def _groups_name(groups: str) -> str:
    return {"albumartist": "album artist", "album": "album"}.get(groups, f"the fold groups of {groups}")
