"""The HTTP API (`qa serve`): OpenAI-compatible chat with citations, REST routes, API keys, the chat UI.

Role: a front-end. May import `qa`, `access`, `index` and the chat (`ui.app`, which `qa serve` serves beside
the API); nothing below imports it.

app.py             create_app(qa): the ASGI app; app_from_env(): one per worker process
openai_routes.py   POST /v1/chat/completions, GET /v1/models; openai_format.py: the mapping (pure)
rest.py            POST /v1/ask, GET /v1/sources, POST /v1/documents, DELETE /v1/documents/{source}, /healthz
auth.py, deps.py   API keys (`access.api_keys`) -> the user a request acts as; the engine per worker
errors.py          every error as JSON with its status and the field at fault; limits.py: body sizes (413)
schemas.py         request and response bodies (the OpenAPI docs)
ui_proxy.py        the chat UI served by one process behind several workers
"""
