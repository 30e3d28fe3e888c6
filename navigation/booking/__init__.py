"""One-stop booking before the visit day: offer days, hold capacity, cancel, rebook, no-shows.

`engine` is pure (plain values in and out, like `navigation.sequencing`); `service` is the
adapter that reads and writes the held capacity in the database.
"""
