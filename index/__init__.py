"""Documents in, chunks and vectors out: loading, chunking, embedding and the Chroma + SQLite store.

Role: the bottom layer. Imports no other package of the product (not `qa`, `access`, `evaluation` or a front-end).
"""
