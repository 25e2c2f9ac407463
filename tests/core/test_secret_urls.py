"""A registered secret URL is masked whole, as its path with the query, and as its bare path."""

from __future__ import annotations

import secrets

from funnelsync.secrets import MASK, redact, register_secret


def test_a_secret_url_is_masked_in_every_form_an_error_quotes_it() -> None:
    # Fresh values: the registry is process-wide, so nothing registered before may help.
    path = f"/services/T0A1/B2C3/{secrets.token_hex(6)}"
    query = f"token={secrets.token_hex(6)}"
    hook = f"https://hooks.example.com{path}?{query}"
    register_secret(hook)
    assert redact(f"POST {hook} failed") == f"POST {MASK} failed"
    assert redact(f"POST {path}?{query}: 404") == f"POST {MASK}: 404"
    # HTTP clients often quote the path alone, without the query
    assert redact(f"404 Not Found for url path {path}") == f"404 Not Found for url path {MASK}"


def test_short_values_and_plain_words_are_not_masked() -> None:
    register_secret("abc")
    register_secret(None)
    register_secret("")
    assert redact("abc and the run") == "abc and the run"
    register_secret("https://example.com/")
    assert redact("GET / of https://example.com/ failed") == f"GET / of {MASK} failed"


def test_a_registered_token_is_masked_wherever_it_appears() -> None:
    token = f"pat-{secrets.token_hex(8)}"
    longer = f"{token}-{secrets.token_hex(4)}"
    register_secret(token)
    register_secret(longer)
    assert redact(f"{longer} then {token} then {token}") == f"{MASK} then {MASK} then {MASK}"


def test_a_secret_of_four_characters_is_masked() -> None:
    # letters no real text holds: the registry is process-wide and outlives this test
    pin = "".join(secrets.choice("ⱭⱮⱯⱰ") for _ in range(4))
    register_secret(pin)
    assert redact(f"pin {pin}") == f"pin {MASK}"


def test_a_plain_http_url_path_is_masked_too() -> None:
    path = f"/hooks/{secrets.token_hex(6)}"
    register_secret(f"http://collector.internal:8080{path}")
    assert redact(f"POST {path} refused") == f"POST {MASK} refused"


def test_a_longer_secret_is_masked_before_a_shorter_one_inside_it() -> None:
    short = f"zq{secrets.token_hex(4)}"
    longer = f"a{short}x"  # sorts before the short one, but must be replaced first
    register_secret(short)
    register_secret(longer)
    assert redact(f"token {longer}") == f"token {MASK}"
