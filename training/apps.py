from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    name = "training"
    verbose_name = _("Skills training")

    def ready(self):
        from training import plugins

        plugins.register()  # front-desk referrals land here; the card shows certificates
