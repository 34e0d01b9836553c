"""The one job adapter: a user's error is one status line; a bug in a job writes a crash report."""
from musicmap_desktop.core.errors import UserError
from musicmap_desktop.core.jobs import Phase, Progress
from musicmap_desktop.gui.jobs import JobThread


def run_job(qtbot, make_job):
    job = JobThread(make_job)
    with qtbot.waitSignal(job.failed, timeout=10_000) as failed:
        job.start()
    job.wait()
    return failed.args[0]


def test_a_bug_in_a_job_writes_a_crash_report_with_its_traceback(qtbot, isolated_dirs):
    def job(token):
        yield Progress(Phase.READ, 1, 2)
        raise KeyError("a bug in the job")

    message = run_job(qtbot, job)
    reports = list((isolated_dirs / "state" / "musicmap-desktop" / "log").glob("crash-*.txt"))
    assert len(reports) == 1
    text = reports[0].read_text()
    assert "Traceback" in text and "KeyError: 'a bug in the job'" in text
    assert message.startswith("Failed: KeyError") and str(reports[0]) in message


def test_a_user_error_in_a_job_is_its_message_and_no_crash_report(qtbot, isolated_dirs):
    def job(token):
        raise UserError("another musicmap process is scanning this cache")
        yield

    assert run_job(qtbot, job) == "Another musicmap process is scanning this cache"
    assert not list((isolated_dirs / "state").rglob("crash-*.txt"))


def test_a_damaged_cache_in_a_job_says_what_to_do(qtbot):
    from musicmap_desktop.core.errors import CacheDamaged

    def job(token):
        raise CacheDamaged("/x/library.sqlite3", "database disk image is malformed")
        yield

    message = run_job(qtbot, job)
    assert message.startswith("The cache is damaged (database disk image is malformed)")
    assert "start musicmap again" in message and "\n" not in message
