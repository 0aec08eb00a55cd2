"""The treaty register: instruments, depositary actions, entry into force, notifications."""
