"""Judicare: cooperation between states in the investigation and prosecution of
genocide, crimes against humanity, war crimes and other international crimes."""

__version__ = "0.1.0"
