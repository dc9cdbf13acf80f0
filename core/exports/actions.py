"""Starting an export and running it (the Celery task calls ``run_export``)."""

from flask import current_app, has_request_context
from flask_babel import force_locale, get_locale
from sqlalchemy import select

from core.audit.actions import record
from core.exports import xlsx
from core.exports.models import ExportJob, JobStatus
from core.exports.registry import ExportKind, export_kind
from core.extensions import db
from core.tasks import enqueue_after_commit
from core.transactions import atomic
from core.types import utcnow


class ExportRefused(Exception):
    pass


def do_start_export(user, kind: ExportKind, params: dict, *, locale: str | None = None) -> ExportJob:
    """Queue an export for ``user``; the file is written in ``locale`` (the request's by
    default, so headings read as the page did)."""
    if not kind.allowed(user, params):
        raise ExportRefused(kind.name)
    from core.exports.tasks import run_export_task

    if locale is None:
        locale = str(get_locale()) if has_request_context() else current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        title = str(kind.title(params))[:200]
    with atomic():
        job = ExportJob(user_id=user.id, kind=kind.name, params=params, title=title, locale=locale,
                        status=JobStatus.QUEUED)
        db.session.add(job)
        db.session.flush()
        record("export.started", user, job=job.id, kind=kind.name, **{
            k: v for k, v in params.items() if isinstance(v, str | int)})
        enqueue_after_commit(run_export_task, str(job.id))
    return job


def run_export(job_id) -> None:
    job = db.session.get(ExportJob, job_id)
    if job is None or job.status not in (JobStatus.QUEUED, JobStatus.RUNNING):
        return
    kind = export_kind(job.kind)
    from core.identity.models import User

    user = db.session.get(User, job.user_id)
    if kind is None or user is None or not user.active or not kind.allowed(user, job.params):
        _fail(job, "not allowed")
        return
    try:
        with force_locale(job.locale):
            _write(job, kind)
    except Exception as exc:  # a failed export says so on its page; the error is logged
        db.session.rollback()
        from flask import current_app

        current_app.logger.exception("export %s failed", job_id)
        job = db.session.get(ExportJob, job_id)
        _fail(job, type(exc).__name__)


def _write(job, kind) -> None:
    job.status = JobStatus.RUNNING
    job.total = int(kind.count(job.params) or 0)
    job.done = 0
    db.session.commit()
    workbook = xlsx.new_workbook()
    writer = xlsx.SheetWriter(workbook, job.title, [str(c) for c in kind.columns(job.params)])
    done = 0
    for batch in kind.batches(job.params):
        for row in batch:
            writer.append(row)
        done += len(batch)
        job.done = done
        job.total = max(job.total, done)
        db.session.commit()  # progress shows; the next batch reads in a new transaction
    job.content = xlsx.workbook_bytes(workbook)
    job.filename = f"{job.title}.xlsx"
    job.status = JobStatus.DONE
    job.finished_at = utcnow()
    db.session.commit()


def _fail(job, reason: str) -> None:
    job.status = JobStatus.FAILED
    job.error = reason[:300]
    job.finished_at = utcnow()
    db.session.commit()


def jobs_of(user, limit: int = 20) -> list[ExportJob]:
    return list(db.session.scalars(
        select(ExportJob).where(ExportJob.user_id == user.id)
        .order_by(ExportJob.created_at.desc()).limit(limit)))


def access_job(user, job_id) -> ExportJob | None:
    """The user's own job, if they may still have what it exports; else None (a 404)."""
    from core.ids import parse_id

    job_id = parse_id(job_id)
    job = job_id and db.session.get(ExportJob, job_id)
    if job is None or job.user_id != user.id:
        return None
    kind = export_kind(job.kind)
    if kind is None or not kind.allowed(user, job.params):
        return None
    return job
