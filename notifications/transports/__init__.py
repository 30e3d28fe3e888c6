"""Channels that carry a message to a device; the dispatcher only knows `Transport`."""
