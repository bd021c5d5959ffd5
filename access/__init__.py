"""People: accounts, logins and their throttle, API keys, permissions, collections and feedback.

Role: who may do what. Imports `index/` and, from the engine, only its vocabulary (`qa.errors`,
`qa.settings`, `qa.types`); never `evaluation` or a front-end (`cli`, `api`, `ui`).
"""
