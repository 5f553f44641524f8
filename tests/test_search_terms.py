"""Properties of the pure search-term functions that both backends rely on."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from balie.search.terms import highlight, index_terms, query_groups, words

# Letters of Dutch and English text, with the accents Dutch uses, plus digits.
_LETTERS = st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZéëèïöüçĳ0123456789")
_WORD = st.text(_LETTERS, min_size=1, max_size=15)
_TEXT = st.lists(
    st.tuples(_WORD, st.sampled_from([" ", ", ", ". ", "\n", " <b>", "</b> ", " & ", "-"])),
    min_size=1,
    max_size=30,
).map(lambda parts: "".join(w + sep for w, sep in parts))


@given(_TEXT)
@settings(max_examples=300)
def test_every_word_of_a_text_is_found_by_a_query_of_itself(content: str) -> None:
    indexed = set(index_terms(content).split())
    for word in words(content):
        [group] = query_groups(word)
        assert group & indexed, (word, group, indexed)


@given(_TEXT, _WORD)
@settings(max_examples=300)
def test_a_snippet_is_escaped_text_with_only_mark_tags(content: str, query: str) -> None:
    snippet = highlight(content, query_groups(query))
    bare = snippet.replace("<mark>", "").replace("</mark>", "")
    assert "<" not in bare and ">" not in bare
    assert not re.search(r"&(?!(amp|lt|gt|quot|#x27);)", bare)


@given(_TEXT)
@settings(max_examples=200)
def test_a_word_of_the_text_is_marked_in_the_snippet(content: str) -> None:
    first = words(content)[0]
    assert "<mark>" in highlight(content, query_groups(first))
