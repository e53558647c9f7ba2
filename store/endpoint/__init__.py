"""HTTP: the event loop and connection handling, request parsing and limits."""
