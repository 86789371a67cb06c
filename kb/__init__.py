"""LanceDB knowledge base of resolved tickets: sources, storage, search, feedback."""
