from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FundsConfig(AppConfig):
    name = "funds"
    verbose_name = _("Aid funds")

    def ready(self):
        from funds import cards, referrals

        cards.register()  # the person's card shows the aid received
        referrals.register()  # front-desk cases can be referred into financial aid
