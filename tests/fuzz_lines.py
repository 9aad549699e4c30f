"""Fixed-seed hostile chat lines for the fuzz tests and bench/chaos.py: the command vocabulary
(every usage in the registry) with mutated arguments, unicode, control characters, Slack
markup and 100 KB lines, addressed in every way the bot is addressed, and some chatter."""

from __future__ import annotations

import random

from warroom.commands.registry import REGISTRY

ADDRESS = ["warroom ", "warroom: ", "@warroom ", "spy ", "!", "", "WarRoom  ", "warroom\t"]
ARGS = [
    "me checkout is down", "@alice", "#war-room", "#", "@", "12", "INC-1", "-1", "0",
    "99999999999999999999", "1e309", "10m", "-5m", "3h", "yesterday", "23:59", "25:61",
    '"quoted message"', '"unterminated', "support", "datastores", "imoc", "responders",
    "github major for api", "for", "ack 1", "res 99", "all", "https://gitlab.example/i/7",
    "<@U01DANIELLA>", "<#C0WARROOM|war-room>", "<!here>", "<https://x.example|x>", "*bold*",
    "`code`", "```block```", "&lt;&amp;&gt;", "🔥🚒", "\u202eevil\u202c", "e\u0301", "ﬁ",
    "\u200b", "𝓌𝒶𝓇", "中文", "עברית", "\ufeff", "\ud800", "\udfff", "\x00", "\x1c", "\x85",
    "\x1b[31mred", "\r", "\u2028", "%s%n", "{0}", "'; DROP TABLE incidents; --", "\\",
]  # fmt: skip
CONTROL = [chr(c) for c in [*range(0, 32), *range(127, 160)]] + ["\ud800", "\ufffe", "\U0010ffff"]


def vocabulary() -> list[str]:
    """Every command's usage with its placeholders as words: `incident note <text>`."""
    out = []
    for entry in REGISTRY.entries():
        words = [w for w in entry.usage.split() if not w.startswith(("<", "["))]
        out.append(" ".join(words))
    return out


def lines(n: int, *, seed: int = 12, long_every: int = 500) -> list[str]:
    """`n` lines; one in `long_every` about 100 KB."""
    rng = random.Random(seed)
    vocab = vocabulary()
    out = []
    for i in range(n):
        words = rng.choice(vocab).split()
        if rng.random() < 0.3 and words:  # cut the command short, or mangle a word
            words = words[: rng.randrange(len(words) + 1)]
        if rng.random() < 0.2 and words:
            k = rng.randrange(len(words))
            words[k] = _mutate(rng, words[k])
        args = [rng.choice(ARGS) for _ in range(rng.randrange(4))]
        if rng.random() < 0.3:
            args.append(_noise(rng, rng.randrange(1, 40)))
        text = rng.choice(ADDRESS) + " ".join(words + args)
        if i % long_every == long_every - 1:
            text += " " + _noise(rng, 100_000)
        if rng.random() < 0.05:
            text = _noise(rng, rng.randrange(1, 20))  # pure junk
        out.append(text)
    return out


def _mutate(rng: random.Random, word: str) -> str:
    pick = rng.randrange(4)
    if pick == 0:
        return word.upper()
    if pick == 1:
        return word + rng.choice(CONTROL)
    if pick == 2:
        return word[: max(1, len(word) // 2)]
    return rng.choice(CONTROL) + word


def _noise(rng: random.Random, size: int) -> str:
    pool = [*CONTROL, *"abc xyz<>@#!*`~", "🔥", "é", "\u202e", "ß", "\u0300"]
    return "".join(rng.choice(pool) for _ in range(size))
