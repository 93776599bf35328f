from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatsConfig(AppConfig):
    name = "stats"
    verbose_name = _("Statistics")

    def ready(self) -> None:
        from aidcenter.home import Link, register_link
        from aidcenter.roles import Action

        register_link(
            Link(
                title=_("Dashboard"),
                url_name="stats:dashboard",
                action=Action.USE_PAGES,
                text=_("Figures of your units by period: cards, trends, sub-centers, drill-down."),
                order=5,
            )
        )
        register_link(
            Link(
                title=_("Annual report and reporting upward"),
                url_name="stats:reports",
                action=Action.VIEW_REPORTS,
                text=_("The annual report (.xlsx); files and aid for the national system."),
                order=6,
            )
        )
