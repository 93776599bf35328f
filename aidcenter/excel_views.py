"""The pages of background Excel jobs: the user's own jobs, one job's progress, its file.
A job is its requester's alone: anyone else gets 404, whatever their role."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _

from aidcenter import exports
from aidcenter.models import ExcelJob
from aidcenter.roles import Action, can


def _own_job(request, pk) -> ExcelJob:
    if not can(request.user, Action.USE_PAGES):
        raise Http404
    job = ExcelJob.objects.filter(pk=pk, user=request.user).first()
    if job is None:
        raise Http404
    return job


@login_required
def job_list(request):
    if not can(request.user, Action.USE_PAGES):
        raise Http404
    jobs = ExcelJob.objects.filter(user=request.user)[:50]
    return render(request, "excel/jobs.html", {"jobs": jobs})


@login_required
def job_page(request, pk):
    job = _own_job(request, pk)
    running = job.status in (ExcelJob.Status.QUEUED, ExcelJob.Status.RUNNING)
    summary = ""
    if job.kind == ExcelJob.Kind.IMPORT and job.status == ExcelJob.Status.DONE:
        summary = _("Imported: %(created)d new, %(updated)d changed, %(unchanged)d unchanged.") % {
            k: job.result.get(k, 0) for k in ("created", "updated", "unchanged")
        }
    return render(request, "excel/job.html", {"job": job, "running": running, "summary": summary})


@login_required
def job_download(request, pk):
    job = _own_job(request, pk)
    if job.kind != ExcelJob.Kind.EXPORT or job.status != ExcelJob.Status.DONE or not job.file:
        raise Http404
    return exports.download_job(job, user=request.user, path=request.path)
