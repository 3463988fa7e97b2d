"""Indonesian text preprocessing for triage: the same steps for training, suggestions and duplicates.

Complaints are raw, informal Indonesian: HTML line breaks, the national system's own header
("Yth. <instansi>,") and footer ("Mohon ditindaklanjuti, terima kasih"), slang and SMS
abbreviations ("yg", "tdk", "dgn", "jln"), reduplication written with a 2 ("anak2"), stretched
letters ("tolongggg"), phone numbers and NIKs. `normalize()` turns that into lower-case words a
model can count:

1. strip markup (tags, entities) and the boilerplate header and footer;
2. mask personal data (pii.py) and URLs with placeholder words, so a model never learns one
   citizen's phone number and a duplicate check is not fooled by a different NIK;
3. expand reduplication, shrink stretched letters, mask numbers ("rt 03" and "rt 05" look alike);
4. replace slang and abbreviations with the standard word;
5. optionally reduce words to their root with Sastrawi (the portal's search uses the same cached
   stemmer, reports/search.py).

The header must go: on the national data it names the agency the report was addressed to, so a
router trained on it would learn to read the label, not the complaint.
"""

import html
import re

from jembatan.reports import pii

# The national system's header: "Yth. Dinas Perhubungan Kota Semarang, <br><br>". Only the leading
# one goes: a regional portal's second line ("Kpd Yth, Pemprov DKI Jakarta<br />") says which portal
# the report came through, which is fair evidence, like the channel.
_HEADER = re.compile(r"^\s*yth\.?\s*[^<\n]{0,160}?,?\s*(?:<br\s*/?>\s*)+", re.I)
_HEADER_PLAIN = re.compile(r"^\s*yth\.?\s*[^,\n.]{0,120}[,\n]", re.I)
# The national system's footer depends on the kind of report; it becomes a marker word, so the
# boilerplate is gone but the kind (a complaint, a question, a suggestion) is still evidence.
_FOOTER = re.compile(
    r"(?:<br\s*/?>|\s)*mohon\s+(?P<what>ditindak\s*lanjuti|informasinya|dipertimbangkan)"
    r"[\s,.!]*(?:terima\s*kasih)?[\s.!]*$",
    re.I,
)
FOOTER_MARKERS = {
    "ditindak": " zzpengaduan ",
    "informasinya": " zzinformasi ",
    "dipertimbangkan": " zzaspirasi ",
}
_TAG = re.compile(r"<[^>]{0,200}>")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.I)
_REDUPLICATION = re.compile(r"\b([a-z]{2,})2\b")
_STRETCHED = re.compile(r"([a-z])\1{2,}")
_DIGITS = re.compile(r"\d+")
_NON_WORD = re.compile(r"[^a-z0-9_]+")

# Placeholder words for masked data. They are ordinary tokens, so char n-grams and word counts
# treat "a phone number is here" as one feature.
MASKS = {
    pii.Kind.NIK: " zznik ",
    pii.Kind.PHONE: " zztelepon ",
    pii.Kind.EMAIL: " zzemail ",
    pii.Kind.NAME: " zznama ",
    pii.Kind.COORDINATES: " zzkoordinat ",
}
URL_MASK = " zzurl "

# Slang, SMS abbreviations and common misspellings → the standard word. Only unambiguous ones:
# "smp" and "sd" are schools, "dr" may be a doctor, "no" a number; those stay as written.
SLANG = {
    "yg": "yang", "yng": "yang", "tdk": "tidak", "tak": "tidak", "gak": "tidak", "ga": "tidak",
    "gk": "tidak", "nggak": "tidak", "ngga": "tidak", "enggak": "tidak", "engga": "tidak",
    "kagak": "tidak", "dgn": "dengan", "dg": "dengan", "dng": "dengan", "jln": "jalan", "jl": "jalan",
    "utk": "untuk", "untk": "untuk", "krn": "karena", "karna": "karena", "krna": "karena",
    "sdh": "sudah", "udah": "sudah", "udh": "sudah", "dah": "sudah", "blm": "belum", "blum": "belum",
    "belom": "belum", "sy": "saya", "sya": "saya", "aku": "saya", "gw": "saya", "gue": "saya",
    "kmi": "kami", "dri": "dari", "pd": "pada", "dlm": "dalam", "tsb": "tersebut", "bpk": "bapak",
    "bp": "bapak", "pak": "bapak", "kpd": "kepada", "mhn": "mohon", "tlg": "tolong", "tlong": "tolong",
    "trims": "terima kasih", "makasih": "terima kasih", "trimakasih": "terima kasih",
    "terimakasih": "terima kasih", "thx": "terima kasih", "sj": "saja", "aja": "saja", "jg": "juga",
    "lg": "lagi", "sm": "sama", "org": "orang", "tgl": "tanggal", "tangal": "tanggal", "thn": "tahun",
    "th": "tahun", "bln": "bulan", "hr": "hari", "mgg": "minggu", "kec": "kecamatan",
    "kel": "kelurahan", "kab": "kabupaten", "prov": "provinsi", "skrg": "sekarang",
    "skrang": "sekarang", "bgt": "sekali", "banget": "sekali", "knp": "kenapa", "napa": "kenapa",
    "gmn": "bagaimana", "gimana": "bagaimana", "gmana": "bagaimana", "dpt": "dapat", "spt": "seperti",
    "sprti": "seperti", "kyk": "seperti", "kayak": "seperti", "sbg": "sebagai", "sblm": "sebelum",
    "stlh": "setelah", "sdg": "sedang", "lgi": "lagi", "msh": "masih", "masi": "masih", "hrs": "harus",
    "byk": "banyak", "bnyk": "banyak", "krg": "kurang", "lbh": "lebih", "sgt": "sangat",
    "tp": "tapi", "tpi": "tapi", "klo": "kalau", "kalo": "kalau", "kl": "kalau", "ortu": "orang tua",
    "dll": "dan lain lain", "dsb": "dan sebagainya", "tsbt": "tersebut",
    "jd": "jadi", "jdi": "jadi", "bkn": "bukan", "gt": "begitu", "gitu": "begitu", "gini": "begini",
    "emg": "memang", "emang": "memang", "bener": "benar", "bnr": "benar", "cm": "cuma",
    "cuman": "cuma", "sampe": "sampai", "ampe": "sampai", "ato": "atau", "atw": "atau",
    "trus": "terus", "trs": "terus", "mrk": "mereka", "kpn": "kapan",
    "brp": "berapa", "dmn": "dimana", "kmn": "kemana", "hp": "ponsel", "telp": "telepon",
    "tlp": "telepon", "nmr": "nomor", "pemkot": "pemerintah kota", "pemkab": "pemerintah kabupaten",
    "pemprov": "pemerintah provinsi",
}  # fmt: skip


# Function words: never shown as the reason for a suggestion ("di", "dan" explain nothing).
STOPWORDS = frozenset(
    """
    yang di ke dari dan atau untuk dengan pada ini itu ada adalah dalam oleh juga agar bagi para sebagai
    serta kepada tersebut mohon tolong terima kasih saya kami kita kamu anda dia mereka bapak ibu pak bu
    tidak sudah belum akan bisa dapat sangat sekali lagi karena jadi tapi kalau apa kenapa bagaimana
    dimana kapan sehingga namun saat sejak hingga sampai masih harus telah pun nya lah yth hal mau ingin
    begitu begini seperti sama bahwa jika maka oleh atas bawah antara setiap semua banyak
    """.split()
)  # fmt: skip


def _stem(word):
    from jembatan.reports.search import stem

    return stem(word)


def strip_markup(text):
    """Text without HTML tags and entities (LAPOR! bodies carry `<br>`); tags become spaces."""
    return html.unescape(_TAG.sub(" ", text or ""))


def strip_boilerplate(text):
    """Drop the "Yth. <instansi>," header; turn the "Mohon ditindaklanjuti" footer into a marker word."""
    text = text or ""
    stripped = _HEADER.sub("", text, count=1)
    if stripped == text:
        stripped = _HEADER_PLAIN.sub("", text, count=1)
    # The footer is at the very end: search only the tail (the pattern is costly to try everywhere).
    tail = max(0, len(stripped) - _FOOTER_TAIL)
    match = _FOOTER.search(stripped, tail)
    if match is None:
        return stripped
    return stripped[: match.start()] + _footer_marker(match) + stripped[match.end() :]


_FOOTER_TAIL = 400


def _footer_marker(match):
    what = match.group("what").lower()
    return next(marker for key, marker in FOOTER_MARKERS.items() if what.startswith(key))


# Every kind of personal data pii.py finds needs one of these: five digits or more (a NIK, a phone
# number, coordinates), an "@" (an e-mail address) or the word "nama" (an introduced name). A text
# with none of them is left as it is without running the detectors (most of the time of normalize).
_MAYBE_PERSONAL = re.compile(r"(?:\d\D*){5}|@|nama", re.I)


def mask_personal_data(text):
    """Replace NIK, phone numbers, e-mail addresses and introduced names with placeholder words."""
    if "://" in text or "www." in text.lower():
        text = _URL.sub(URL_MASK, text)
    if not _MAYBE_PERSONAL.search(text):
        return text
    return pii.replace_spans(text, pii.detect_personal_data(text), lambda span: MASKS[span.kind])


def words(text, *, stem=False):
    """The normalized words of `text` (steps 1–5 above), as a list."""
    text = strip_boilerplate(text or "")
    if "<" in text or "&" in text:
        text = strip_markup(text)
    text = mask_personal_data(text)
    text = text.lower()
    if "2" in text:
        text = _REDUPLICATION.sub(r"\1 \1", text)
    text = _STRETCHED.sub(r"\1", text)
    text = _DIGITS.sub("0", text)
    # An expansion may be two words ("trims" → "terima kasih"): join, then split again.
    slang = SLANG.get
    words = " ".join([slang(w, w) for w in _NON_WORD.sub(" ", text).split()]).split()
    if stem:
        return [part if part.startswith("zz") else _stem(part) for part in words]
    return words


def normalize(text, *, stem=False):
    """The normalized text: `words()` joined by single spaces."""
    return " ".join(words(text, stem=stem))
