"""Country names in French, German, Spanish and Russian, with the inflected forms running
text uses, generated into ``pipeline/data/countries_i18n.toml`` (``make countries-i18n``).

    python -m pipeline.countries_i18n [--check]

Names come from CLDR (babel's territory names), not typed by hand. Russian names are
declined into every singular case with pymorphy3 (each word of the name put in the same
case: "Северная Корея" -> "Северной Кореи", "Северную Корею", ...); German names get their
genitive in -s ("Russlands"). A name that is also an everyday English word ("Island", the
German for Iceland) is marked ambiguous: it counts only where a country name stands alone.

babel and pymorphy3 are needed only to generate the file; the tagger reads the TOML
(pymorphy3 is a runtime dependency since issue 18, for listed names declined in Russian
text: :mod:`pipeline.morphology`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

LANGUAGES = ("fr", "de", "es", "ru")
OUT = Path(__file__).resolve().parent / "data" / "countries_i18n.toml"
_RU_CASES = ("nomn", "gent", "datv", "accs", "ablt", "loct")
# Short forms the press uses that CLDR's territory names are not (abbreviations, the
# everyday short name); Russian ones are declined like the CLDR names.
SHORT_FORMS = {
    "EU": {"fr": ["UE"], "es": ["UE"], "ru": ["ЕС", "Евросоюз"]},  # noqa: RUF001 -- Cyrillic
    "US": {"es": ["EE.UU.", "EEUU", "EE. UU."], "ru": ["США"]},
    "RU": {"ru": ["РФ"]},
    "GB": {"de": ["Großbritannien"], "ru": ["Британия"], "fr": ["Grande-Bretagne"]},
    "KP": {"ru": ["Северная Корея"]},
    "CF": {"fr": ["RCA"], "es": ["RCA"], "ru": ["ЦАР"]},
    "CD": {
        "fr": ["RDC", "République démocratique du Congo"],
        "de": ["Demokratische Republik Kongo", "DR Kongo"],
        "es": ["RDC"],
        "ru": ["ДРК", "Демократическая Республика Конго"],
    },
    "CN": {"ru": ["КНР"]},  # noqa: RUF001 -- Cyrillic
    "DE": {"ru": ["ФРГ"]},
    # the everyday names where CLDR gives the formal or the other one (2026.12.01-35)
    "KG": {"fr": ["Kirghizistan"], "ru": ["Кыргызстан"]},
    "AE": {"fr": ["Émirats"], "ru": ["Объединенные Арабские Эмираты", "Эмираты"]},
    "CZ": {"fr": ["République tchèque"]},
    "KR": {"ru": ["Южная Корея"]},
    "HK": {"ru": ["Гонконг"]},
    "BY": {"ru": ["Белоруссия"]},
    "MD": {"ru": ["Молдавия"]},
    "NL": {"es": ["Holanda"]},
}
# Capitals and seats of power named for their state, as the English table has them
# (Moscow, the Kremlin, Pyongyang, Tehran), where the language writes them otherwise
# (2026.12.01): "Moscou a réagi", "Pjöngjang testete", "Пхеньян запустил".
CAPITALS = {
    "RU": {
        "fr": ["Moscou"],
        "de": ["Moskau", "Kreml"],
        "es": ["Moscú"],
        "ru": ["Москва", "Кремль"],
    },
    "KP": {"de": ["Pjöngjang"], "es": ["Pionyang", "Piongyang"], "ru": ["Пхеньян"]},
    "IR": {"es": ["Teherán"], "ru": ["Тегеран"]},
    "CU": {"de": ["Havanna"], "es": ["La Habana"]},
    "SY": {"fr": ["Damas"], "de": ["Damaskus"], "es": ["Damasco"], "ru": ["Дамаск"]},
    "BY": {"ru": ["Минск"]},
}
# Demonyms (the adjective for a country's people and things) in the masculine singular,
# for the states sanctions reporting names most; inflected below for gender, number and
# (Russian) case. French, Spanish and German adjectives are written in lower case in
# running text and match so; German nouns for people are capitalised forms of the same.
DEMONYMS = {
    "KP": {
        "fr": ["nord-coréen"],
        "de": ["nordkoreanisch"],
        "es": ["norcoreano"],
        "ru": ["северокорейский"],
    },
    "KR": {
        "fr": ["sud-coréen"],
        "de": ["südkoreanisch"],
        "es": ["surcoreano"],
        "ru": ["южнокорейский"],
    },
    "RU": {"fr": ["russe"], "de": ["russisch"], "es": ["ruso"], "ru": ["российский", "русский"]},
    "IR": {"fr": ["iranien"], "de": ["iranisch"], "es": ["iraní"], "ru": ["иранский"]},
    "SY": {"fr": ["syrien"], "de": ["syrisch"], "es": ["sirio"], "ru": ["сирийский"]},
    "BY": {
        "fr": ["biélorusse"],
        "de": ["belarussisch", "weißrussisch"],
        "es": ["bielorruso"],
        "ru": ["белорусский"],
    },
    "VE": {
        "fr": ["vénézuélien"],
        "de": ["venezolanisch"],
        "es": ["venezolano"],
        "ru": ["венесуэльский"],
    },
    "CU": {"fr": ["cubain"], "de": ["kubanisch"], "es": ["cubano"], "ru": ["кубинский"]},
    "MM": {"fr": ["birman"], "de": ["myanmarisch"], "es": ["birmano"], "ru": ["мьянманский"]},
    "CN": {"fr": ["chinois"], "de": ["chinesisch"], "es": ["chino"], "ru": ["китайский"]},
    "UA": {"fr": ["ukrainien"], "de": ["ukrainisch"], "es": ["ucraniano"], "ru": ["украинский"]},
    "US": {
        "fr": ["américain"],
        "de": ["amerikanisch"],
        "es": ["estadounidense"],
        "ru": ["американский"],
    },
    "GB": {"fr": ["britannique"], "de": ["britisch"], "es": ["británico"], "ru": ["британский"]},
    "FR": {"fr": ["français"], "de": ["französisch"], "es": ["francés"], "ru": ["французский"]},
    "DE": {"fr": ["allemand"], "de": ["deutsch"], "es": ["alemán"], "ru": ["немецкий"]},
    "TR": {"fr": ["turc"], "de": ["türkisch"], "es": ["turco"], "ru": ["турецкий"]},
    "AE": {"fr": ["émirati"], "de": ["emiratisch"], "es": ["emiratí"], "ru": ["эмиратский"]},
    "IL": {"fr": ["israélien"], "de": ["israelisch"], "es": ["israelí"], "ru": ["израильский"]},
    "AF": {"fr": ["afghan"], "de": ["afghanisch"], "es": ["afgano"], "ru": ["афганский"]},
    "LY": {"fr": ["libyen"], "de": ["libysch"], "es": ["libio"], "ru": ["ливийский"]},
    "IQ": {"fr": ["irakien"], "de": ["irakisch"], "es": ["iraquí"], "ru": ["иракский"]},
    "YE": {"fr": ["yéménite"], "de": ["jemenitisch"], "es": ["yemení"], "ru": ["йеменский"]},
    "SD": {"fr": ["soudanais"], "de": ["sudanesisch"], "es": ["sudanés"], "ru": ["суданский"]},
    "ML": {"fr": ["malien"], "de": ["malisch"], "es": ["maliense"], "ru": ["малийский"]},
    "EU": {"fr": ["européen"], "de": ["europäisch"], "es": ["europeo"], "ru": ["европейский"]},
    # French and Russian for more of the states sanctions stories name as designators,
    # locations of listed firms and intermediaries (2026.12.01-35)
    "JP": {"fr": ["japonais"], "ru": ["японский"]},
    "IN": {"fr": ["indien"], "ru": ["индийский"]},
    "IT": {"fr": ["italien"], "ru": ["итальянский"]},
    "CH": {"ru": ["швейцарский"]},
    "SG": {"fr": ["singapourien"], "ru": ["сингапурский"]},
    "HK": {"fr": ["hongkongais"], "ru": ["гонконгский"]},
    "KZ": {"fr": ["kazakhstanais"], "ru": ["казахстанский"]},
    "KG": {"fr": ["kirghize"], "ru": ["киргизский", "кыргызский"]},
    "TJ": {"fr": ["tadjik"], "ru": ["таджикский"]},
    "UZ": {"fr": ["ouzbek"], "ru": ["узбекский"]},
    "AM": {"fr": ["arménien"], "ru": ["армянский"]},
    "GE": {"fr": ["géorgien"], "ru": ["грузинский"]},
    "AZ": {"fr": ["azerbaïdjanais"], "ru": ["азербайджанский"]},
    "SA": {"fr": ["saoudien"], "ru": ["саудовский"]},
    "PK": {"fr": ["pakistanais"], "ru": ["пакистанский"]},
    "CA": {"fr": ["canadien"], "ru": ["канадский"]},
    "AU": {"fr": ["australien"], "ru": ["австралийский"]},
    "PL": {"fr": ["polonais"], "ru": ["польский"]},
    "EE": {"fr": ["estonien"], "ru": ["эстонский"]},
    "LV": {"fr": ["letton"], "ru": ["латвийский"]},
    "LT": {"fr": ["lituanien"], "ru": ["литовский"]},
    "FI": {"fr": ["finlandais"], "ru": ["финляндский", "финский"]},
    "NO": {"fr": ["norvégien"], "ru": ["норвежский"]},
    "HU": {"fr": ["hongrois"], "ru": ["венгерский"]},
    "GR": {"fr": ["grec"], "ru": ["греческий"]},
    "CY": {"fr": ["chypriote"], "ru": ["кипрский"]},
    "PA": {"fr": ["panaméen"], "ru": ["панамский"]},
    "LR": {"fr": ["libérien"], "ru": ["либерийский"]},
    "VN": {"fr": ["vietnamien"], "ru": ["вьетнамский"]},
    "MY": {"fr": ["malaisien"], "ru": ["малайзийский"]},
    "TH": {"fr": ["thaïlandais"], "ru": ["таиландский", "тайский"]},
    "LB": {"fr": ["libanais"], "ru": ["ливанский"]},
    "EG": {"fr": ["égyptien"], "ru": ["египетский"]},
    "QA": {"ru": ["катарский"]},
    "NI": {"fr": ["nicaraguayen"], "ru": ["никарагуанский"]},
    "ER": {"fr": ["érythréen"], "ru": ["эритрейский"]},
    "SO": {"fr": ["somalien"], "ru": ["сомалийский"]},
    "ZW": {"fr": ["zimbabwéen"], "ru": ["зимбабвийский"]},
    "RS": {"fr": ["serbe"], "ru": ["сербский"]},
    "NL": {"fr": ["néerlandais"], "ru": ["нидерландский"]},
    "BE": {"fr": ["belge"], "ru": ["бельгийский"]},
    "ES": {"fr": ["espagnol"], "ru": ["испанский"]},
}
# The codes added to DEMONYMS for French and Russian in 2026.12.01-35: their forms are also
# left out where they are another language's name of a country (French "italien", "indien",
# "australien" are German "Italien", "Indien", "Australien", and a demonym matches in any
# case); the earlier entries are kept as they were.
_CHECKED_DEMONYMS = frozenset(
    "JP IN IT CH SG HK KZ KG TJ UZ AM GE AZ SA PK CA AU PL EE LV LT FI NO HU GR CY PA LR VN MY"
    " TH LB EG QA NI ER SO ZW RS NL BE ES".split()
)
# Russian nouns for the people (declined too): "россиян", "иранцев".
DEMONYM_NOUNS_RU = {
    "RU": ["россиянин", "россияне"],
    "KP": ["северокореец"],
    "IR": ["иранец"],
    "CN": ["китаец"],
    "UA": ["украинец"],
    "US": ["американец"],
    "BY": ["белорус"],
}


def _fr_forms(base: str) -> list[str]:
    if base.endswith("e"):
        return [base, base + "s"]
    if base.endswith(("ien", "éen")):
        return [base, base + "ne", base + "s", base + "nes"]
    if base.endswith("s"):
        return [base, base + "e", base + "es"]
    if base.endswith("c"):  # turc
        return [base, base + "s", base + "que", base + "ques"]
    return [base, base + "e", base + "s", base + "es"]


def _es_forms(base: str) -> list[str]:
    if base.endswith("o"):
        stem = base[:-1]
        return [base, stem + "a", stem + "os", stem + "as"]
    if base.endswith(("í", "e")):
        return [base, base + "es" if base.endswith("í") else base + "s"]
    if base.endswith(("és", "án")):  # francés, alemán
        plain = base[:-2] + base[-2].translate(str.maketrans("éá", "ea")) + base[-1]
        return [base, plain + "a", plain + "es", plain + "as"]
    return [base]


def _de_adjective_forms(base: str) -> list[str]:
    forms = [base + ending for ending in ("", "e", "en", "er", "es", "em")]
    return forms + [f[:1].upper() + f[1:] for f in forms[1:]]  # "Russische Truppen"


def _ru_adjective_forms(base: str, morph: object) -> list[str]:
    parsed = morph.parse(base)[0]  # type: ignore[attr-defined]
    return sorted({f.word for f in parsed.lexeme})


def demonyms(lang: str, code: str, morph: object) -> list[str]:
    """Every form of ``code``'s demonyms in ``lang`` (lower case, as running text has them;
    German also capitalised, Russian nouns capitalised as names are not)."""
    out: list[str] = []
    for base in DEMONYMS.get(code, {}).get(lang, []):
        if lang == "fr":
            out += _fr_forms(base)
        elif lang == "es":
            out += _es_forms(base)
        elif lang == "de":
            out += _de_adjective_forms(base)
        else:
            out += _ru_adjective_forms(base, morph)
    if lang == "ru":
        for noun in DEMONYM_NOUNS_RU.get(code, []):
            out += _ru_adjective_forms(noun, morph)
    return list(dict.fromkeys(out))


_HEADER = """\
# Generated by `make countries-i18n` (python -m pipeline.countries_i18n): do not edit.
# Country names per language from CLDR (babel), Russian declined with pymorphy3, German
# genitives in -s. `ambiguous`: names that are also everyday English words. `demonyms`:
# the fr/de/es/ru adjectives and nouns for the country's people, every form.
"""


def _ru_forms(name: str, morph: object) -> list[str]:
    words = name.split()
    forms: list[str] = []
    for case in _RU_CASES:
        out = []
        for w in words:
            parsed = morph.parse(w)[0]  # type: ignore[attr-defined]
            inflected = parsed.inflect({case}) if "Fixd" not in parsed.tag else None
            word = inflected.word if inflected is not None else w.lower()
            out.append(_recase(word, w))
        forms.append(" ".join(out))
    return list(dict.fromkeys([name, *forms]))


def _recase(word: str, like: str) -> str:
    if like.isupper():
        return word.upper()
    if like[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def _de_forms(name: str) -> list[str]:
    if name.endswith(("s", "x", "z", "ß")) or " " in name:
        return [name]
    return [name, name + "s"]


def generate() -> str:
    """The TOML text: per country code, per language, its names."""
    import pymorphy3
    from babel import Locale
    from wordfreq import zipf_frequency

    from pipeline.resources import iso_country_names

    morph = pymorphy3.MorphAnalyzer()
    english = Locale("en").territories
    iso = iso_country_names()
    known = {n for names in iso.values() for n in names} | set(english.values())
    lines = [_HEADER]
    codes = sorted((set(iso) | {"EU"}) & set(english))
    country_names = {n.lower() for lang in LANGUAGES for n in Locale(lang).territories.values()}
    for code in codes:
        entries: list[str] = []
        ambiguous: list[str] = []
        for lang in LANGUAGES:
            name = Locale(lang).territories.get(code)
            extra = [
                *SHORT_FORMS.get(code, {}).get(lang, []),
                *CAPITALS.get(code, {}).get(lang, []),
            ]
            names = [n for n in [name, *extra] if n]
            forms: list[str] = []
            for n in names:
                if n == english.get(code):
                    continue
                forms += (
                    _ru_forms(n, morph) if lang == "ru" else _de_forms(n) if lang == "de" else [n]
                )
            forms = list(dict.fromkeys(forms))
            forms = [f for f in forms if f not in known]  # the English names are there
            if not forms:
                continue
            entries.append(f"{lang} = {_toml_list(forms)}")
            ambiguous += [
                f for f in forms if " " not in f and zipf_frequency(f.lower(), "en") >= 3.0
            ]
        # a demonym that is also an English word ("china", "turco"?) is left out: written
        # in lower case it would match English text
        people = [
            f
            for lang in LANGUAGES
            for f in demonyms(lang, code, morph)
            if zipf_frequency(f.lower(), "en") < 2.5
            and f not in known
            and (code not in _CHECKED_DEMONYMS or f.lower() not in country_names)
        ]
        if people:
            entries.append(f"demonyms = {_toml_list(list(dict.fromkeys(people)))}")
        if entries:
            lines.append(f"[{code}]")
            lines += entries
            if ambiguous:
                lines.append(f"ambiguous = {_toml_list(list(dict.fromkeys(ambiguous)))}")
    return "\n".join(lines) + "\n"


def _toml_list(items: list[str]) -> str:
    quoted = ('"' + i.replace("\\", "\\\\").replace('"', '\\"') + '"' for i in items)
    return "[" + ", ".join(quoted) + "]"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="fail when the file is stale")
    args = parser.parse_args(argv)
    text = generate()
    if args.check:
        if not OUT.exists() or OUT.read_text(encoding="utf-8") != text:
            sys.stderr.write(f"{OUT} is stale: run make countries-i18n\n")
            return 1
        return 0
    OUT.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
