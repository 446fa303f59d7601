"""Review windows per second: reminder's calendar beside numpy and workalendar, in one run.

    .venv/bin/python benchmarks/window.py [--n 100000]

For BH, CN and US it measures

* reminder warm: ``compute_window`` on random 2026 submission dates, calendar loaded;
* reminder cold: the first window in a year not loaded yet (holidays computes that year);
* reminder add: one ``add_business_days`` call, to compare per scalar call with numpy;
* numpy: ``busday_offset`` per scalar call (two per window) with a prebuilt
  ``busdaycalendar`` of the same weekmask and holidays — numpy cannot express make-up
  working days or tentative dates, so it does less work;
* workalendar: ``add_working_days`` twice per window, where workalendar has the country.

Prints a small table; figures depend on the machine.
"""

from __future__ import annotations

import argparse
import random
import time
import warnings
from collections.abc import Callable
from datetime import date, timedelta

import holidays
import numpy as np

from reminder import calendar as cal_mod
from reminder.window import compute_window

COUNTRIES = ("BH", "CN", "US")


def _dates(n: int, seed: int = 7) -> list[date]:
    rng = random.Random(seed)
    first = date(2026, 1, 1)
    return [first + timedelta(days=rng.randrange(365)) for _ in range(n)]


def _rate(fn: Callable[[], object], calls: int) -> float:
    t0 = time.perf_counter()
    fn()
    return calls / (time.perf_counter() - t0)


def _clear_caches() -> None:
    cal_mod._load_year.cache_clear()
    cal_mod._cached_calendar.cache_clear()
    cal_mod._calendar_for.cache_clear()


def reminder_warm(country: str, days: list[date]) -> float:
    compute_window(days[0], country=country)
    for d in days[:1000]:  # load every year the windows reach
        compute_window(d, country=country)

    def run() -> None:
        for d in days:
            compute_window(d, country=country)

    return _rate(run, len(days))


def reminder_cold(country: str, years: range) -> float:
    _clear_caches()
    compute_window(date(2026, 1, 1), country=country)  # country validated, 2026 loaded
    t0 = time.perf_counter()
    for y in years:
        # 10 Dec: the window crosses into the next year, which is loaded on the way.
        compute_window(date(y, 12, 10), country=country)
    return len(years) / (time.perf_counter() - t0)


def reminder_add(country: str, days: list[date]) -> float:
    cal = cal_mod.get_calendar(country)
    add = cal.add_business_days

    def run() -> None:
        for d in days:
            add(d, 15)

    return _rate(run, len(days))


def numpy_scalar(country: str, days: list[date]) -> tuple[float, float]:
    h = holidays.country_holidays(country, years=range(2025, 2029))
    weekmask = "".join("0" if i in h.weekend else "1" for i in range(7))
    bdc = np.busdaycalendar(weekmask=weekmask, holidays=sorted(h))
    ds = [np.datetime64(d, "D") for d in days]
    offset = np.busday_offset

    def windows() -> None:
        for d in ds:
            offset(d, 7, roll="backward", busdaycal=bdc)
            offset(d, 15, roll="backward", busdaycal=bdc)

    def one() -> None:
        for d in ds:
            offset(d, 15, roll="backward", busdaycal=bdc)

    return _rate(windows, len(ds)), _rate(one, len(ds))


def workalendar_windows(country: str, days: list[date]) -> float | str:
    from workalendar.exceptions import CalendarError
    from workalendar.registry import registry

    klass = registry.get(country)
    if klass is None:
        return "no country"
    wcal = klass()
    try:
        for y in (2026, 2027):
            wcal.holidays(y)  # warm its per-year cache like ours
    except CalendarError:
        return "no 2026 data"  # workalendar 17's China stops at its last configured year

    def run() -> None:
        for d in days:
            wcal.add_working_days(d, 7)
            wcal.add_working_days(d, 15)

    return _rate(run, len(days))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="windows per measurement")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")  # workalendar warns about its own data limits on every call
    days = _dates(args.n)
    small = days[: max(1000, args.n // 20)]  # workalendar is slow; fewer calls, same rate

    rows = []
    for country in COUNTRIES:
        warm = reminder_warm(country, days)
        cold = reminder_cold(country, range(2030, 2040))
        add = reminder_add(country, days)
        np_win, np_one = numpy_scalar(country, days)
        wk = workalendar_windows(country, small)
        rows.append((country, warm, cold, add, np_win, np_one, wk))

    head = ("country", "ours warm", "ours cold", "ours add/s", "numpy win/s", "numpy call/s", "workalendar")
    print(f"holidays {cal_mod.HOLIDAYS_VERSION}, numpy {np.__version__}, {args.n} windows per run")
    print("  ".join(f"{h:>12}" for h in head))
    for country, warm, cold, add, np_win, np_one, wk in rows:
        cells = [country, f"{warm:,.0f}", f"{cold:,.0f}", f"{add:,.0f}", f"{np_win:,.0f}", f"{np_one:,.0f}"]
        cells.append(wk if isinstance(wk, str) else f"{wk:,.0f}")
        print("  ".join(f"{c:>12}" for c in cells))
    print("windows/s except 'add/s' and 'call/s' (one 15-business-day offset per call).")
    print("cold = first window in a year not yet loaded (holidays computes it, overrides applied).")


if __name__ == "__main__":
    main()
