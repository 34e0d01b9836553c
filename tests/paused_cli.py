"""Run the CLI with one of its steps paused at a point the test chooses (tests only).

    python tests/paused_cli.py HOOK COUNT READY GO -- ARGS...

Before the COUNT-th call of HOOK (``read`` = the scan reading one file, ``finish`` = the
embedding job finishing one track), the process creates the file READY and waits until
the file GO exists (forever if the test kills it instead). Everything before that call
has run normally, so the test knows exactly what the process has done when its signal
lands: no race between the job and the signal.
"""
import os
import subprocess
import sys
import time

PAUSED = [sys.executable, os.path.abspath(__file__)]


def start_paused(tmp_path, hook: str, count: int, args: list[str], **popen):
    """Test side: start the CLI with ``args`` and return (process, GO file) once it is paused."""
    ready, go = tmp_path / "ready", tmp_path / "go"
    proc = subprocess.Popen(PAUSED + [hook, str(count), str(ready), str(go), "--", *args], **popen)
    deadline = time.monotonic() + 120
    while not ready.exists():
        assert proc.poll() is None, "the command ended before it reached the pause"
        assert time.monotonic() < deadline, "the command never reached the pause"
        time.sleep(0.02)
    return proc, go


def _pause_before(module, name: str, count: int, ready: str, go: str) -> None:
    real = getattr(module, name)
    calls = [0]

    def paused(*args, **kwargs):
        calls[0] += 1
        if calls[0] == count:
            open(ready, "w").close()
            while not os.path.exists(go):
                time.sleep(0.01)  # a signal handler (SIGINT) runs here; the wait goes on
        return real(*args, **kwargs)

    setattr(module, name, paused)


def main(argv: list[str]) -> int:
    hook, count, ready, go, sep, *args = argv
    assert sep == "--"
    if hook == "read":
        from musicmap_desktop.core import scan as module

        module.COMMIT_EVERY_SECONDS = 3600.0  # batches by count only: the test knows what is committed
        _pause_before(module, "read_file", int(count), ready, go)
    elif hook == "finish":
        from musicmap_desktop.core import embed as module

        module.COMMIT_EVERY_SECONDS = 0.0  # every finished track is committed at once
        _pause_before(module, "_finish", int(count), ready, go)
    else:
        raise SystemExit(f"unknown hook {hook!r}")
    from musicmap_desktop.cli import main as cli_main

    return cli_main(args)


if __name__ == "__main__":  # the guard matters: spawned worker processes import this file
    sys.exit(main(sys.argv[1:]))
