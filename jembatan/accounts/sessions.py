"""The session engine when Redis is configured: cached_db that keeps working while Redis is down.

Sessions are read from the cache and written through to the database (Django's cached_db), so a
Redis restart logs nobody out. Django's cached_db already survives a failed cache read or write,
but not a failed membership test (`exists()`, asked when a login makes a new session key) or a
failed delete (logout): those raised, and a login during a Redis restart answered 500. Here every
cache step falls back to the database, and the outage is logged once per episode and counted in
/metrics (jembatan_fail_open_total{component="sessions"}).
"""

from django.contrib.sessions.backends import cached_db, db

from jembatan.observability import Outage

outage = Outage("sessions", "sessions are read from and written to the database only")


class SessionStore(cached_db.SessionStore):
    def load(self):
        try:
            data = self._cache.get(self.cache_key)
        except Exception as exc:
            outage.failed(exc)
            return db.SessionStore.load(self)
        outage.ok()
        if data is not None:
            return data
        # A miss: read the database and fill the cache (Django's cached_db does not guard this set).
        row = self._get_session_from_db()
        if not row:
            return {}
        data = self.decode(row.session_data)
        try:
            self._cache.set(self.cache_key, data, self.get_expiry_age(expiry=row.expire_date))
        except Exception as exc:
            outage.failed(exc)
        return data

    def exists(self, session_key):
        try:
            return super().exists(session_key)
        except Exception as exc:
            outage.failed(exc)
            return db.SessionStore.exists(self, session_key)

    def save(self, must_create=False):
        db.SessionStore.save(self, must_create)
        try:
            self._cache.set(self.cache_key, self._session, self.get_expiry_age())
        except Exception as exc:
            outage.failed(exc)

    def delete(self, session_key=None):
        try:
            super().delete(session_key)
        except Exception as exc:
            outage.failed(exc)
            db.SessionStore.delete(self, session_key)
