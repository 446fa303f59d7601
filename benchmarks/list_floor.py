# The least a Python `reminder list` of this store could take: a reference row of benchmarks/cli.py,
# not reminder. It does only what no listing can skip, each step the fastest way CPython has:
#
# - what pip's launcher of the `reminder` script imports first (`re`), then sqlite3, datetime and
#   zoneinfo (the rows, the dates, "today" where each case is);
# - the open cases in deadline order, the undated ones last, as reminder's listing reads them
#   (its covering index): id, title, organisation, and the state (zone, dates, tentative) as one text;
# - the dates and days left written once per state, then each row one %-format, written 250 rows
#   at a time, as fast_table does.
#
# It skips all the rest of the command: its options, the config, the language, checking the
# store's schema, measuring cells wider than a character, wrapping, the footnote. So the row is a
# floor under `list`, not a rival: the difference is what the command line, the config and the
# layout cost, the floor what the rows cost any Python program at all.
import os
import re  # noqa: F401  (pip's launcher of the `reminder` script imports it first)
import sqlite3
import sys
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

data = os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share")
conn = sqlite3.connect(os.path.join(data, "reminder", "reminder.db"))
columns = (
    "id, title, organisation, timezone || '|' || coalesce(opens, '') || '|' || deadline || '|' || tentative"
)
rows = conn.execute(
    f"SELECT {columns} FROM cases WHERE status = 'open' AND deadline IS NOT NULL ORDER BY deadline, id"
).fetchall()
rows += conn.execute(
    "SELECT id, title, organisation, timezone || '|||0' FROM cases"
    " WHERE status = 'open' AND deadline IS NULL ORDER BY id"
).fetchall()
ids, titles, organisations, keys = zip(*rows, strict=True) if rows else ((), (), (), ())

now = datetime.now(UTC)
todays: dict[str, date] = {}
cells = {}
for key in set(keys):
    zone, _opens, deadline, tentative = key.split("|")
    if zone not in todays:
        todays[zone] = now.astimezone(ZoneInfo(zone)).date()
    today = todays[zone]
    if not deadline:
        cells[key] = " " * 15 + " │ "
        continue
    end = date.fromisoformat(deadline)
    days = (end - today).days
    left = f"{-days} days overdue" if days < 0 else f"{days} days left"
    cells[key] = f"{end:%a %Y-%m-%d}{'?' if tentative == '1' else ' '} │ {left}"

widths = [max(map(len, column), default=0) for column in (ids, titles, organisations)]
row = f"%-{widths[0]}s │ %-{widths[1]}s │ %-{widths[2]}s │ %s"
out = sys.stdout
out.write("ID │ Title │ Organisation │ Deadline │ Left\n")
for start in range(0, len(ids), 250):
    stop = start + 250
    texts = (ids[start:stop], titles[start:stop], organisations[start:stop])
    chunk = zip(*texts, map(cells.__getitem__, keys[start:stop]), strict=True)
    out.write("\n".join(map(row.__mod__, chunk)) + "\n")
out.flush()
os._exit(0)  # as reminder's script ends (entry.run): no interpreter teardown
