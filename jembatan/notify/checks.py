"""System checks for the SMS/WhatsApp providers: a deployment learns at start-up, not from a lost message."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks

from jembatan.notify.channels import PROVIDER_KINDS


@checks.register(checks.Tags.compatibility, deploy=False)
def check_text_providers(app_configs=None, **kwargs):
    problems = []
    for channel in ("sms", "whatsapp"):
        prefix = f"NOTIFY_{channel.upper()}"
        kind = getattr(settings, f"{prefix}_PROVIDER")
        if kind not in PROVIDER_KINDS:
            problems.append(
                checks.Error(
                    f"{prefix}_PROVIDER must be one of {', '.join(PROVIDER_KINDS)}.", id="notify.E001"
                )
            )
        elif kind == "http" and urlsplit(getattr(settings, f"{prefix}_HTTP_URL")).scheme not in (
            "http",
            "https",
        ):
            problems.append(
                checks.Error(
                    f"{prefix}_PROVIDER is 'http' but {prefix}_HTTP_URL is not an http(s) URL.",
                    id="notify.E002",
                )
            )
        elif kind == "file" and not settings.DEVELOPMENT:
            problems.append(
                checks.Info(
                    f"{prefix}_PROVIDER is 'file': {channel} messages go to VAR_DIR/outbox, not to phones.",
                    hint=f"Set {prefix}_PROVIDER=http and {prefix}_HTTP_URL in production.",
                    id="notify.I001",
                )
            )
    return problems
