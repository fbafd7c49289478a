"""``python -m services.interview``: run the interview service (HTTP + writer) from the environment."""

import sys

from services.interview.entrypoints.run import main

if __name__ == "__main__":
    sys.exit(main())
