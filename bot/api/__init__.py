"""The REST API's neutral side: tokens, reading key results, posting check-ins, idempotency, problems.

No HTTP here: adapters/api turns requests into these calls and `Problem`s into RFC 9457 answers. A
check-in goes through bot.services.checkins.record_checkin like every other, so the rules (confidence
1-10, the key result's cached value) are kept in one place.
"""
