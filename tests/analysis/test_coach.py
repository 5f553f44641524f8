"""The reply coach, scenario by scenario: what an agent sees before pressing send.

Each test writes the draft an agent might type, gives the coach what it knows about the
conversation, and asserts the flags, spans and verdict the agent would see.
"""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

import pytest

from balie.analysis import coach as exported_coach
from balie.analysis.coach import coach
from balie.analysis.lexicon import LEXICON_DIR
from balie.analysis.model import Coaching, FlagKind, ReplyContext
from balie.analysis.rules import ALL
from balie.analysis.rules.draft import DraftLanguage, messages

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
CALM = ReplyContext()
UPSET = ReplyContext(customer_upset=True)
OUR_FAULT = ReplyContext(company_at_fault=True)
CRITICAL = ReplyContext(customer_upset=True, severity="critical")
NOTE = ReplyContext(internal=True)


def flagged(draft: str, coaching: Coaching) -> list[tuple[FlagKind, str]]:
    """What the agent sees highlighted: each flag's kind and the words it covers."""
    return [(f.kind, draft[f.start : f.end]) for f in coaching.flags]


def kinds(draft: str, context: ReplyContext = CALM) -> set[FlagKind]:
    return {f.kind for f in coach(draft, context).flags}


def test_the_coach_is_part_of_the_public_surface() -> None:
    assert exported_coach is coach


# B2. A refusal is always paired with an alternative.
@pytest.mark.parametrize(
    "draft",
    [
        "That is not possible.",
        "Unfortunately we cannot refund opened software.",
        "We don't do that.",
        "Dat is helaas niet mogelijk.",
        "Wij kunnen uw bestelling helaas niet annuleren.",
        "Dat doen wij niet.",
    ],
)
def test_b2_a_bare_refusal_is_flagged(draft: str) -> None:
    coaching = coach(draft)
    assert coaching.verdict == "warn"
    assert [f.kind for f in coaching.flags] == ["refusal_without_alternative"]
    assert coaching.flags[0].suggestion.startswith(draft.rstrip("."))


@pytest.mark.parametrize(
    "draft",
    [
        "That is not possible. What I can do is send you a replacement today.",
        "Unfortunately we can't refund it, but I can offer you a voucher.",
        "We cannot repair it; instead I have arranged a new one.",
        "Dat is helaas niet mogelijk, wel kan ik u een tegoedbon geven.",
        "Annuleren kan niet meer. In plaats daarvan haal ik het pakket kosteloos op.",
    ],
)
def test_b2_a_refusal_with_an_alternative_is_fine(draft: str) -> None:
    assert coach(draft).verdict == "ok"


@pytest.mark.parametrize(
    "draft",
    [
        "We cannot wait to see you in our new shop!",
        "I can't thank you enough for your patience.",
        "I can't imagine how frustrating this must be. Your refund is on its way.",
        "Ik kan niet wachten tot u de nieuwe fiets ziet!",
        "Dat kan natuurlijk niet de bedoeling zijn. Ik stuur vandaag een nieuwe.",
        "Ik kan me niet voorstellen hoe vervelend dit is.",
        "We will not charge you for the repair.",
    ],
)
def test_b2_cannot_that_refuses_nothing_stays_ok(draft: str) -> None:
    assert coach(draft, OUR_FAULT).verdict == "ok"


def test_b2_the_customers_question_quoted_back_is_no_refusal() -> None:
    draft = 'You asked "why is that not possible?" Good question: it is, and I have done it.'
    assert coach(draft).verdict == "ok"


# B4. Blaming the customer is flagged, even when the customer made the mistake.
@pytest.mark.parametrize(
    ("draft", "span"),
    [
        ("You should have read the terms before ordering.", "You should have read"),
        ("That's your own fault, I'm afraid.", "your own fault"),
        ("You entered the wrong address at checkout.", "You entered the wrong"),
        ("Dat had u zelf moeten controleren.", "had u zelf moeten"),
        ("U heeft het verkeerd gedaan.", "U heeft het verkeerd gedaan"),
        ("U heeft een verkeerd adres ingevuld.", "U heeft een verkeerd"),
        ("Let voortaan beter op bij het bestellen.", "Let voortaan beter op"),
    ],
)
def test_b4_blaming_the_customer_is_flagged(draft: str, span: str) -> None:
    coaching = coach(draft)
    assert ("blame_customer", span) in flagged(draft, coaching)
    assert coaching.verdict == "warn"


@pytest.mark.parametrize(
    "draft",
    [
        "You should have received an e-mail with the tracking code; I have sent it again.",
        "You must have been worried. The parcel is safe and arrives tomorrow.",
        "U had gisteren een e-mail moeten ontvangen; ik stuur hem opnieuw.",
        "Dit is zeker niet uw schuld.",
    ],
)
def test_b4_sentences_that_blame_nobody_stay_ok(draft: str) -> None:
    assert "blame_customer" not in kinds(draft)


# C3. Internal processes and jargon instead of a solution.
@pytest.mark.parametrize(
    ("draft", "span"),
    [
        (
            "According to our internal policy this cannot be refunded.",
            "According to our internal policy",
        ),
        ("I have forwarded your question to the IT department.", "IT department"),
        ("Your case is in the L2 backlog.", "L2"),
        ("The ticket was escalated to tier 2.", "escalated to tier"),
        ("Volgens ons beleid vergoeden wij dit niet.", "Volgens ons beleid"),
        ("Ik heb het doorgezet naar de backoffice.", "doorgezet naar"),
        ("Het systeem staat het niet toe.", "Het systeem staat het niet toe"),
        # Seed 002: the agent takes it to "her IT department" instead of solving it.
        ("Ik ga het bij de afdeling IT neerleggen.", "afdeling IT"),
    ],
)
def test_c3_internal_process_talk_is_flagged(draft: str, span: str) -> None:
    assert ("internal_process", span) in flagged(draft, coach(draft))


def test_c3_a_privacy_policy_link_is_not_policy_talk() -> None:
    assert coach("You can read our privacy policy on the website.").verdict == "ok"


# D1. An upset customer and no apology anywhere.
def test_d1_no_apology_to_an_upset_customer_is_flagged_on_the_first_sentence() -> None:
    draft = "Thanks for your message. I have refunded the full amount."
    coaching = coach(draft, UPSET)
    assert flagged(draft, coaching) == [("no_apology", "Thanks for your message.")]
    assert (
        coaching.flags[0].suggestion == "I'm really sorry this happened. Thanks for your message."
    )
    assert coaching.verdict == "warn"


def test_d1_dutch_explanations_and_suggestions_are_dutch() -> None:
    draft = "Uw pakket is onderweg."
    flag = coach(draft, UPSET).flags[0]
    assert flag.kind == "no_apology"
    assert flag.explanation == "De klant is boos en het antwoord biedt nergens excuses aan."
    assert flag.suggestion == "Het spijt me echt dat dit is gebeurd. Uw pakket is onderweg."


@pytest.mark.parametrize(
    "draft",
    [
        "We're so sorry about this. I have refunded the full amount.",
        "My apologies, that was our mistake. The refund is on its way.",
        "Het spijt me echt. Ik heb het bedrag teruggestort.",
        "Onze excuses! U krijgt vandaag nog een nieuwe.",
        "Sorry for the wait, here is your refund.",
    ],
)
def test_d1_an_apology_anywhere_is_enough(draft: str) -> None:
    assert coach(draft, UPSET).verdict == "ok"


def test_d1_a_calm_customer_needs_no_apology() -> None:
    assert coach("Your parcel is on its way.", CALM).verdict == "ok"


# D2. The depth of the apology must match the severity.
@pytest.mark.parametrize(
    ("draft", "span"),
    [
        ("We apologise for any inconvenience caused.", "any inconvenience"),
        ("Sorry, but that is how it works.", "Sorry, but"),
        ("I'm sorry you feel that way.", "sorry you feel"),
        ("We apologise if you were upset.", "apologise if you were upset"),
        ("Excuses voor het eventuele ongemak.", "eventuele ongemak"),
        ("Sorry, maar zo werkt het.", "Sorry, maar"),
        ("Het spijt me dat u zich zo voelt.", "spijt me dat u zich zo voelt"),
    ],
)
def test_d2_a_qualified_apology_is_flagged_at_any_severity(draft: str, span: str) -> None:
    assert ("qualified_apology", span) in flagged(draft, coach(draft))


def test_d2_a_critical_case_needs_more_than_sorry_for_the_inconvenience() -> None:
    draft = "We are sorry for the inconvenience. A technician will visit tomorrow."
    assert "qualified_apology" not in kinds(draft, UPSET)
    coaching = coach(draft, CRITICAL)
    assert flagged(draft, coaching) == [
        ("qualified_apology", "We are sorry for the inconvenience.")
    ]
    assert "safety" in coaching.flags[0].suggestion


def test_d2_critical_dutch() -> None:
    draft = "Sorry voor het ongemak met de kachel. De monteur komt vandaag nog."
    assert kinds(draft, CRITICAL) == {"qualified_apology"}


def test_d2_an_unconditional_apology_in_a_critical_case_is_fine() -> None:
    draft = "I am so sorry your kitchen caught fire. A technician is on the way now."
    assert coach(draft, CRITICAL).verdict == "ok"


@pytest.mark.parametrize(
    "draft",
    [
        "I am so sorry, that must have been a terrible experience. A technician is on his way.",
        "Het spijt me enorm, wat een vreselijke ervaring. De monteur komt vandaag.",
    ],
)
def test_d2_taking_the_harm_seriously_is_fine(draft: str) -> None:
    assert coach(draft, CRITICAL).verdict == "ok"


def test_d2_a_but_that_brings_good_news_is_no_qualification() -> None:
    assert coach("Sorry for the wait, but good news: your refund is on its way.").verdict == "ok"


# D3. Sarcasm.
@pytest.mark.parametrize(
    ("draft", "span"),
    [
        ("Oh, that is really great.", "Oh, that is really great"),
        ("Congratulations on breaking it again.", "Congratulations on breaking"),
        ("Good luck with that.", "Good luck with that"),
        ("Wat fijn voor u.", "Wat fijn voor u"),
        # Seed 003: the shop assistant who sighed "Oh, dat is wel héél fijn".
        ("Oh, dat is wel héél fijn.", "wel héél fijn"),
        ("Nou, succes daarmee.", "Nou, succes daarmee"),
    ],
)
def test_d3_sarcasm_is_flagged(draft: str, span: str) -> None:
    coaching = coach(draft)
    assert ("sarcasm", span) in flagged(draft, coaching)
    assert coaching.verdict == "warn"


@pytest.mark.parametrize(
    "draft",
    [
        "Great news: your refund is on its way!",
        "Oh, great to hear that it works again!",
        "Fijn om te horen dat het weer werkt!",
        "Wat fijn voor u dat het weer werkt!",
    ],
)
def test_d3_genuine_joy_is_not_sarcasm(draft: str) -> None:
    assert coach(draft).verdict == "ok"


# E3. Charging for our own fault, and gag clauses.
def test_e3_return_postage_is_ours_when_we_made_the_mistake() -> None:
    draft = "De verzendkosten voor de retour zijn voor uw rekening."
    assert flagged(draft, coach(draft, OUR_FAULT)) == [("charge_for_fault", "voor uw rekening")]
    assert coach(draft, CALM).verdict == "ok"  # the customer's own change of mind


def test_e3_a_repair_fee_after_our_error_is_flagged() -> None:
    draft = "We will charge a fee for the repair."
    assert kinds(draft, OUR_FAULT) == {"charge_for_fault"}


def test_e3_seed_002_the_free_antivirus_deducted_from_the_refund() -> None:
    draft = "De €60 van de gratis antivirussoftware is in mindering gebracht op uw terugbetaling."
    assert flagged(draft, coach(draft)) == [("charge_for_fault", "in mindering")]
    english = "We have deducted the price of the free gift from your refund."
    assert kinds(english) == {"charge_for_fault"}


@pytest.mark.parametrize(
    "draft",
    [
        "Wij brengen u geen kosten in rekening.",
        "De voorrijkosten nemen wij voor onze rekening.",
        "Return shipping is free, of course.",
        "We'll waive the repair fee.",
    ],
)
def test_e3_saying_we_pay_is_no_charge(draft: str) -> None:
    assert coach(draft, OUR_FAULT).verdict == "ok"


@pytest.mark.parametrize(
    ("draft", "span"),
    [
        ("We will refund you if you sign a non-disclosure agreement.", "non-disclosure"),
        (
            "We refund the amount on condition that you do not post about this online.",
            "do not post",
        ),
        ("Wij vergoeden het als u de geheimhoudingsverklaring tekent.", "geheimhoudingsverklaring"),
        ("U krijgt een tegoedbon als u niets op social media zet.", "niets op social media"),
    ],
)
def test_e3_silence_as_a_condition_is_a_gag_clause(draft: str, span: str) -> None:
    assert ("gag_clause", span) in flagged(draft, coach(draft))


def test_e3_promising_our_own_discretion_is_no_gag() -> None:
    draft = "Your refund is on its way. We will not post your details anywhere."
    assert coach(draft).verdict == "ok"


# Insults and condescension block.
@pytest.mark.parametrize(
    ("draft", "spans"),
    [
        ("Calm down, as I already explained, read the manual.", 3),
        ("Rustig aan, zoals ik al zei werkt het zo.", 2),
        ("Lees eerst de handleiding eens.", 1),
        ("What a moron.", 1),
        ("Wat een sukkel.", 1),
        ("This is f***ing ridiculous.", 1),
    ],
)
def test_insults_and_condescension_block_the_send(draft: str, spans: int) -> None:
    coaching = coach(draft)
    assert coaching.verdict == "block"
    assert [f.kind for f in coaching.flags].count("insult") == spans


@pytest.mark.parametrize(
    "draft",
    [
        "You are not an idiot at all, this happens to everyone.",
        "I'm so sorry to hear about your cancer diagnosis.",
        "Wat vervelend dat u kanker heeft; ik regel het voor u.",
        "Beware of scammers pretending to be our support team.",
        "Pas op voor oplichters die zich voordoen als onze klantenservice.",
        "Your dog chewed the cable? I'll send a new one.",
    ],
)
def test_insult_words_in_innocent_senses_do_not_block(draft: str) -> None:
    assert coach(draft).verdict != "block"


# F2. Insults in records and internal notes are blocked like insults in replies.
@pytest.mark.parametrize(
    ("text", "span", "suggestion"),
    [
        ("A**hole Brown", "A**hole", "Brown"),
        ("Klant is een klootzak", "klootzak", "Klant is een"),
        ('Customer is a real "idiot"', "idiot", "Customer is a real"),
    ],
)
def test_f2_staff_words_about_customers_are_blocked(text: str, span: str, suggestion: str) -> None:
    coaching = coach(text, NOTE)
    assert coaching.verdict == "block"
    assert flagged(text, coaching) == [("insult", span)]
    assert coaching.flags[0].suggestion == suggestion


@pytest.mark.parametrize(
    "note",
    [
        "Customer was rude and called me an idiot; warned once.",
        'Klant noemde ons "oplichters", waarschuwing gegeven.',
    ],
)
def test_f2_a_note_may_record_the_customers_abuse(note: str) -> None:
    assert coach(note, NOTE).verdict == "ok"


def test_f2_but_a_reply_may_not_repeat_it() -> None:
    assert coach("You called us idiots, which is not ok.").verdict == "block"


def test_f2_notes_are_not_held_to_the_rules_for_talking_to_customers() -> None:
    note = "Klant belde boos, wil geld terug. Volgens ons beleid niet mogelijk, zei ik."
    assert coach(note, ReplyContext(internal=True, customer_upset=True)).verdict == "ok"


# Every flag's span and language.
def test_spans_point_into_the_original_draft_with_emoji_and_accents() -> None:
    draft = "😊 Héél fijn. Dat is helaas niet mogelijk."
    coaching = coach(draft)
    [flag] = coaching.flags
    assert draft[flag.start : flag.end] == "helaas niet mogelijk"
    assert flag.explanation.endswith(".")


def test_the_language_is_detected_when_not_given() -> None:
    dutch = coach("Dat is helaas niet mogelijk.").flags[0]
    english = coach("That is not possible.").flags[0]
    assert "Wat ik wel" in dutch.suggestion
    assert "What I can do" in english.suggestion


def test_the_given_language_wins() -> None:
    flag = coach("Sorry, maar nee.", ReplyContext(language="nl")).flags[0]
    assert flag.explanation.startswith("Deze excuses")


def test_a_clean_reply_is_ok_and_finds_its_promise() -> None:
    now = dt.datetime(2026, 11, 23, 10, 0, tzinfo=AMSTERDAM)
    draft = "Het spijt me echt. U ontvangt morgen voor 12:00 een nieuwe laptop."
    coaching = coach(draft, ReplyContext(customer_upset=True, now=now))
    assert coaching.verdict == "ok"
    [promise] = coaching.promises
    assert promise.due == dt.datetime(2026, 11, 24, 12, 0, tzinfo=AMSTERDAM)
    assert coaching.as_json()["promises"][0]["due"] == "2026-11-24T12:00:00+01:00"


def test_empty_draft_is_ok() -> None:
    assert coach("", UPSET) == Coaching("ok")


def test_p99_under_five_milliseconds_per_call_on_a_typical_reply() -> None:
    # A reply of about sixty words. CPU time of this thread, best of three rounds, so that
    # other processes on a shared test machine do not decide the result; bench/ measures
    # wall-clock speed properly.
    draft = (
        "Beste klant, dank voor uw bericht. Het spijt me dat uw bestelling niet op tijd kwam. "
        "Volgens ons beleid kunnen wij de verzendkosten helaas niet vergoeden, maar ik heb wel "
        "een tegoedbon voor u aangemaakt. U ontvangt binnen 2 werkdagen een e-mail met de code."
    )
    now = dt.datetime(2026, 11, 23, 9, tzinfo=AMSTERDAM)
    context = ReplyContext(customer_upset=True, now=now)
    coach(draft, context)  # lexicons load once, on first use

    def p99() -> float:
        timings = []
        for _ in range(200):
            start = time.thread_time()
            coach(draft, context)
            timings.append(time.thread_time() - start)
        return sorted(timings)[197]

    assert min(p99() for _ in range(3)) < 0.005


# The checks generalise beyond the examples in the issue: other ways agents say the same.
@pytest.mark.parametrize(
    ("draft", "kind"),
    [
        ("Relax, it's just a parcel.", "insult"),
        ("As I've said twice now, the warranty has expired.", "insult"),
        ("This happened because you didn't update the app.", "blame_customer"),
        ("Next time, double-check the size chart.", "blame_customer"),
        ("Dit komt doordat u de app niet heeft bijgewerkt.", "blame_customer"),
        ("Well, isn't that lovely.", "sarcasm"),
        ("Nou, dat is dan pech.", "sarcasm"),
        ("This is handled by our fulfilment team, not customer service.", "internal_process"),
        ("Onze richtlijnen staan dat niet toe.", "internal_process"),
        ("Sorry dat u zich zo ergert.", "qualified_apology"),
        ("Refunds are no longer possible after 14 days.", "refusal_without_alternative"),
        ("Wij nemen geen geopende artikelen terug.", "refusal_without_alternative"),
        ("The voucher is yours once you remove your one-star review.", "gag_clause"),
        ("Wij betalen u terug als u er geen ruchtbaarheid aan geeft.", "gag_clause"),
        ("Het bedrag van de gratis muis halen we van uw terugbetaling af.", "charge_for_fault"),
    ],
)
def test_other_phrasings_are_caught(draft: str, kind: FlagKind) -> None:
    assert kind in kinds(draft)


@pytest.mark.parametrize(
    "draft",
    [
        "I'm really sorry your blender arrived broken. I've sent a replacement today at no cost.",
        "Sorry about the double charge, that was our mistake. I've refunded €24.95.",
        "Unfortunately the blue one is sold out, but I can reserve the grey one for you.",
        "I have escalated this to my supervisor, who will call you before 5pm today.",
        "Sit back and relax: we will collect the old fridge on Monday.",
        "Het spijt me echt dat het pakket zo laat was. Ik heb de verzendkosten teruggestort.",
        "Helaas kan ik de bestelling niet meer annuleren, maar u kunt hem gratis retourneren.",
        "U hoeft niet langer te wachten: de monteur komt morgen.",
        "Dit kost u niets; de reparatie valt onder de garantie.",
        "Ik heb u de factuur zojuist doorgestuurd.",
        "Het is helemaal niet erg dat u het verkeerde maatje heeft besteld; ik ruil het gratis om.",
    ],
)
def test_ordinary_good_replies_stay_ok_even_when_we_are_at_fault(draft: str) -> None:
    assert coach(draft, OUR_FAULT).verdict == "ok"


# The data a non-programmer edits: every list explains itself, every kind has its words.
@pytest.mark.parametrize("language", ["nl", "en"])
def test_every_coach_list_starts_with_a_comment_saying_what_belongs_in_it(language: str) -> None:
    files = sorted((LEXICON_DIR / language).glob("coach_*.txt"))
    assert len(files) >= 20
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert text.startswith("# "), path.name
        assert "belongs here" in text or "hoort hier" in text, path.name


@pytest.mark.parametrize("language", ["nl", "en"])
def test_every_flag_kind_has_an_explanation_and_a_suggestion(language: DraftLanguage) -> None:
    words = messages(language)
    for rule in ALL:
        assert words[rule.kind]["explanation"].endswith(".")
        assert words[rule.kind]["suggestion"]


@pytest.mark.parametrize(
    ("draft", "kind"),
    [
        ("Je had de handleiding beter moeten lezen.", "blame_customer"),
        ("You clearly didn't read the instructions.", "blame_customer"),
        ("That's what happens when you don't read the small print.", "blame_customer"),
        ("I've explained this three times already.", "insult"),
        ("Hoe vaak moet ik het nog uitleggen?", "insult"),
        ("Oh wat leuk, weer een klacht.", "sarcasm"),
        ("Per company procedure, I have to escalate this.", "internal_process"),
        ("Dat is niet onze afdeling.", "internal_process"),
        ("Excuses voor het ongemak, maar dit valt buiten de garantie.", "qualified_apology"),
        (
            "Mocht u hier last van hebben gehad, dan bieden wij onze excuses aan.",
            "qualified_apology",
        ),
        ("We apologize that you were unhappy with our service.", "qualified_apology"),
        ("Dat gaan we niet doen.", "refusal_without_alternative"),
        ("We can't help you with that.", "refusal_without_alternative"),
        ("Als u belooft geen recensie te schrijven, krijgt u 50 euro.", "gag_clause"),
        ("We'll refund you after you sign the attached confidentiality form.", "gag_clause"),
    ],
)
def test_still_other_phrasings_are_caught(draft: str, kind: FlagKind) -> None:
    assert kind in kinds(draft)


@pytest.mark.parametrize(
    ("draft", "context"),
    [
        ("Retourkosten: €6,95, te voldoen door de klant.", OUR_FAULT),
        ("U ontvangt het aankoopbedrag minus €10 administratiekosten.", OUR_FAULT),
        ("We'll refund you minus the shipping.", OUR_FAULT),
    ],
)
def test_charges_in_other_words_when_we_are_at_fault(draft: str, context: ReplyContext) -> None:
    assert kinds(draft, context) == {"charge_for_fault"}
