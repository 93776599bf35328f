"""Worker.head_is_migrant, kept by triggers from the head's Person: the dashboards count
migrant files from it without joining every person (stats/figures.py)."""

from aidcenter.models import Change
from cases import services
from cases.models import Worker


def _flag(worker) -> bool:
    return Worker.objects.values_list("head_is_migrant", flat=True).get(pk=worker.pk)


def test_a_new_file_takes_its_heads_flag(new_file):
    assert _flag(new_file(1, is_migrant=True)) is True
    assert _flag(new_file(2, is_migrant=False)) is False


def test_the_file_follows_when_the_heads_flag_changes_and_syncs_as_changed(new_file, staff):
    worker = new_file(3, is_migrant=False)
    version = Worker.objects.get(pk=worker.pk).version
    before = Change.objects.filter(record_id=str(worker.pk)).count()
    services.person_update(by=staff.case_a, person=worker.person, data={"is_migrant": True})
    assert _flag(worker) is True
    # The file's API representation shows the head's flag: it is a changed record for the
    # sub-centers' mirrors too, at a new version.
    assert Worker.objects.get(pk=worker.pk).version == version + 1
    assert Change.objects.filter(record_id=str(worker.pk)).count() == before + 1
    # Raw SQL or a bulk update is followed all the same.
    type(worker.person).objects.filter(pk=worker.person_id).update(is_migrant=False)
    assert _flag(worker) is False


def test_saving_the_file_from_python_cannot_set_the_flag(new_file):
    worker = new_file(4, is_migrant=False)
    worker.head_is_migrant = True
    worker.save()
    assert _flag(worker) is False
