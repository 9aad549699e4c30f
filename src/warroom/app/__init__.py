"""Use cases: each command runs in one database transaction and returns effects to deliver."""
