"""Where the endpoint listens unless told otherwise: loopback only, one port for every entry point.

It lives below the endpoint package so the CLI can name it without loading the HTTP server.
"""

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
