"""The grammar users type: addressing, parsing to typed commands, help texts, usage errors."""

from warroom.commands import builtin as _builtin  # noqa: F401  (fills the registry)
