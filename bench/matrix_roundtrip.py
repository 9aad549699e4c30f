"""Messages from a person on a local Synapse through `warroom run` (Matrix) to the bot's reply.

    .venv/bin/python bench/matrix_roundtrip.py
    .venv/bin/python bench/matrix_roundtrip.py --rates 5,20,50 --seconds 10 \\
        --sustain 10,20,40,60 --sustain-seconds 60 --rooms 20

A real Synapse (warroom.testing.synapse: cached virtualenv, loopback, SQLite, rate limits
raised) and the bot as users run it: `python -m warroom run` in a subprocess on SQLite with
MATRIX_HOMESERVER / MATRIX_USER_ID / MATRIX_ACCESS_TOKEN. An incident is started in every room;
then `warroom incident note ...` messages are sent at a fixed rate, round-robin over the rooms,
by a nio client. Latency is the homeserver's own clock: the reply's `origin_server_ts` minus the
note's (the k-th note in a room is answered by the k-th reply there), so the observer's sync
adds nothing. Then, for each rate of --sustain (ascending), --sustain-seconds of traffic; a rate
is held when every note is answered and the last answer comes within 2 s of the last note.
Figures go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import nio

from warroom.testing.synapse import Account, Synapse, install


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def client(server: Synapse, account: Account) -> nio.AsyncClient:
    config = nio.AsyncClientConfig(max_limit_exceeded=50, encryption_enabled=False)
    c = nio.AsyncClient(server.url, account.user_id, device_id=account.device_id, config=config)
    c.access_token = account.access_token
    c.user_id = account.user_id
    return c


class Observer:
    """A person's sync loop: the bot's replies per room, by the homeserver's clock."""

    def __init__(self, c: nio.AsyncClient, bot: str) -> None:
        self.client = c
        self.bot = bot
        self.replies: dict[str, list[int]] = defaultdict(list)
        self.joined: set[str] = set()
        self.since: str | None = None
        self.task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        timeline = {"room": {"timeline": {"limit": 500}}}
        while True:
            resp = await self.client.sync(timeout=5000, since=self.since, sync_filter=timeline)
            if not isinstance(resp, nio.SyncResponse):
                await asyncio.sleep(0.5)
                continue
            self.since = resp.next_batch
            for room_id, room in resp.rooms.join.items():
                for event in room.timeline.events:
                    src: dict[str, Any] = event.source
                    if src.get("sender") != self.bot:
                        continue
                    if src.get("type") == "m.room.message":
                        self.replies[room_id].append(int(src["origin_server_ts"]))
                    elif src.get("type") == "m.room.member":
                        self.joined.add(room_id)

    async def wait(self, predicate: Any, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            await asyncio.sleep(0.05)
        return bool(predicate())


async def load(
    sender: nio.AsyncClient,
    observer: Observer,
    rooms: list[str],
    *,
    rate: float,
    seconds: float,
    offset: int,
) -> tuple[list[float], int, float]:
    """Send rate*seconds notes; returns reply latencies (ms), notes never answered, and how
    long after the last note the last answer came (s)."""
    total = int(rate * seconds)
    before = {r: len(observer.replies[r]) for r in rooms}
    sent: dict[str, list[asyncio.Task[Any]]] = defaultdict(list)
    started = time.perf_counter()
    for n in range(total):
        delay = started + n / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        room = rooms[(offset + n) % len(rooms)]
        content = {"msgtype": "m.text", "body": f"warroom incident note bench {n}"}
        sent[room].append(asyncio.create_task(sender.room_send(room, "m.room.message", content)))
    results: dict[str, list[Any]] = {r: list(await asyncio.gather(*ts)) for r, ts in sent.items()}
    last_push = time.time() * 1000
    expected = {r: before[r] + len(results.get(r, [])) for r in rooms}
    await observer.wait(lambda: all(len(observer.replies[r]) >= expected[r] for r in rooms), 120)
    latencies: list[float] = []
    lost = 0
    last_answer = 0.0
    for room, responses in results.items():
        answers = observer.replies[room][before[room] :]
        lost += max(0, len(responses) - len(answers))
        for response, answered in zip(responses, answers, strict=False):
            if not isinstance(response, nio.RoomSendResponse):
                lost += 1
                continue
            event = await sender.room_get_event(room, response.event_id)
            sent_at = int(event.event.source["origin_server_ts"])
            latencies.append(float(answered - sent_at))
            last_answer = max(last_answer, float(answered))
    return latencies, lost, max(0.0, (last_answer - last_push) / 1000)


async def main(args: argparse.Namespace) -> None:
    rates = [float(r) for r in args.rates.split(",") if r]
    sustain = [float(r) for r in args.sustain.split(",") if r]
    began = time.monotonic()
    python = install()
    installed = time.monotonic() - began
    database = None
    if args.synapse_pg:  # Synapse on PostgreSQL: a fresh database with the C collation it needs
        database = await asyncio.to_thread(synapse_pg, python, args.synapse_pg)
    with tempfile.TemporaryDirectory() as raw_tmp:
        hs = Synapse(Path(raw_tmp) / "hs", python, database=database)
        hs.start()
        try:
            await run(args, hs, Path(raw_tmp), installed, rates, sustain)
        finally:
            hs.stop()


def synapse_pg(python: Path, admin_url: str) -> dict[str, Any]:
    import psycopg

    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "psycopg2-binary"], check=True, timeout=300
    )
    name = "warroom_bench_synapse"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(
            f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' LC_COLLATE='C' LC_CTYPE='C' "
            "TEMPLATE template0"
        )
    info = psycopg.conninfo.conninfo_to_dict(admin_url)
    args = {k: v for k, v in info.items() if k in ("host", "port", "user", "password")}
    return {"name": "psycopg2", "args": {**args, "dbname": name, "cp_min": 2, "cp_max": 10}}


async def run(
    args: argparse.Namespace,
    hs: Synapse,
    tmp: Path,
    installed: float,
    rates: list[float],
    sustain: list[float],
) -> None:
    start_s = hs.timings["start_s"]
    print(f"Synapse: install {installed:.1f} s (0 when cached), start {start_s:.1f} s")
    bot, person = hs.register("warroom"), hs.register("bench")
    config = tmp / "config.yml"
    config.write_text(f"reports:\n  dir: {tmp / 'reports'}\nreminders: []\n")
    env = {
        **os.environ,
        "MATRIX_HOMESERVER": hs.url,
        "MATRIX_USER_ID": bot.user_id,
        "MATRIX_ACCESS_TOKEN": bot.access_token,
        "MATRIX_DEVICE_ID": bot.device_id,
        "HOME": str(tmp),
    }
    env.pop("SLACK_BOT_TOKEN", None)
    cmd = [sys.executable, "-m", "warroom", "run", "--db", f"sqlite:///{tmp / 'bench.db'}"]
    proc = subprocess.Popen([*cmd, "--config", str(config)], env=env)
    sender = client(hs, person)
    observer = Observer(client(hs, person), bot.user_id)
    observer.task = asyncio.create_task(observer.run())
    try:
        rooms: list[str] = []
        for i in range(args.rooms):
            resp = await sender.room_create(
                name=f"bench-{i}",
                invite=[bot.user_id],
                preset=nio.RoomPreset.public_chat,
                power_level_override={"users": {bot.user_id: 50}},  # it sets topics
            )
            assert isinstance(resp, nio.RoomCreateResponse), resp
            rooms.append(resp.room_id)
        if not await observer.wait(lambda: observer.joined >= set(rooms), 120):
            raise SystemExit("the bot did not join the rooms within 120 s")
        for room in rooms:
            start = {"msgtype": "m.text", "body": "warroom incident start me bench outage"}
            await sender.room_send(room, "m.room.message", start)
        await observer.wait(lambda: all(observer.replies[r] for r in rooms), 120)
        print(f"{len(rooms)} rooms, an incident in each; notes round-robin")
        print("rate msg/s | messages | reply p50 | reply p99 | lost")
        offset = 0
        for rate in rates:
            latencies, lost, _ = await load(
                sender, observer, rooms, rate=rate, seconds=args.seconds, offset=offset
            )
            offset += int(rate * args.seconds)
            print(
                f"{rate:10.0f} | {len(latencies):8d} | {pct(latencies, 0.5):6.0f} ms | "
                f"{pct(latencies, 0.99):6.0f} ms | {lost}",
                flush=True,
            )
            await asyncio.sleep(2)
        highest = None
        for rate in sustain:
            latencies, lost, tail = await load(
                sender, observer, rooms, rate=rate, seconds=args.sustain_seconds, offset=offset
            )
            offset += int(rate * args.sustain_seconds)
            held = lost == 0 and tail < 2.0
            print(
                f"sustained {rate:.0f} msg/s for {args.sustain_seconds:.0f} s: "
                f"{len(latencies)} answered, unanswered {lost}, last answer {tail:.2f} s "
                f"after the last note, reply p50 {pct(latencies, 0.5):.0f} ms, "
                f"p99 {pct(latencies, 0.99):.0f} ms: {'held' if held else 'NOT held'}",
                flush=True,
            )
            if not held:
                break
            highest = rate
            await asyncio.sleep(2)
        print(f"highest rate held for {args.sustain_seconds:.0f} s with no loss: {highest}")
    finally:
        observer.task.cancel()
        proc.terminate()
        await asyncio.to_thread(proc.wait, 30)
        await sender.close()
        await observer.client.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="5,20,50")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--sustain", default="10,20,40,60")
    parser.add_argument("--sustain-seconds", type=float, default=60)
    parser.add_argument("--rooms", type=int, default=20)
    parser.add_argument(
        "--synapse-pg",
        metavar="URL",
        help="run Synapse on PostgreSQL (e.g. postgresql://postgres@127.0.0.1:5432/test)",
    )
    asyncio.run(main(parser.parse_args()))
