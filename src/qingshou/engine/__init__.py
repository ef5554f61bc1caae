"""The EOD engine: the whole book's snapshot as columns (Polars), exact to the fen against the domain.

Modules: ``schema`` (column contracts), ``book`` (the input frames), ``calendar`` (the business calendar as
a frame), ``replay`` (ledger replay of every loan), ``derive`` (delinquency, amounts, classification,
limitation, aggregates, changes), ``kernel`` (the entry point runners call), ``reference`` (the same snapshot
loan by loan through the domain: the parity oracle and the benchmark's baseline), ``spark`` (the Spark
runner). docs/architecture.md has the data flow.
"""
