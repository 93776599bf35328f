"""The demo data of jobs and training loads at the seeds' proportions, and twice is once."""

import datetime

from django.utils import timezone

from aidcenter.demo.orgs import seed_orgs_and_staff
from jobs import demo as jobs_demo
from jobs import services as jobs
from training import demo as training_demo
from training import services as training


def test_demo_loads_at_the_seeds_proportions_and_is_safe_to_run_twice(db):
    seed_orgs_and_staff()
    # A hundredth of the year keeps the test quick; seed_demo loads a twentieth.
    placed = jobs_demo.seed(scale=100)
    enrolled = training_demo.seed(scale=100)
    assert placed == 3618 // 100 and enrolled > 0
    assert (jobs_demo.seed(), training_demo.seed()) == (0, 0)
    today = timezone.localdate()
    year = {"units": None, "date_from": today - datetime.timedelta(days=366), "date_to": today}
    figures = jobs.figures(**year)
    assert figures["intents"] == 12917 // 100 and figures["guidance_person_times"] == 26362 // 100
    assert 0.74 < figures["intents_migrant"] / figures["intents"] < 0.86  # seeds: 79.87 %
    assert figures["fairs"] == 143 // 100 + 1 and figures["positions"] > 60
    taught = training.figures(**year)
    assert taught["classes"] == 371 // 100 + 1 and taught["certificates"] > 0
    assert 0.25 < taught["trainees_migrant"] / taught["trainees"] < 0.48  # seeds: 36 %
