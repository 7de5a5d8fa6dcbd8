"""Can the load generator offer the bench's top rate on this machine? (not a test)

    .venv/bin/python -m bench.generator_check --rate 2000 --seconds 3

Runs `bench.webhook_load.send_open_loop` against a stub server in its own process that answers
every request ``202`` at once, so what limits the rate is the generator (and the machine), not
the system under test. Reports the rate it actually dispatched, its CPU per request (this
process) and the p99 lateness it measured. The same "achieved offered rate" is computed for every
step of `make bench` (`achieved_offered_per_s`): a rate the generator could not reach is reported
as such, never silently offered as less.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from bench.webhook_load import LoadResult, SignedRequest, send_open_loop

KEPT_UP_FRACTION = 0.95
"""The generator kept up when it dispatched at least this fraction of the rate it was asked for."""
_STUB_ANSWER = b"HTTP/1.1 202 Accepted\r\ncontent-length: 2\r\n\r\n{}"


def achieved_offered_per_s(load: LoadResult) -> float | None:
    """The rate the generator actually dispatched requests at: from the first to the last
    dispatch stamp it kept (`sent_at`, taken when a request's task starts, before it waits for a
    connection). None with fewer than two accepted requests."""
    stamps = sorted(load.sent_at.values())
    if len(stamps) < 2 or stamps[-1] <= stamps[0]:
        return None
    return (len(stamps) - 1) / (stamps[-1] - stamps[0])


def kept_up(offered_per_s: float, achieved: float | None) -> bool | None:
    if achieved is None:
        return None
    return achieved >= KEPT_UP_FRACTION * offered_per_s


async def _answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            writer.write(_STUB_ANSWER)
    except (asyncio.IncompleteReadError, ConnectionError):
        writer.close()


@asynccontextmanager
async def stub_server() -> AsyncIterator[int]:
    """A stub server process on a free port; yields the port."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.generator_check", "--serve", stdout=asyncio.subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        port = int(await asyncio.wait_for(process.stdout.readline(), 30))
        yield port
    finally:
        process.terminate()
        await process.wait()


def stub_requests(port: int, count: int) -> list[SignedRequest]:
    body = b'{"type": "order.placed"}'
    headers = {"content-type": "application/json"}
    return [
        SignedRequest(f"http://127.0.0.1:{port}/v1/stub", f"stub-{n}", body, headers)
        for n in range(count)
    ]


async def check(rate: float, seconds: float) -> dict[str, Any]:
    """Offer `rate` requests/s for `seconds` to the stub: what the generator achieved."""
    async with stub_server() as port:
        requests = stub_requests(port, int(rate * seconds))
        cpu = time.process_time()
        load = await send_open_loop(requests, rate)
        cpu = time.process_time() - cpu
    achieved = achieved_offered_per_s(load)
    return {
        "offered_per_s": rate,
        "achieved_offered_per_s": round(achieved, 1) if achieved is not None else None,
        "kept_up": kept_up(rate, achieved),
        "late_p99_ms": round(load.percentile_ms(0.99), 1),
        "cpu_us_per_request": round(cpu / max(1, load.sent) * 1e6),
    }


async def _serve_on_free_port() -> None:
    server = await asyncio.start_server(_answer, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=2000.0)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--serve", action="store_true", help="(internal) run the stub server")
    arguments = parser.parse_args()
    if arguments.serve:
        asyncio.run(_serve_on_free_port())
    else:
        print(json.dumps(asyncio.run(check(arguments.rate, arguments.seconds))))
