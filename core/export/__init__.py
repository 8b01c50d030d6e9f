"""Exports of a schedule: schedule JSON (replayable), Perfetto/Chrome trace, CSV of steps.

Every writer is atomic (temporary file, then ``os.replace``) and every format is read back in tests.
"""

from core.export.csv_export import write_csv
from core.export.perfetto import write_perfetto
from core.export.schedule_json import check_schedule_matches, read_schedule_json, write_schedule_json

__all__ = ["check_schedule_matches", "read_schedule_json", "write_csv", "write_perfetto", "write_schedule_json"]
