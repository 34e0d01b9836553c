"""Hold a cache's update lock in another process until stdin closes (tests only).

    python tests/lock_holder.py CACHE_PATH
prints "held" once it holds the lock."""
import sys

from musicmap_desktop.core.store.lock import updating

if __name__ == "__main__":
    with updating(sys.argv[1], "scanning /music (a test)"):
        print("held", flush=True)
        sys.stdin.read()
