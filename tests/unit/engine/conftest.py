"""Engine unit tests share the domain tests' helpers (``ledger_support``) one folder up."""

import sys
from pathlib import Path

_UNIT = str(Path(__file__).resolve().parents[1])
if _UNIT not in sys.path:
    sys.path.insert(0, _UNIT)
