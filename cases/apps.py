from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("People, household files and the front desk")

    def ready(self):
        from aidcenter import home
        from aidcenter.roles import Action

        home.register_link(
            home.Link(
                _("Front desk"),
                "cases:desk",
                Action.ENTER,
                _("Find the person, see their card, log the visit, print the receipt."),
                10,
            )
        )
        home.register_link(
            home.Link(
                _("My queue"),
                "cases:queue",
                Action.ENTER,
                _("Cases assigned to you and your unit, overdue first; stuck referrals."),
                20,
            )
        )
        home.register_link(
            home.Link(
                _("Find a person"),
                "cases:search",
                Action.USE_PAGES,
                _("By ID number, name or phone; then the person's file, workflow and history."),
                30,
            )
        )
        home.register_link(
            home.Link(
                _("Import household files"),
                "cases:registry-import",
                Action.ENTER,
                _("From an Excel workbook: a template, errors by row, all or nothing."),
                35,
            )
        )
        home.register_panel(home.Panel("cases/_deadline_panel.html", _deadline_panel, 10))


def _deadline_panel(*, user):
    from aidcenter.roles import Action, can
    from aidcenter.scope import scoped
    from cases import desk, services
    from cases.models import Worker

    if not can(user, Action.READ):
        return None
    counts = desk.deadline_counts(user=user)
    counts["reviews_overdue"] = scoped(user, Worker).filter(services.review_overdue_q()).count()
    return counts
