"""The OAuth 2.0 decisions: the authorization server, one module per grant, one exception per
RFC error. No sockets, no HTML, no SQL: the HTTP layer is ``store.endpoint``, the SQL is in
the persistence modules of ``store``.
"""
