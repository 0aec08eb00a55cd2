"""Adversarial tests: each reproduces an attack on a promise in SECURITY.md (issue 13)."""
