"""Name normalisation for region search ("Kota Padang" is found by typing "padang")."""

import re
import unicodedata

# Applied after punctuation became spaces, so "Kab." is "kab" here. "Kota Administrasi Jakarta
# Pusat" and "Kabupaten Administrasi Kepulauan Seribu" lose both words: people type "jakarta".
_PREFIXES = re.compile(r"^(?:kabupaten|kab|kota|provinsi|prov)(?: (?:administrasi|adm))? ")
# Apostrophes join, other punctuation separates: "Regapu’u" and "regapu'u" are both "regapuu".
_APOSTROPHES = re.compile(r"['\u2018\u2019\u02bc`]")


def normalize_region_name(text):
    """Lowercase, strip accents and punctuation, and drop an administrative prefix."""
    text = _APOSTROPHES.sub("", text or "")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^a-z0-9 ]+", " ", text.lower())
    text = re.sub(r"\s+", " ", text).strip()
    return _PREFIXES.sub("", text)
