"""The console tests' fixtures and async runner, for the security tests that drive it."""

from tests.tui.conftest import local_clipboard, make_app, pytest_pyfunc_call

__all__ = ["local_clipboard", "make_app", "pytest_pyfunc_call"]
