"""Log in with a username, an e-mail address or an Indonesian phone number."""

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.db.models import Q

from jembatan.accounts.models import User
from jembatan.notify.phones import normalize_phone


class EmailPhoneOrUsernameBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or password is None:
            return None
        identifier = username.strip()
        query = Q(username=identifier)
        if "@" in identifier:
            query |= Q(email=identifier.lower())
        else:
            try:
                query |= Q(phone=normalize_phone(identifier))
            except ValidationError:
                pass
        users = list(User.objects.filter(query)[:2])
        if len(users) != 1:
            User().set_password(password)  # same cost as a real check: no timing oracle on existence
            return None
        user = users[0]
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
