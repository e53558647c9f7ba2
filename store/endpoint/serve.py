"""``authclients serve``: the endpoint in the foreground until Ctrl-C or SIGTERM."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable

from authclients.store.endpoint.server import PortInUse, TokenEndpoint
from authclients.store.listen_address import DEFAULT_HOST, DEFAULT_PORT
from authclients.store.service import Store


def run_headless(
    store: Store,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    log_file: str | None = None,
    *,
    public_url: str | None = None,
    trusted_proxies: Iterable[str] = (),
) -> int:
    """``authclients serve``: serve until Ctrl-C or SIGTERM; returns the exit code.

    The first line on stdout is ``Listening on http://HOST:PORT`` (flushed), so
    scripts can wait for it. A taken port is a one-line message and exit code 1.
    With ``public_url`` a second line says ``Issuer URL`` (where clients find us).
    """
    if not logging.getLogger("authclients").handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logging.getLogger("authclients").addHandler(handler)
        logging.getLogger("authclients").setLevel(logging.WARNING)
    endpoint = TokenEndpoint(
        store,
        host=host,
        port=port,
        log_file=log_file,
        public_url=public_url,
        trusted_proxies=trusted_proxies,
    )

    def ready(url: str) -> None:
        print(f"Listening on {url}", flush=True)
        if endpoint.public_url is not None:
            print(f"Issuer {endpoint.issuer}", flush=True)

    try:
        # The loop runs in this thread and stops on SIGINT or SIGTERM (its own handlers,
        # installed before the ready line: a SIGTERM sent as soon as it is read stops us).
        endpoint.serve_forever(ready)
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
    except KeyboardInterrupt:
        pass
    print("Stopped.", file=sys.stderr, flush=True)
    return 0
