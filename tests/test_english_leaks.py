"""The English-leak scanner itself: it finds English, and lets through what stays Latin on purpose."""

from __future__ import annotations

import pytest
from english_leaks import assert_no_english, english_leaks, html_text


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("the review window opens in 3 days", ["the", "review", "window", "opens", "days"]),
        ("审核期 opens 明天", ["opens"]),
        ("周末（Friday）", ["Friday"]),
        # The program's name is allowed, the sentence around it is not.
        ("（This replaces 2 earlier reminder(s) while reminder was not running.）", None),
        ("下一步：Call the operator again", ["Call", "the", "operator", "again"]),
        ("联系渠道：hotline 196、e-mail", ["hotline", "e-mail"]),
        # A command swallows its own words only, not a sentence after it.
        ("运行 reminder export and then wait", ["and", "then", "wait"]),
    ],
)
def test_english_is_found(text: str, words: list[str] | None) -> None:
    leaks = english_leaks(text)
    assert leaks, text
    if words is not None:
        assert [leak.split(" in ")[0].strip("'") for leak in leaks] == words


@pytest.mark.parametrize(
    "text",
    [
        "截止日期：2026年3月22日 星期日；提交日期 2026-03-01，时间 2026-03-01T09:00:00+03:00",
        "详见 https://www.pmo.gov.bh/en/article/eid-al-fitr-1447 或 consumer.tra.org.bh",
        "发送给 me@example.org 和 mum@example.org",
        "收到处理结果后，运行：reminder close k7m2qx --resolution '…'",
        "事项：k7m2qx（详情：reminder show k7m2qx）",
        "用 reminder evidence verify k7m2qx --head 9f8e7d6c5b4a3f2e 核对",
        "向 TRA、GDPR、ADR、CISAS 投诉",
        "注销漫游 eSIM，reminder 未运行期间",
        "带宽 100 Mbps",
    ],
)
def test_what_stays_latin_on_purpose_passes(text: str) -> None:
    assert english_leaks(text) == []


def test_the_callers_names_and_phrases_are_allowed() -> None:
    text = "机构：Batelco；提交给 Communications Ombudsman 或 CISAS；预设 telecom"
    assert len(english_leaks(text)) == 4  # Batelco, Communications, Ombudsman, telecom
    assert english_leaks(text, allow={"Batelco", "Communications Ombudsman", "telecom"}) == []
    with pytest.raises(AssertionError, match="Batelco"):
        assert_no_english(text, allow={"Communications Ombudsman", "telecom"}, what="a line")


def test_html_is_read_as_its_text() -> None:
    markup = "<!DOCTYPE html><html lang='zh-CN'><head><style>body{font-family:serif}</style></head>"
    markup += "<body><h2 class='title'>审核期</h2><p>Next step &amp; more</p></body></html>"
    text = html_text(markup)
    assert "serif" not in text and "class" not in text and "Next step & more" in text
    assert [leak.split(" in ")[0] for leak in english_leaks(text)] == ["'Next'", "'step'", "'more'"]


def test_an_allowed_id_without_digits_still_reads_as_part_of_its_command() -> None:
    text = "收到处理结果后，运行：reminder close kxcukc --resolution '…'"
    assert english_leaks(text) != []  # an id of letters only looks like a word
    assert english_leaks(text, allow={"kxcukc"}) == []
    # A name inside a longer word is not taken out.
    assert english_leaks("预设 telecommunications", allow={"telecom"}) != []
