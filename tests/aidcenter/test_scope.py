"""The one scoping rule: each role sees exactly its unit's subtree."""

import pytest
from django.contrib.auth.models import AnonymousUser

from aidcenter.models import OrgUnit, StaffProfile
from aidcenter.scope import scoped, unit_ids
from tests.factories import UserFactory

ALL = {"SH", "PT", "PT-A", "PT-A-01", "PT-B", "QX", "QX-A"}
PT = {"PT", "PT-A", "PT-A-01", "PT-B"}
A = {"PT-A", "PT-A-01"}

EXPECTED = {
    "admin": ALL,
    "officer": PT,
    "approver": PT,
    "manager": PT,
    "auditor": PT,
    "auditor_a": A,
    "desk_a": A,
    "case_a": A,
    "sync_a": A,
    "desk_point": {"PT-A-01"},
    "desk_b": {"PT-B"},
    "case_b": {"PT-B"},
    "sync_b": {"PT-B"},
    "officer_qx": {"QX", "QX-A"},
    "desk_qx": {"QX-A"},
}


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_each_role_sees_exactly_its_subtree_of_units(staff, who):
    user = getattr(staff, who)
    codes = set(scoped(user, OrgUnit).values_list("code", flat=True))
    assert codes == EXPECTED[who]


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_records_kept_by_units_follow_the_same_subtree(staff, who):
    """StaffProfile is kept by a unit: the scope of its rows is the scope of units."""
    user = getattr(staff, who)
    seen = set(scoped(user, StaffProfile).values_list("org_unit__code", flat=True))
    all_units_with_staff = set(StaffProfile.objects.values_list("org_unit__code", flat=True))
    assert seen == EXPECTED[who] & all_units_with_staff


def test_user_without_role_and_anonymous_see_nothing(staff):
    nobody = UserFactory(username="nobody")
    assert not scoped(nobody, OrgUnit).exists()
    assert not scoped(AnonymousUser(), StaffProfile).exists()


def test_subtree_is_resolved_once_per_request(staff, django_assert_num_queries):
    user = staff.officer
    with django_assert_num_queries(2):  # the staff profile, then the whole (small) tree
        unit_ids(user)
    with django_assert_num_queries(0):
        assert unit_ids(user) is unit_ids(user)


def test_scoped_query_filters_with_one_query(staff, django_assert_num_queries):
    user = staff.desk_a
    unit_ids(user)
    with django_assert_num_queries(1):
        assert set(scoped(user, OrgUnit).values_list("code", flat=True)) == A
