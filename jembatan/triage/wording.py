"""What a complaint says, for the duplicate look-up: its words, its problems and the places it names.

Two citizens describe one pothole in different words ("jalan berlubang besar di depan Pasar
Kuranji" / "aspal rusak parah dekat pasar kuranji, lubangnya dalam"): a bigram Jaccard of 0.0,
yet the same problem. `analyse()` turns a text into what survives rewording:

- words: text.py's normalisation (markup, personal data, slang and SMS abbreviations: yg, dgn,
  tdk, gak, jln/jl, kel, kec), then a light affix stripping (ber-, me(N)-, di-, ter-, pe(N)-,
  ke-, se-; -nya, -kan, -an, -i) that maps "berlubang", "lubangnya" and "lubang" to one stem. It is
  not a full stemmer (Sastrawi takes ~0.2 ms a word, too slow to index a million reports) and it
  need not be right, only the same on both sides;
- concepts: the complaint vocabulary that matters here, written many ways (CONCEPTS: lubang /
  berlubang / aspal rusak / jalan rusak are one; PJU / lampu jalan / penerangan another; air mati /
  keran kering / tidak mengalir another). A matched phrase adds a concept token;
- places: the names after a landmark word ("Jl. Sudirman", "Pasar Kuranji", "Masjid Nurul Iman",
  "SD 12"): two reports that name different streets or landmarks are about different problems;
- a word vector (stems, concept tokens and stem bigrams, sublinear tf, L2-normalised, at most
  MAX_TERMS terms) and a bottom-k sketch of the character 4-grams (CHAR_SKETCH hashes), which
  estimates their Jaccard similarity and survives spelling ("psr", "gn", typos).

The analysis is stored with the report's index row (IndexedReport.analysis) when it is indexed, so a
look-up reads the candidates' analyses and never re-analyses their text. Changing anything here
means `manage.py triage reindex` (ANALYSIS_VERSION tells a stale row apart).
"""

import functools
import json
import math
import zlib
from pathlib import Path

from jembatan.triage import text as textprep

ANALYSIS_VERSION = 1
MAX_TERMS = 80
CHAR_SKETCH = 96
CONCEPT_WEIGHT = 2.0
BIGRAM_WEIGHT = 0.5

_PREFIXES = ("menge", "meng", "meny", "mem", "men", "me", "peng", "peny", "pem", "pen", "pe", "ber", "ter")
_PREFIXES += ("di", "ke", "se")
_SUFFIXES = ("kan", "an", "i")
_PARTICLES = ("nya", "lah", "kah")
_MIN_STEM = 4

# Words a complaint about anything may use: they say nothing about which problem it is.
DOMAIN_STOPWORDS = frozenset(
    """
    warga segera pemerintah dinas terkait pihak masyarakat kondisi lama hari minggu bulan tahun daerah
    lokasi jalan tolong mohon sejak kemarin pagi sore malam tiap setiap sering banyak sudah belum sekitar
    depan dekat samping sebelah kota padang kelurahan kecamatan kabupaten provinsi rumah kami kita
    membuat bikin jadi terus kali harus perlu cek sampai ada zzpengaduan zzinformasi zzaspirasi
    """.split()
) | textprep.STOPWORDS  # fmt: skip

# Problem concepts, each with the ways people write it (stemmed like the text on load).
CONCEPTS = {
    "jalan_rusak": "lubang|berlubang|aspal rusak|aspal mengelupas|aspal hancur|jalan rusak|jalan hancur|"
    "rusak parah|rusak berat|amblas|ambles|retak|kubangan|berbatu|terperosok|tambal|ditambal",
    "lampu_jalan": "pju|lampu jalan|penerangan jalan|penerangan|lampu penerangan|lampu mati|lampu padam|"
    "gelap|gelap gulita|tidak menyala|tidak nyala",
    "air_mati": "air mati|keran kering|kran kering|tidak mengalir|air tidak keluar|tidak keluar|air macet|"
    "tidak ada air|pdam mati|kesulitan air",
    "air_keruh": "keruh|kecoklatan|coklat|berpasir|air kotor|air bau|berbau",
    "air": "pdam|air bersih|air leding|air ledeng|leding|ledeng|keran|kran",
    "pipa_bocor": "pipa bocor|kebocoran pipa|pipa pecah|bocor pipa|muncrat|air terbuang",
    "sampah": "sampah|tps|tumpukan sampah|menumpuk|tumpuk|tidak diangkut|belum diangkut|truk sampah|"
    "berserakan|meluber",
    "banjir": "banjir|genangan|tergenang|menggenang|drainase|selokan|got|gorong gorong|saluran air|"
    "saluran|mampet|tersumbat|meluap|dikeruk",
    "pohon": "pohon|pohon tumbang|tumbang|dahan|ranting|dipangkas|rapuh|miring",
    "parkir": "parkir|parkir liar|juru parkir|jukir|tarif parkir",
    "lampu_lalu_lintas": "lampu merah|traffic light|lampu lalu lintas|lampu setopan|bangjo",
    "macet": "macet|kemacetan|ngetem|angkot|angkutan kota|berhenti lama",
    "listrik": "listrik|mati lampu|pln|pemadaman|listrik padam|padamkan|kabel listrik|kabel",
    "bising": "bising|berisik|musik keras|suara keras|karaoke|knalpot|tidak bisa tidur",
    "pkl": "pedagang kaki lima|pkl|lapak|jualan|berjualan|pedagang",
    "trotoar": "trotoar|pejalan kaki|paving|ubin",
    "jembatan": "jembatan|papan jembatan|penyeberangan",
    "hewan": "anjing|anjing liar|digigit|gigit|monyet|ular",
    "nyamuk": "nyamuk|dbd|demam berdarah|fogging|semak",
    "pungli": "pungli|pungutan|pungutan liar|uang perpisahan",
    "asap": "asap|membakar|bakar sampah|pembakaran|sesak",
    "bau": "bau|bau busuk|menyengat|busuk|lalat|limbah|kandang|peternakan",
    "bocor_atap": "atap bocor|plafon|atap|bocor",
    "longsor": "longsor|runtuh|amblas|ambles",
    "galian": "galian|bekas galian|proyek|berlumpur|lumpur|licin|tergelincir",
}

# A topic with a word of failure anywhere in the text is that failure ("air PDAM di Tabing mati",
# "keran di Ulak Karang kering"): {concept: (topic concept, words)}.
COMBINATIONS = {
    "air_mati": ("air", "mati kering macet padam"),
}
# Landmark words whose name is also used by other kinds of place ("Batang Kuranji", the river, and
# "Pasar Kuranji"): the name is kept with the kind.
PLACE_KINDS = {"sungai": "s:", "batang": "s:"}
# A landmark or street word, and words that follow one without naming it ("jalan rusak", "pasar ini").
PLACE_WORDS = frozenset(
    """
    jalan gang gg pasar masjid musala mushola surau sekolah sd sdn smp smpn sma sman smk simpang perumahan
    perum komplek kompleks blok jembatan terminal stasiun kantor puskesmas rsud taman lapangan pertigaan
    perempatan dusun pantai sungai batang gor museum hotel bank rm restoran kampus pabrik jorong korong
    """.split()
)  # fmt: skip
NOT_A_NAME = frozenset(
    """
    utama kampung umum raya menuju ini itu tersebut arah lingkungan rusak berlubang licin gelap kecil besar
    baru lama sana sini masuk keluar belakang setempat lintas poros protokol alternatif setapak tanah aspal
    negeri kota desa kelurahan kecamatan tua mati air
    """.split()
) | DOMAIN_STOPWORDS  # fmt: skip
# Titles between a landmark word and its name: "Jl. Prof. Hamka", "Masjid Al Furqan", "Jl. Raya Pauh".
TITLES = frozenset("raya al nurul dr prof haji h hj ir jend jenderal kh st drs".split())
# Abbreviations of landmark words and places the shared slang table (text.py) leaves alone.
LOCAL_SLANG = {"psr": "pasar", "gn": "gunung", "sei": "sungai", "kmp": "kampung", "sdn": "sd", "smpn": "smp"}


@functools.lru_cache(maxsize=100_000)
def stem(word):
    """A light Indonesian stem: one particle, one prefix and one suffix off, keeping ≥ 4 letters."""
    if len(word) <= _MIN_STEM or word.startswith("zz") or not word.isalpha():
        return word
    for particle in _PARTICLES:
        if word.endswith(particle) and len(word) - len(particle) >= _MIN_STEM:
            word = word[: -len(particle)]
            break
    for prefix in _PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= _MIN_STEM:
            word = word[len(prefix) :]
            break
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_STEM:
            return word[: -len(suffix)]
    return word


@functools.cache
def _concept_phrases():
    """{first stem: [(stems, concept)]}, longest phrase first."""
    table = {}
    for concept, phrases in CONCEPTS.items():
        for phrase in phrases.split("|"):
            stems = tuple(stem(w) for w in textprep.words(phrase))
            table.setdefault(stems[0], []).append((stems, concept))
    for entries in table.values():
        entries.sort(key=lambda entry: -len(entry[0]))
    return table


def concepts_of(stems):
    """The concepts a sequence of stems mentions, as a sorted list."""
    table = _concept_phrases()
    found = set()
    for i, word in enumerate(stems):
        for phrase, concept in table.get(word, ()):
            if tuple(stems[i : i + len(phrase)]) == phrase:
                found.add(concept)
                break
    present = set(stems)
    for concept, (topic, words) in COMBINATIONS.items():
        if topic in found and present & {stem(w) for w in words.split()}:
            found.add(concept)
    return sorted(found)


def places_of(words):
    """The names that follow a landmark word ("jalan prof hamka" → hamka, "pasar kuranji" → kuranji),
    sorted; titles in between are skipped, a common word ends the look ("jalan rusak": no name)."""
    names = set()
    vocabulary = _concept_vocabulary()
    for i, word in enumerate(words):
        if word not in PLACE_WORDS:
            continue
        for name in words[i + 1 : i + 4]:
            if name in TITLES:
                continue
            if not (name in PLACE_WORDS or name in NOT_A_NAME or len(name) < 3 or not name.isalpha()):
                if stem(name) not in vocabulary:
                    names.add(PLACE_KINDS.get(word, "") + name[:6])  # six letters: some spellings agree
            break
    return sorted(names)


@functools.cache
def _concept_vocabulary():
    return frozenset(s for entries in _concept_phrases().values() for stems, _c in entries for s in stems)


def _term(token):
    return zlib.crc32(token.encode()) & 0x7FFFFFFF


IDF_PATH = Path(__file__).resolve().parent / "data" / "duplicate_idf.json"
MIN_DF = 2


@functools.cache
def _idf_table():
    """{stem: inverse document frequency} and the weight of a stem the reference corpus lacks."""
    data = json.loads(IDF_PATH.read_text(encoding="utf-8"))
    n = data["documents"]
    table = {word: math.log((n + 1) / (df + 1)) + 1 for word, df in data["df"].items()}
    return table, math.log((n + 1) / (MIN_DF - 1 + 1)) + 1


def idf(word):
    """How telling a stem is: rare in complaints (a street, a landmark) weighs more than "rusak"."""
    table, unseen = _idf_table()
    return table.get(word, unseen)


def document_frequencies(texts):
    """{"documents": n, "df": {stem: documents with it}} of a reference corpus (stems in ≥ MIN_DF)."""
    counts = {}
    n = 0
    for text in texts:
        n += 1
        for word in {stem(w) for w in _words(text)}:
            counts[word] = counts.get(word, 0) + 1
    return {"documents": n, "df": dict(sorted((w, c) for w, c in counts.items() if c >= MIN_DF))}


def _word_vector(stems, concepts):
    counts = {}
    content = [s for s in stems if s not in DOMAIN_STOPWORDS and not s.startswith("zz") and s != "0"]
    for token in content:
        counts[token] = counts.get(token, 0.0) + 1.0
    for a, b in zip(content, content[1:], strict=False):
        counts[f"{a} {b}"] = counts.get(f"{a} {b}", 0.0) + BIGRAM_WEIGHT
    weights = {
        _term(t): ((1 + math.log(c)) if c >= 1 else c) * min(idf(part) for part in t.split(" "))
        for t, c in counts.items()
    }
    for concept in concepts:
        weights[_term(f"zzk_{concept}")] = CONCEPT_WEIGHT * _idf_table()[1] / 2
    top = sorted(weights.items(), key=lambda item: -item[1])[:MAX_TERMS]
    norm = math.sqrt(sum(w * w for _t, w in top)) or 1.0
    return {str(t): round(w / norm, 4) for t, w in top}


def _char_sketch(words):
    """The CHAR_SKETCH smallest hashes of the character 4-grams of the content words (a bottom-k sketch)."""
    grams = set()
    for word in words:
        if word in textprep.STOPWORDS or word.startswith("zz"):
            continue
        padded = f" {word} "
        grams.update(padded[i : i + 4] for i in range(max(1, len(padded) - 3)))
    return sorted({zlib.crc32(g.encode()) for g in grams})[:CHAR_SKETCH]


def _words(text):
    return [LOCAL_SLANG.get(w, w) for w in textprep.words(text or "")]


def analyse(text):
    """The stored analysis of a text: {"v": version, "w": word vector, "c": char sketch, "k": concepts,
    "p": place names, "r": rare words} (JSON-ready: the vector's keys are strings)."""
    words = _words(text)
    stems = [stem(w) for w in words]
    concepts = concepts_of(stems)
    return {
        "v": ANALYSIS_VERSION,
        "w": _word_vector(stems, concepts),
        "c": _char_sketch(words),
        "k": concepts,
        "p": places_of(words),
        "r": rare_words(stems),
    }


def rare_words(stems):
    """Stems the reference corpus lacks, outside the complaint vocabulary: mostly the names of
    places ("sawahan", "siteba") written without a landmark word before them. At most 12, sorted."""
    table, _unseen = _idf_table()
    vocabulary = _concept_vocabulary()
    rare = {
        s
        for s in stems
        if s not in table
        and s not in vocabulary
        and s not in DOMAIN_STOPWORDS
        and len(s) >= 4
        and s.isalpha()
    }
    return sorted(rare)[:12]


# --- Comparing two analyses ------------------------------------------------------------------------


def cosine(a, b):
    """Cosine of two stored word vectors ({term: weight}, L2-normalised; keys int or str alike)."""
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b.get(t, 0.0) for t, w in a.items())


def sketch_similarity(a, b):
    """The Jaccard similarity of two char 4-gram sets, estimated from their bottom-k sketches."""
    if not a or not b:
        return 0.0
    k = min(CHAR_SKETCH, len(set(a) | set(b)))
    union = sorted(set(a) | set(b))[:k]
    both = set(a) & set(b)
    return sum(1 for h in union if h in both) / k


def places_agree(a, b):
    """1 when both name a place and share one, -1 when both name places and share none, else 0."""
    if not a or not b:
        return 0
    return 1 if set(a) & set(b) else -1
