"""The `authclients` command line: one module per noun; `main` is in `main.py`."""
