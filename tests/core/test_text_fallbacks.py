"""funnelsync's own wording falls back to ASCII where a system's encoding cannot hold it."""

from __future__ import annotations

from funnelsync.text_fit import fit_own_text, unencodable


def test_own_text_keeps_what_the_encoding_holds_and_falls_back_for_the_rest() -> None:
    reason = "score 72 ≥ 60 · fit 40, 2× demo request, Zoë…"
    assert fit_own_text(reason, "utf-8") == reason
    assert fit_own_text(reason, "latin-1") == "score 72 >= 60 · fit 40, 2× demo request, Zoë..."
    assert fit_own_text(reason, "ascii") == "score 72 >= 60 - fit 40, 2x demo request, Zoe..."
    assert fit_own_text("Łódź ≥ 5", "latin-1") == "?ódz >= 5"
    assert fit_own_text("日本", "latin-1") == "??"


def test_a_cut_text_still_fits_its_limit_after_the_fallback() -> None:
    cut = "x" * 9 + "…"  # 10 characters, cut by the mapping's max_length of 10
    fitted = fit_own_text(cut, "ascii", limit=10)
    assert (fitted, len(fitted)) == ("xxxxxxx...", 10)


def test_unencodable_names_the_first_character_that_does_not_fit() -> None:
    assert unencodable("Łukasz Żak", "latin-1") == "Ł"
    assert unencodable("José", "latin-1") is None
