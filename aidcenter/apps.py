from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AidCenterConfig(AppConfig):
    name = "aidcenter"
    verbose_name = _("Aid center: units, staff and keys")
    default_auto_field = "django.db.models.BigAutoField"
