"""Rewrite results/SET.md from results/SET.json (after changing the table format)."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import run  # noqa: E402

tag = sys.argv[1]
d = json.load(open(f"{run.OUT}/{tag}.json"))
md = common.summarise(d["results"]) + "\n\nPer fold, album P@5:\n\n" + common.per_fold(d["results"])
md += "\n\n" + run.stats_text(d["stats"])
open(f"{run.OUT}/{tag}.md", "w").write(md + "\n")
print(md)
