import sys

from restoration_core.cli import main

sys.exit(main())
