"""Users, roles, API tokens, and the one place where permissions are checked."""
