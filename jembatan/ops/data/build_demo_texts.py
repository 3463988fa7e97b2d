"""Build demo_texts.json: real LAPOR! 2017 reports, cleaned and moved to Sumatera Barat.

The demo reports (jembatan/ops/demo_reports.py) read the JSON file this script writes; the app never
reads ../shared at run time. Run it from the project root when the source or the rules change:

    .venv/bin/python jembatan/ops/data/build_demo_texts.py [--source PATH] [--count 300]

What it does to each report of lapor-2017-reports.csv (tracking_id, judul, isi):
- strips the "Yth. <instansi>," header (the agency the citizen wrote to), the closing line
  ("Mohon ditindaklanjuti / dipertimbangkan / informasinya, terima kasih": it tells the report type),
  the HTML, hashtags and @mentions, and masks phone numbers, e-mail addresses and long numbers;
- keeps the reports a kabupaten/kota or the province handles (roads, health, schools, civil
  registry, waste, water, parking, street vendors, social aid, civil servants...) and gives each a
  LAPOR! category from categories.csv by keywords;
- moves it to a kelurahan/nagari or kecamatan of Sumatera Barat (mostly Kota Padang): the city,
  province, kecamatan and kelurahan names of the original place are replaced with the new ones, so
  the text agrees with the report's region.

Standard library only, and deterministic: the same source gives the same file.
"""

import argparse
import csv
import gzip
import html
import json
import random
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
DEFAULT_SOURCE = ROOT.parent / "shared" / "data" / "lapor-2017-reports.csv"
REGIONS_FILE = ROOT / "jembatan" / "directory" / "data" / "wilayah.csv.gz"
OUTPUT = Path(__file__).resolve().with_name("demo_texts.json")

SEED = 2017
PROVINCE = "13"  # Sumatera Barat
CITY = "13.71"  # Kota Padang
CITY_SHARE = 0.6  # the rest spread over the other kabupaten/kota

# --- Report type from the closing line (the LAPOR! form wrote it) -------------------------------------

CLOSINGS = [
    (re.compile(r"mohon\s+ditindaklanjuti,?\s*terima\s*kasih\W*$", re.I), "pengaduan"),
    (re.compile(r"mohon\s+dipertimbangkan,?\s*terima\s*kasih\W*$", re.I), "aspirasi"),
    (re.compile(r"mohon\s+informasinya,?\s*terima\s*kasih\W*$", re.I), "permintaan_informasi"),
]
HEADER = re.compile(r"^\s*yth\.?\s*[^,<\n]{2,150}?\s*,?\s*(<br\s*/?>\s*)+", re.I)
SECOND_HEADER = re.compile(r"^\s*(kpd|kepada)\.?\s*yth[^<\n]{0,100}(<br\s*/?>\s*)+", re.I)

# --- Categories (categories.csv codes), first match wins ----------------------------------------------

# Matters no kabupaten/kota or province handles (immigration, post, electricity, national tax, the
# police, universities, BPJS Ketenagakerjaan...): left out, a demo officer could do nothing with them.
OUT_OF_SCOPE = re.compile(
    r"imigrasi|paspor|kantor pos|pos indonesia|paket|\bpln\b|listrik|token|\bojk\b|\bbank\b|kredit|"
    r"kemenag|\bhaji\b|umroh|\bnpwp\b|pajak penghasilan|\bdjp\b|beasiswa|mahasiswa|kuliah|universitas|"
    r"perguruan tinggi|\bpddikti\b|\bsim\b|stnk|samsat|polisi|polres|polsek|kepolisian|narkoba|kereta|"
    r"\bkai\b|bandara|pesawat|telkom|indihome|pulsa|provider|operator seluler|jamsostek|ketenagakerjaan|"
    r"\bjht\b|\bbpjs ?tk\b|bpjs tenaga kerja|\bkpj\b|\btesting\b|\btes\b|\btest\b|uji coba|pertamina|"
    r"\blpg\b|elpiji|\bbumn\b|sertifikat tanah|\bbpn\b|pengadilan|"
    r"kejaksaan|\bbkn\b|\bnip\b|taspen|pensiun|\btni\b|\bpemilu\b|\bkpu\b|tilang|lapas|lpse|kemenkumham|"
    r"\bgas\b|kemendikbud|kementerian|kemenristek|kumham|prabayar|registrasi kartu|unpatti",
    re.I,
)

# (category code, pattern), first match wins; the title is tried before the body.
RULES = [
    ("957", r"bansos|bantuan sosial|\bblt\b|rastra|\bbpnt\b|raskin|beras sejahtera|\bkks\b|dtks|"
     r"keluarga miskin|warga miskin|rutilahu|bedah rumah|\bkps\b|\bbsm\b"),
    ("1660", r"\bpkh\b|program keluarga harapan"),
    ("1387", r"\bbpjs\b|\bjkn\b|\bkis\b|jamkesmas|faskes"),
    ("1398", r"lampu jalan|penerangan jalan|\bpju\b|lampu penerangan"),
    ("1010", r"\bpdam\b|air bersih|air ledeng|air mati|air keruh|air tidak (mengalir|keluar)|meteran air"),
    ("940", r"parkir|jukir"),
    ("1439", r"balap liar|keributan|miras|minuman keras|\bjudi\b|tawuran|preman|bising|speaker|suara musik"),
    ("2397", r"drainase|gorong|selokan|saluran air|\bgot\b|banjir|genangan"),
    ("1401", r"trotoar|pejalan kaki"),
    ("1397", r"berlubang|lubang|jalan rusak|jalan(nya)? (yang )?rusak|aspal|pengaspalan|perbaikan jalan"),
    ("928", r"\bjalan\b.*\b(rusak|hancur|becek)|jembatan"),
    ("1385", r"puskesmas|rumah sakit|\brsu?d?\b|\brs\.|dokter|\bperawat\b|\bbidan\b|ambulan|pasien|"
     r"rawat inap|berobat"),
    ("1381", r"\bppdb\b|zonasi|penerimaan (peserta didik|siswa) baru|daftar sekolah"),
    ("1377", r"pungutan|uang komite|uang gedung|biaya sekolah|\bspp\b|seragam|\blks\b|buku paket"),
    ("2230", r"\bguru\b|honor guru|sertifikasi guru|tenaga pendidik"),
    ("915", r"sekolah|\bsd\b|\bsdn\b|\bsmp\b|\bsma\b|\bsmk\b|siswa|murid|\bkip\b|\bpip\b"),
    ("1462", r"akta (kelahiran|lahir)|akte (kelahiran|lahir)|akta kematian"),
    ("963", r"\be-?ktp\b|\bktp\b|kartu keluarga|\bkk\b|\bnik\b|disdukcapil|dukcapil|capil|kependudukan|"
     r"domisili|pindah datang|surat pindah|blanko"),
    ("942", r"sampah|limbah|pencemaran|polusi|\basap\b|bau (busuk|tidak sedap|menyengat)|\btps\b"),
    ("1402", r"\btaman\b|ruang terbuka hijau|\brth\b"),
    ("936", r"angkot|angkutan|\bbus\b|terminal|lampu lalu lintas|traffic light|lampu merah|\brambu\b|"
     r"kemacetan|macet|ojek|halte|satu arah|lalu lintas|\blalin\b"),
    ("950", r"\bpkl\b|pedagang kaki lima|bangunan liar|lapak|satpol|ketertiban|reklame|baliho|spanduk"),
    ("955", r"lansia|disabilitas|difabel|anak terlantar|gelandangan|pengemis|anjal"),
    ("1497", r"honorer|tenaga kontrak|\bthl\b|\bk2\b"),
    ("1489", r"\bcpns\b|\bpppk\b|seleksi (cpns|pegawai)|\bformasi\b"),
    ("1559", r"pungli|pungutan liar|korupsi|\bsuap|gratifikasi|\bcalo\b"),
    ("1494", r"\bpns\b|\basn\b|pegawai negeri|aparatur|\babsen|jam kerja|mangkir|kinerja pegawai"),
    ("933", r"\bimb\b|izin mendirikan|izin bangunan|perumahan|rusunawa|rusun\b|permukiman|pemukiman"),
    ("2101", r"pelayanan (yang )?(lambat|lama|buruk|kurang|tidak ramah)|antre|antri|berbelit|"
     r"pelayanan (di )?(kantor )?(kelurahan|kecamatan|lurah|camat)"),
]  # fmt: skip
RULES = [(code, re.compile(pattern, re.I)) for code, pattern in RULES]

# How many texts of each category at most, so the demo is not all roads and BPJS.
CATEGORY_CAP = Counter({"1387": 18, "2101": 18, "928": 18, "1397": 24, "936": 22, "940": 14, "963": 26})
DEFAULT_CAP = 16

# --- Personal data and noise ---------------------------------------------------------------------------

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
PHONE = re.compile(r"(\+62|\b62|\b0)\s?8[\d\s.-]{7,14}\d")
# NIK, card and account numbers, also half-masked ones ("537104****840004"); not amounts ("Rp 1.700.000").
LONG_NUMBER = re.compile(r"\b\d[\d*-]{8,}[\d*]|\b\d{4}[\s-]\d{4}[\s-]\d{4,}")
MASKED = re.compile(r"\w*\[\*+\]\w*")  # the source's own masking ("0001[*****]76")
# A citizen naming themselves or someone else: "nama saya Budi Santoso", "atas nama SITI", "Saya Windi K. .".
SELF_NAMED = re.compile(
    r"\b((?i:nama saya|saya bernama|atas nama|a\.\s?n\.?|an\.|nama pasien|nama anak saya|nama)\s*:?\s*"
    r"(?!(?i:kepala|bapak|ibu|warga|pasien|rt|rw|jl|jalan)\b)[A-Z][A-Za-z']+(?:\s+[A-Z][A-Za-z']+){0,3}"
    r"|\b(?i:saya)\s+(?!(?i:kepala|bapak|ibu|warga|pasien|rt|rw|jl|jalan)\b)[A-Z][a-z']+(?:\s+[A-Z][a-z']+){1,3}"
    r"(?=\s*[,.(]))"
)
URL = re.compile(r"\b(https?://|www\.)\S+", re.I)
MENTION = re.compile(r"(?<![\w.])@\w+")
HASHTAG = re.compile(r"#\s?\w+")
# "#LaporHendi" and its spellings: a 2017 Semarang campaign addressed to the mayor by name.
CAMPAIGN = re.compile(r"[\"'`*#~_]*\s*\d?\s*lapor\s*hend[iy]\s*[!:_,.*\"'`~]*", re.I)
# Regional heads by name, as citizens addressed them in 2017: in the demo, the office, not the person.
LEADERS = re.compile(
    r"\b((pak|bapak|bpk\.?|bp\.|bu|ibu|kang|mas)\s+)?(hendrar prihadi|hendi|ridwa[nl] kamil|kang emil|ahok|"
    r"basuki|anies|djarot|risma|ganjar|sandiaga|sandi|aher|heryawan|ibnu sina|hermansyah|endi|ita)\b",
    re.I,
)

# --- Places --------------------------------------------------------------------------------------------

# Region names that are also everyday words: never recognised as a place without a prefix.
COMMON_WORDS = {
    "baru", "batu", "buru", "tegal", "pati", "banjar", "kota baru", "tengah", "pasar", "timur", "barat",
    "utara", "selatan", "lima", "raya", "jaya", "indah", "makmur", "mulya", "mulia", "sari", "harapan",
    "merdeka", "sentosa", "sejahtera", "maju", "karya", "bahagia", "damai", "mekar", "sukamaju", "pusat",
    "kampung", "pulau", "bukit", "gunung", "sungai", "kali", "air", "tanjung", "teluk", "kebun", "kebon",
    "sawah", "rawa", "pondok", "taman", "cempaka", "melati", "mawar", "kenanga", "anggrek", "dukuh",
    "karang", "ujung", "bumi", "muara", "tanah", "kelapa", "kelapa dua", "duren", "durian", "manggis",
    "nangka", "jati", "jeruk", "kemang", "pinang", "aren", "bambu", "beringin", "cemara", "kemuning",
    "lebak", "pasir", "alam", "langit", "bintang", "bulan", "matahari", "dua", "tiga", "empat", "satu",
    "sekolah", "jalan", "gang", "blok", "rumah", "masjid", "rakyat", "kota", "desa", "dusun", "negeri",
    "nusa", "lama", "gedong", "gedung", "pahlawan", "pemuda", "stadion", "terminal", "pelabuhan",
    "bandara", "kantor", "balai", "candi", "pantai", "danau", "ambon", "medan", "tambak", "krajan",
    "wetan", "kulon", "lor", "kidul", "sukamulya", "sukajaya", "sukasari", "mekarsari",
    "jatimulya", "sumber", "sumberejo", "rejo", "mulyo", "makmur jaya", "sido", "kauman", "pasar baru",
    "pasar minggu", "kampung baru", "tanjung priok",
}  # fmt: skip
# What people wrote for places outside Sumatera Barat besides the official names.
CITY_ALIASES = ["jakarta", "jogjakarta", "jogja", "yogyakarta", "yogya", "palangkaraya", "kotamadya bandung"]
PROVINCE_ALIASES = ["dki jakarta", "dki", "daerah khusus ibukota jakarta", "daerah istimewa yogyakarta",
                    "jabodetabek", "jabar", "jateng", "jatim", "jawa"]  # fmt: skip
# Words that still give a text away as somewhere else after moving it; such a text is left out.
GIVEAWAYS = re.compile(
    r"jawa|\bbali\b|sunda|betawi|monas|ciliwung|transjakarta|busway|\bkrl\b|commuter|\bmrt\b|\blrt\b|\bbrt\b|"
    r"trans ?semarang|hatur nuhun|nuwun|suwun|bangjo|\bjkt\b|\bsmg\b|\bsmrg\b|\bbdg\b|\bsby\b|jogja|\bjabar|"
    r"\bjateng|\bjatim|surabaya|semarang|bandung|jakarta|bekasi|tangerang|depok|bogor|\bdki\b|walikota \w+ "
    r"\w+ono|kabupaten \w+ \w+ \w+|ancol|kuningan|sleman|bantul|makassar|medan|kalimantan|sulawesi|papua|"
    # Javanese and Sundanese: a Minang citizen would not write them.
    r"nyuwun|pripun|\bniki\b|kepriben|\bmosok\b|matur|monggo|sampeyan|njenengan|\bpiye\b|\bkaler\b|\bkidul\b|"
    r"\bwetan\b|\bkulon\b|punten|\batuh\b|\beuy\b|\bteteh\b|\bgusti\b|"
    # Places of the source cities the region table does not know by these spellings.
    r"tlogosari|kaligawe|penggaron|gegerkalong|parahyangan|citarum|sobontoro|tugurejo|cempaka putih|"
    r"\bjak-?(sel|ut|bar|tim|pus)\b|purwokerto|morawa|pasteur|pasopati|batujajar",
    re.I,
)


def read_regions():
    with gzip.open(REGIONS_FILE, "rt", encoding="utf-8-sig", newline="") as handle:
        return [(r["kode"].strip(), r["nama"].strip(), r["tingkat"].strip()) for r in csv.DictReader(handle)]


def bare_city_name(name):
    for prefix in ("Kabupaten Administrasi ", "Kota Administrasi ", "Kabupaten ", "Kota "):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def alternation(names):
    return "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))


class Places:
    """The region table: Sumatera Barat (where texts move to) and everywhere else (what is replaced)."""

    def __init__(self, rows):
        self.by_code = {code: (name, level) for code, name, level in rows}
        self.children = defaultdict(list)
        for code in sorted(self.by_code):
            if "." in code:
                self.children[code.rpartition(".")[0]].append(code)
        self.cities = [c for c in self.children[PROVINCE]]
        own = {name.lower() for code, (name, _l) in self.by_code.items() if code.split(".")[0] == PROVINCE}
        own |= {bare_city_name(self.by_code[c][0]).lower() for c in self.cities}
        self.city_code = defaultdict(set)  # foreign kabupaten/kota name (lower case, no "Kota ") → codes
        self.local_names = defaultdict(dict)  # foreign kabupaten/kota code → {kecamatan/desa name: level}
        self.any_local = set()  # every foreign kecamatan/desa name, for names after a "Kel."/"Kec." prefix
        for code, (name, level) in self.by_code.items():
            if code.split(".")[0] == PROVINCE or level == "provinsi":
                continue
            key = name.lower()
            if level == "kabupaten_kota":
                bare = bare_city_name(name).lower()
                if bare not in own and bare not in COMMON_WORDS:
                    self.city_code[bare].add(code)
            elif key not in own and key not in COMMON_WORDS:
                self.any_local.add(key)
                city = ".".join(code.split(".")[:2])
                # A kecamatan wins over a desa of the same name (they are often the same place).
                if self.local_names[city].get(key) != "kecamatan":
                    self.local_names[city][key] = level
        provinces = {name.lower() for code, (name, level) in self.by_code.items()
                     if level == "provinsi" and code != PROVINCE}  # fmt: skip
        provinces |= set(PROVINCE_ALIASES)
        self.city_pattern = re.compile(
            r"\b(?P<prefix>(kota(madya)?|kabupaten|kab\.?|pemkot|pemkab)\s*)?(?P<name>"
            + alternation(set(self.city_code) | set(CITY_ALIASES))
            + r")\b(?P<postcode>\s*,?\s*\d{5}\b)?",
            re.I,
        )
        self.province_pattern = re.compile(
            r"\b(?P<prefix>(pemerintah provinsi|provinsi|prov\.?|prop\.?|pemprov)\s*)?(?P<name>"
            + alternation(provinces)
            + r")\b",
            re.I,
        )
        self.prefixed_local = re.compile(
            r"\b(?P<prefix>kelurahan\s+|kel\.\s*|kel\s+|desa\s+|ds\.?\s*|kecamatan\s+|kec\.\s*|kec\s+)"
            r"(?P<words>[a-z][\w'-]+"
            r"(\s+(?!(kel|kec|desa|kab|kota|rt|rw|jl|jln|jalan)\b)[a-z][\w'-]*){0,3})",
            re.I,
        )

    def name(self, code):
        return self.by_code[code][0]

    def sources(self, text):
        """The foreign kabupaten/kota a text is about (by name; all of Jakarta for "Jakarta"/"DKI")."""
        found = set()
        for match in self.city_pattern.finditer(text):
            found |= self.city_code.get(match.group("name").lower(), set())
        if re.search(r"jakarta|\bdki\b", text, re.I):
            found |= {c for c in self.children["31"]}
        return found


def clean(raw):
    """The citizen's own words: no header, closing line, HTML, hashtags or personal data."""
    text = html.unescape(raw)
    text = HEADER.sub("", text, count=1)
    text = SECOND_HEADER.sub("", text, count=1)
    text = re.sub(r"<br\s*/?>", "\n", text, flags=re.I)
    text = re.sub(r"<[^>]+>", " ", text)
    for pattern, _kind in CLOSINGS:
        text = pattern.sub("", text.rstrip())
    text = URL.sub("[tautan]", text)
    text = EMAIL.sub("[email disamarkan]", text)
    text = PHONE.sub("[nomor disamarkan]", text)
    text = MASKED.sub("[***]", text)
    text = LONG_NUMBER.sub("[***]", text)
    text = CAMPAIGN.sub(" ", text)
    text = MENTION.sub("", text)
    text = HASHTAG.sub("", text)
    text = SELF_NAMED.sub(
        lambda m: re.split(r"\s(?=[A-Z])", m.group(0), maxsplit=1)[0] + " [nama disamarkan]", text
    )
    text = LEADERS.sub(lambda m: "Bapak Kepala Daerah" if m.group(1) else "Kepala Daerah", text)
    lines = [re.sub(r"[ \t\u00a0\x7f]+", " ", line).strip(" ~") for line in text.split("\n")]
    paragraphs, current = [], []
    for line in lines:
        if line:
            current.append(line)
        elif current:
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return "\n\n".join(paragraphs).strip(" ,.")


def report_kind(raw):
    tail = html.unescape(raw).strip()
    for pattern, kind in CLOSINGS:
        if pattern.search(tail):
            return kind
    return None


def categorize(title, body):
    """The category code: the title decides when it can, else the body; None when out of scope."""
    if OUT_OF_SCOPE.search(title) or OUT_OF_SCOPE.search(body):
        return None
    for text in (title, body):
        for code, pattern in RULES:
            if pattern.search(text):
                return code
    return None


class Mover:
    """Move one text to one place in Sumatera Barat: its place names are replaced with the new ones.

    The first kelurahan named becomes the report's own; another one named in the same text becomes a
    neighbour in the same kecamatan, so "between Kelurahan A and Kelurahan B" stays two places.
    """

    def __init__(self, places, rng):
        self.places = places
        self.rng = rng

    def move(self, header, title, body):
        """Return (title, body, region code), or None when the text would still show where it was."""
        p, rng = self.places, self.rng
        sources = p.sources(f"{header}\n{title}\n{body}")
        locals_ = {}
        for code in sources:
            for name, level in p.local_names[code].items():
                if len(name) >= 5 and locals_.get(name) != "kecamatan":
                    locals_[name] = level
        bare_pattern = re.compile(r"(?<![\w.])(" + alternation(locals_) + r")\b", re.I) if locals_ else None

        def is_bare_name(found):
            # A kecamatan name counts in any case ("di genuk"); a desa name only when capitalised,
            # since many are everyday words ("kelancaran", "sawah besar").
            level = locals_[found.lower()]
            return found[0].isupper() or (level == "kecamatan" and len(found) >= 6)

        text = f"{title}\n{body}"
        mentioned = [m for m in p.prefixed_local.finditer(text)]
        levels = {
            "kecamatan" if m.group("prefix").lower().startswith("kec") else "desa_kelurahan"
            for m in mentioned
        }
        if bare_pattern is not None:
            levels |= {
                locals_[m.group(1).lower()] for m in bare_pattern.finditer(text) if is_bare_name(m.group(1))
            }

        city = CITY if rng.random() < CITY_SHARE else rng.choice([c for c in p.cities if c != CITY])
        district = rng.choice(p.children[city])
        villages = list(p.children[district])
        rng.shuffle(villages)
        districts = [d for d in p.children[city] if d != district]
        rng.shuffle(districts)
        districts.insert(0, district)
        if "desa_kelurahan" in levels or (not levels and rng.random() < 0.7):
            region = villages[0]
        else:
            region = district
        city_full = p.name(city)
        city_bare = bare_city_name(city_full)
        is_kota = city_full.startswith("Kota ")
        assigned = {}  # original name (lower case) → new name

        def assign(original, level):
            key = (original.lower(), level)
            if key not in assigned:
                pool = districts if level == "kecamatan" else villages
                used = sum(1 for (_name, lvl) in assigned if lvl == level)
                assigned[key] = p.name(pool[used % len(pool)])
            return assigned[key]

        def village_word(code):
            return "Kelurahan" if code.rsplit(".", 1)[1].startswith("1") else "Nagari"

        def prefixed(match):
            prefix = match.group("prefix").strip().lower().rstrip(".")
            words = match.group("words").split()
            for n in range(len(words), 0, -1):
                candidate = " ".join(words[:n]).lower()
                if candidate in p.any_local or candidate in locals_:
                    rest = " ".join(words[n:])
                    if prefix.startswith("kec"):
                        new = f"Kecamatan {assign(candidate, 'kecamatan')}"
                    else:
                        new = f"{village_word(villages[0])} {assign(candidate, 'desa_kelurahan')}"
                    return new + (f" {rest}" if rest else "")
            return match.group(0)

        def bare(match):
            found = match.group(1)
            if not is_bare_name(found):
                return found
            return assign(found, locals_[found.lower()])

        def city_sub(match):
            prefix = (match.group("prefix") or "").strip().lower()
            if prefix.startswith(("pemkot", "pemkab")):
                return ("Pemkot " if is_kota else "Pemkab ") + city_bare
            return city_full if prefix else city_bare

        def province_sub(match):
            prefix = (match.group("prefix") or "").strip().lower()
            if prefix.startswith("pemprov"):
                return "Pemprov Sumbar"
            return "Provinsi Sumatera Barat" if prefix else "Sumatera Barat"

        def apply(value):
            value = p.prefixed_local.sub(prefixed, value)
            if bare_pattern is not None:
                value = bare_pattern.sub(bare, value)
            value = p.province_pattern.sub(province_sub, value)
            value = p.city_pattern.sub(city_sub, value)
            value = re.sub(r"\bPDAM\s+Tirt[ao]\w*(\s+(?!Kota\b|Kabupaten\b|Kab\b)[A-Z]\w*)?", "PDAM", value)
            # Two old places side by side ("Semarang, Jawa Tengah" → "Padang, Padang"): say it once.
            for name in {city_full, city_bare, "Sumatera Barat", *(new for new in assigned.values())}:
                value = re.sub(
                    r"\b(" + re.escape(name) + r")(\s*[,/-]?\s*(dan\s+)?" + re.escape(name) + r"\b)+",
                    r"\1",
                    value,
                )
            return value

        new_title, new_body = apply(title), apply(body)
        if GIVEAWAYS.search(new_title) or GIVEAWAYS.search(new_body):
            return None
        return new_title, new_body, region


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default=str(DEFAULT_SOURCE), help="lapor-2017-reports.csv")
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--output", default=str(OUTPUT))
    args = parser.parse_args(argv)

    places = Places(read_regions())
    with open(args.source, encoding="utf-8", errors="replace", newline="") as handle:
        rows = list(csv.DictReader(handle))

    candidates, skipped = [], Counter()
    for row in rows:
        raw = html.unescape(row["isi"])
        header = HEADER.match(raw)
        kind = report_kind(raw)
        if not header or kind is None:
            skipped["no header or closing"] += 1
            continue
        title = re.sub(r"\s+", " ", html.unescape(row["judul"])).strip(" .,-")
        body = clean(raw)
        if not (8 <= len(title) <= 150 and 80 <= len(body) <= 1800):
            skipped["too short or too long"] += 1
            continue
        category = categorize(title, body)
        if category is None:
            skipped["not a local government matter"] += 1
            continue
        tracking_id = row["tracking_id"].strip()
        moved = Mover(places, random.Random(f"{SEED}-{tracking_id}")).move(header.group(0), title, body)
        if moved is None:
            skipped["place still recognisable"] += 1
            continue
        new_title, new_body, region = moved
        candidates.append(
            {
                "source": tracking_id,
                "title": new_title[:1].upper() + new_title[1:],
                "description": new_body,
                "kind": kind,
                "category": category,
                "region": region,
            }
        )

    # A stable shuffle, then a cap per category, so the demo shows a spread of government work.
    rng = random.Random(SEED)
    rng.shuffle(candidates)
    texts, per_category, seen = [], Counter(), set()
    for text in candidates:
        key = (text["title"].lower(), text["description"][:60].lower())
        if per_category[text["category"]] >= CATEGORY_CAP.get(text["category"], DEFAULT_CAP):
            continue
        if key[0] in seen or key[1] in seen:  # the same complaint sent twice
            continue
        seen.update(key)
        per_category[text["category"]] += 1
        texts.append(text)
        if len(texts) >= args.count:
            break
    texts.sort(key=lambda text: text["source"])

    Path(args.output).write_text(json.dumps(texts, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{len(texts)} texts from {len(candidates)} candidates of {len(rows)} reports → {args.output}")
    print(f"left out: {dict(skipped)}")
    print(f"per category: {dict(per_category.most_common())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
