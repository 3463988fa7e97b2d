"""Name normalisation for region search ("Kota Padang" is found by typing "padang")."""

import re
import unicodedata

_PREFIXES = re.compile(r"^(kabupaten|kab\.?|kota|kota adm\.?|kota administrasi|provinsi|prov\.?)\s+")


def normalize_region_name(text):
    """Lowercase, strip accents and punctuation, and drop an administrative prefix."""
    text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^a-z0-9 ]+", " ", text.lower())
    text = re.sub(r"\s+", " ", text).strip()
    return _PREFIXES.sub("", text)
