"""Browsing the index in a web browser: `serve` (Datasette, read-only, crawler/web.py)."""

from __future__ import annotations

import errno
import ipaddress
import signal
import socket
import sqlite3
from pathlib import Path

import click

from crawler.cli import archive_option, cli, fail, index_path


class _Stop(Exception):
    """SIGTERM, handled like Ctrl-C: the server stops, one line says so."""


@cli.command()
@archive_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but loopback exposes the archive to the"
                   " network: only on purpose.")
@click.option("--port", default=8001, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on; 0 picks a free one (printed).")
def serve(archive: Path, host: str, port: int) -> None:
    """Browse and search the index in a web browser (Datasette), read-only.

    Articles with full-text search and facets (outlet, local day, language, author,
    run), the coverage-over-time chart, each article's archived HTTP response, and
    canned queries (coverage per day and per run, syndication clusters, most-cited
    sources). A crawl may keep writing the archive meanwhile. Ctrl-C stops.

    \b
    Examples:
        liputan serve                      # then open http://127.0.0.1:8001/
        liputan serve --archive /data/kazakhstan --port 0
    """
    import uvicorn

    from crawler.web import article_columns, make_datasette
    from pipelines.index import Index

    index = index_path(archive)
    try:
        Index(index).close()  # an index written by an earlier Liputan gets the current schema
        columns = article_columns(index)
    except sqlite3.Error as exc:
        raise fail(f"{index} is not a readable SQLite index: {exc}") from exc
    if "id" not in columns:
        raise fail(f"{index} has no articles table: not a Liputan index")
    sock = _listen(host, port)
    if not _is_loopback(host):
        click.echo(f"Warning: listening on {host}, not loopback: anyone who can reach this"
                   " machine can read the archive.", err=True)
    datasette = make_datasette(index, archive)
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"Serving {index} read-only at http://{shown}:{bound}/  (Ctrl-C stops)")
    server = uvicorn.Server(uvicorn.Config(datasette.app(), log_level="warning",
                                           lifespan="on", access_log=False))

    def stop(signum: int, frame: object) -> None:
        raise _Stop

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        server.run(sockets=[sock])
    except (KeyboardInterrupt, _Stop):
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        sock.close()
    click.echo("Stopped.")


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (port 0: a free one), or a one-line error."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as exc:
        raise fail(f"--host {host}: no such address ({exc.strerror})") from exc
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise fail(f"port {port} on {host} is in use; pass another --port, or --port 0"
                       " for a free one") from exc
        raise fail(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    return sock


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
