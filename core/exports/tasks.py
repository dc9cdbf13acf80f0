from celery import shared_task


@shared_task(name="exports.run", ignore_result=True)
def run_export_task(job_id: str) -> None:
    from core.exports.actions import run_export
    from core.ids import parse_id

    job_id = parse_id(job_id)
    if job_id is not None:
        run_export(job_id)
