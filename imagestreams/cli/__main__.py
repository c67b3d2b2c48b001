from __future__ import annotations

import sys

from imagestreams.cli import main

sys.exit(main())
