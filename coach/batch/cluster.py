"""A batch on a Ray cluster (the optional extra ``coach[cluster]``): the same analyses as on
this machine's cores, each video sent to a worker as bytes and its analysis sent back, so the
nodes share no folder with the caller and every output lands in the caller's folder.

Every node needs ``coach[cluster]`` installed (the same version): a Ray task imports coach.
Ray's usage statistics (sent to Anyscale) are switched off for every process we start, and a
local instance starts without its dashboard (on Linux Ray still listens on the machine's
outward address, ray-project/ray#26293: Ray's token authentication guards it).
"""

from __future__ import annotations

import os
import socket
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from coach.batch.runner import Settings, analyse_one

# Read by Ray in the driver and passed on to the processes it starts.
QUIET_RAY = {"RAY_USAGE_STATS_ENABLED": "0"}
CONNECT_TIMEOUT_S = 5.0  # ray.init waits minutes on an address nobody answers: ask first
LOCAL = "local"  # `--ray` without an address: a Ray instance on this machine


class ClusterError(Exception):
    """The cluster cannot be used; the message is one line for the person."""


def _host_port(address: str) -> tuple[str, int]:
    bare = address.split("://", 1)[-1]
    host, _, port = bare.rpartition(":")
    if not host or not port.isdigit():
        raise ClusterError(f"a Ray address is HOST:PORT (or ray://HOST:PORT), not {address!r}")
    return host, int(port)


def connect(address: str) -> None:
    """Join the cluster at ``address`` (or start one here for ``LOCAL``)."""
    try:
        import ray
    except ImportError:
        raise ClusterError("Ray is not installed here: pip install 'coach[cluster]'") from None
    os.environ.update(QUIET_RAY)
    if address == LOCAL:
        ray.init(include_dashboard=False, _node_ip_address="127.0.0.1", log_to_driver=False)
        return
    host, port = _host_port(address)
    try:
        with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S):
            pass
    except OSError as exc:
        raise ClusterError(f"could not reach the Ray cluster at {address}: "
                           f"{exc.strerror or exc.__class__.__name__}") from None
    try:
        ray.init(address=address, log_to_driver=False)
    except Exception as exc:  # noqa: BLE001 - Ray raises many kinds; the person needs one line
        raise ClusterError(f"could not join the Ray cluster at {address}: {' '.join(str(exc).split())[:200]}") from None


def disconnect() -> None:
    import ray

    ray.shutdown()


def analyse_bytes(data: bytes, suffix: str, name: str, settings: Settings) -> tuple[dict | None, str | None]:
    """On a node: the video's bytes into a private temporary file, analysed as on this machine;
    the analysis names the caller's file, so it is the same document whoever computed it."""
    with tempfile.TemporaryDirectory(prefix="coach-") as tmp:
        path = Path(tmp) / f"video{suffix}"
        path.write_bytes(data)
        doc, error = analyse_one(str(path), settings)
    if doc is not None:
        doc["video"]["path"] = name
    if error:
        error = error.replace(str(path), name)
    return doc, error


def run_tasks(fn: Callable[..., Any], items: list[Any], args: tuple,
              done: Callable[[Any, Any, str | None], None]) -> None:
    """``fn(item, *args)`` for every item on the connected cluster, a CPU each; ``done(item,
    result, None)`` as each ends, or ``done(item, None, why)`` for a task whose worker died
    again after Ray's one retry (``max_retries=1``). The same contract as
    coach.batch.pool.run_each."""
    import ray

    remote = ray.remote(num_cpus=1, max_retries=1)(fn)
    pending = {remote.remote(item, *args): item for item in items}
    while pending:
        ready, _ = ray.wait(list(pending), num_returns=1)
        for ref in ready:
            item = pending.pop(ref)
            try:
                result = ray.get(ref)
            except ray.exceptions.RayError as exc:
                done(item, None, f"lost on the cluster after one retry ({type(exc).__name__})")
                continue
            done(item, result, None)


def _analyse_sent(sent: tuple[bytes, str, str], settings: Settings) -> tuple[dict | None, str | None]:
    return analyse_bytes(*sent, settings)


def run_each(videos: list[Path], settings: Settings,
             done: Callable[[Path, tuple[dict | None, str | None] | None, str | None], None]) -> None:
    """Every video on the connected cluster, sent as bytes; ``done(video, (doc, error), None)``
    as each ends, or ``done(video, None, why)`` for one lost (run_tasks' contract)."""
    sent = []
    for video in videos:
        try:
            sent.append((video.read_bytes(), video.suffix, str(video)))
        except OSError as exc:
            done(video, (None, f"could not read {video}: {exc.strerror or exc}"), None)
    by_name = {str(v): v for v in videos}
    run_tasks(_analyse_sent, sent, (settings,), lambda item, result, lost: done(by_name[item[2]], result, lost))
