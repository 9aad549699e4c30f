"""Running a plugin's process with limits: its own process group (killed whole, children
too, when it times out, writes too much, or ends leaving children behind), an output cap, a
timeout, and only the environment it is given."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from dataclasses import dataclass

log = logging.getLogger(__name__)
# Enough for `#!/usr/bin/env bash` to find bash; a plugin's configuration may set its own.
DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin"
STDERR_CAP = 16384


@dataclass(frozen=True)
class Ran:
    """How a run ended: `stdout` when it exited (`code`); `failure` says what went wrong."""

    stdout: str
    code: int | None
    failure: str | None
    seconds: float


async def run(
    argv: list[str],
    *,
    stdin: bytes,
    env: dict[str, str],
    timeout: float,
    cap: int,
    name: str,
    cwd: str | None = None,
) -> Ran:
    loop = asyncio.get_running_loop()
    start = loop.time()
    full_env = {"PATH": DEFAULT_PATH, **env}
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=full_env,
            cwd=cwd,
            start_new_session=True,  # its own process group: killed whole, children too
        )
    except FileNotFoundError:
        return Ran("", None, f"{argv[0]} was not found", 0.0)
    except PermissionError:
        return Ran("", None, f"{argv[0]} is not executable", 0.0)
    except OSError as exc:
        return Ran("", None, f"{argv[0]} could not start: {exc.strerror}", 0.0)
    stdin_pipe, stdout_pipe, stderr_pipe = proc.stdin, proc.stdout, proc.stderr
    assert stdin_pipe is not None
    assert stdout_pipe is not None
    assert stderr_pipe is not None
    out = bytearray()
    err = bytearray()
    failure: str | None = None

    async def feed() -> None:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            stdin_pipe.write(stdin)
            await stdin_pipe.drain()
        stdin_pipe.close()

    async def read_out() -> None:
        nonlocal failure
        while chunk := await stdout_pipe.read(65536):
            out.extend(chunk)
            if len(out) > cap:
                failure = f"wrote more than {cap} bytes"
                _kill_group(proc.pid)  # its stderr closes too
                return

    async def read_err() -> None:
        while chunk := await stderr_pipe.read(65536):
            if len(err) < STDERR_CAP:
                err.extend(chunk[: STDERR_CAP - len(err)])

    async def work() -> None:
        # Output ends when every process holding the pipe has closed it: a child that hangs
        # on keeps this waiting until the timeout, and dies with the group.
        await asyncio.gather(feed(), read_out(), read_err())

    code: int | None = None
    try:
        async with asyncio.timeout(timeout):
            reader = asyncio.ensure_future(work())
            try:
                await reader
            finally:
                if not reader.done():
                    reader.cancel()
            if failure is None:
                code = await proc.wait()
    except TimeoutError:
        failure = f"did not answer within {timeout:g}s"
    finally:
        _kill_group(proc.pid)
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()
    for line in bytes(err).decode("utf-8", "replace").splitlines():
        log.info("plugin %s: %s", name, line)
    seconds = loop.time() - start
    if failure is not None:
        return Ran("", None, failure, seconds)
    text = bytes(out).decode("utf-8", "replace")
    return Ran(text, code, None, seconds)


def _kill_group(pgid: int) -> None:
    """Whatever is left of the plugin's process group: its children and theirs."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
