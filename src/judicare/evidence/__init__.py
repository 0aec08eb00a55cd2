"""Evidence items, their chain of custody, and the BagIt packages they travel in (issue 18)."""
