"""Legal forms in organisation names ("LLC", "Limited Liability Company", "OOO", "GmbH",
"S.A. de C.V."): a listed company is matched by its name without them, as the press
writes it ("Sovcomflot" for "PAO SOVCOMFLOT"), and the find is widened over the form
where the text writes it too ("Cargo Link Logistics Co., Ltd." is the listed name).

The forms are rigour's organisation-type database (OpenSanctions': OCCRP's list, ISO
20275's entity legal forms, and more, in every language it covers), not a list of ours.
"""

from __future__ import annotations

import re

from rigour.names import remove_org_types

_EDGES = re.compile(r"^[\s,.;:&/-]+|[\s,.;:&/-]+$")
# Characters the folded text may have between two words of a form ("Co., Ltd." folds
# to "co   ltd"): more than this and the words are not one name.
_MAX_GAP = 3


def without_legal_form(name: str) -> str:
    """``name`` without its legal forms and the punctuation they leave ("JINHOU HOLDINGS
    CO., LTD." -> "JINHOU HOLDINGS"); ``name`` itself when it has none or is all form."""
    bare = remove_org_types(name)
    return name if bare == name else _EDGES.sub("", bare) or name


def form_words(full_key: str, bare_key: str) -> tuple[list[str], list[str]] | None:
    """The words of ``full_key`` before and after ``bare_key`` (both automaton keys), or
    ``None`` when the bare name is not one run of the full name's words (a form in the
    middle: "KSK LLC TRADING")."""
    full, bare = full_key.split(), bare_key.split()
    for i in range(len(full) - len(bare) + 1):
        if full[i : i + len(bare)] == bare:
            return full[:i], full[i + len(bare) :]
    return None


def widened(
    folded: str, start: int, end: int, before: list[str], after: list[str]
) -> tuple[int, int] | None:
    """The span ``[start, end)`` of a bare name in ``folded`` text widened over the form
    words written around it, or ``None`` when the text does not write them there."""
    pos = end
    for word in after:
        at = pos
        while at < len(folded) and folded[at] == " " and at - pos < _MAX_GAP:
            at += 1
        if at == pos or not folded.startswith(word, at):
            return None
        stop = at + len(word)
        if stop < len(folded) and folded[stop] != " ":
            return None
        pos = stop
    first = start
    for word in reversed(before):
        at = first
        while at > 0 and folded[at - 1] == " " and first - at < _MAX_GAP:
            at -= 1
        begin = at - len(word)
        if at == first or begin < 0 or folded[begin:at] != word:
            return None
        if begin > 0 and folded[begin - 1] != " ":
            return None
        first = begin
    return first, pos
