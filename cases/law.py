"""The law as written: the statutes and provisions loaded as reference data, and the reading of
a case's free-text host-country law into them (docs/investigation.md#the-law-as-written).

Only provisions whose citation is certain are loaded; HQ adds the rest in the admin
(`cases.admin.StatuteAdmin`, `cases.admin.LegalProvisionAdmin`). A provision with a blank
section stands for an act whose articles are not yet entered, so that a case can cite it.
The migrations load these lists; `cited_provisions` is what the data migration and the demo
use to link a case's host-country text to the provisions it names, the text itself kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["PROVISIONS", "STATUTES", "cited_provisions", "normalise_section"]

# code → (country, official title, short title, unit, how free text names it)
STATUTES: dict[str, tuple[str, str, str, str, str]] = {
    "PTPA_2018": (
        "PAK",
        "Prevention of Trafficking in Persons Act, 2018",
        "PTPA 2018",
        "section",
        r"\bPTPA\b|Prevention of Trafficking in Persons Act",
    ),
    "PSMA_2018": (
        "PAK",
        "Prevention of Smuggling of Migrants Act, 2018",
        "PSMA 2018",
        "section",
        r"\bPSMA\b|Prevention of Smuggling of Migrants Act",
    ),
    "EO_1979": (
        "PAK",
        "Emigration Ordinance, 1979 (XVIII of 1979)",
        "Emigration Ordinance 1979",
        "section",
        r"Emigration Ordinance",
    ),
    "GBR_MSA_2015": (
        "GBR",
        "Modern Slavery Act 2015",
        "Modern Slavery Act 2015",
        "section",
        r"Modern Slavery Act",
    ),
    "GBR_IA_1971": (
        "GBR",
        "Immigration Act 1971",
        "Immigration Act 1971",
        "section",
        r"Immigration Act,? 1971",
    ),
    "ITA_CP": (
        "ITA",
        "Codice penale (Regio decreto 19 ottobre 1930, n. 1398)",
        "Codice penale",
        "article",
        r"Codice penale|Italian (?:Criminal|Penal) Code",
    ),
    "ITA_DLGS_286_1998": (
        "ITA",
        "Decreto legislativo 25 luglio 1998, n. 286 (Testo unico sull'immigrazione)",
        "d.lgs. 286/1998",
        "article",
        r"Testo unico (?:sull'|dell')?immigrazione|d\.\s?lgs\.?\s*(?:n\.\s*)?286|286/1998",
    ),
    "ESP_CP_1995": (
        "ESP",
        "Código Penal (Ley Orgánica 10/1995, de 23 de noviembre)",
        "Código Penal",
        "article",
        r"C[óo]digo Penal|Spanish (?:Criminal|Penal) Code",
    ),
    "TUR_TCK_5237": (
        "TUR",
        "Türk Ceza Kanunu (Turkish Penal Code, Law No. 5237)",
        "TCK",
        "article",
        r"\bTCK\b|Turkish (?:Criminal|Penal) Code|T[üu]rk Ceza Kanunu",
    ),
    "ARE_FL_51_2006": (
        "ARE",
        "Federal Law No. 51 of 2006 on Combating Human Trafficking Crimes",
        "Federal Law No. 51 of 2006",
        "article",
        r"Federal Law No\.?\s*51 of 2006",
    ),
    "GRC_PC": (
        "GRC",
        "Ποινικός Κώδικας (Greek Penal Code, Law 4619/2019)",
        "Greek Penal Code",
        "article",
        r"Greek (?:Criminal|Penal) Code|Ποινικ[όο]ς Κ[ώω]δικας",
    ),
    "GRC_L4251_2014": (
        "GRC",
        "Law 4251/2014, Code of Immigration and Social Integration",
        "Law 4251/2014",
        "article",
        r"4251/2014",
    ),
    "OMN_RD_126_2008": (
        "OMN",
        "Royal Decree No. 126/2008 promulgating the Law Combating Human Trafficking",
        "Royal Decree 126/2008",
        "article",
        r"Royal Decree (?:No\.?\s*)?126/2008",
    ),
}

# (statute code, section or "" for the act as a whole, short title)
PROVISIONS: list[tuple[str, str, str]] = [
    ("PTPA_2018", "3", "Trafficking in persons"),
    ("PTPA_2018", "4", "Aggravating circumstances"),
    ("PSMA_2018", "3", "Smuggling of migrants"),
    ("PSMA_2018", "4", "Aggravating circumstances"),
    ("EO_1979", "17", "Unlawful emigration, etc."),
    ("EO_1979", "18", "Fraudulently inducing to emigrate, etc."),
    ("EO_1979", "22", "Receiving money, etc. for providing foreign employment"),
    ("GBR_MSA_2015", "1", "Slavery, servitude and forced or compulsory labour"),
    ("GBR_MSA_2015", "2", "Human trafficking"),
    ("GBR_IA_1971", "25", "Assisting unlawful immigration"),
    ("ITA_CP", "600", "Riduzione o mantenimento in schiavitù o in servitù (slavery, servitude)"),
    ("ITA_CP", "601", "Tratta di persone (trafficking in persons)"),
    ("ITA_CP", "602", "Acquisto e alienazione di schiavi (purchase and sale of slaves)"),
    (
        "ITA_DLGS_286_1998",
        "12",
        "Disposizioni contro le immigrazioni clandestine (against clandestine immigration)",
    ),
    ("ESP_CP_1995", "177 bis", "Trata de seres humanos (trafficking in human beings)"),
    (
        "ESP_CP_1995",
        "318 bis",
        "Delitos contra los derechos de los ciudadanos extranjeros (smuggling of migrants)",
    ),
    ("TUR_TCK_5237", "79", "Göçmen kaçakçılığı (migrant smuggling)"),
    ("TUR_TCK_5237", "80", "İnsan ticareti (human trafficking)"),
    ("ARE_FL_51_2006", "", "Combating human trafficking crimes (the law as a whole)"),
    ("GRC_PC", "323A", "Εμπορία ανθρώπων (trafficking in human beings)"),
    ("GRC_L4251_2014", "29", "Illegal entry into and exit from Greek territory, facilitation"),
    ("GRC_L4251_2014", "30", "Transport of third-country nationals without the right of entry"),
    ("OMN_RD_126_2008", "", "Law Combating Human Trafficking (the law as a whole)"),
]

_UNIT = re.compile(r"\b(?:ss?|arts?|sections?|articles?)\b\.?", re.I)
_NUMBER = re.compile(r"(\d+)(?:\s*[-–]\s*(\d+))?(\s*bis\b|\s*ter\b|[A-Za-z](?![A-Za-z]))?", re.I)


def normalise_section(section: str) -> str:
    """`177 bis` and `177bis`, `323A` and `323a` are the same section."""
    return re.sub(r"\s+", "", section or "").lower()


def _sections(segment: str) -> list[str]:
    """The sections a citation's tail names: `ss.1-2` → 1, 2; `arts. 323A and 351`."""
    unit = _UNIT.search(segment)
    if unit is None:
        return []
    found = []
    for number, until, suffix in _NUMBER.findall(segment[unit.end() :]):
        if until and not suffix:
            first, last = int(number), int(until)
            if 0 < last - first < 50:
                found.extend(str(n) for n in range(first, last + 1))
                continue
        found.append(normalise_section(number + (suffix or "")))
    return found


def cited_provisions(text: str, provisions: Iterable[tuple[int, str, str]]) -> set[int]:
    """The ids, among `provisions` (id, statute code, section), that `text` cites.

    Each clause (split at `;` and line ends) is read for statutes by name; the numbers after
    a unit (`s.`, `ss.`, `art.`, `arts.`) up to the next statute are its sections. A statute
    named with no section links its whole-act provision, if it has one. What matches no
    loaded provision stays in the text only.
    """
    by_act: dict[str, dict[str, int]] = {}
    for pk, act, section in provisions:
        by_act.setdefault(act, {})[normalise_section(section)] = pk
    patterns = [(code, re.compile(STATUTES[code][4], re.I)) for code in by_act if code in STATUTES]
    found: set[int] = set()
    for clause in re.split(r"[;\n]", text or ""):
        mentions = sorted(
            (match.start(), match.end(), code)
            for code, pattern in patterns
            for match in pattern.finditer(clause)
        )
        for index, (_start, end, code) in enumerate(mentions):
            stop = mentions[index + 1][0] if index + 1 < len(mentions) else len(clause)
            sections = _sections(clause[end:stop])
            known = by_act[code]
            if sections:
                found.update(known[s] for s in sections if s in known)
            elif "" in known:
                found.add(known[""])
    return found
