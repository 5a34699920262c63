"""The scheduler's priority queue for best-first crawls: the best request of a free host.

Scrapy's default queue (DownloaderAwarePriorityQueue) keeps one priority queue per host
(download slot) and serves the least busy host first: polite, but blind to priority across
hosts, so the page budget goes to whichever outlet is idle. One global priority queue is
blind the other way: when the best 32 requests belong to one outlet, they all wait in its
download slot (for minutes, with a 2 s delay) while the other outlets do nothing.

This queue does both: among the hosts that can take a request now (fewer active requests
than their concurrency), it serves the one whose best waiting request is best. When every
host is busy it serves nothing: the engine asks again as soon as a download finishes, and
by then the frontier may hold something better.
"""

from __future__ import annotations

from contextlib import suppress
from pathlib import Path

from scrapy.http import Request
from scrapy.pqueues import DownloaderAwarePriorityQueue, ScrapyPriorityQueue, _path_safe


class BestFirstQueue(DownloaderAwarePriorityQueue):
    def _free_slot_with_best_head(self) -> str | None:
        downloader = self._downloader_interface.downloader
        default = self.crawler.settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") or 1
        best, best_key = None, None
        for slot, queue in self.pqueues.items():
            state = downloader.slots.get(slot)
            if state is not None and len(state.active) >= (state.concurrency or default):
                continue
            key = _head(queue)  # the negated priority of its best request: lower is better
            if key is not None and (best_key is None or (key, slot) < (best_key, best)):
                best, best_key = slot, key
        return best

    def pop(self) -> Request | None:
        slot = self._free_slot_with_best_head()
        if slot is None:
            return None
        queue = self.pqueues[slot]
        request = queue.pop()
        if len(queue) == 0:
            del self.pqueues[slot]
            queue.close()
            if self.key:  # a persisted crawl (JOBDIR): reclaim the slot's directory
                with suppress(OSError):
                    Path(self.key, _path_safe(slot)).rmdir()
        return request

    def peek(self) -> Request | None:
        slot = self._free_slot_with_best_head()
        return self.pqueues[slot].peek() if slot is not None else None


def _head(queue: ScrapyPriorityQueue) -> int | None:
    return queue.curprio
