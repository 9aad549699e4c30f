"""Durable timers and the outbox sweeper: claim due rows, run them through the app."""
