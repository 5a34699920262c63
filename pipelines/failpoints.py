"""Failpoints: named places where a crash test can kill the process on purpose.

`LIPUTAN_FAILPOINT=name:N` makes the N-th pass through `failpoint("name")` send SIGKILL to
this process, so the kill -9 campaign (benchmarks/crash.py, tests/test_resume.py) can die
exactly mid-WARC-record or between a capture and its index commit, not only at random
moments, and tests/test_crash_edges.py while a reader resynchronises past damage. Unset
(always, outside those tests), a failpoint costs one dict lookup.
"""

from __future__ import annotations

import os
import signal

_ARMED: dict[str, int] = {}
for _item in filter(None, os.environ.get("LIPUTAN_FAILPOINT", "").split(",")):
    _name, _, _count = _item.partition(":")
    _ARMED[_name.strip()] = int(_count or 1)


def armed(name: str) -> bool:
    return name in _ARMED


def failpoint(name: str) -> None:
    left = _ARMED.get(name)
    if left is None:
        return
    if left > 1:
        _ARMED[name] = left - 1
        return
    os.kill(os.getpid(), signal.SIGKILL)
