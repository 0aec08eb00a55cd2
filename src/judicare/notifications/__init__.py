"""Notices to officers, in the app and by e-mail, and their calendar feeds (issue 17)."""
