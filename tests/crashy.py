"""Task functions for engine tests that run in spawned worker processes (importable there)."""
import os
import signal

from musicmap_desktop.core.embed_pool import decode_task


def decode_or_die(path, frames):
    """Decode, except that a file whose name says "crash" kills its worker, as a segfault would."""
    if "crash" in os.path.basename(path):
        os.kill(os.getpid(), signal.SIGKILL)
    return decode_task(path, frames)
