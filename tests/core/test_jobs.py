"""Progress is a typed event: a phase with one label for the terminal and the window."""
import io

import pytest

from musicmap_desktop.cli.printer import ProgressPrinter, progress_line
from musicmap_desktop.core.jobs import PHASE_LABELS, EmbedProgress, EpochProgress, Phase, Progress


def test_every_phase_has_one_label():
    assert set(PHASE_LABELS) == set(Phase)
    assert all(PHASE_LABELS[p] and p.label == PHASE_LABELS[p] for p in Phase)
    assert len(set(PHASE_LABELS.values())) == len(Phase)  # no two phases read alike


def test_a_phase_is_its_name_and_a_misspelt_one_fails_early():
    assert Progress("tsne").phase is Phase.TSNE and Progress(Phase.TSNE).phase == "tsne"
    with pytest.raises(ValueError):
        Progress("t-sne")


def test_the_terminal_line_says_what_runs():
    line = progress_line(Progress(Phase.TSNE, 0, 300), "tracks")
    assert line.startswith("Laying out the map (t-SNE) [") and "0/300 tracks" in line
    assert progress_line(Progress(Phase.WALK, 500), "files") == "Listing files… 500 files found"
    assert "windows/s" in progress_line(EmbedProgress(Phase.EMBED, 1, 2, windows=20), "tracks")
    assert "windows/s" not in progress_line(Progress(Phase.VECTORS, 1, 2), "tracks")


class _Log(io.StringIO):
    def isatty(self):
        return False


def test_printer_writes_one_line_per_epoch_and_skips_results():
    out = _Log()
    printer = ProgressPrinter(out)
    for epoch in (1, 2):
        printer.update(EpochProgress(Phase.TRAIN, epoch, 10, current="gru", loss=1.5, metric=0.25,
                                     best_epoch=1, best_metric=0.25))
    printer.update(Progress(Phase.DONE, 2, 2, result=object()))
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 and all(line.startswith("Training [") for line in lines)
    assert "epoch 2/10 gru" in lines[1] and "held-out P@5 0.250" in lines[1]
