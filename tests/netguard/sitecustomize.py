"""A socket guard for tests: no connection, name lookup or listening port beyond loopback.

Python imports `sitecustomize` at start-up from its path, so a process started with this
folder on PYTHONPATH, and every process it starts with the same environment (Scrapy's
extraction workers are spawned), runs with the guard. With LIPUTAN_NETGUARD_LOG set, each
attempt is refused (OSError / gaierror, as an offline machine answers) and recorded in
that file, one JSON line: pid, call, target, and the innermost frames outside the socket
module. Allowed: loopback addresses, "localhost", Unix sockets, and lookups of numeric
addresses (no query leaves the machine; the connect that may follow is judged itself).
"""

from __future__ import annotations

import errno
import ipaddress
import json
import os
import socket
import traceback

LOG = os.environ.get("LIPUTAN_NETGUARD_LOG")
INTERNET = (socket.AF_INET, socket.AF_INET6)
LOCAL_NAMES = ("localhost", "localhost.", "ip6-localhost")


def _literal(host: object) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(str(host).partition("%")[0])
    except ValueError:
        return None


def _record(call: str, target: object) -> None:
    frames = [f"{f.filename}:{f.lineno} {f.name}" for f in traceback.extract_stack()[:-2]
              if not f.filename.endswith(("socket.py", "sitecustomize.py"))][-6:]
    line = json.dumps({"pid": os.getpid(), "call": call, "target": str(target),
                       "stack": frames})
    with open(LOG, "a", encoding="utf-8") as fh:  # type: ignore[arg-type]
        fh.write(line + "\n")


def _remote_host(host: object) -> bool:
    """Whether a lookup of `host` would ask a name server."""
    if host in (None, "", b"") or str(host).lower() in LOCAL_NAMES:
        return False
    return _literal(host.decode() if isinstance(host, bytes) else host) is None


def _remote_address(sock: socket.socket, address: object) -> bool:
    if sock.family not in INTERNET or not isinstance(address, tuple):
        return False
    ip = _literal(address[0])
    return ip is None or not ip.is_loopback


def install() -> None:
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_sendto, real_listen = socket.socket.sendto, socket.socket.listen
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: object) -> None:
        if _remote_address(self, address):
            _record("connect", address)
            raise OSError(errno.ENETUNREACH, "network unreachable (tests/netguard)")
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: object) -> int:
        if _remote_address(self, address):
            _record("connect_ex", address)
            return errno.ENETUNREACH
        return real_connect_ex(self, address)

    def sendto(self: socket.socket, data: bytes, *args: object) -> int:
        if _remote_address(self, args[-1]):
            _record("sendto", args[-1])
            raise OSError(errno.ENETUNREACH, "network unreachable (tests/netguard)")
        return real_sendto(self, data, *args)

    def listen(self: socket.socket, *args: object) -> None:
        if self.family in INTERNET:  # a port others could connect to: a control port
            _record("listen", self.getsockname())
            raise OSError(errno.EACCES, "no listening ports (tests/netguard)")
        return real_listen(self, *args)

    def getaddrinfo(host: object, *args: object, **kwargs: object) -> list:
        if _remote_host(host):
            _record("getaddrinfo", host)
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known (netguard)")
        return real_getaddrinfo(host, *args, **kwargs)

    def lookup(name: str, real: object) -> object:
        def guarded(host: object, *args: object) -> object:
            ip = _literal(host)
            # A reverse lookup of any address but loopback asks a name server too.
            if _remote_host(host) or (name == "gethostbyaddr" and ip and not ip.is_loopback):
                _record(name, host)
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known (netguard)")
            return real(host, *args)  # type: ignore[operator]
        return guarded

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    socket.socket.sendto = sendto  # type: ignore[method-assign]
    socket.socket.listen = listen  # type: ignore[method-assign]
    socket.getaddrinfo = getaddrinfo
    for name in ("gethostbyname", "gethostbyname_ex", "gethostbyaddr"):
        setattr(socket, name, lookup(name, getattr(socket, name)))


if LOG:
    install()
