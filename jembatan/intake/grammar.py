"""The SMS/WhatsApp keyword grammar (case-insensitive), as the SP4N-LAPOR! SMS 1708 taught people:

LAPOR <isi laporan>      also "LAPOR#isi", "lapor: isi"      → a new report
STATUS <nomor laporan>   also "STATUS#123456789", "cek 1234…" → its status
anything else                                                  → the help text
"""

import re
from dataclasses import dataclass

_KEYWORD = re.compile(r"^\s*(lapor|status|cek)(?=$|[\s#:.,])[\s#:.,]*(.*)$", re.IGNORECASE | re.DOTALL)
_NUMBER = re.compile(r"#?\s*(\d{6,12})\b")


@dataclass(frozen=True)
class Command:
    verb: str  # "lapor", "status" or "help"
    argument: str = ""


def parse(text):
    """The command in an incoming text."""
    match = _KEYWORD.match(text or "")
    if match is None:
        return Command("help")
    keyword, rest = match.group(1).lower(), " ".join(match.group(2).split())
    if keyword == "lapor":
        return Command("lapor", rest)
    number = _NUMBER.match(rest)
    return Command("status", number.group(1) if number else "")
