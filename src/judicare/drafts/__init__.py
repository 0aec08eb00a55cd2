"""Saved drafts of the outgoing wizard: per user, server-side, expiring (issue 17)."""
