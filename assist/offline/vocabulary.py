"""The words the engine knows besides the catalog's: fillers, words that change a question's
meaning, countries, currencies and the sandbox's plan tiers."""

STOP_WORDS = frozenset(
    "what whats which was were is are be been the a an our my me we i you your show give tell list"
    " get display see how did do does have has had please total overall in for of on from during"
    " over at by per with can could would like want know now current currently right all it its"
    " there any latest value amount figure sum chart graph report view breakdown ,".split()
)
"""Words that ask without changing what is asked: a question may hold any of them."""

STOP_PHRASES = r"(?:show|give|tell|let) us"
"""'us' is a filler only as an object ('show us'): 'in US' is a country."""

FLOW_VERBS = frozenset(
    "make made earn earned generate generated bring brought collect collected process processed"
    " take took receive received come came open opened happen happened".split()
)
"""Verbs that only restate a flow metric ('how much revenue did we make'): with a stock or a
movement ('how much MRR did we make') they may mean a change, so they are not understood there."""

_FORECAST = "I only report what has happened; I cannot forecast or predict"
_WHY = "I report the figures but cannot explain why they moved"
_COMPARE = (
    "I answer one metric over one range and do not compare periods or metrics;"
    " ask for each figure separately, or by month, quarter or year"
)
_STATISTIC = "I answer each metric as the catalog defines it and cannot compute other statistics"
MEANING_CHANGERS = {
    **dict.fromkeys(
        "next will forecast forecasts forecasted predict predicted prediction predictions"
        " projected projection projections expect expected expecting estimate estimated tomorrow"
        " future upcoming".split(),
        _FORECAST,
    ),
    **dict.fromkeys(
        "why cause caused causes reason reasons because explain driving drove driver"
        " drivers".split(),
        _WHY,
    ),
    **dict.fromkeys(
        "versus vs compare compared comparing comparison against than difference yoy mom qoq"
        " wow change changed increase increased decrease decreased grew grow fell rose".split(),
        _COMPARE,
    ),
    **dict.fromkeys(
        "median average avg mean percentile max maximum min minimum deviation variance"
        " cumulative running".split(),
        _STATISTIC,
    ),
}
"""Words that change what a question asks in a way the engine cannot answer, and why not."""

PERIOD_COMPARISON = r"(?:day|week|month|quarter|year) (?:over|on) (?:day|week|month|quarter|year)"
"""'month over month': a comparison of each period with the one before."""

COUNT_MARKERS = r"how many|number of|count of"
AMOUNT_MARKERS = r"how much"
END_MARKERS = r"(?:at )?(?:the )?end of|as of"
"""A stock read at the end of a range ('ARR at the end of 2025'): meaningless for other kinds."""

SANDBOX_TIERS = ("starter", "growth", "pro", "enterprise")
"""Plan names recognised without the word 'plan' next to them ('Enterprise customers')."""

PLAN_WORDS = r"(?:plan|plans|tier|tiers)"
PLAN_PREPOSITIONS = ("on", "for", "from")
POPULATION_NOUNS = r"(?:customers|customer|clients|accounts|subscriptions|subscribers|users)"

CURRENCIES = {
    "usd": ("us dollars", "us dollar", "dollars", "dollar"),
    "eur": ("euros", "euro"),
    "gbp": ("pounds sterling", "pounds", "pound", "sterling", "british pounds"),
    "jpy": ("yen", "japanese yen"),
    "cad": ("canadian dollars",),
    "aud": ("australian dollars",),
    "chf": ("swiss francs",),
    "cny": ("yuan", "renminbi"),
    "inr": ("rupees", "indian rupees"),
    "sek": ("swedish kronor",),
    "nok": ("norwegian kroner",),
    "dkk": ("danish kroner",),
    "brl": ("reais", "brazilian reais"),
    "mxn": ("mexican pesos",),
    "sgd": ("singapore dollars",),
    "hkd": ("hong kong dollars",),
    "nzd": ("new zealand dollars",),
    "zar": ("rand",),
    "pln": ("zloty",),
    "krw": ("won",),
}
"""ISO codes (recognised anywhere) and the names that mean them after 'in' or 'for'."""

COUNTRIES = {
    "US": ("united states", "united states of america", "usa", "the us", "america", "american"),
    "CN": ("china", "chinese"),
    "JP": ("japan", "japanese"),
    "DE": ("germany", "german"),
    "IN": ("india", "indian"),
    "GB": ("united kingdom", "uk", "the uk", "great britain", "britain", "british", "england"),
    "FR": ("france", "french"),
    "IT": ("italy", "italian"),
    "BR": ("brazil", "brazilian"),
    "CA": ("canada", "canadian"),
    "RU": ("russia", "russian"),
    "MX": ("mexico", "mexican"),
    "AU": ("australia", "australian"),
    "KR": ("south korea", "korea", "korean"),
    "ES": ("spain", "spanish"),
    "ID": ("indonesia", "indonesian"),
    "NL": ("netherlands", "the netherlands", "holland", "dutch"),
    "SA": ("saudi arabia", "saudi"),
    "TR": ("turkey", "turkiye", "turkish"),
    "CH": ("switzerland", "swiss"),
    "PL": ("poland", "polish"),
    "TW": ("taiwan", "taiwanese"),
    "BE": ("belgium", "belgian"),
    "AR": ("argentina", "argentinian"),
    "SE": ("sweden", "swedish"),
    "IE": ("ireland", "irish"),
    "IL": ("israel", "israeli"),
    "AT": ("austria", "austrian"),
    "TH": ("thailand", "thai"),
    "NO": ("norway", "norwegian"),
    "SG": ("singapore",),
    "AE": ("united arab emirates", "uae", "emirates"),
    "NG": ("nigeria", "nigerian"),
    "PH": ("philippines", "the philippines", "filipino"),
    "VN": ("vietnam", "vietnamese"),
    "MY": ("malaysia", "malaysian"),
    "DK": ("denmark", "danish"),
    "EG": ("egypt", "egyptian"),
    "ZA": ("south africa", "south african"),
    "CO": ("colombia", "colombian"),
    "HK": ("hong kong",),
    "CL": ("chile", "chilean"),
    "FI": ("finland", "finnish"),
    "RO": ("romania", "romanian"),
    "CZ": ("czech republic", "czechia", "czech"),
    "PT": ("portugal", "portuguese"),
    "NZ": ("new zealand",),
    "GR": ("greece", "greek"),
    "PK": ("pakistan", "pakistani"),
    "BD": ("bangladesh",),
}
"""ISO 3166 codes of the ~50 largest economies and the names (and adjectives) that mean them.
A bare code counts only written in capitals after 'in', 'for' or 'from' ('in DE'): 'in' and 'it'
are words too."""
