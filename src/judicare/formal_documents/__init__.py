"""Formal documents a central authority sends: which kinds fit a request, what they must
contain (with citations), what they may disclose, and their rendering (PDF/A-3, DOCX)."""
