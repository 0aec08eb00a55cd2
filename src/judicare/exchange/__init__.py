"""Secure exchange between central authorities: node keys, peers, signed and encrypted
envelopes, a transactional outbox, a durable inbox and signed receipts."""
