"""Reading and validating core-system extracts (docs/data-format.md) into Polars frames and reject rows.

``reading`` finds and reads the files as text, ``validation`` checks each table (vectorised Polars
expressions from ``checks``) against what is known, ``schedules`` builds the schedules the extract leaves
out with the domain's ``build_schedule``, ``rejects`` writes the reject files. No database and no Django
here: the load service hands in what is stored and writes the result.
"""
