"""Qingshou (清收): overdue-loan collection and recovery.

Layers, top to bottom: ``qingshou.cli`` → ``qingshou.apps`` (Django models and services) → adapters
(``ingest``, ``store``, ``simulate``, ``lake``, ``calendars``) → ``qingshou.domain`` (pure rules).
"""

__version__ = "0.1.0"
