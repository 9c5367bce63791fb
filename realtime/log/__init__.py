"""The event log: writing and numbering events, the messages they carry, reads (selectors),
writes (services), and the threads that read replays."""
