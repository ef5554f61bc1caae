"""The EOD app: the daily batch around the engine kernel — the run record (``EodRun``), the loans the run
could not compute (``EodError``), the current status of every loan (``LoanStatus``) and the run service
(``services.run``) that reads the book, computes the snapshot, writes the lake and the store."""
