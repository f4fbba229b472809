"""Where people live: countries, US states, Canadian provinces and well-known cities.

Small on purpose: a resume's location is usually "City, Country" or "City, ST", and the country or
state settles it; the city list only catches a bare "Berlin" or "Singapore".
"""

from __future__ import annotations

import re

COUNTRIES: dict[str, str] = {
    "argentina": "AR", "australia": "AU", "austria": "AT", "österreich": "AT", "belgium": "BE",
    "brazil": "BR", "brasil": "BR", "bulgaria": "BG", "canada": "CA", "chile": "CL",
    "china": "CN", "colombia": "CO", "croatia": "HR", "czech republic": "CZ", "czechia": "CZ",
    "denmark": "DK", "egypt": "EG", "estonia": "EE", "finland": "FI", "france": "FR",
    "germany": "DE", "deutschland": "DE", "ghana": "GH", "greece": "GR", "hong kong": "HK",
    "hungary": "HU", "iceland": "IS", "india": "IN", "indonesia": "ID", "ireland": "IE",
    "israel": "IL", "italy": "IT", "italia": "IT", "japan": "JP", "kenya": "KE", "latvia": "LV",
    "lithuania": "LT", "luxembourg": "LU", "malaysia": "MY", "mexico": "MX", "méxico": "MX",
    "morocco": "MA", "netherlands": "NL", "the netherlands": "NL", "nederland": "NL",
    "new zealand": "NZ", "nigeria": "NG", "norway": "NO", "pakistan": "PK", "peru": "PE",
    "philippines": "PH", "poland": "PL", "polska": "PL", "portugal": "PT", "romania": "RO",
    "russia": "RU", "saudi arabia": "SA", "serbia": "RS", "singapore": "SG", "slovakia": "SK",
    "slovenia": "SI", "south africa": "ZA", "south korea": "KR", "korea": "KR", "spain": "ES",
    "españa": "ES", "sweden": "SE", "switzerland": "CH", "schweiz": "CH", "suisse": "CH",
    "taiwan": "TW", "thailand": "TH", "turkey": "TR", "türkiye": "TR", "ukraine": "UA",
    "united arab emirates": "AE", "uae": "AE", "united kingdom": "GB", "uk": "GB",
    "great britain": "GB", "england": "GB", "scotland": "GB", "wales": "GB",
    "northern ireland": "GB", "united states": "US", "united states of america": "US",
    "usa": "US", "us": "US", "u.s.": "US", "u.s.a.": "US", "vietnam": "VN",
}  # fmt: skip

US_STATES = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH "
    "NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY".split()
)
CA_PROVINCES = frozenset("AB BC MB NB NL NS NT NU ON PE QC SK YT".split())

CITIES: dict[str, str] = {
    # Europe
    "london": "GB", "manchester": "GB", "birmingham": "GB", "edinburgh": "GB", "glasgow": "GB",
    "bristol": "GB", "leeds": "GB", "cambridge": "GB", "oxford": "GB", "belfast": "GB",
    "dublin": "IE", "cork": "IE", "galway": "IE", "berlin": "DE", "munich": "DE",
    "münchen": "DE", "hamburg": "DE", "frankfurt": "DE", "cologne": "DE", "köln": "DE",
    "stuttgart": "DE", "düsseldorf": "DE", "leipzig": "DE", "paris": "FR", "lyon": "FR",
    "marseille": "FR", "toulouse": "FR", "lille": "FR", "nantes": "FR", "bordeaux": "FR",
    "madrid": "ES", "barcelona": "ES", "valencia": "ES", "seville": "ES", "lisbon": "PT",
    "porto": "PT", "amsterdam": "NL", "rotterdam": "NL", "utrecht": "NL", "eindhoven": "NL",
    "the hague": "NL", "brussels": "BE", "antwerp": "BE", "zurich": "CH", "zürich": "CH",
    "geneva": "CH", "basel": "CH", "vienna": "AT", "wien": "AT", "milan": "IT", "rome": "IT",
    "turin": "IT", "stockholm": "SE", "gothenburg": "SE", "copenhagen": "DK", "oslo": "NO",
    "helsinki": "FI", "warsaw": "PL", "kraków": "PL", "krakow": "PL", "wrocław": "PL",
    "prague": "CZ", "budapest": "HU", "bucharest": "RO", "athens": "GR", "tallinn": "EE",
    "riga": "LV", "vilnius": "LT", "kyiv": "UA", "istanbul": "TR",
    # Americas
    "new york": "US", "new york city": "US", "nyc": "US", "san francisco": "US",
    "los angeles": "US", "seattle": "US", "austin": "US", "boston": "US", "chicago": "US",
    "denver": "US", "atlanta": "US", "miami": "US", "washington": "US", "san jose": "US",
    "san diego": "US", "portland": "US", "toronto": "CA", "vancouver": "CA", "montreal": "CA",
    "montréal": "CA", "ottawa": "CA", "calgary": "CA", "mexico city": "MX",
    "são paulo": "BR", "sao paulo": "BR", "buenos aires": "AR", "bogotá": "CO", "bogota": "CO",
    "santiago": "CL",
    # Asia, Africa, Oceania
    "singapore": "SG", "hong kong": "HK", "tokyo": "JP", "seoul": "KR", "shanghai": "CN",
    "beijing": "CN", "shenzhen": "CN", "taipei": "TW", "bangalore": "IN", "bengaluru": "IN",
    "mumbai": "IN", "delhi": "IN", "new delhi": "IN", "hyderabad": "IN", "pune": "IN",
    "chennai": "IN", "dubai": "AE", "tel aviv": "IL", "cairo": "EG", "lagos": "NG",
    "nairobi": "KE", "cape town": "ZA", "johannesburg": "ZA", "sydney": "AU",
    "melbourne": "AU", "auckland": "NZ", "kuala lumpur": "MY", "jakarta": "ID",
    "manila": "PH", "bangkok": "TH",
}  # fmt: skip
CITY_STATES = {"SG": "Singapore", "HK": "Hong Kong", "LU": "Luxembourg", "MC": "Monaco"}

# Words of organisations, never of places: "Spree Mobility GmbH, Berlin, Germany" is a company
# followed by a place, not a place.
ORGANISATION_WORDS = frozenset(
    """
    inc inc. ltd ltd. limited llc llp gmbh ag sa sas sarl sl bv nv plc corp corp. corporation
    co co. company group pte pvt pty srl spa oy ab kg se labs lab studio studios systems
    software technologies technology tech solutions digital media consulting partners holdings
    bank agency agencia games apps analytics logistics insights mobility devices robotics
    sensors hosting networks ventures capital health services industries international global
    university college school institute hospital foundation ministry council department
    government infotech
    """.split()
)
_PLACE_WORD = re.compile(r"^[^\W\d_][\w .'’-]*$")
REMOTE = re.compile(r"^(?:fully\s+)?remote\b|^hybrid\b|^on-?site\b", re.IGNORECASE)


def parse_location(text: str) -> dict | None:
    """Read "City, Country", "City, ST", "City, Region, Country" or a known city or country."""
    text = text.strip().strip(".;:").strip()
    text = re.sub(
        r"^(?:location|address|based in|lives in|residence)\s*:?\s*", "", text, flags=re.IGNORECASE
    )
    if not text or len(text) > 60 or any(ch.isdigit() for ch in text):
        return None
    parts = [part.strip() for part in text.split(",")]
    if not all(part and _PLACE_WORD.match(part) for part in parts) or len(parts) > 3:
        return None
    if any(word.strip(".").lower() in ORGANISATION_WORDS for word in re.findall(r"[\w.]+", text)):
        return None
    if len(parts) == 1:
        key = parts[0].lower()
        if key in CITIES:
            return {"city": parts[0], "region": "", "country": CITIES[key]}
        if key in COUNTRIES:
            code = COUNTRIES[key]
            return {"city": CITY_STATES.get(code, ""), "region": "", "country": code}
        return None
    city, *middle, last = parts
    if len(city.split()) > 4 or (middle and middle[0].lower() in CITIES):
        # "Agencia Sol, Madrid, Spain" is somewhere in Madrid, not a place called Agencia Sol.
        return None
    region = middle[0] if middle else ""
    country = COUNTRIES.get(last.lower())
    if country is None:
        if last in US_STATES and not middle:
            region, country = last, "US"
        elif last in CA_PROVINCES and not middle:
            region, country = last, "CA"
        else:
            return None
    if region and country == "US" and region not in US_STATES:
        region = region if len(region) > 2 else ""
    return {"city": city, "region": region, "country": country}


def is_location(text: str) -> bool:
    return bool(REMOTE.match(text.strip())) or parse_location(text) is not None


def strip_location(text: str) -> str:
    """Drop a trailing ", City, Country" (or a whole segment that is only a place)."""
    if is_location(text):
        return ""
    parts = text.split(",")
    for keep in range(1, len(parts)):
        tail = ",".join(parts[keep:])
        if is_location(tail):
            return ",".join(parts[:keep]).strip()
    return text.strip()
