"""Build musicmap-desktop for users: a venv from the wheel, or a frozen one-folder app.

    python3 packaging/build.py venv VENV [--dist DIR]       wheel + sdist, installed into a fresh VENV
    python3 packaging/build.py frozen [--venv VENV] [--out DIR]
                                                           PyInstaller build in OUT (default dist/frozen),
                                                           then the smoke test below
    python3 packaging/build.py smoke EXE                   the frozen app, headless: --version, scan --no-embed,
                                                           --install-desktop (resources), tags (weights, torch)

torch is installed first and on its own (--torch SPEC, default the CPU build torch==2.13.0;
--torch-index URL for another build, e.g. CUDA from the PyTorch index), because a plain
dependency on torch may resolve to a multi-GB CUDA build. Plain Python, so it runs the same
on Linux, macOS and Windows. Figures and choices: packaging/README.md.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import venv as venv_module
import wave
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SPEC = REPO / "packaging" / "musicmap-desktop.spec"
TOOLS = REPO / "packaging" / "requirements.txt"
CPU_TORCH = "torch==2.13.0"
NOT_SOURCE = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__",
                                    ".pytest_cache", "out")


def run(cmd, **kw) -> subprocess.CompletedProcess:
    cmd = [str(c) for c in cmd]
    print("+", " ".join(cmd), flush=True)
    return subprocess.run(cmd, check=True, **kw)


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def app_in(venv: Path) -> Path:
    return venv / ("Scripts/musicmap-desktop.exe" if os.name == "nt" else "bin/musicmap-desktop")


def build_dists(python: Path, dist: Path) -> Path:
    """sdist, then the wheel from that sdist; returns the wheel. Built from a copy of the source
    so no build/ or egg-info lands in the checkout."""
    with tempfile.TemporaryDirectory(prefix="musicmap-src-") as tmp:
        src = Path(tmp) / "src"
        shutil.copytree(REPO, src, ignore=NOT_SOURCE)
        # --no-isolation: the venv's own setuptools, so building needs no download
        run([python, "-m", "build", "--no-isolation", "--outdir", dist, src])
    wheels = sorted(dist.glob("musicmap_desktop-*.whl"), key=os.path.getmtime)
    return wheels[-1]


def make_venv(venv: Path, dist: Path, torch: str, torch_index: str | None, compile_: bool = True) -> Path:
    """A fresh venv with the build tools, torch, and the wheel built here; returns the wheel."""
    venv_module.create(venv, with_pip=True, clear=True)
    pip = [venv_python(venv), "-m", "pip", "install", "-q"] + ([] if compile_ else ["--no-compile"])
    run(pip + ["-r", TOOLS])
    run(pip + [torch] + (["--index-url", torch_index] if torch_index else []))
    wheel = build_dists(venv_python(venv), dist)
    run(pip + [wheel])
    return wheel


def freeze(venv: Path, out: Path) -> Path:
    """PyInstaller one-folder build from the venv's installed wheel; returns the executable."""
    with tempfile.TemporaryDirectory(prefix="musicmap-pyinstaller-") as work:
        # cwd outside the checkout: `python -m` puts the cwd on sys.path, and the checkout's
        # musicmap_desktop (no weights inside) must not shadow the installed one.
        run([venv_python(venv), "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
             "--distpath", out, "--workpath", work, SPEC], cwd=work)
    return out / "musicmap-desktop" / ("musicmap-desktop.exe" if os.name == "nt" else "musicmap-desktop")


def write_tone(path: Path, seconds: float = 1.0, rate: int = 16000) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(int(rate * seconds) * 2))


def check(ok: bool, output: str) -> None:
    if not ok:
        raise SystemExit(f"smoke test failed; the app printed:\n{output}")


def output(cmd, env) -> str:
    """stdout of a run of the app that must succeed; its stderr in the error when it does not."""
    print("+", " ".join(str(c) for c in cmd), flush=True)
    r = subprocess.run([str(c) for c in cmd], env=env, capture_output=True, text=True)
    check(r.returncode == 0, f"(exit {r.returncode})\n{r.stdout}{r.stderr}")
    return r.stdout


def smoke(exe: Path) -> None:
    """The frozen app starts headless, knows its version, scans a folder and finds its bundled files."""
    with tempfile.TemporaryDirectory(prefix="musicmap-smoke-") as tmp:
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_DATA_HOME=tmp, XDG_STATE_HOME=tmp,
                   XDG_CONFIG_HOME=tmp, XDG_CACHE_HOME=tmp)
        out = output([exe, "--version"], env)
        check(out.startswith("musicmap-desktop "), out)
        music = Path(tmp) / "music"
        music.mkdir()
        for name in ("one", "two"):
            write_tone(music / f"{name}.wav")
        out = output([exe, "scan", music, "--no-embed", "--db", Path(tmp) / "c.db"], env)
        check("new 2," in out and "failed 0" in out, out)
        # The bundled files: resources (icons, entry) and the weights, run through torch.
        out = output([exe, "--install-desktop"], env)
        check(out.count(".png") == 7, out)
        out = output([exe, "tags", music / "one.wav", "--device", "cpu"], env)
        check(out.startswith("Top tags: "), out)
    print(f"smoke test passed: {exe}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    for name in ("venv", "frozen"):
        p = sub.add_parser(name)
        p.add_argument("--torch", default=CPU_TORCH, help=f"pip spec for torch (default {CPU_TORCH}, CPU only)")
        p.add_argument("--torch-index", help="pip index for torch, e.g. https://download.pytorch.org/whl/cu128")
        p.add_argument("--dist", type=Path, default=REPO / "dist", help="where the wheel and sdist go")
        p.add_argument("--no-compile", action="store_true", help="skip byte-compiling (faster install)")
    sub.choices["venv"].add_argument("venv", type=Path)
    sub.choices["frozen"].add_argument("--venv", type=Path, help="reuse this venv (from `venv`) instead of "
                                                                 "making build/frozen-venv")
    sub.choices["frozen"].add_argument("--out", type=Path, default=REPO / "dist" / "frozen")
    sub.add_parser("smoke").add_argument("exe", type=Path)
    args = ap.parse_args(argv)
    if args.command == "smoke":
        smoke(args.exe.resolve())
        return 0
    compile_ = not args.no_compile
    if args.command == "venv":
        make_venv(args.venv.resolve(), args.dist.resolve(), args.torch, args.torch_index, compile_)
        return 0
    venv = args.venv.resolve() if args.venv else REPO / "build" / "frozen-venv"
    if not args.venv:
        make_venv(venv, args.dist.resolve(), args.torch, args.torch_index, compile_)
    smoke(freeze(venv, args.out.resolve()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
