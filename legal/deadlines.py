"""Deadlines of a labour dispute, from the Labour Dispute Mediation and Arbitration Law
(劳动争议调解仲裁法, 2008) as DESIGN.md states them. Pure functions of dates: no database, no
clock (callers pass `today`), so every rule is tested on its own.

Periods are counted as the Civil Code counts them (arts. 200-202): the day an event happens is
not counted, a period of days ends that many days later, and a period of years ends on the
same day of the month in the final year — or on the month's last day when that year has no
such day (29 February). Moving a last day that falls on a public holiday (art. 203) needs the
State Council's holiday calendar, which the center does not keep: staff see the plain date.
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass

# Art. 14: mediation settles within 15 days of the application reaching the mediator.
MEDIATION_DAYS = 15
# Art. 43: the award within 45 days of the committee accepting the application, extendable once
# by at most 15 days with the chairman's approval and written notice.
AWARD_DAYS = 45
AWARD_EXTENSION_DAYS = 15
# Arts. 48 and 50: a party may sue within 15 days of receiving the award.
SUE_DAYS = 15
# How close a deadline must be to count as "due soon" on lists and the home page.
DUE_SOON_DAYS = 7


def add_years(day: datetime.date, years: int) -> datetime.date:
    """The same day `years` later; 29 February becomes the month's last day."""
    year = day.year + years
    last = calendar.monthrange(year, day.month)[1]
    return day.replace(year=year, day=min(day.day, last))


def limitation_ends_on(
    *,
    knew_on: datetime.date | None,
    restarted_on: datetime.date | None = None,
    wages_during_employment: bool = False,
    employment_ended_on: datetime.date | None = None,
) -> datetime.date | None:
    """The last day to apply for arbitration (art. 27), or None while no period runs.

    - Para. 1: one year from the day the worker knew or should have known of the violation.
    - Para. 2: the period is interrupted when the worker presses the claim on the employer (or
      asks an authority for relief), or the employer agrees to pay; it then runs afresh, one
      full year from the interruption.
    - Para. 4: wages owed while the employment continues are not bound by para. 1; once the
      job ends, the claim must be brought within one year of the end.
    """
    if wages_during_employment:
        if employment_ended_on is None:
            return None  # the job continues: no period runs yet
        start = employment_ended_on
    elif knew_on is None:
        return None
    else:
        start = knew_on
    if restarted_on is not None and restarted_on > start:
        start = restarted_on
    return add_years(start, 1)


def mediation_due_on(applied_on: datetime.date | None) -> datetime.date | None:
    """Art. 14: if no agreement within 15 days of the application, arbitration may follow."""
    return applied_on + datetime.timedelta(days=MEDIATION_DAYS) if applied_on else None


def award_due_on(accepted_on: datetime.date | None, *, extended: bool = False):
    """Art. 43: 45 days from acceptance of the arbitration application, + 15 if extended."""
    if accepted_on is None:
        return None
    days = AWARD_DAYS + (AWARD_EXTENSION_DAYS if extended else 0)
    return accepted_on + datetime.timedelta(days=days)


def sue_by(award_received_on: datetime.date | None) -> datetime.date | None:
    """Arts. 48 and 50: 15 days from receiving the award to bring a lawsuit."""
    return award_received_on + datetime.timedelta(days=SUE_DAYS) if award_received_on else None


@dataclass(frozen=True)
class Facts:
    """What a legal case knows that bears on its deadlines."""

    stage: str
    knew_on: datetime.date | None = None
    restarted_on: datetime.date | None = None
    wages_during_employment: bool = False
    employment_ended_on: datetime.date | None = None
    mediation_applied_on: datetime.date | None = None
    arbitration_accepted_on: datetime.date | None = None
    award_extended: bool = False
    award_received_on: datetime.date | None = None
    next_hearing_on: datetime.date | None = None
    follow_up_on: datetime.date | None = None


# Kinds of deadline (stored on the case as `next_deadline_kind`).
LIMITATION, MEDIATION, AWARD, SUE, HEARING, FOLLOW_UP = (
    "limitation",
    "mediation",
    "award",
    "sue",
    "hearing",
    "follow_up",
)
BEFORE_ARBITRATION = {"intake", "mediation", "labour_inspection"}


def deadlines(facts: Facts) -> list[tuple[str, datetime.date]]:
    """The deadlines that bind the case at its stage, earliest first."""
    if facts.stage == "closed":
        return []
    found: list[tuple[str, datetime.date | None]] = []
    if facts.stage in BEFORE_ARBITRATION:
        # Until arbitration is applied for, the one-year limit is the deadline that loses the
        # claim; mediation's 15 days say when to move on to arbitration.
        found.append(
            (
                LIMITATION,
                limitation_ends_on(
                    knew_on=facts.knew_on,
                    restarted_on=facts.restarted_on,
                    wages_during_employment=facts.wages_during_employment,
                    employment_ended_on=facts.employment_ended_on,
                ),
            )
        )
    if facts.stage == "mediation":
        found.append((MEDIATION, mediation_due_on(facts.mediation_applied_on)))
    if facts.stage == "arbitration":
        if facts.award_received_on is not None:
            found.append((SUE, sue_by(facts.award_received_on)))
        else:
            found.append(
                (AWARD, award_due_on(facts.arbitration_accepted_on, extended=facts.award_extended))
            )
    found.append((HEARING, facts.next_hearing_on))
    found.append((FOLLOW_UP, facts.follow_up_on))
    return sorted(((k, d) for k, d in found if d is not None), key=lambda kd: (kd[1], kd[0]))


def next_deadline(facts: Facts) -> tuple[str, datetime.date] | tuple[str, None]:
    found = deadlines(facts)
    return found[0] if found else ("", None)


def flag(due: datetime.date | None, *, today: datetime.date) -> str:
    """ "missed" once the day has passed, "due_soon" within DUE_SOON_DAYS, else ""."""
    if due is None:
        return ""
    if due < today:
        return "missed"
    if due <= today + datetime.timedelta(days=DUE_SOON_DAYS):
        return "due_soon"
    return ""
