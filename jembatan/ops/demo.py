"""The demo province (Sumatera Barat): who logs in, and with what password.

The builder functions live beside these constants; `manage.py seed_demo` calls them.
"""

# Development only: `make run` prints these, the README lists them.
DEMO_PASSWORD = "jembatan-demo-2026"

# (username, role label, agency) — one demo login per role.
DEMO_USERS = [
    ("admin.nasional", "Admin Nasional", "KemenPANRB"),
    ("admin.sumbar", "Admin Instansi / Koordinator", "Pemprov Sumatera Barat"),
    ("admin.padang", "Admin Instansi / Koordinator", "Pemkot Padang"),
    ("penghubung.pupr", "Penghubung", "Dinas PUPR Kota Padang"),
    ("penghubung.dinkes", "Penghubung", "Dinas Kesehatan Kota Padang"),
    ("pimpinan.sumbar", "Pimpinan", "Pemprov Sumatera Barat"),
    ("auditor.inspektorat", "Auditor", "Inspektorat Provinsi (Pemprov Sumbar)"),
    ("auditor.ombudsman", "Auditor", "Ombudsman RI (nasional)"),
    ("sysadmin", "Sysadmin", "Diskominfotik Sumbar"),
    ("warga.demo", "Warga", "—"),
]
