"""Musicnn ONNX graphs that also output the mid-end mean/max pools (for extract.py).

Needs the onnx package at export time only: pip install --target $RESEARCH_DIR/pylib onnx ml_dtypes
"""
import os
import sys
WORK = os.environ.get("RESEARCH_DIR", "/work/scratch14")
sys.path.insert(0, f"{WORK}/pylib")  # pip install --target there: onnx, ml_dtypes
import torch
from musicmap_desktop.model import registry

class Out(torch.nn.Module):
    def __init__(self, m):
        super().__init__(); self.m = m
    def forward(self, x):
        o = self.m(x)
        return o.penultimate, o.taggram, o.mean_pool, o.max_pool

for name in ("msd_musicnn", "mtt_musicnn"):
    m = registry.build(name).model
    names = ["penultimate", "taggram", "mean_pool", "max_pool"]
    torch.onnx.export(Out(m), (torch.zeros(2, 187, 96),), f"{WORK}/{name}_pools.onnx", dynamo=False,
                      opset_version=17, input_names=["logmel"], output_names=names,
                      dynamic_axes={"logmel": {0: "batch"}, **{n: {0: "batch"} for n in names}})
    print("ok", name)
