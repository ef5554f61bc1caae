"""Early warning (issue 8): external events, rule triggers and the watch list of current loans."""
