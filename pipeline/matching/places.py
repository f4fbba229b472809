"""Where people and jobs are: cities grouped into commuting areas, countries, and the regions
postings hire in ("EU only", "US or Canada", "anywhere in Europe").

A small gazetteer of the world's larger job markets: each metro area lists the towns and
districts inside it (Salford and Bolton are Manchester, Evanston is Chicago, Cambridge,
Massachusetts is Boston). A name shared by two places ("Cambridge", "Portland", "Halifax")
resolves by the state or country written after it, else to the first listed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pipeline.normalize.places import country_code

EU = frozenset(
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE".split()
)
EUROPE = EU | frozenset("GB CH NO IS LI UA RS BA ME MK AL MD XK AD MC SM VA".split())
REGIONS: dict[str, frozenset[str]] = {
    "eu": EU,
    "european union": EU,
    "eea": EU | {"NO", "IS", "LI"},
    "europe": EUROPE,
    "emea": EUROPE,
    "dach": frozenset({"DE", "AT", "CH"}),
    "nordics": frozenset({"SE", "NO", "DK", "FI", "IS"}),
    "scandinavia": frozenset({"SE", "NO", "DK"}),
    "benelux": frozenset({"BE", "NL", "LU"}),
    "north america": frozenset({"US", "CA"}),
    "north american": frozenset({"US", "CA"}),
    "latam": frozenset("MX BR AR CL CO PE UY EC BO PY VE CR PA GT DO".split()),
    "latin america": frozenset("MX BR AR CL CO PE UY EC BO PY VE CR PA GT DO".split()),
}
ANYWHERE = "ANY"
_REGION_WORDS = re.compile(
    r"\b(?:european union|north american?|latin america|eu|eea|europe|emea|dach|nordics"
    r"|scandinavia|benelux|latam)\b",
    re.IGNORECASE,
)
_WORLDWIDE = re.compile(
    r"\b(?:worldwide|anywhere in the world|any country|globally|from anywhere(?! in))\b", re.I
)

# metro | country | names (the first is the display name) | qualifiers that pick this place
# when its name is shared: words that follow it within a few words ("Cambridge, Massachusetts").
_GAZETTEER = """
new york|US|New York City;New York;NYC;Manhattan;Brooklyn;Queens;Bronx;Staten Island;Jersey City;Hoboken;Newark;Long Island
san francisco|US|San Francisco;SF;Bay Area;San Francisco Bay Area;Oakland;Berkeley;Palo Alto;Mountain View;San Jose;Sunnyvale;Menlo Park;Redwood City;Santa Clara;Cupertino;San Mateo;Fremont;Dogpatch
los angeles|US|Los Angeles;LA;Santa Monica;Pasadena;Long Beach;Burbank;Irvine
seattle|US|Seattle;Bellevue;Redmond;Kirkland
boston|US|Boston;Cambridge;Somerville;Brookline;Waltham;Newton;Quincy|massachusetts;ma\\b
chicago|US|Chicago;Evanston;Oak Park;Naperville;Schaumburg;West Loop;Logan Square
austin|US|Austin;Round Rock
denver|US|Denver;Boulder;Aurora;Lakewood;Lowry
colorado springs|US|Colorado Springs
washington|US|Washington DC;Washington, D.C.;Arlington;Alexandria;Bethesda
atlanta|US|Atlanta
dallas|US|Dallas;Fort Worth;Plano;Irving
houston|US|Houston
miami|US|Miami;Fort Lauderdale
philadelphia|US|Philadelphia
phoenix|US|Phoenix;Scottsdale;Tempe;Mesa
san diego|US|San Diego
portland|US|Portland|oregon;or\\b
minneapolis|US|Minneapolis;St Paul;Saint Paul
detroit|US|Detroit
pittsburgh|US|Pittsburgh
raleigh|US|Raleigh;Durham;Research Triangle
charlotte|US|Charlotte
nashville|US|Nashville
salt lake city|US|Salt Lake City
las vegas|US|Las Vegas
baltimore|US|Baltimore
columbus|US|Columbus
cleveland|US|Cleveland
kansas city|US|Kansas City
st louis|US|St. Louis;St Louis
sacramento|US|Sacramento
orlando|US|Orlando
tampa|US|Tampa
indianapolis|US|Indianapolis
milwaukee|US|Milwaukee
worcester|US|Worcester|massachusetts;ma\\b
providence|US|Providence
hartford|US|Hartford
toronto|CA|Toronto;Greater Toronto Area;GTA;Scarborough;Etobicoke;North York;Mississauga;Markham;Vaughan;Brampton;Oakville;King West
vancouver|CA|Vancouver;Burnaby;Surrey
montreal|CA|Montreal;Montréal;Laval
ottawa|CA|Ottawa
calgary|CA|Calgary
edmonton|CA|Edmonton
waterloo|CA|Waterloo;Kitchener
winnipeg|CA|Winnipeg
quebec city|CA|Quebec City
halifax ns|CA|Halifax|nova scotia;ns\\b;canada
london|GB|London;Greater London;Shoreditch;Liverpool Street;Croydon;Canary Wharf;Camden
manchester|GB|Manchester;Greater Manchester;Salford;Trafford;Trafford Park;Stockport;Oldham;Bolton;Bury;Rochdale;Wigan
leeds|GB|Leeds
bradford|GB|Bradford
halifax|GB|Halifax
birmingham|GB|Birmingham
bristol|GB|Bristol
edinburgh|GB|Edinburgh
glasgow|GB|Glasgow
liverpool|GB|Liverpool
sheffield|GB|Sheffield
newcastle|GB|Newcastle
nottingham|GB|Nottingham
leicester|GB|Leicester
cardiff|GB|Cardiff
belfast|GB|Belfast
cambridge uk|GB|Cambridge
oxford|GB|Oxford
reading|GB|Reading
brighton|GB|Brighton
southampton|GB|Southampton
warrington|GB|Warrington
milton keynes|GB|Milton Keynes
aberdeen|GB|Aberdeen
coventry|GB|Coventry
york|GB|York
bath|GB|Bath
dublin|IE|Dublin;Maynooth;Grand Canal Dock
cork|IE|Cork
galway|IE|Galway
limerick|IE|Limerick
berlin|DE|Berlin;Kreuzberg;Friedrichshain;Mitte;Potsdam
munich|DE|Munich;München;Sendling
hamburg|DE|Hamburg
frankfurt|DE|Frankfurt
cologne|DE|Cologne;Köln
stuttgart|DE|Stuttgart
dusseldorf|DE|Düsseldorf;Dusseldorf
leipzig|DE|Leipzig
dresden|DE|Dresden
nuremberg|DE|Nuremberg;Nürnberg
hanover|DE|Hanover;Hannover
bremen|DE|Bremen
karlsruhe|DE|Karlsruhe
vienna|AT|Vienna;Wien
graz|AT|Graz
salzburg|AT|Salzburg
zurich|CH|Zurich;Zürich
geneva|CH|Geneva
basel|CH|Basel
bern|CH|Bern
lausanne|CH|Lausanne
amsterdam|NL|Amsterdam;Zuidas;Haarlem
rotterdam|NL|Rotterdam
the hague|NL|The Hague;Den Haag
utrecht|NL|Utrecht
eindhoven|NL|Eindhoven
brussels|BE|Brussels
antwerp|BE|Antwerp
ghent|BE|Ghent
luxembourg city|LU|Luxembourg City
paris|FR|Paris
lyon|FR|Lyon
marseille|FR|Marseille
toulouse|FR|Toulouse
bordeaux|FR|Bordeaux
lille|FR|Lille
nantes|FR|Nantes
madrid|ES|Madrid
barcelona|ES|Barcelona
valencia|ES|Valencia
seville|ES|Seville
malaga|ES|Malaga;Málaga
bilbao|ES|Bilbao
lisbon|PT|Lisbon;Lisboa;Cais do Sodré
porto|PT|Porto;Oporto
braga|PT|Braga
milan|IT|Milan;Milano
rome|IT|Rome;Roma
turin|IT|Turin
bologna|IT|Bologna
stockholm|SE|Stockholm
gothenburg|SE|Gothenburg
copenhagen|DK|Copenhagen
aarhus|DK|Aarhus
oslo|NO|Oslo
helsinki|FI|Helsinki;Espoo
reykjavik|IS|Reykjavik
warsaw|PL|Warsaw;Warszawa;Mokotów;Mokotow
krakow|PL|Kraków;Krakow;Cracow
wroclaw|PL|Wrocław;Wroclaw
gdansk|PL|Gdańsk;Gdansk
poznan|PL|Poznań;Poznan
prague|CZ|Prague
brno|CZ|Brno
budapest|HU|Budapest
bucharest|RO|Bucharest
cluj|RO|Cluj-Napoca;Cluj
sofia|BG|Sofia
athens|GR|Athens
belgrade|RS|Belgrade
zagreb|HR|Zagreb
bratislava|SK|Bratislava
ljubljana|SI|Ljubljana
tallinn|EE|Tallinn
riga|LV|Riga
vilnius|LT|Vilnius
kyiv|UA|Kyiv;Kiev
lviv|UA|Lviv
istanbul|TR|Istanbul
bengaluru|IN|Bengaluru;Bangalore;Koramangala;HSR Layout;Whitefield
hyderabad|IN|Hyderabad
pune|IN|Pune
mumbai|IN|Mumbai
chennai|IN|Chennai
delhi|IN|Delhi;New Delhi;Gurgaon;Gurugram;Noida
kolkata|IN|Kolkata
ahmedabad|IN|Ahmedabad
kochi|IN|Kochi
singapore|SG|Singapore
hong kong|HK|Hong Kong
tokyo|JP|Tokyo
osaka|JP|Osaka
seoul|KR|Seoul
beijing|CN|Beijing
shanghai|CN|Shanghai
shenzhen|CN|Shenzhen
taipei|TW|Taipei
bangkok|TH|Bangkok
kuala lumpur|MY|Kuala Lumpur
jakarta|ID|Jakarta
manila|PH|Manila;Makati
ho chi minh city|VN|Ho Chi Minh City
dubai|AE|Dubai
abu dhabi|AE|Abu Dhabi
tel aviv|IL|Tel Aviv
riyadh|SA|Riyadh
doha|QA|Doha
cairo|EG|Cairo
lagos|NG|Lagos
nairobi|KE|Nairobi
cape town|ZA|Cape Town
johannesburg|ZA|Johannesburg
sydney|AU|Sydney
melbourne|AU|Melbourne
brisbane|AU|Brisbane
perth|AU|Perth
auckland|NZ|Auckland
wellington|NZ|Wellington
mexico city|MX|Mexico City
guadalajara|MX|Guadalajara
sao paulo|BR|São Paulo;Sao Paulo
rio de janeiro|BR|Rio de Janeiro
buenos aires|AR|Buenos Aires
santiago|CL|Santiago
bogota|CO|Bogotá;Bogota
medellin|CO|Medellín;Medellin
lima|PE|Lima
montevideo|UY|Montevideo
"""
# Regions inside a country that people write on their own ("Massachusetts RN license",
# "anywhere in England"), with their country.
_SUBDIVISIONS = {
    "england": "GB", "scotland": "GB", "wales": "GB", "northern ireland": "GB",
    "lancashire": "GB", "yorkshire": "GB", "north west": "GB",
    "ontario": "CA", "british columbia": "CA", "quebec": "CA", "alberta": "CA",
    "nova scotia": "CA", "manitoba": "CA",
    "bavaria": "DE", "bayern": "DE", "karnataka": "IN", "maharashtra": "IN",
    "telangana": "IN", "tamil nadu": "IN", "azores": "PT", "madeira": "PT",
    "midwest": "US", "silicon valley": "US", "new england": "US",
}  # fmt: skip
_US_STATE_NAMES = (
    "Alabama Alaska Arizona Arkansas California Colorado Connecticut Delaware Florida Georgia "
    "Hawaii Idaho Illinois Indiana Iowa Kansas Kentucky Louisiana Maine Maryland Massachusetts "
    "Michigan Minnesota Mississippi Missouri Montana Nebraska Nevada Ohio Oklahoma Oregon "
    "Pennsylvania Tennessee Texas Utah Vermont Virginia Wisconsin Wyoming"
).split() + ["New Hampshire", "New Jersey", "New Mexico", "North Carolina", "North Dakota",
             "Rhode Island", "South Carolina", "South Dakota", "West Virginia"]  # fmt: skip


@dataclass(frozen=True)
class Place:
    """A place named in text: a metro area (with its country), or only a country."""

    metro: str | None
    country: str | None
    name: str
    start: int = 0

    def as_dict(self) -> dict:
        return {"metro": self.metro, "country": self.country, "name": self.name}


@dataclass(frozen=True)
class _Option:
    metro: str
    country: str
    display: str
    qualifier: re.Pattern[str] | None


@lru_cache(maxsize=1)
def _gazetteer() -> tuple[dict[str, list[_Option]], re.Pattern[str]]:
    options: dict[str, list[_Option]] = {}
    for line in _GAZETTEER.strip().splitlines():
        metro, country, names, *qualifiers = line.split("|")
        names_list = names.split(";")
        qualifier = (
            re.compile(r"^[\s,(]{0,3}(?:" + "|".join(qualifiers[0].split(";")) + ")", re.I)
            if qualifiers
            else None
        )
        for name in names_list:
            options.setdefault(name.lower(), []).append(
                _Option(metro, country, names_list[0], qualifier)
            )
    names = sorted(options, key=len, reverse=True)
    pattern = re.compile(
        r"(?<![\w-])(?:" + "|".join(re.escape(name) for name in names) + r")(?![\w])",
        re.IGNORECASE,
    )
    return options, pattern


_ABBREVIATIONS = {"US", "UK", "USA", "UAE", "U.S.", "U.K."}
_STATES = {name.lower() for name in _US_STATE_NAMES}
# Capitalised words that are also small countries' names.
_NOT_COUNTRIES = {"jersey", "chad", "jordan", "guinea", "niger", "mali", "georgia", "java"}


def _country_of_words(words: str) -> str | None:
    """The country a capitalised phrase names ("Germany", "United States", "Ontario")."""
    key = words.lower()
    if key in _SUBDIVISIONS:
        return _SUBDIVISIONS[key]
    if key in _STATES:
        return "US"
    if words in _ABBREVIATIONS:
        return country_code(words.replace(".", ""))
    if len(words) <= 3 or not words[0].isupper() or key in _NOT_COUNTRIES:
        return None  # "IT", "CAN": codes in prose are words, not countries
    return country_code(words)


def countries_in(text: str) -> list[tuple[int, str]]:
    """(position, ISO code) of the countries (or their states and provinces) named in text."""
    found = []
    for match in re.finditer(
        r"\b(?:U\.S\.|U\.K\.|[A-Z][\w'.-]*(?:\s+(?:of\s+|and\s+)?[A-Z][\w'.-]*){0,3})", text
    ):
        words = match.group(0).rstrip(".")
        # Try the longest phrase first, then shorter ones from its start ("Germany Remote").
        parts = words.split()
        for size in range(len(parts), 0, -1):
            for first in range(0, len(parts) - size + 1):
                phrase = " ".join(parts[first : first + size])
                if code := _country_of_words(phrase.strip(",;:()")):
                    found.append((match.start(), code))
                    break
            else:
                continue
            break
    for match in re.finditer(
        r"\b(?:"
        + "|".join(re.escape(k) for k in sorted(_SUBDIVISIONS, key=len, reverse=True))
        + r")\b",
        text,
        re.IGNORECASE,
    ):
        if not any(position == match.start() for position, _ in found):
            found.append((match.start(), _SUBDIVISIONS[match.group(0).lower()]))
    found.sort()
    return found


def places_in(text: str | None) -> list[Place]:
    """The metro areas named in text, in order, with their countries."""
    if not text:
        return []
    options, pattern = _gazetteer()
    found = []
    for match in pattern.finditer(text):
        written = match.group(0)
        if written.lower() == written and len(written) <= 3:
            continue  # "la", "sf", "gta" as words
        if written in {"LA", "SF", "GTA", "NYC"} or written[0].isupper():
            choices = options[written.lower()]
            after = text[match.end() : match.end() + 40]
            chosen = next((o for o in choices if o.qualifier and o.qualifier.search(after)), None)
            chosen = chosen or next((o for o in choices if o.qualifier is None), choices[0])
            found.append(Place(chosen.metro, chosen.country, chosen.display, match.start()))
    return found


def regions_in(text: str) -> set[str]:
    """The ISO codes of every country the regions and countries of `text` cover; {"ANY"}
    when it says worldwide."""
    if _WORLDWIDE.search(text):
        return {ANYWHERE}
    codes: set[str] = set()
    for match in _REGION_WORDS.finditer(text):
        word = match.group(0)
        if word.lower() in ("eu", "eea") and word != word.upper():
            continue
        codes |= REGIONS[word.lower()]
    codes |= {code for _, code in countries_in(text)}
    codes |= {place.country for place in places_in(text) if place.country}
    return codes


_COUNTRY_NAMES = {
    "US": "the US", "GB": "the UK", "CA": "Canada", "IE": "Ireland", "DE": "Germany",
    "AT": "Austria", "CH": "Switzerland", "NL": "the Netherlands", "BE": "Belgium",
    "FR": "France", "ES": "Spain", "PT": "Portugal", "IT": "Italy", "PL": "Poland",
    "CZ": "Czechia", "SE": "Sweden", "NO": "Norway", "DK": "Denmark", "FI": "Finland",
    "IN": "India", "AU": "Australia", "NZ": "New Zealand", "SG": "Singapore", "JP": "Japan",
    "BR": "Brazil", "MX": "Mexico", "AE": "the UAE", "IL": "Israel", "PH": "the Philippines",
    "RO": "Romania", "HU": "Hungary", "GR": "Greece", "UA": "Ukraine", "ZA": "South Africa",
}  # fmt: skip


def country_name(code: str | None) -> str:
    """A country's name for a sentence ("the UK"), or its code when not a common one."""
    if not code:
        return "an unknown country"
    return _COUNTRY_NAMES.get(code, code)


def region_label(codes: set[str] | frozenset[str] | list[str]) -> str:
    codes = set(codes)
    if ANYWHERE in codes:
        return "anywhere"
    for name, members in (("the EU", EU), ("Europe", EUROPE)):
        if codes == set(members):
            return name
    if EU <= codes:
        rest = sorted(codes - EU)
        return "the EU" + (f" and {', '.join(rest)}" if rest else "")
    return ", ".join(sorted(codes))
