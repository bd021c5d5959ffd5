"""Ingestion: loading files, chunking, embedding and the Chroma + keyword store."""
