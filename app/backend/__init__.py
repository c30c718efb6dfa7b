"""FastAPI service over the precomputed attention store and the SQL catalog.

It reads what `precompute` wrote and never runs a model: it never imports torch.
The ASGI app is `app.backend.main:app`, configured by the environment (see `config.py`).
"""
