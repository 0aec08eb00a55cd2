"""The legal-basis resolver: which instruments govern a request between two states on a
date, why, under what conditions, and what national law fills the gap."""
