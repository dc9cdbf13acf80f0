"""Export pages: ask for one (POST), watch its progress, download the file.

The progress page works without JavaScript (a refresh link); ``static/js/progress.js`` polls
the JSON status and reloads the page when the file is ready.
"""

from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from core.exports import xlsx
from core.exports.actions import ExportRefused, access_job, do_start_export, jobs_of
from core.exports.models import JobStatus
from core.exports.registry import export_kind

bp = Blueprint("exports", __name__, url_prefix="/exports")


@bp.post("/start")
@login_required
def start():
    kind = export_kind(request.form.get("kind"))
    params = kind.parse(request.form) if kind else None
    if kind is None or params is None:
        abort(404)
    try:
        job = do_start_export(current_user, kind, params)
    except ExportRefused:
        abort(404)
    return redirect(url_for("exports.job", job_id=job.id), 303)


@bp.get("/")
@login_required
def index():
    return render_template("core/exports/index.html", jobs=jobs_of(current_user))


def _job_or_404(job_id):
    job = access_job(current_user, job_id)
    if job is None:
        abort(404)
    return job


@bp.get("/<job_id>")
@login_required
def job(job_id):
    job = _job_or_404(job_id)
    return render_template("core/exports/job.html", job=job, JobStatus=JobStatus)


@bp.get("/<job_id>/status")
@login_required
def status(job_id):
    job = _job_or_404(job_id)
    return jsonify(status=job.status.value, done=job.done, total=job.total, percent=job.percent)


@bp.get("/<job_id>/file")
@login_required
def download(job_id):
    job = _job_or_404(job_id)
    if job.status != JobStatus.DONE or job.content is None:
        abort(404)
    return xlsx.download(job.content, job.filename or "export.xlsx")
