"""The grammar users type: addressing, parsing to typed commands, help texts, usage errors."""
