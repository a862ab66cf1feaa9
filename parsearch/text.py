"""The house's text: how a value, a number and text from the data are written.

The ground floor under the figures, the report page and ``parsearch show`` (it imports
nothing of parsearch): whether a value is a number or unset (:func:`is_number`,
:func:`is_unset`, :func:`is_finite_number`), a number as a compact label
(:func:`format_number`, ``1e-3``, ``32``) or a count of epochs (:func:`epochs_text`),
and text from the data made safe where it goes: drawn in a figure
(:func:`escape_controls`, :func:`display_label`: one line, shortened), printed on a
terminal (:func:`visible`), written into HTML (:func:`html_text`), a message on one line
(:func:`one_line`). Nothing from a results
folder can drive a terminal, break a page or hide itself behind a bidi override.
"""

from __future__ import annotations

import html
import math
import re
import unicodedata

import numpy as np
import pandas as pd

#: The longest label drawn (a longer one keeps its start and end around an ellipsis).
MAX_LABEL_CHARS = 40

# Characters drawn escaped (``\n``, ``\x1b``): controls, format characters (bidi
# overrides), surrogates, private use, line and paragraph separators.
_ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})


# --- values ----------------------------------------------------------------------------------


def is_number(value):
    """Whether a value is an int or a float (a bool is not), numpy scalars included."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    )


def is_unset(value):
    """Whether a value means "not set": None, ``pd.NA`` or NaN."""
    if value is None or value is pd.NA:
        return True
    return is_number(value) and math.isnan(float(value))


def is_finite_number(value):
    """Whether a value is a number (:func:`is_number`) that is neither infinite nor NaN."""
    return is_number(value) and math.isfinite(float(value))


# --- numbers ---------------------------------------------------------------------------------


def _format_number(value, exp_style, digits):
    f = float(value)
    if not math.isfinite(f):
        return repr(f)  # "inf", "-inf", "nan"
    if f == 0:
        return "-0" if math.copysign(1.0, f) < 0 else "0"
    if f.is_integer() and abs(f) < 1e6:
        return str(int(f))
    if abs(f) < 1e-2 or abs(f) >= 1e6 or (exp_style and abs(f) < 1):
        mantissa, exponent = f"{f:.{digits - 1}e}".split("e")
        mantissa = mantissa.rstrip("0").rstrip(".") if "." in mantissa else mantissa
        return f"{mantissa}e{int(exponent)}"
    return f"{f:.{digits}g}"


def format_number(value, exp_style=False, digits=3):
    """One number as a compact plain-text label: ``0``, ``32``, ``0.5``, ``1e-3``.

    ``exp_style`` writes numbers below 1 with an exponent (``1e-1``), as log-spaced axes do.
    """
    return _format_number(value, exp_style, digits)


def epochs_text(value):
    """A count of epochs (or a halving factor) as printed: ``27``, ``2.5``; ``1e+300``, not
    300 digits."""
    number = float(value)
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return f"{number:.4g}"


# --- text from the data ----------------------------------------------------------------------


def escape_controls(text):
    """``text`` with its control, format and separator characters escaped (``\\n``, ``\\x1b``).

    Parameters
    ----------
    text : object
        Anything else is made a string first.

    Returns
    -------
    str
    """
    return "".join(
        ascii(ch)[1:-1] if unicodedata.category(ch) in _ESCAPED_CATEGORIES else ch
        for ch in str(text)
    )


def display_label(text, limit=MAX_LABEL_CHARS):
    """A label as drawn: one line, control characters escaped, at most ``limit`` characters.

    A newline is drawn as ``\\n``, an escape character as ``\\x1b`` (and so on for every
    control, format and separator character). Longer text keeps its start and its end
    around an ellipsis, so that values differing at the end still differ. ``$`` is kept:
    the figures draw every text as plain text, never as mathtext.

    Parameters
    ----------
    text : object
        The label (anything else is made a string).
    limit : int
        The most characters to keep.

    Returns
    -------
    str
    """
    text = escape_controls(text)
    if len(text) <= limit:
        return text
    head = (limit - 1) // 2
    return f"{text[:head]}…{text[len(text) - (limit - 1 - head) :]}"


def one_line(text):
    """``text`` as one line: each line break, and the spaces around it, become one space."""
    return re.sub(r"\s*[\r\n]+\s*", " ", str(text)).strip()


def visible(text):
    """``text`` with every character that is not printable escaped as Python would.

    ESC becomes the four characters ``\\x1b``, a line break ``\\n``, a right-to-left
    override ``\\u202e``, a lone surrogate (an undecodable byte of a file name)
    ``\\udcff``: what reaches the terminal is what the data holds, shown, never
    obeyed.

    Parameters
    ----------
    text : object
        Anything; it is turned into a string first.

    Returns
    -------
    str
    """
    text = str(text)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def html_text(value):
    """Any value as HTML text or a quoted attribute's value, escaped.

    Control and format characters (ESC, NUL, a right-to-left override, a lone surrogate
    from an undecodable file name) are shown escaped, ``\\x1b``, as ``parsearch show``
    prints them: HTML has no place for them, and a lone surrogate cannot even be written
    as UTF-8. Line breaks and tabs stay (an error's traceback keeps its lines).
    """
    text = str(value)
    if not text.isprintable():
        text = "".join(ch if ch in "\n\t" else escape_controls(ch) for ch in text)
    return html.escape(text, quote=True)
