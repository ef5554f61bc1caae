"""The pure domain: every rule that decides a number, stdlib only.

Nothing here reads a clock, a file, a database or the network; every rule takes an explicit ``as_of``
(conventions C1). Values are frozen dataclasses and a change returns a new value. The engine (issue 3)
must agree with these functions to the fen.
"""
