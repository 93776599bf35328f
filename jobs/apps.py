from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "jobs"
    verbose_name = _("Job placement")

    def ready(self):
        from jobs import plugins

        plugins.register()  # front-desk referrals land here; the person's card shows job seeking
