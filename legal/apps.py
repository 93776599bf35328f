from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LegalConfig(AppConfig):
    name = "legal"
    verbose_name = _("Legal aid")

    def ready(self):
        from aidcenter import home
        from legal import plugins

        plugins.register()  # front-desk referrals land here; the person's card shows legal cases
        home.register_panel(home.Panel("legal/_deadline_panel.html", _deadline_panel, 30))


def _deadline_panel(*, user):
    from aidcenter.roles import Action, can
    from legal import services

    if not can(user, Action.READ):
        return None
    return services.deadline_counts(user=user)
