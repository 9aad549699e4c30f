"""The domain, free of I/O: every function takes `now` and returns new state plus events."""
