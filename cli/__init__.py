"""The `qa` command: ingest, ask, eval, check, serve and the users, keys and collections commands.

Role: a front-end. May import every layer below it (`evaluation`, `qa`, `access`, `index`) and the other
front-ends (`qa ui` starts the chat, `qa serve` the HTTP API); nothing below imports it.
"""
