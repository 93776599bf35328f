"""API key authentication: `Authorization: Token <key>`, looked up by its SHA-256 digest."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from aidcenter.models import ApiKey

# Writing last_used_at on every request would turn each read into a write; once a minute is
# enough for an operator deciding which keys are still in use.
LAST_USED_GRANULARITY = timedelta(minutes=1)


class ApiKeyAuthentication(authentication.TokenAuthentication):
    keyword = "Token"

    def authenticate_credentials(self, key):
        try:
            api_key = (
                ApiKey.objects.active()
                .select_related("user__staff__org_unit")
                .get(digest=ApiKey.digest_of(key))
            )
        except ApiKey.DoesNotExist:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked API key.")) from None
        if not api_key.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        now = timezone.now()
        if api_key.last_used_at is None or now - api_key.last_used_at > LAST_USED_GRANULARITY:
            ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        return api_key.user, api_key
