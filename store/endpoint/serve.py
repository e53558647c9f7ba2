"""``authclients serve``: the endpoint in the foreground until Ctrl-C or SIGTERM."""

from __future__ import annotations

import logging
import signal
import sys
import threading

from authclients.store.endpoint.server import PortInUse, TokenEndpoint
from authclients.store.listen_address import DEFAULT_HOST, DEFAULT_PORT
from authclients.store.service import Store


def run_headless(
    store: Store, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, log_file: str | None = None
) -> int:
    """``authclients serve``: serve until Ctrl-C or SIGTERM; returns the exit code.

    The first line on stdout is ``Listening on http://HOST:PORT`` (flushed), so
    scripts can wait for it. A taken port is a one-line message and exit code 1.
    """
    if not logging.getLogger("authclients").handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logging.getLogger("authclients").addHandler(handler)
        logging.getLogger("authclients").setLevel(logging.WARNING)
    endpoint = TokenEndpoint(store, host=host, port=port, log_file=log_file)
    stopping = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stopping.set()

    # Handlers first: a SIGTERM sent as soon as "Listening on" is read must stop us
    # cleanly, not kill us (the main thread may wait for the GIL behind the server's).
    previous: dict[int, object] = {}
    in_main = threading.current_thread() is threading.main_thread()
    if in_main:
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, on_signal)
    try:
        try:
            endpoint.start()
        except PortInUse as exc:
            print(f"authclients serve: {exc}", file=sys.stderr, flush=True)
            return 1
        except OSError as exc:
            print(
                f"authclients serve: cannot listen on {host}:{port}: {exc.strerror or exc}",
                file=sys.stderr,
                flush=True,
            )
            return 1
        print(f"Listening on {endpoint.url}", flush=True)
        while not stopping.is_set():
            stopping.wait(0.25)
    except KeyboardInterrupt:
        pass
    finally:
        endpoint.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
    print("Stopped.", file=sys.stderr, flush=True)
    return 0
