"""Triage of inbound messages, read as the scenarios: A1 abuse with spans, C1 asking for a
person, E1 severity, G1 messages that are not customer requests, and the innocent senses
that must not trigger. The texts are written for these tests, in Dutch and English."""

from __future__ import annotations

import time

import pytest

from balie.analysis import triage as exported_triage
from balie.analysis.abuse import find_abuse
from balie.analysis.model import Triage
from balie.analysis.triage import triage


def _spans(result: Triage, *labels: str) -> list[str]:
    return [e.text for e in result.evidence if e.label in labels]


# A1: insults, profanity and threats are flagged with the offending spans.
@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("Jullie zijn echt een stelletje idioten, al drie weken geen telefoon!", "idioten"),
        ("Jullie #@$% telefoon gaat niet meer aan!", "#@$%"),
        ("kankerbedrijf, ik wil mijn geld terug", "kankerbedrijf"),
        ("Stelletje oplichters zijn jullie", "oplichters"),
        ("Hou je bek en stuur gewoon mijn pakket", "Hou je bek"),
        ("Ik weet waar je woont, dus regel het maar", "weet waar je woont"),
        ("You f***ing idiots lost my parcel again", "idiots"),
        ("What a bunch of crooks. Refund me now", "bunch of crooks"),
        ("Listen you moron, I paid for next day delivery", "moron"),
        ("I know where you live. Fix it.", "I know where you live"),
        ("Fuck you and your useless app", "Fuck you"),
        ("Note on account: A**hole Brown keeps calling", "A**hole"),
        ("Jij vuile hond, waar is mijn geld", "hond"),
        ("Varken!", "Varken"),
    ],
)
def test_a1_abuse_is_flagged_with_the_offending_span(text: str, span: str) -> None:
    result = triage(text)
    assert result.abusive, result
    assert any(span in s for s in _spans(result, "insult", "profanity", "threat"))


def test_a1_a_threat_scores_above_an_insult_and_an_insult_above_profanity() -> None:
    threat = triage("Ik maak je af als het pakket morgen niet hier is").abusive_score
    insult = triage("Jullie zijn idioten").abusive_score
    profanity = triage("Wat een kutservice zeg").abusive_score
    assert threat > insult > profanity >= 0.5


@pytest.mark.parametrize(
    "text",
    [
        "fucking slow delivery, three weeks now",
        "Wat een klote levering, alles kapot",
        "k*t service, weer te laat",
        "Godverdomme, alweer een verkeerde bestelling",
    ],
)
def test_a1_profanity_as_emphasis_is_abusive_with_a_lower_score(text: str) -> None:
    result = triage(text)
    assert result.abusive
    assert result.abusive_score < 0.9
    assert _spans(result, "profanity")


def test_the_reply_coach_can_ask_for_abuse_in_any_text() -> None:
    assert find_abuse("De klant is een zeurende idioot", "nl").abusive
    assert not find_abuse("Ik stuur u vandaag een nieuwe oplader", "nl").abusive


# Words with innocent senses do not trigger.
@pytest.mark.parametrize(
    "text",
    [
        "Ik heb kanker en kan het pakket niet zelf ophalen, kan iemand helpen?",
        "Mijn moeder is overleden aan kanker, hoe zeg ik haar abonnement op?",
        "Mijn hond heeft de kabel van de stofzuiger doorgebeten, kan ik een nieuwe bestellen?",
        "My dog chewed through the charging cable, can I order a new one?",
        "This vacuum sucks up dog hair like nothing else, love it",
        "I'm such an idiot, I forgot my password again. How do I reset it?",
        "Ik ben ook een idioot, ik had het verkeerde adres ingevuld",
        "That was a killer deal, ordered two!",
        "I'm dying to try the new flavour, when is it in stock?",
        "De kankerbestrijding krijgt 10% van de opbrengst?",
        "Shitake mushrooms were missing from my box",
    ],
)
def test_innocent_senses_are_not_abusive(text: str) -> None:
    result = triage(text)
    assert not result.abusive, result.evidence


def test_a_customer_with_cancer_is_vulnerable_not_a_curse() -> None:
    result = triage("Ik heb kanker en lig in het ziekenhuis, mijn bestelling is niet gekomen")
    assert not result.abusive
    assert result.severity in ("high", "critical")
    assert "kanker" in _spans(result, "severity_high")


def test_the_vacuum_that_sucks_up_hair_is_not_negative() -> None:
    result = triage("This vacuum sucks up hair brilliantly")
    assert result.sentiment >= 0
    assert not _spans(result, "sentiment_negative")
    assert triage("Your service sucks").sentiment < 0


# E1: severity.
@pytest.mark.parametrize(
    ("text", "reason_part"),
    [
        ("Mijn oplader heeft vlam gevat terwijl mijn zoon sliep!", "brand"),
        ("Er kwam rook uit de wasmachine en de stekker is gesmolten", "rook"),
        ("Ik kreeg een schok toen ik de waterkoker aanraakte", "schok"),
        ("Mijn dochter kreeg een allergische reactie, er zaten toch noten in", "allergische"),
        ("De apotheek heeft me de verkeerde medicijnen meegegeven", "medicijnen"),
        ("Ik ruik gas sinds de monteur is geweest", "gaslek"),
        ("Ik zie het niet meer zitten, ik wil niet meer leven", "zelfmoord"),
        ("My phone charger caught fire on the nightstand", "fire"),
        ("The heater smells like burning and there was smoke", "smoke"),
        ("My son had an allergic reaction, the label said nut free", "allergic"),
        ("You sent the wrong medication, I could have died", "medicine"),
        ("Our carbon monoxide alarm went off after your engineer left", "carbon"),
        ("My toddler swallowed a button battery from the toy", "swallowed"),
        ("I don't want to live anymore, everything goes wrong", "suicide"),
    ],
)
def test_e1_health_safety_and_life_are_critical(text: str, reason_part: str) -> None:
    result = triage(text)
    assert result.severity == "critical"
    reasons = " ".join(e.reason for e in result.evidence if e.label == "severity_critical")
    assert reason_part in reasons


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Als dit niet voor vrijdag is opgelost schakel ik mijn advocaat in", "juridisch"),
        ("Ik stap naar de Geschillencommissie", "juridisch"),
        ("Ik kreeg de factuur van iemand anders, met naam en adres. Dat is een datalek", "privacy"),
        ("Er is twee keer €1.499 afgeschreven voor één laptop", "financ"),
        ("Mijn vader van 88 is via jullie site opgelicht", "financieel"),
        ("Mijn man is vorige week overleden en het abonnement loopt nog", "kwetsbaar"),
        ("Ik heb dit al naar Radar en de Telegraaf gestuurd", "publiek"),
        ("I'm taking you to small claims court", "legal"),
        ("Your app showed me someone else's order history, this is a GDPR breach", "privacy"),
        ("Someone used my card, this is fraud, £3,200 gone", "financial"),
        ("My husband passed away and I can't log in to his account", "vulnerable"),
        ("I've contacted a journalist at the BBC about this", "public"),
    ],
)
def test_e1_legal_privacy_money_vulnerable_and_press_are_high(text: str, category: str) -> None:
    result = triage(text)
    assert result.severity == "high", result.evidence
    reasons = " ".join(e.reason for e in result.evidence if e.label == "severity_high")
    assert category in reasons


@pytest.mark.parametrize(
    "text",
    [
        "The fire brigade came to our street so I missed the courier",
        "De brandweer stond in de straat, daardoor heb ik de bezorger gemist",
        "My phone died, so I couldn't answer your call",
        "Mijn gasrekening is te hoog, kunnen jullie dat uitleggen?",
        "Waar blijft mijn pakket? Ik wacht al een week",
        "I'm dying to try it, when does it ship?",
    ],
)
def test_e1_ordinary_messages_are_normal(text: str) -> None:
    assert triage(text).severity == "normal"


# C1: the customer asks for a person.
@pytest.mark.parametrize(
    "text",
    [
        "Ik wil een mens spreken",
        "ik wil nu een medewerker spreken!!",
        "Kan ik gewoon met iemand praten? Geen bot aub",
        "real person please",
        "agent please",
        "Stop the bot, I want to talk to a human",
        "Can I speak to your manager",
    ],
)
def test_c1_asking_for_a_person_is_recognised(text: str) -> None:
    result = triage(text)
    assert result.wants_human
    assert _spans(result, "wants_human")


def test_c1_mentioning_staff_is_not_asking_for_a_person() -> None:
    assert not triage("Uw medewerker was heel vriendelijk, bedankt!").wants_human
    assert not triage("Where is my parcel? Ordered on Monday").wants_human


# G1: non-customers and spam do not get a bot answer.
@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Boycot dit bedrijf! Stop met het steunen van de oorlog", "non_customer"),
        (
            "Wij bieden SEO-diensten en linkbuilding voor webshops, vrijblijvend gesprek?",
            "non_customer",
        ),
        ("Hierbij mijn open sollicitatie en cv voor een functie bij jullie", "non_customer"),
        ("Stop funding the election campaign of that politician! #boycott", "non_customer"),
        ("Hi, our agency offers lead generation services. Can we book a call?", "non_customer"),
        ("Please find attached my resume and cover letter for the vacancy", "non_customer"),
        ("Congratulations! You have won a free iPhone, click here: http://win.example", "spam"),
        ("Earn money from home with bitcoin!!! www.quick-crypto.example", "spam"),
    ],
)
def test_g1_protest_chatter_pitches_and_spam_are_not_customer_requests(
    text: str, intent: str
) -> None:
    assert triage(text).intent == intent


def test_g1_a_customer_who_boycotts_is_still_a_customer() -> None:
    result = triage("Ik boycot jullie tot mijn bestelling eindelijk is terugbetaald")
    assert result.intent == "complaint"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Mijn pakket is beschadigd aangekomen en de lamp is kapot", "complaint"),
        ("Waar blijft mijn bestelling?? Al twee weken niks gehoord", "complaint"),
        ("Hoe kan ik mijn adres wijzigen?", "question"),
        ("Wanneer gaat de winkel in Utrecht open", "question"),
        ("Heel erg bedankt voor de snelle hulp, top service!", "praise"),
        ("My order arrived broken and nobody answers my emails", "complaint"),
        ("How do I change the delivery address for my order?", "question"),
        ("Thank you so much, the replacement works great 😊", "praise"),
        ("How do I file a claim against your company?", "complaint"),
        ("Super bedankt Lisa, het probleem is opgelost!", "praise"),
        ("Hallo, hoe kan ik mijn abonnement opzeggen?", "question"),
    ],
)
def test_intent_of_ordinary_customer_messages(text: str, intent: str) -> None:
    assert triage(text).intent == intent


# Anger: words, shouting and abuse add up.
@pytest.mark.parametrize(
    "text",
    [
        "Ik ben woedend, voor de derde keer een verkeerde bestelling",
        "WAAR IS MIJN PAKKET!!! DIT IS BELACHELIJK",
        "This is absolutely unacceptable, I am furious",
        "I'm sick and tired of waiting!!! 😡",
    ],
)
def test_anger_is_recognised(text: str) -> None:
    result = triage(text)
    assert result.anger
    assert result.sentiment < 0


@pytest.mark.parametrize(
    "text",
    [
        "Hoi, kan ik mijn bestelling nog wijzigen?",
        "Thanks, that solved it!",
        "Ik heb een vraag over de KPN factuur",
    ],
)
def test_calm_messages_are_not_angry(text: str) -> None:
    assert not triage(text).anger


def test_sentiment_reads_negation() -> None:
    assert triage("De service was niet goed").sentiment < 0
    assert triage("Not bad at all, thanks").sentiment > 0
    assert triage("Geweldig geholpen, super blij!").sentiment > 0.5


# Language.
@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Waar blijft mijn pakket?", "nl"),
        ("KUT BEDRIJF", "nl"),
        ("Where is my parcel?", "en"),
        ("idiots!!", "en"),
        ("Wo ist mein Paket? Ich warte schon seit einer Woche darauf.", "other"),
        ("Où est mon colis ? J'attends depuis une semaine.", "other"),
    ],
)
def test_language_is_detected_in_short_texts(text: str, language: str) -> None:
    assert triage(text).language == language


def test_a_given_language_is_used() -> None:
    assert triage("pakket", language="nl").language == "nl"


def test_evidence_points_into_the_original_text() -> None:
    text = "Jullie   IDIOTEN!!! Mijn oplader heeft vlam gevat 😡"
    result = triage(text)
    assert result.evidence
    for e in result.evidence:
        assert text[e.start : e.end] == e.text
        assert e.reason
    labels = {e.label for e in result.evidence}
    assert {"insult", "severity_critical", "shouting", "anger"} <= labels


def test_the_json_shape_has_the_contracted_keys() -> None:
    shape = triage("Jullie zijn idioten").as_json()
    assert {
        "language",
        "sentiment",
        "anger",
        "abusive",
        "severity",
        "intent",
        "wants_human",
        "evidence",
    } <= set(shape)
    assert isinstance(shape["abusive"], bool)


def test_the_package_exports_triage() -> None:
    assert exported_triage is triage


def test_triage_is_fast_enough_for_every_message() -> None:
    messages = [
        "Jullie zijn idioten, mijn oplader heeft vlam gevat! Ik wil mijn geld terug.",
        "Hi, I ordered a blue jacket but got a red one. Can you help me exchange it?",
        "Waar blijft mijn pakket?? Ik wacht al twee weken. Belachelijk!!",
        "Thanks so much for the quick help, the new charger works great 😊",
        "f***ing useless company, I want to speak to a real person NOW",
    ]
    for m in messages:
        triage(m)
    started = time.perf_counter()
    for _ in range(100):
        for m in messages:
            triage(m)
    per_second = 500 / (time.perf_counter() - started)
    # The target is 2,000/s on one core; leave room for slow or busy test machines.
    assert per_second > 500


@pytest.mark.parametrize(
    "text",
    [
        "Score was 0-9, call me on 020-555-0134 about order 5-3",
        "Soms ben ik zelf ook een beetje een klootzak, sorry daarvoor",
        "Damn, I forgot to add the charger to my order",
    ],
)
def test_numbers_self_names_and_mild_words_are_not_abusive(text: str) -> None:
    assert not triage(text).abusive


def test_an_insult_about_a_staff_member_is_abusive() -> None:
    result = triage("Ik zei nog tegen de bezorger dat hij een idioot is")
    assert result.abusive
    assert "idioot" in _spans(result, "insult")


def test_a_masked_swear_word_in_a_dutch_message_is_found() -> None:
    result = triage("wat een k*t bedrijf, nog steeds geen pakket")
    assert result.abusive
    assert "k*t" in _spans(result, "profanity")


@pytest.mark.parametrize(
    ("text", "abusive"),
    [
        ("Can you send a new dog bed?", False),
        ("Heb je ook speelgoed voor een rat?", False),
        ("Do you sell pig ears for dogs?", False),
        ("You are such a pig", True),
        ("jullie zijn echt varkens", True),
        ("stelletje ratten!", True),
    ],
)
def test_everyday_words_insult_only_when_said_to_someone(text: str, abusive: bool) -> None:
    assert triage(text).abusive is abusive


@pytest.mark.parametrize("text", ["", "   ", "!!!", "Top :D", "İstanbul :d 😡"])
def test_odd_input_gives_a_triage_with_spans_in_the_text(text: str) -> None:
    result = triage(text)
    for e in result.evidence:
        assert text[e.start : e.end] == e.text


def test_repeated_angry_emoji_are_anger() -> None:
    assert triage("😡😡").anger


@pytest.mark.parametrize(
    "text",
    [
        "The fire brigade came because the tumble dryer caught fire",
        "De brandweer moest komen omdat de droger in brand vloog",
    ],
)
def test_the_fire_brigade_with_a_real_fire_is_still_critical(text: str) -> None:
    assert triage(text).severity == "critical"


def test_a_curse_is_no_illness() -> None:
    result = triage("kanker service, nog steeds geen pakket")
    assert result.abusive
    assert result.severity == "normal"
