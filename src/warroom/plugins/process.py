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
    proc = await _spawn(argv, env, cwd)
    if isinstance(proc, Ran):
        return proc
    talk = _Talk(proc, stdin, cap)
    code = await talk.wait(timeout)
    for line in bytes(talk.err).decode("utf-8", "replace").splitlines():
        log.info("plugin %s: %s", name, line)
    seconds = loop.time() - start
    if talk.failure is not None:
        return Ran("", None, talk.failure, seconds)
    text = bytes(talk.out).decode("utf-8", "replace")
    return Ran(text, code, None, seconds)


async def _spawn(
    argv: list[str], env: dict[str, str], cwd: str | None
) -> asyncio.subprocess.Process | Ran:
    """The started process, or how starting it failed."""
    full_env = {"PATH": DEFAULT_PATH, **env}
    try:
        return await asyncio.create_subprocess_exec(
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


class _Talk:
    """Feeds a started process its stdin and collects its output, within the limits."""

    def __init__(self, proc: asyncio.subprocess.Process, stdin: bytes, cap: int) -> None:
        assert proc.stdin is not None
        assert proc.stdout is not None
        assert proc.stderr is not None
        self.proc = proc
        self.stdin_pipe = proc.stdin
        self.stdout_pipe = proc.stdout
        self.stderr_pipe = proc.stderr
        self.stdin = stdin
        self.cap = cap
        self.out = bytearray()
        self.err = bytearray()
        self.failure: str | None = None

    async def feed(self) -> None:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.stdin_pipe.write(self.stdin)
            await self.stdin_pipe.drain()
        self.stdin_pipe.close()

    async def read_out(self) -> None:
        while chunk := await self.stdout_pipe.read(65536):
            self.out.extend(chunk)
            if len(self.out) > self.cap:
                self.failure = f"wrote more than {self.cap} bytes"
                _kill_group(self.proc.pid)  # its stderr closes too
                return

    async def read_err(self) -> None:
        while chunk := await self.stderr_pipe.read(65536):
            if len(self.err) < STDERR_CAP:
                self.err.extend(chunk[: STDERR_CAP - len(self.err)])

    async def work(self) -> None:
        # Output ends when every process holding the pipe has closed it: a child that hangs
        # on keeps this waiting until the timeout, and dies with the group.
        await asyncio.gather(self.feed(), self.read_out(), self.read_err())

    async def wait(self, timeout: float) -> int | None:
        """The exit code, unless it failed (`failure`); the whole group is gone after."""
        code: int | None = None
        proc = self.proc
        try:
            async with asyncio.timeout(timeout):
                reader = asyncio.ensure_future(self.work())
                try:
                    await reader
                finally:
                    if not reader.done():
                        reader.cancel()
                if self.failure is None:
                    code = await proc.wait()
        except TimeoutError:
            self.failure = f"did not answer within {timeout:g}s"
        finally:
            _kill_group(proc.pid)
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
        return code


def _kill_group(pgid: int) -> None:
    """Whatever is left of the plugin's process group: its children and theirs."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
