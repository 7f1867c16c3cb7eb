"""Audit: an append-only, tamper-evident log of every access to customer data.

- :mod:`.merkle`  RFC 6962 hashing, tree heads, inclusion and consistency proofs (pure)
- :mod:`.log`     :class:`MerkleAuditLog`: group-committed appends, signed checkpoints (Ed25519),
                  proofs from storage, and :func:`verify` that names the first bad entry
- :mod:`.ports`   the storage interface the log needs
"""
