"""The frontier policy (crawler/frontier/policy.py), without a crawl: one fetch per story,
the reserve, and a durable state a resumed run rebuilds from."""

from __future__ import annotations

from crawler.frontier.policy import DONE, Frontier
from pipelines.index import Index


def test_a_url_is_offered_once():
    frontier = Frontier()
    first, _ = frontier.offer("a.test/x", "http://a.test/x", 10)
    again, _ = frontier.offer("a.test/x", "https://www.a.test/x", 900)
    assert first is not None and first.url == "http://a.test/x" and again is None


def test_unpromising_requests_wait_in_the_reserve_best_first():
    frontier = Frontier(reserve_below=150)
    assert frontier.offer("k1", "http://a.test/1", 100) == (None, True)
    assert frontier.offer("k2", "http://a.test/2", 120) == (None, True)
    sent, _ = frontier.offer("k3", "http://a.test/3", 500)
    assert sent is not None and frontier.reserved == 2
    assert [p.key for p in frontier.release(5)] == ["k2", "k1"]
    assert frontier.reserved == 0


def test_a_better_offer_replaces_a_waiting_request():
    frontier = Frontier(reserve_below=150)
    frontier.offer("k", "http://a.test/sitemap-entry", 50)
    better, newly_reserved = frontier.offer("k", "http://a.test/search-hit", 900)
    assert better is not None and better.url.endswith("search-hit") and not newly_reserved
    assert frontier.release(5) == []


def test_breadth_first_has_no_reserve():
    frontier = Frontier(best_first=False, reserve_below=150)
    sent, reserved = frontier.offer("k", "http://a.test/x", 0, defer=True)
    assert sent is not None and not reserved


def test_skipped_pages_are_never_sent():
    frontier = Frontier(reserve_below=150)
    frontier.offer("p2", "http://a.test/x?page=2", 10)
    frontier.skip("p2")
    assert frontier.release(5) == [] and frontier.offer("p2", "http://a.test/x?page=2",
                                                        3000) == (None, False)


def test_state_is_durable_and_a_new_frontier_rebuilds_from_it(tmp_path):
    index = Index(tmp_path / "index.db")
    run = index.start_run("c")
    frontier = Frontier(run, index, reserve_below=150)
    frontier.offer("sent", "http://a.test/sent", 900, "parse", {"tunnel": 0})
    frontier.offer("waiting", "http://a.test/waiting", 10)
    frontier.offer("fetched", "http://a.test/fetched", 800, "parse_source", {"source": "feed"})
    frontier.done("fetched")
    index.commit()
    rows = list(index.frontier(run))
    assert {r["key"]: r["state"] for r in rows} == {
        "sent": "queued", "waiting": "reserved", "fetched": DONE}
    resumed = Frontier(run, index, reserve_below=150)
    queued = resumed.restore(rows)
    assert [(p.key, p.callback, dict(p.meta)) for p in queued] == [("sent", "parse",
                                                                   {"tunnel": 0})]
    assert resumed.reserved == 1 and resumed.offer("fetched", "http://a.test/fetched",
                                                   999) == (None, False)
    index.close()


def test_off_topic_links_are_followed_only_tunnel_depth_pages_deep():
    frontier = Frontier(tunnel_depth=2)
    assert frontier.follows(2, 0.1, 0.4) and not frontier.follows(3, 0.1, 0.4)
    assert frontier.follows(9, 0.5, 0.4)  # a link that itself looks on topic
    assert Frontier().follows(99, 0.0, 0.4)  # no focus, no tunnel rule


def test_a_story_with_a_one_page_view_is_fetched_through_it_alone():
    frontier = Frontier()
    pages = [("k2", "http://a.test/x?page=2"), ("k3", "http://a.test/x?page=3")]
    assert frontier.story_pages(pages, "http://a.test/x?page=all") == ["http://a.test/x?page=all"]
    assert frontier.offer("k2", "http://a.test/x?page=2", 2000) == (None, False)
    assert Frontier().story_pages(pages, None) == [url for _, url in pages]


def test_the_page_budget_counts_what_a_resumed_run_spent_before(tmp_path):
    frontier = Frontier(max_pages=2)
    assert frontier.spend() and frontier.spend() and not frontier.spend()
    resumed = Frontier(max_pages=2)
    resumed.restore([{"key": "a", "url": "http://a.test/a", "priority": 0,
                      "callback": "parse", "meta": {}, "state": DONE}])
    assert resumed.spend() and not resumed.spend()


def test_a_url_too_deep_is_refused_but_a_shorter_path_to_it_is_taken():
    frontier = Frontier(max_depth=4)
    assert frontier.offer("k", "http://a.test/tag/x", 0, depth=5) == (None, False)
    sent, _ = frontier.offer("k", "http://a.test/tag/x", 0, depth=2)
    assert sent is not None


def test_stories_are_held_and_the_best_sent_as_requests_finish():
    # Rank before spending: arrival order must not decide what a small budget buys.
    frontier = Frontier(reserve_below=150, send_from=2000, in_flight=2)
    feed, _ = frontier.offer("feed", "http://a.test/rss", 3000)
    assert feed is not None  # discovery documents go at once
    for key, priority in (("weak", 300), ("best", 900), ("good", 700), ("poor", 100)):
        assert frontier.offer(key, f"http://a.test/{key}", priority)[0] is None
    assert [p.key for p in frontier.pump()] == ["best"]  # one slot left of two
    frontier.done("feed")
    assert [p.key for p in frontier.pump()] == ["good"]
    frontier.done("best")
    frontier.done("good")
    assert [p.key for p in frontier.pump()] == ["weak"]  # never the reserve's "poor"
    assert [p.key for p in frontier.release(5)] == ["poor"]  # the crawl idles: now
    assert frontier.outstanding == 2


def test_a_held_story_found_again_with_a_high_score_goes_at_once():
    frontier = Frontier(reserve_below=150, send_from=2000)
    frontier.offer("k", "http://a.test/k", 400)
    sent, _ = frontier.offer("k", "http://a.test/k", 2500)  # now a story page
    assert sent is not None and frontier.pump() == []


def test_a_redirect_target_fetched_under_another_row_is_refused_when_linked():
    frontier = Frontier()
    frontier.offer("a.test/old", "http://a.test/old")
    frontier.fetched(["a.test/new"])  # /old answered 301 -> /new, fetched as /old's request
    assert frontier.offer("a.test/new", "http://a.test/new") == (None, False)
