"""Audit: an append-only, tamper-evident log of every access to customer data.

- :mod:`.merkle`      RFC 6962 hashing, tree heads, inclusion and consistency proofs (pure)
- :mod:`.note`        C2SP signed notes with Ed25519 keys (pure; Go ``sumdb/note`` compatible)
- :mod:`.checkpoint`  checkpoints as C2SP tlog-checkpoint notes: :class:`CheckpointSigner`,
                      :class:`CheckpointVerifier`
- :mod:`.policy`      :class:`CheckpointPolicy`: a checkpoint every N entries and T seconds
- :mod:`.witness`     publishing checkpoints outside the database (witness file, webhook)
- :mod:`.proofs`      proof files, checked with no database (``audit verify-proof``)
- :mod:`.log`         :class:`MerkleAuditLog`: group-committed appends, the outbox, signed
                      checkpoints, proofs from storage, and :func:`verify` that names the first
                      bad entry
- :mod:`.ports`       the storage interface the log needs
"""
