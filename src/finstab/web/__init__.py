"""Web dashboard (FastAPI, server-rendered pages, no external assets)."""
