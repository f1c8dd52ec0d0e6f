"""Sign-in tokens: genuine ones open, forged, altered, expired or repurposed ones never do."""

from datetime import UTC, datetime, timedelta

from bot.signin import LINK_LIFETIME, link_token, session_token, sign, verify

NOW = datetime(2026, 11, 18, 4, 0, tzinfo=UTC)
KEY = "a secret key"


def test_genuine_link_names_org_and_person():
    identity = verify(KEY, "link", link_token(KEY, 3, 42, NOW), NOW + timedelta(minutes=1))
    assert (identity.org_id, identity.person_id) == (3, 42)


def test_expired_link_is_refused():
    token = link_token(KEY, 3, 42, NOW)
    assert verify(KEY, "link", token, NOW + LINK_LIFETIME + timedelta(seconds=1)) is None


def test_other_key_or_altered_payload_is_refused():
    token = link_token(KEY, 3, 42, NOW)
    assert verify("another key", "link", token, NOW) is None
    forged = sign("another key", "link", 3, 1, NOW + timedelta(hours=1))
    assert verify(KEY, "link", forged.split(".")[0] + "." + token.split(".")[1], NOW) is None
    assert verify(KEY, "link", forged, NOW) is None


def test_session_cookie_is_not_a_link_and_back():
    assert verify(KEY, "link", session_token(KEY, 3, 42, NOW), NOW) is None
    assert verify(KEY, "session", link_token(KEY, 3, 42, NOW), NOW) is None


def test_garbage_is_refused_quietly():
    for token in ("", ".", "abc", "abc.def", "!!!.???", "e30.e30", None):
        assert verify(KEY, "session", token, NOW) is None
