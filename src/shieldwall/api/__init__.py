"""The HTTP edge: a FastAPI app, one router per capability, RFC 9457 problem documents.

Every route is authenticated with a per-principal API key and authorized by role here or by the
custody policy in the domain. Domain errors are translated to HTTP in :mod:`.problems` only.
"""
