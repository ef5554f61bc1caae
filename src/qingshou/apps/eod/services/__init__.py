"""Use cases of the EOD app: ``run`` (the daily batch for a day or a range of days) and ``export`` (a day's
snapshot for other tools)."""
