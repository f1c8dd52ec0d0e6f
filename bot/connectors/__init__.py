"""Pull connectors: a key result's value read from the organization's own systems on a schedule.

spec: the `source:` of a key result (import file, chat) checked and normalised. read: reading one
number (sql, http, csv), every failure a one-line ConnectorError. refresh: the clock's pass, claiming
each key result's run for its period exactly once and appending the value as a check-in with source
"connector" (never a confidence: that stays a person's judgement).
"""
