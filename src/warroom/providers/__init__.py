"""Clients of the outside world behind the ports: status sources, pagers, trackers."""
