"""A registered secret URL is masked whole, as its path with the query, and as its bare path."""

from __future__ import annotations

from funnelsync.secrets import MASK, redact, register_secret

HOOK = "https://hooks.example.com/services/T0A1/B2C3/zX9kQ?token=s3cr3t-query"


def test_a_secret_url_is_masked_in_every_form_an_error_quotes_it() -> None:
    register_secret(HOOK)
    assert redact(f"POST {HOOK} failed") == f"POST {MASK} failed"
    assert redact("POST /services/T0A1/B2C3/zX9kQ?token=s3cr3t-query: 404") == f"POST {MASK}: 404"
    # HTTP clients often quote the path alone, without the query
    assert redact("404 Not Found for url path /services/T0A1/B2C3/zX9kQ") == (
        f"404 Not Found for url path {MASK}"
    )
