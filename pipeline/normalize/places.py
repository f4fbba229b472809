"""Where a job is: cities, regions, ISO 3166 countries, and onsite, hybrid or remote."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pipeline.normalize.text import ANYWHERE_VALUES, as_list, text_clean

# ISO 3166-1: alpha-2, alpha-3 and English short name (from Debian's iso-codes), plus Kosovo's
# user-assigned XK, which job boards use.
_COUNTRY_TABLE = (
    "AD AND Andorra|AE ARE United Arab Emirates|AF AFG Afghanistan|AG ATG Antigua and Barbuda|"
    "AI AIA Anguilla|AL ALB Albania|AM ARM Armenia|AO AGO Angola|AQ ATA Antarctica|"
    "AR ARG Argentina|AS ASM American Samoa|AT AUT Austria|AU AUS Australia|AW ABW Aruba|"
    "AX ALA Åland Islands|AZ AZE Azerbaijan|BA BIH Bosnia and Herzegovina|BB BRB Barbados|"
    "BD BGD Bangladesh|BE BEL Belgium|BF BFA Burkina Faso|BG BGR Bulgaria|BH BHR Bahrain|"
    "BI BDI Burundi|BJ BEN Benin|BL BLM Saint Barthélemy|BM BMU Bermuda|BN BRN Brunei|"
    "BO BOL Bolivia|BQ BES Bonaire|BR BRA Brazil|BS BHS Bahamas|BT BTN Bhutan|"
    "BV BVT Bouvet Island|BW BWA Botswana|BY BLR Belarus|BZ BLZ Belize|CA CAN Canada|"
    "CC CCK Cocos Islands|CD COD Democratic Republic of the Congo|CF CAF Central African Republic|"
    "CG COG Congo|CH CHE Switzerland|CI CIV Côte d'Ivoire|CK COK Cook Islands|CL CHL Chile|"
    "CM CMR Cameroon|CN CHN China|CO COL Colombia|CR CRI Costa Rica|CU CUB Cuba|"
    "CV CPV Cabo Verde|CW CUW Curaçao|CX CXR Christmas Island|CY CYP Cyprus|CZ CZE Czechia|"
    "DE DEU Germany|DJ DJI Djibouti|DK DNK Denmark|DM DMA Dominica|DO DOM Dominican Republic|"
    "DZ DZA Algeria|EC ECU Ecuador|EE EST Estonia|EG EGY Egypt|EH ESH Western Sahara|"
    "ER ERI Eritrea|ES ESP Spain|ET ETH Ethiopia|FI FIN Finland|FJ FJI Fiji|"
    "FK FLK Falkland Islands|FM FSM Micronesia|FO FRO Faroe Islands|FR FRA France|GA GAB Gabon|"
    "GB GBR United Kingdom|GD GRD Grenada|GE GEO Georgia|GF GUF French Guiana|GG GGY Guernsey|"
    "GH GHA Ghana|GI GIB Gibraltar|GL GRL Greenland|GM GMB Gambia|GN GIN Guinea|"
    "GP GLP Guadeloupe|GQ GNQ Equatorial Guinea|GR GRC Greece|"
    "GS SGS South Georgia and the South Sandwich Islands|GT GTM Guatemala|GU GUM Guam|"
    "GW GNB Guinea-Bissau|GY GUY Guyana|HK HKG Hong Kong|HM HMD Heard Island and McDonald Islands|"
    "HN HND Honduras|HR HRV Croatia|HT HTI Haiti|HU HUN Hungary|ID IDN Indonesia|IE IRL Ireland|"
    "IL ISR Israel|IM IMN Isle of Man|IN IND India|IO IOT British Indian Ocean Territory|"
    "IQ IRQ Iraq|IR IRN Iran|IS ISL Iceland|IT ITA Italy|JE JEY Jersey|JM JAM Jamaica|"
    "JO JOR Jordan|JP JPN Japan|KE KEN Kenya|KG KGZ Kyrgyzstan|KH KHM Cambodia|KI KIR Kiribati|"
    "KM COM Comoros|KN KNA Saint Kitts and Nevis|KP PRK North Korea|KR KOR South Korea|"
    "KW KWT Kuwait|KY CYM Cayman Islands|KZ KAZ Kazakhstan|LA LAO Laos|LB LBN Lebanon|"
    "LC LCA Saint Lucia|LI LIE Liechtenstein|LK LKA Sri Lanka|LR LBR Liberia|LS LSO Lesotho|"
    "LT LTU Lithuania|LU LUX Luxembourg|LV LVA Latvia|LY LBY Libya|MA MAR Morocco|MC MCO Monaco|"
    "MD MDA Moldova|ME MNE Montenegro|MF MAF Saint Martin|MG MDG Madagascar|"
    "MH MHL Marshall Islands|MK MKD North Macedonia|ML MLI Mali|MM MMR Myanmar|MN MNG Mongolia|"
    "MO MAC Macao|MP MNP Northern Mariana Islands|MQ MTQ Martinique|MR MRT Mauritania|"
    "MS MSR Montserrat|MT MLT Malta|MU MUS Mauritius|MV MDV Maldives|MW MWI Malawi|MX MEX Mexico|"
    "MY MYS Malaysia|MZ MOZ Mozambique|NA NAM Namibia|NC NCL New Caledonia|NE NER Niger|"
    "NF NFK Norfolk Island|NG NGA Nigeria|NI NIC Nicaragua|NL NLD Netherlands|NO NOR Norway|"
    "NP NPL Nepal|NR NRU Nauru|NU NIU Niue|NZ NZL New Zealand|OM OMN Oman|PA PAN Panama|"
    "PE PER Peru|PF PYF French Polynesia|PG PNG Papua New Guinea|PH PHL Philippines|"
    "PK PAK Pakistan|PL POL Poland|PM SPM Saint Pierre and Miquelon|PN PCN Pitcairn|"
    "PR PRI Puerto Rico|PS PSE Palestine|PT PRT Portugal|PW PLW Palau|PY PRY Paraguay|"
    "QA QAT Qatar|RE REU Réunion|RO ROU Romania|RS SRB Serbia|RU RUS Russian Federation|"
    "RW RWA Rwanda|SA SAU Saudi Arabia|SB SLB Solomon Islands|SC SYC Seychelles|SD SDN Sudan|"
    "SE SWE Sweden|SG SGP Singapore|SH SHN Saint Helena|SI SVN Slovenia|"
    "SJ SJM Svalbard and Jan Mayen|SK SVK Slovakia|SL SLE Sierra Leone|SM SMR San Marino|"
    "SN SEN Senegal|SO SOM Somalia|SR SUR Suriname|SS SSD South Sudan|"
    "ST STP Sao Tome and Principe|SV SLV El Salvador|SX SXM Sint Maarten|SY SYR Syria|"
    "SZ SWZ Eswatini|TC TCA Turks and Caicos Islands|TD TCD Chad|"
    "TF ATF French Southern Territories|TG TGO Togo|TH THA Thailand|TJ TJK Tajikistan|"
    "TK TKL Tokelau|TL TLS Timor-Leste|TM TKM Turkmenistan|TN TUN Tunisia|TO TON Tonga|"
    "TR TUR Türkiye|TT TTO Trinidad and Tobago|TV TUV Tuvalu|TW TWN Taiwan|TZ TZA Tanzania|"
    "UA UKR Ukraine|UG UGA Uganda|UM UMI United States Minor Outlying Islands|"
    "US USA United States|UY URY Uruguay|UZ UZB Uzbekistan|VA VAT Vatican City|"
    "VC VCT Saint Vincent and the Grenadines|VE VEN Venezuela|VG VGB British Virgin Islands|"
    "VI VIR US Virgin Islands|VN VNM Vietnam|VU VUT Vanuatu|WF WLF Wallis and Futuna|"
    "WS WSM Samoa|XK XKX Kosovo|YE YEM Yemen|YT MYT Mayotte|ZA ZAF South Africa|ZM ZMB Zambia|"
    "ZW ZWE Zimbabwe"
)
_COUNTRY_ALIASES = {
    "GB": "UK|U.K.|Great Britain|Britain|England|Scotland|Wales|Northern Ireland",
    "US": "USA|U.S.|U.S.A.|United States of America|America",
    "CZ": "Czech Republic|Česko|Česká republika",
    "DE": "Deutschland",
    "AT": "Österreich",
    "CH": "Schweiz|Suisse|Svizzera",
    "NL": "The Netherlands|Holland|Nederland",
    "ES": "España",
    "IT": "Italia",
    "PL": "Polska",
    "SK": "Slovensko",
    "HU": "Magyarország",
    "RO": "România",
    "HR": "Hrvatska",
    "SE": "Sverige",
    "NO": "Norge",
    "DK": "Danmark",
    "FI": "Suomi",
    "IE": "Éire",
    "BE": "Belgique|België",
    "BR": "Brasil",
    "MX": "México",
    "RU": "Russia",
    "TR": "Turkey",
    "KR": "Korea|Republic of Korea",
    "CN": "PRC|Mainland China",
    "AE": "UAE|Emirates",
    "CI": "Ivory Coast",
    "CV": "Cape Verde",
    "SZ": "Swaziland",
    "MM": "Burma",
    "MK": "Macedonia",
    "MO": "Macau",
    "BN": "Brunei Darussalam",
    "VA": "Holy See",
    "VN": "Viet Nam",
    "CD": "DR Congo|DRC",
    "TL": "East Timor",
    "PS": "Palestinian Territories",
}
_US_STATES = (
    "AL Alabama|AK Alaska|AZ Arizona|AR Arkansas|CA California|CO Colorado|CT Connecticut|"
    "DE Delaware|DC District of Columbia|FL Florida|GA Georgia|HI Hawaii|ID Idaho|IL Illinois|"
    "IN Indiana|IA Iowa|KS Kansas|KY Kentucky|LA Louisiana|ME Maine|MD Maryland|"
    "MA Massachusetts|MI Michigan|MN Minnesota|MS Mississippi|MO Missouri|MT Montana|"
    "NE Nebraska|NV Nevada|NH New Hampshire|NJ New Jersey|NM New Mexico|NY New York|"
    "NC North Carolina|ND North Dakota|OH Ohio|OK Oklahoma|OR Oregon|PA Pennsylvania|"
    "RI Rhode Island|SC South Carolina|SD South Dakota|TN Tennessee|TX Texas|UT Utah|"
    "VT Vermont|VA Virginia|WA Washington|WV West Virginia|WI Wisconsin|WY Wyoming"
)
_CONTINENTS = frozenset(
    {"europe", "eu", "emea", "apac", "latam", "asia", "africa", "americas", "north america",
     "south america", "latin america", "oceania", "middle east", "nordics", "dach"}
)  # fmt: skip


def _key(text: str) -> str:
    """Lower-case, accents dropped, punctuation to spaces: "Česká republika" → "ceska republika"."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain.lower()).split()).removeprefix("the ")


def _country_index() -> tuple[frozenset[str], dict[str, str]]:
    codes: set[str] = set()
    names: dict[str, str] = {}
    for row in _COUNTRY_TABLE.split("|"):
        alpha2, alpha3, name = row.split(" ", 2)
        codes.add(alpha2)
        names[alpha3.lower()] = alpha2
        names[_key(name)] = alpha2
    for alpha2, aliases in _COUNTRY_ALIASES.items():
        for alias in aliases.split("|"):
            names[_key(alias)] = alpha2
    return frozenset(codes), names


COUNTRY_CODES, _COUNTRY_NAMES = _country_index()
_STATE_NAMES = {
    _key(name): code for code, name in (row.split(" ", 1) for row in _US_STATES.split("|"))
}
_STATE_CODES = frozenset(_STATE_NAMES.values())


def country_code(value: Any) -> str | None:
    """Return the ISO 3166-1 alpha-2 code of a code ("de", "DEU", "UK") or an English or
    local name ("Germany", "Czech Republic", "Deutschland"), or of a Country object."""
    text = text_clean(value)
    if text is None:
        return None
    if len(text) == 2 and text.upper() in COUNTRY_CODES:
        return text.upper()
    return _COUNTRY_NAMES.get(_key(text))


@dataclass(frozen=True)
class Location:
    city: str | None = None
    region: str | None = None
    country: str | None = None


def is_anywhere(value: Any) -> bool:
    text = text_clean(value)
    return text is not None and text.lower() in ANYWHERE_VALUES


def location_from_text(text: str) -> tuple[Location | None, bool]:
    """Read "City", "City, Region", "City, Country", "City, ST", "Remote - Germany".

    Return the location (None when nothing is left) and whether the text says remote.
    "City, ST" with a US state code gives the US, unless the code is also a country code
    ("Sacramento, CA" could be Canada), when the country stays unknown.
    """
    remote = bool(re.search(r"\b(?:remote|anywhere|worldwide|telecommute)\b", text, re.I))
    text = re.sub(r"\b(?:remote|anywhere|worldwide|telecommute)\b", " ", text, flags=re.I)
    parts = [part for part in (text_clean(p.strip(" -–()/")) for p in text.split(",")) if part]
    if not parts:
        return None, remote
    city = region = country = None
    last = parts[-1]
    state = last.upper() if len(last) == 2 and last.isupper() else _STATE_NAMES.get(_key(last))
    if len(parts) > 1 and state in _STATE_CODES:
        region = last
        country = None if country_code(last) else "US"
        parts = parts[:-1]
    elif code := country_code(last):
        country = code
        parts = parts[:-1]
    elif len(parts) == 1 and (_key(last) in _CONTINENTS or state in _STATE_CODES):
        return Location(region=last, country="US" if state in _STATE_CODES else None), remote
    if parts:
        city = parts[0]
        region = region or (parts[1] if len(parts) > 1 else None)
    location = Location(city, region, country)
    return (location if location != Location() else None), remote


def location_from_place(place: Any) -> tuple[Location | None, bool]:
    """Read a Place (with a PostalAddress or an address string), a PostalAddress, or a string.

    "Anywhere", "Remote" and placeholders ("-", "None") are empty; the flag says remote.
    """
    if isinstance(place, str):
        return location_from_text(place)
    if not isinstance(place, dict):
        return None, False
    address = place.get("address", place)
    if isinstance(address, list):
        address = address[0] if address else {}
    if isinstance(address, str) or not isinstance(address, dict):
        return location_from_text(text_clean(address) or text_clean(place.get("name")) or "")
    fields = [address.get(k) for k in ("addressLocality", "addressRegion", "addressCountry")]
    remote = any(is_anywhere(field) for field in fields)
    city, region, country_value = (None if is_anywhere(f) else text_clean(f) for f in fields)
    country = country_code(address.get("addressCountry"))
    if city and ("," in city or _REMOTE_WORD.search(city)):  # "Sacramento, CA", "Remote, US"
        parsed, parsed_remote = location_from_text(city)
        remote |= parsed_remote
        city = parsed.city if parsed else None
        region = region or (parsed.region if parsed else None)
        country = country or (parsed.country if parsed else None)
    if country is None and region is None and _key(country_value or "") in _CONTINENTS:
        region = country_value  # "Europe" in addressCountry
    location = Location(city, region, country)
    if location == Location():
        name = None if remote else text_clean(place.get("name"))
        return location_from_text(name) if name else (None, remote)
    return location, remote


def locations_normalise(
    job_location: Any, *, requirements: Any = None
) -> tuple[list[Location], bool]:
    """Return the unique locations of `jobLocation` (one Place or a list) and of
    `applicantLocationRequirements` (Country or AdministrativeArea objects), and whether any
    of them says "anywhere"."""
    locations: list[Location] = []
    anywhere = False
    for place in as_list(job_location):
        location, remote = location_from_place(place)
        anywhere |= remote
        if location and location not in locations:
            locations.append(location)
    for area in as_list(requirements):
        location, remote = _location_from_area(area)
        anywhere |= remote
        if location and location not in locations:
            locations.append(location)
    return locations, anywhere


def _location_from_area(area: Any) -> tuple[Location | None, bool]:
    if is_anywhere(area):
        return None, True
    name = text_clean(area)
    if name is None:
        return None, False
    if country := country_code(name):
        return Location(country=country), False
    kind = str(area.get("@type", "")).lower() if isinstance(area, dict) else ""
    if kind.endswith("country"):
        return None, False
    location, remote = location_from_text(name)
    if location and kind.endswith(("administrativearea", "state")) and not location.region:
        location = Location(None, location.city, location.country)  # "Bavaria" is no city
    return location, remote


# --- Workplace -----------------------------------------------------------------------------

_REMOTE_WORD = re.compile(r"(?<!\bno )(?<!\bnon-)(?<!\bnot )\bremote\b", re.IGNORECASE)
_HYBRID_WORD = re.compile(r"\bhybrid\b", re.IGNORECASE)
_REMOTE_PHRASE = re.compile(
    r"(?<!not )(?<!\bnot a )\b(?:fully\s+remote|100\s*%\s+remote|remote[-\s]first|"
    r"work\s+from\s+anywhere)\b",
    re.IGNORECASE,
)
_HYBRID_PHRASE = re.compile(
    r"\bhybrid\s+(?:work|working|model|role|position|setup|set-up|arrangement|schedule|remote)\b",
    re.IGNORECASE,
)


def workplace_normalise(
    *,
    location_type: Any,
    title: str | None,
    places: Iterable[str],
    anywhere: bool,
    text: str | None,
) -> str:
    """Return onsite, hybrid or remote.

    "Hybrid" in the title or a place wins; then `jobLocationType: TELECOMMUTE`, an "Anywhere"
    location or "Remote" in the title or a place mean remote; then strong phrases in the text
    ("hybrid working", "fully remote"); otherwise on site.
    """
    labels = [title or "", *places]
    if any(_HYBRID_WORD.search(label) for label in labels):
        return "hybrid"
    telecommute = any(
        (text_clean(kind) or "").upper() == "TELECOMMUTE" for kind in as_list(location_type)
    )
    if telecommute or anywhere or any(_REMOTE_WORD.search(label) for label in labels):
        return "remote"
    if _HYBRID_PHRASE.search(text or ""):
        return "hybrid"
    return "remote" if _REMOTE_PHRASE.search(text or "") else "onsite"
