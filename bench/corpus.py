"""Deterministic Dutch and English customer-service text for the benchmarks.

Texts are built from sentence templates with slots filled from word lists, so the
vocabulary has what real inboxes have: a few very common words (bestelling, order,
refund), a middle band (product and problem words) and a long tail (product models,
order numbers, names). Everything comes from a ``random.Random`` the caller seeds, so a
given seed always gives the same corpus.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

FIRST_NAMES = [
    "Anouk",
    "Bram",
    "Daan",
    "Emma",
    "Femke",
    "Gijs",
    "Hanna",
    "Iris",
    "Jesse",
    "Julia",
    "Lars",
    "Lotte",
    "Maud",
    "Milan",
    "Noah",
    "Noor",
    "Puck",
    "Ruben",
    "Sanne",
    "Sem",
    "Sophie",
    "Thijs",
    "Tess",
    "Vera",
    "Wouter",
    "Yara",
    "Zoë",
    "Eline",
    "Bas",
    "Fleur",
    "Olivia",
    "James",
    "Amelia",
    "Oliver",
    "Isla",
    "George",
    "Ava",
    "Harry",
    "Mia",
    "Jack",
    "Grace",
    "Charlie",
    "Emily",
    "Thomas",
    "Sophia",
    "William",
    "Lucy",
    "Daniel",
    "Chloe",
    "Samuel",
    "Ella",
    "Joseph",
    "Ruby",
    "Henry",
    "Alice",
    "Mohammed",
    "Fatima",
    "Ahmed",
    "Yasmine",
    "Youssef",
    "Sara",
    "Mehmet",
    "Elif",
    "Priya",
    "Arjun",
]
LAST_NAMES = [
    "de Jong",
    "Jansen",
    "de Vries",
    "van den Berg",
    "van Dijk",
    "Bakker",
    "Janssen",
    "Visser",
    "Smit",
    "Meijer",
    "de Boer",
    "Mulder",
    "de Groot",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "van Leeuwen",
    "Dekker",
    "Brouwer",
    "de Wit",
    "Dijkstra",
    "Smits",
    "de Graaf",
    "van der Meer",
    "Kok",
    "Jacobs",
    "Vermeulen",
    "van der Linden",
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Robinson",
    "Wright",
    "Thompson",
    "Evans",
    "Walker",
    "White",
    "Roberts",
    "Green",
    "Hall",
    "Wood",
    "Jackson",
    "Clarke",
    "Yılmaz",
    "Öztürk",
    "El Amrani",
    "Bouzid",
    "Kaya",
    "Şahin",
    "Nguyen",
    "Patel",
    "Kumar",
    "Müller",
    "Schäfer",
    "Lefèvre",
    "Dubois",
]
MAIL_DOMAINS = [
    "gmail.com",
    "hotmail.com",
    "outlook.com",
    "ziggo.nl",
    "kpnmail.nl",
    "live.nl",
    "planet.nl",
    "xs4all.nl",
    "icloud.com",
    "yahoo.com",
    "telenet.be",
    "proton.me",
    "example.org",
]

PRODUCTS_NL = [
    "wasmachine",
    "koelkast",
    "stofzuiger",
    "koptelefoon",
    "laptop",
    "telefoon",
    "fiets",
    "tablet",
    "koffiezetapparaat",
    "waterkoker",
    "matras",
    "bureaustoel",
    "printer",
    "router",
    "televisie",
    "boormachine",
    "luchtfilter",
    "airfryer",
    "speaker",
    "smartwatch",
    "camera",
    "monitor",
    "toetsenbord",
]
PRODUCTS_EN = [
    "washing machine",
    "fridge",
    "vacuum cleaner",
    "headphones",
    "laptop",
    "phone",
    "bicycle",
    "tablet",
    "coffee maker",
    "kettle",
    "mattress",
    "office chair",
    "printer",
    "router",
    "television",
    "drill",
    "air purifier",
    "air fryer",
    "speaker",
    "smartwatch",
    "camera",
    "monitor",
    "keyboard",
]
BRANDS = [
    "Philips",
    "Bosch",
    "Samsung",
    "Miele",
    "Sony",
    "Lenovo",
    "Gazelle",
    "Dyson",
    "Logitech",
    "Siemens",
    "AEG",
    "Braun",
    "Tefal",
    "Garmin",
    "Canon",
    "Brother",
    "Fritz",
    "Sennheiser",
    "Apple",
    "Asus",
]
PROBLEMS_NL = [
    "is kapot",
    "maakt een raar geluid",
    "doet het niet meer",
    "gaat niet aan",
    "lekt water",
    "is beschadigd aangekomen",
    "mist onderdelen",
    "valt steeds uit",
    "laadt niet op",
    "geeft een foutmelding",
    "is verkeerd geleverd",
    "wordt erg warm",
    "trilt heel erg",
    "heeft een kras op het scherm",
    "maakt geen verbinding met wifi",
]
PROBLEMS_EN = [
    "is broken",
    "makes a strange noise",
    "stopped working",
    "won't turn on",
    "leaks water",
    "arrived damaged",
    "is missing parts",
    "keeps shutting down",
    "won't charge",
    "shows an error message",
    "was the wrong item",
    "gets very hot",
    "vibrates a lot",
    "has a scratch on the screen",
    "won't connect to wifi",
]
CARRIERS = ["PostNL", "DHL", "DPD", "UPS", "GLS", "Budbee"]
DAYS_NL = ["maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"]
DAYS_EN = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

CUSTOMER_NL = (
    "Hallo, mijn bestelling {order} is nog steeds niet bezorgd.",
    "Ik heb op {day} een {product} besteld maar nog niets ontvangen.",
    "De {brand} {product} die ik kocht {problem_nl}.",
    "Kunnen jullie mij laten weten wanneer het pakket van {carrier} komt?",
    "Volgens de track en trace is het pakket bezorgd, maar ik heb niets gekregen.",
    "Ik wil graag mijn geld terug voor bestelling {order}.",
    "Ik wil de {product} retourneren, hoe werkt dat?",
    "Er is twee keer een bedrag van {amount} euro afgeschreven.",
    "Mijn factuur klopt niet, ik heb maar één {product} besteld.",
    "Valt dit nog onder de garantie? Ik heb hem {months} maanden geleden gekocht.",
    "Ik kan niet inloggen op mijn account, het wachtwoord werkt niet.",
    "Kan ik het afleveradres van mijn bestelling nog wijzigen?",
    "Dit is al de derde keer dat ik contact opneem, ik ben het echt zat.",
    "Ik heb een kortingscode gebruikt maar die is niet verrekend.",
    "Graag een reactie, want ik heb de {product} dringend nodig.",
    "Het serienummer is {serial}.",
    "Ik heb foto's van de schade bijgevoegd.",
    "Mijn abonnement is opgezegd maar er wordt nog steeds geïncasseerd.",
    "Kan een monteur langskomen om de {product} te repareren?",
    "Bedankt voor de snelle hulp!",
    "Wanneer krijg ik mijn terugbetaling?",
    "De bezorger heeft het pakket bij de buren achtergelaten zonder briefje.",
)
CUSTOMER_EN = (
    "Hi, my order {order} still hasn't been delivered.",
    "I ordered a {product_en} on {day_en} but haven't received anything yet.",
    "The {brand} {product_en} I bought {problem_en}.",
    "Could you let me know when the {carrier} parcel will arrive?",
    "Tracking says the package was delivered but I never got it.",
    "I would like a refund for order {order}.",
    "I want to return the {product_en}, how does that work?",
    "I was charged {amount} euros twice.",
    "My invoice is wrong, I only ordered one {product_en}.",
    "Is this still covered by the warranty? I bought it {months} months ago.",
    "I can't log in to my account, the password reset link doesn't work.",
    "Can I still change the delivery address of my order?",
    "This is the third time I'm contacting you and I'm really frustrated.",
    "I used a discount code but it wasn't applied.",
    "Please get back to me soon, I urgently need the {product_en}.",
    "The serial number is {serial}.",
    "I attached photos of the damage.",
    "I cancelled my subscription but I'm still being billed.",
    "Can a technician come by to repair the {product_en}?",
    "Thanks for the quick help!",
    "When will I get my refund?",
    "The courier left the parcel with the neighbours without a note.",
)
AGENT_NL = (
    "Beste {first}, bedankt voor je bericht.",
    "Wat vervelend dat je {product} {problem_nl}.",
    "Ik heb bestelling {order} voor je opgezocht.",
    "Het pakket ligt bij {carrier} en wordt naar verwachting {day} bezorgd.",
    "Ik heb de terugbetaling van {amount} euro in gang gezet; binnen 5 werkdagen staat het "
    "bedrag op je rekening.",
    "Je kunt de {product} kosteloos retourneren via het retourlabel in de bijlage.",
    "Dit valt binnen de garantie, we sturen een vervangend exemplaar.",
    "Kun je een foto van de schade en het serienummer sturen?",
    "Ik heb een nieuwe link gestuurd om je wachtwoord opnieuw in te stellen.",
    "Excuses voor het ongemak, als compensatie krijg je een tegoedbon van {amount} euro.",
    "Ik heb je vraag doorgezet naar onze technische afdeling.",
    "Is je vraag hiermee beantwoord?",
    "Met vriendelijke groet, {agent}",
)
AGENT_EN = (
    "Dear {first}, thank you for your message.",
    "I'm sorry to hear that your {product_en} {problem_en}.",
    "I looked up order {order} for you.",
    "The parcel is with {carrier} and should arrive on {day_en}.",
    "I've started a refund of {amount} euros; it will be in your account within 5 working days.",
    "You can return the {product_en} free of charge with the label attached.",
    "This is covered by the warranty, we'll send you a replacement.",
    "Could you send a photo of the damage and the serial number?",
    "I've sent you a new link to reset your password.",
    "Apologies for the inconvenience, we've added a voucher of {amount} euros.",
    "I've passed your question on to our technical team.",
    "Does this answer your question?",
    "Kind regards, {agent}",
)
NOTES = (
    "Klant belde ook al, zie vorig gesprek.",
    "Customer is a repeat contact about the same order.",
    "Goodwill goedgekeurd door teamleider.",
    "Check with warehouse before refunding.",
    "Mogelijk fraude, eerst adres verifiëren.",
)
SUBJECTS_NL = (
    "Bestelling {order} niet ontvangen",
    "{brand} {product} {problem_nl}",
    "Terugbetaling aangevraagd",
    "Vraag over mijn factuur",
    "Retour {product}",
    "Garantie {product}",
    "Kan niet inloggen",
    "Abonnement opzeggen",
    "Pakket beschadigd",
    "Dubbele afschrijving",
)
SUBJECTS_EN = (
    "Order {order} not received",
    "{brand} {product_en} {problem_en}",
    "Refund request",
    "Question about my invoice",
    "Return {product_en}",
    "Warranty claim {product_en}",
    "Can't log in",
    "Cancel subscription",
    "Parcel damaged",
    "Charged twice",
)
TAGS = [
    "bezorging",
    "levering",
    "refund",
    "retour",
    "garantie",
    "factuur",
    "betaling",
    "account",
    "abonnement",
    "schade",
    "klacht",
    "vip",
    "terugbellen",
    "fraude",
    "korting",
    "monteur",
    "escalatie",
    "b2b",
    "feedback",
]

# Search queries as agents type them: common words, two-word phrases, a product model,
# a customer surname, words in the other language's inflection and a word nobody wrote.
SEARCH_QUERIES = (
    "bestelling",
    "refund",
    "terugbetaling",
    "pakket beschadigd",
    "parcel damaged",
    "garantie",
    "warranty replacement",
    "wachtwoord",
    "factuur",
    "invoice wrong",
    "afgeschreven",
    "bestellingen",
    "refunded",
    "PostNL",
    "track en trace",
    "Dyson stofzuiger",
    "washing machine leaks",
    "monteur",
    "abonnement opgezegd",
    "subscription billed",
    "koelkast lekt",
    "Bakker",
    "kortingscode",
    "xylofoon",
)


def _order(rng: random.Random) -> str:
    return f"{rng.randrange(10**7, 10**8)}"


def _serial(rng: random.Random) -> str:
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    return rng.choice(letters) + rng.choice(letters) + str(rng.randrange(10**5, 10**6))


def _fill(template: str, rng: random.Random, ctx: dict[str, str]) -> str:
    slots = {
        "order": ctx["order"],
        "product": ctx["product"],
        "product_en": ctx["product_en"],
        "brand": ctx["brand"],
        "problem_nl": rng.choice(PROBLEMS_NL),
        "problem_en": rng.choice(PROBLEMS_EN),
        "carrier": rng.choice(CARRIERS),
        "day": rng.choice(DAYS_NL),
        "day_en": rng.choice(DAYS_EN),
        "amount": f"{rng.randrange(5, 900)},{rng.randrange(100):02d}",
        "months": str(rng.randrange(2, 36)),
        "serial": _serial(rng),
        "first": ctx["first"],
        "agent": ctx["agent"],
    }
    return template.format(**slots)


class Thread:
    """The shared context of one conversation, so its messages talk about one thing."""

    def __init__(self, rng: random.Random, *, language: str, first: str, agent: str) -> None:
        self.rng = rng
        self.language = language
        index = rng.randrange(len(PRODUCTS_NL))
        self.ctx = {
            "order": _order(rng),
            "product": PRODUCTS_NL[index],
            "product_en": PRODUCTS_EN[index],
            "brand": rng.choice(BRANDS),
            "first": first,
            "agent": agent,
        }

    def _sentences(self, bank: Sequence[str], low: int, high: int) -> str:
        picked = self.rng.sample(bank, self.rng.randint(low, high))
        return " ".join(_fill(t, self.rng, self.ctx) for t in picked)

    def subject(self) -> str:
        bank = SUBJECTS_NL if self.language == "nl" else SUBJECTS_EN
        return _fill(self.rng.choice(bank), self.rng, self.ctx)

    def customer_message(self) -> str:
        # One in ten customers writes in the other language (expats, Belgian French
        # speakers switching to English): real inboxes mix both within threads.
        english = (self.language == "en") != (self.rng.random() < 0.1)
        return self._sentences(CUSTOMER_EN if english else CUSTOMER_NL, 1, 4)

    def agent_message(self) -> str:
        bank = AGENT_EN if self.language == "en" else AGENT_NL
        return self._sentences(bank, 2, 4)

    def note(self) -> str:
        return self.rng.choice(NOTES)


def person(rng: random.Random, number: int) -> tuple[str, str]:
    """A customer's name and a unique e-mail address (``number`` makes it unique)."""
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    local = f"{first}.{last}".lower().replace(" ", "").replace("ë", "e")
    local = "".join(c for c in local if c.isascii() and (c.isalnum() or c == "."))
    return f"{first} {last}", f"{local}.{number}@{rng.choice(MAIL_DOMAINS)}"


def tags_for(rng: random.Random) -> list[str]:
    # Zipf-like: the first tags in the list are used far more than the last ones.
    n = rng.choices((0, 1, 2, 3), weights=(35, 40, 18, 7))[0]
    weights = [1 / (i + 1) for i in range(len(TAGS))]
    return sorted(set(rng.choices(TAGS, weights=weights, k=n)))
