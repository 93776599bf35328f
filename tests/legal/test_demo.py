"""The legal demo loads realistic cases through the services, and twice is once."""

import datetime

from django.utils import timezone

from aidcenter.demo.orgs import seed_orgs_and_staff
from legal import demo, services
from legal.models import Claimant, LegalCase, PastClient, Recovery


def test_demo_loads_cases_with_many_claimants_and_recoveries_and_is_safe_to_run_twice(db):
    seed_orgs_and_staff()
    assert demo.seed(cases=30) == 30
    assert demo.seed(cases=30) == 0
    assert LegalCase.objects.count() == 30
    wage = LegalCase.objects.filter(case_type="wage_arrears")
    assert wage.count() >= 10
    assert max(c.claimants.count() for c in wage) >= 5  # many workers against one employer
    assert LegalCase.objects.filter(stage="closed").exists()
    assert LegalCase.objects.exclude(conflict_override_reason="").count() == 1
    assert PastClient.objects.count() == 2
    # Every kept total equals its recoveries, and the figures see the money.
    for claimant in Claimant.objects.all():
        assert claimant.amount_recovered == sum(
            (r.amount for r in Recovery.objects.filter(claimant=claimant)), start=0
        )
    today = timezone.localdate()
    figures = services.figures(
        units=None, date_from=today - datetime.timedelta(days=366), date_to=today
    )
    assert figures["cases"] == 30 and figures["amount_recovered"] > 0
    assert figures["migrant_cases"] >= wage.count()
