"""Messages from the fake Slack through `warroom run` (Socket Mode) to chat.postMessage.

    .venv/bin/python bench/slack_roundtrip.py
    .venv/bin/python bench/slack_roundtrip.py --rates 20,100,300 --seconds 10 \\
        --sustain 100,150,200,250 --sustain-seconds 60 --channels 600
    .venv/bin/python bench/slack_roundtrip.py --hogs 2 --sustain ""   # on a busy machine

The bot runs as users run it: `python -m warroom run` in a subprocess on SQLite, with
SLACK_API_URL pointing at the fake Slack (`warroom.testing.fake_slack`) in this process.
An incident is started in every channel first; then `spy incident note ...` messages are pushed
as Socket Mode envelopes at a fixed rate, round-robin over the channels. Measured in this
process, on one clock:

- ack latency: envelope sent -> its acknowledgement received on the websocket;
- reply latency: envelope sent -> the bot's chat.postMessage in that channel received (the
  k-th note in a channel is answered by the k-th reply there).

Then, for each rate of --sustain (ascending), --sustain-seconds of traffic; a rate is held when
every message is answered and the last answer comes within 2 s of the last message (no backlog).
The highest rate held is printed; the first rate not held ends the run.
--hogs N runs N busy-looping processes for the whole measurement (after the set-up), so that
the bot and the fake compete for the CPU as on a loaded host (2 on this 2-core machine).
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

from warroom.testing.fake_slack import FakeSlack

USER = "U0BENCH"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def channel_id(i: int) -> str:
    return f"C{i:08d}"


async def start_bot(slack: FakeSlack, tmp: Path) -> subprocess.Popen[bytes]:
    config = tmp / "config.yml"
    config.write_text(
        f"bot:\n  name: warroom\n  aliases: [spy]\nreports:\n  dir: {tmp / 'reports'}\n"
        # The round trip alone: 600 incidents' reminders would fire mid-run (bench/timers.py).
        "reminders: []\n"
    )
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": "xoxb-bench",
        "SLACK_APP_TOKEN": "xapp-bench",
        "SLACK_API_URL": slack.api_url,
        "HOME": str(tmp),
    }
    cmd = [sys.executable, "-m", "warroom", "run", "--db", f"sqlite:///{tmp / 'bench.db'}"]
    proc = subprocess.Popen([*cmd, "--config", str(config)], env=env)
    await slack.wait_connected(timeout=30)
    return proc


async def setup(slack: FakeSlack, channels: int) -> None:
    """An incident in every channel (two Web API calls each: the reply and the topic)."""
    for i in range(channels):
        slack.channel(channel_id(i), f"bench-{i}")
    before = len(slack.called("conversations.setTopic"))
    for i in range(channels):
        await slack.message(USER, channel_id(i), f"spy incident start me bench outage {i}")
        await asyncio.sleep(0.01)
    await slack.wait_calls("conversations.setTopic", before + channels, timeout=120)


async def load(
    slack: FakeSlack, *, rate: float, seconds: float, channels: int, offset: int
) -> tuple[list[float], list[float], int, float]:
    """Push rate*seconds notes; returns ack latencies, reply latencies (ms), the number of
    notes never answered, and how long after the last push the last answer came (s)."""
    total = int(rate * seconds)
    sent: dict[str, list[str]] = defaultdict(list)  # channel -> envelope ids, in order
    first_call = len(slack.calls)
    started = time.perf_counter()
    for n in range(total):
        due = started + n / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        channel = channel_id((offset + n) % channels)
        envelope = await slack.message(USER, channel, f"spy incident note bench {n}")
        sent[channel].append(envelope)
    last_push = time.perf_counter()
    deadline = last_push + 120  # drain: answers still coming are late, not lost
    while time.perf_counter() < deadline:
        answered = sum(
            1
            for c in slack.calls[first_call:]
            if c.method == "chat.postMessage" and c.status == 200
        )
        if answered >= total and all(e in slack.ack_times for es in sent.values() for e in es):
            break
        await asyncio.sleep(0.05)
    acks = [
        (slack.ack_times[e] - slack.pushed_at[e]) * 1000
        for es in sent.values()
        for e in es
        if e in slack.ack_times
    ]
    posts: dict[str, list[float]] = defaultdict(list)
    for call in slack.calls[first_call:]:
        if call.method == "chat.postMessage" and call.status == 200:
            posts[str(call.args.get("channel"))].append(call.at)
    replies: list[float] = []
    lost = 0
    last_answer = last_push
    for channel, envelopes in sent.items():
        answers = posts.get(channel, [])
        lost += max(0, len(envelopes) - len(answers))
        for envelope, at in zip(envelopes, answers, strict=False):
            replies.append((at - slack.pushed_at[envelope]) * 1000)
            last_answer = max(last_answer, at)
    return acks, replies, lost, last_answer - last_push


async def sustained(
    slack: FakeSlack, args: argparse.Namespace, rates: list[float], offset: int
) -> float | None:
    """Each rate (ascending) for --sustain-seconds; the highest held, stopping at the first
    rate not held."""
    highest = None
    for rate in rates:
        acks, replies, lost, tail = await load(
            slack,
            rate=rate,
            seconds=args.sustain_seconds,
            channels=args.channels,
            offset=offset,
        )
        offset += int(rate * args.sustain_seconds)
        held = lost == 0 and tail < 2.0
        print(
            f"sustained {rate:.0f} msg/s for {args.sustain_seconds:.0f} s: "
            f"{len(acks)} messages, unanswered {lost}, last answer {tail:.2f} s "
            f"after the last message, ack p99 {pct(acks, 0.99):.1f} ms, reply p50 "
            f"{pct(replies, 0.5):.1f} ms, p99 {pct(replies, 0.99):.1f} ms: "
            f"{'held' if held else 'NOT held'}",
            flush=True,
        )
        if not held:
            break
        highest = rate
        await asyncio.sleep(2)
    return highest


async def main(args: argparse.Namespace) -> None:
    rates = [float(r) for r in args.rates.split(",") if r]
    sustain = [float(r) for r in args.sustain.split(",") if r]
    with tempfile.TemporaryDirectory() as raw_tmp:
        tmp = Path(raw_tmp)
        async with FakeSlack() as slack:
            proc = await start_bot(slack, tmp)
            hogs: list[subprocess.Popen[bytes]] = []
            try:
                await setup(slack, args.channels)
                hogs = [
                    subprocess.Popen([sys.executable, "-c", "while True: pass"])
                    for _ in range(args.hogs)
                ]
                print(
                    f"{args.channels} channels, an incident in each; notes round-robin;"
                    f" {args.hogs} busy-looping processes meanwhile"
                )
                print("rate msg/s | messages | ack p50 | ack p99 | reply p50 | reply p99 | lost")
                offset = 0
                for rate in rates:
                    acks, replies, lost, _ = await load(
                        slack,
                        rate=rate,
                        seconds=args.seconds,
                        channels=args.channels,
                        offset=offset,
                    )
                    offset += int(rate * args.seconds)
                    print(
                        f"{rate:10.0f} | {len(acks):8d} | {pct(acks, 0.5):5.1f} ms | "
                        f"{pct(acks, 0.99):5.1f} ms | {pct(replies, 0.5):7.1f} ms | "
                        f"{pct(replies, 0.99):7.1f} ms | {lost}",
                        flush=True,
                    )
                    await asyncio.sleep(2)
                highest = await sustained(slack, args, sustain, offset)
                print(f"highest rate held for {args.sustain_seconds:.0f} s with no loss: {highest}")
            finally:
                for hog in hogs:
                    hog.kill()
                    hog.wait()
                proc.terminate()
                await asyncio.to_thread(proc.wait, 30)  # the fake must answer its close


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="20,100,300")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--sustain", default="100,150,200,250")
    parser.add_argument("--sustain-seconds", type=float, default=60)
    parser.add_argument("--channels", type=int, default=600)
    parser.add_argument("--hogs", type=int, default=0, help="busy-looping processes meanwhile")
    asyncio.run(main(parser.parse_args()))
