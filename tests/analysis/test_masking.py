from balie.analysis.masking import mask


def test_profane_spans_keep_only_their_first_letters() -> None:
    text = "Wat een kutbedrijf, f*cking oplichters"
    evidence = [
        {"start": 8, "end": 18, "label": "profanity"},
        {"start": 20, "end": 38, "label": "insult"},
        {"start": 0, "end": 3, "label": "anger"},
    ]
    assert mask(text, evidence) == "Wat een k*********, f****** o*********"


def test_spans_outside_the_text_are_ignored() -> None:
    assert mask("kort", [{"start": 2, "end": 99, "label": "profanity"}]) == "kort"
