"""Replies as data (`Doc`) and the builders that word them; adapters turn a Doc into markup."""
