"""The shipped regulators: every fact sourced, the ones the issue names present, and how a case's
regulator is chosen (by country and sector, the UK's two ADR schemes by their member lists)."""

from __future__ import annotations

import re
import tomllib
from importlib import resources

import pytest

from reminder.errors import InputError
from reminder.regulators import (
    FACT_FIELDS,
    FORM_PARTS,
    Regulator,
    choose,
    country_language,
    letter_defaults,
    load_regulators,
    sector_of,
)

URL = re.compile(r"https?://\S+")


def test_the_regulators_the_issue_names_are_shipped() -> None:
    regs = load_regulators()
    tra = regs["bh-tra"]
    assert (tra.country, tra.sector, tra.short) == ("BH", "telecom", "TRA")
    assert tra.name == "Telecommunications Regulatory Authority" and tra.name_local == "هيئة تنظيم الاتصالات"
    assert {regs["gb-cisas"].short, regs["gb-comms-ombudsman"].name} == {"CISAS", "Communications Ombudsman"}
    miit = regs["cn-miit"]
    assert miit.name_local == "工业和信息化部电信用户申诉受理中心" and miit.phone == "12300"
    assert miit.language == "zh_CN" and miit.asks_address
    assert regs["ae-tdra"].short == "TDRA" and regs["sa-cst"].short == "CST"
    assert {regs[r].short for r in ("ie-dpc", "fr-cnil", "de-bfdi")} == {"DPC", "CNIL", "BfDI"}
    assert regs["eu-dpa"].country == "*" and regs["eu-dpa"].name is None  # the pattern, name left blank


@pytest.mark.parametrize("rid", sorted(load_regulators()))
def test_every_fact_names_the_page_it_comes_from(rid: str) -> None:
    r = load_regulators()[rid]
    assert URL.match(r.source), r.source
    for fact in FACT_FIELDS:
        if getattr(r, fact):
            assert URL.search(r.source_of(fact)), f"{rid}.{fact} has no source URL"
    assert r.form and set(r.form) <= set(FORM_PARTS) and len(set(r.form)) == len(r.form)
    assert r.requires_first, f"{rid}: what it requires first is the reason it is here"


def test_no_contact_detail_without_its_own_reason_to_be_there() -> None:
    # Conservative: a phone number, e-mail or postal address is shipped only where a page was read
    # for it; everything else is a blank in the letter. This pins what was verified.
    shipped = {
        (rid, fact): getattr(r, fact)
        for rid, r in load_regulators().items()
        for fact in ("phone", "email", "postal")
        if getattr(r, fact)
    }
    assert shipped == {
        ("bh-tra", "phone"): "81188",
        ("gb-comms-ombudsman", "phone"): "0330 440 1614",
        ("cn-miit", "phone"): "12300",
        ("sa-cst", "phone"): "19966",
        ("ie-dpc", "postal"): "21 Fitzwilliam Square South, Dublin 2, D02 RD28, Ireland",
    }


def test_an_unknown_key_in_the_data_is_refused() -> None:
    from reminder.regulators import _regulator

    with pytest.raises(ValueError, match="unknown key"):
        _regulator("x", {"country": "XX", "sector": "telecom", "source": "https://x", "fone": "1"})
    with pytest.raises(ValueError, match="form: unknown part"):
        _regulator("x", {"country": "XX", "sector": "telecom", "source": "https://x", "form": ["nope"]})


def test_sector_comes_from_the_preset_then_the_kind() -> None:
    assert sector_of("telecom", "other") == "telecom"
    assert sector_of("telecom-uk", "other") == "telecom"
    assert sector_of("gdpr", "sim-cancellation") == "data-protection"
    assert sector_of(None, "sim-cancellation") == "telecom"
    assert sector_of(None, "data-request") == "data-protection"
    assert sector_of(None, "refund") is None


def test_choosing_the_regulator_of_a_case() -> None:
    assert choose("BH", "telecom", "Batelco").id == "bh-tra"
    # No sector: an operator the regulator licenses (its member list) says it.
    assert choose("bh", None, "Zain").id == "bh-tra" and choose("BH", None, "Batelco Bahrain").id == "bh-tra"
    assert choose("CN", "telecom", "中国移动").id == "cn-miit"
    # The UK: the provider's scheme, from Ofcom's list of which provider belongs to which.
    assert choose("GB", "telecom", "Vodafone UK").id == "gb-cisas"
    assert choose("GB", "telecom", "EE").id == "gb-comms-ombudsman"
    assert choose("GB", "telecom", "Virgin Media O2").id == "gb-comms-ombudsman"
    assert choose("IE", "data-protection", "Meta").id == "ie-dpc"
    assert choose("PL", "data-protection", "Allegro").id == "eu-dpa"  # the Art. 77 pattern
    assert choose("PL", None, "x", regulator_id="FR-CNIL").id == "fr-cnil"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("GB", "telecom", "Some ISP"), "several regulators fit .* gb-comms-ombudsman, gb-cisas"),
        (("US", "telecom", "AT&T"), "no telecom regulator is known for US"),
        (("JP", None, "x"), "no regulator is known for this kind of case in JP"),
        # Bahrain has one regulator here, the TRA: a visa is not its business all the same.
        (("BH", None, "LMRA"), "no regulator is known for this kind of case in BH: for a telecom"),
    ],
)
def test_no_guess_when_the_data_does_not_settle_it(args: tuple[str, str | None, str], message: str) -> None:
    with pytest.raises(InputError, match=message):
        choose(*args)


def test_an_unknown_regulator_id_lists_the_known_ones() -> None:
    with pytest.raises(InputError, match=r"unknown regulator 'bh-nope'; known: .*bh-tra"):
        choose("BH", "telecom", "Batelco", regulator_id="bh-nope")


def test_a_member_list_matches_whole_words() -> None:
    r = Regulator("x", "GB", "telecom", "https://x", members=("EE", "Three"))
    assert r.has_member("EE Limited") and r.has_member("three")
    assert not r.has_member("Freedom Telecom") and not r.has_member("Threesixty")


def test_letter_languages_by_country_are_data() -> None:
    data = tomllib.loads(resources.files("reminder").joinpath("data/letters.toml").read_text("utf-8"))
    assert data["languages"]["CN"] == "zh_CN"
    assert country_language("CN") == "zh_CN" and country_language("bh") == "en"
    assert country_language("SA") == letter_defaults().default_language == "en"
    assert letter_defaults().reply_business_days >= 1
