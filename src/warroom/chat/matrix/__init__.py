"""Matrix, on matrix-nio's async client: a /sync loop in, the client-server API out.

`client.py`: `MatrixSettings` (from the environment) and `MatrixChat`, the Chat and Presence
ports. `events.py`: Matrix events as `ChatMessage` / `Reaction`. `bot.py`: `MatrixBot`, which
runs the sync loop and the runtime it is given (`runtime_factory`), and `run` for `warroom run`.
See docs/matrix.md.
"""

from warroom.chat.factory import RuntimeFactory
from warroom.chat.matrix.bot import MatrixBot
from warroom.chat.matrix.client import PLATFORM, MatrixChat, MatrixSettings, make_client
from warroom.chat.matrix.events import EMOJI_NAMES, to_message, to_reaction

__all__ = [
    "EMOJI_NAMES",
    "PLATFORM",
    "MatrixBot",
    "MatrixChat",
    "MatrixSettings",
    "RuntimeFactory",
    "make_client",
    "to_message",
    "to_reaction",
]
