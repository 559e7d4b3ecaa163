"""Entry script of the bundled app: the ``reelwright`` command (GUI when run without arguments)."""

import multiprocessing
import sys

from restoration_core.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # job workers are spawned processes of this executable
    sys.exit(main())
