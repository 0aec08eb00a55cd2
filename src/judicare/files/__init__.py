"""Where document bytes live: behind an interface, with a fake for tests."""
