"""Tests of parsearch.text: the house's text (numbers, escaping, shortening)."""

from parsearch import text


def test_display_label_escapes_control_characters_and_shortens_long_text():
    assert text.display_label("a\nb\x00c\x1b[31m\t\u202e") == "a\\nb\\x00c\\x1b[31m\\t\\u202e"
    assert text.display_label("price $5 or $6") == "price $5 or $6"  # "$" is left to the drawing
    long = text.display_label("x" * 5000 + "END")
    assert len(long) <= text.MAX_LABEL_CHARS
    assert long.startswith("xxx") and long.endswith("END") and "…" in long
    assert text.display_label(42) == "42"
