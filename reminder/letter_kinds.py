"""How a document for the organisation or the regulator names the request by its kind, in the
reader's language, when the user's own words for it are in a script the reader does not read.

A case's title is the user's own name for it ("注销巴林漫游卡": a name they recognise), and what
they filed (``--filed``) is often typed in their language too. A letter to Batelco in English
or Arabic, and the English dossier sent with a complaint, cannot name the request that way: the
kind the user gave (``--kind sim-cancellation``, ``--kind 注销`` stored as ``cancellation``) says
what was asked, in words :data:`REQUEST_WORDS` holds for each language a letter or the dossier
is written in but Chinese (whose readers read the user's words). A noun phrase, as the slots
need it: "I asked you … for the following: ___", "Follow-up: ___", "Request: ___", and the
Arabic "بالطلب التالي: ___", "متابعة طلب: ___".

A kind with no words here (``other``, a checklist template of the user's config) has none: the
user's words are then quoted as typed, and the letter command says so.

Pure, and cheap: a table and a look-up.
"""

from __future__ import annotations

__all__ = ["REQUEST_WORDS", "request_named", "request_words"]

REQUEST_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "sim-cancellation": "cancellation of a SIM/eSIM service",
        "cancellation": "cancellation of a service",
        "refund": "a refund",
        "permit": "a permit",
        "visa": "a visa",
        "data-request": "the exercise of data protection rights",
        "complaint": "the resolution of a complaint",
    },
    "ar": {
        "sim-cancellation": "إلغاء خدمة شريحة SIM/eSIM",
        "cancellation": "إلغاء خدمة",
        "refund": "استرداد مبلغ",
        "permit": "إصدار تصريح",
        "visa": "إصدار تأشيرة",
        "data-request": "ممارسة حقوق حماية البيانات الشخصية",
        "complaint": "معالجة شكوى",
    },
}


def request_words(kind: str, lang: str) -> str | None:
    """The request of a case of ``kind`` named in ``lang`` (None: no words for it)."""
    return REQUEST_WORDS.get(lang, {}).get(kind)


def request_named(kind: str, lang: str, typed: tuple[tuple[str | None, str], ...]) -> tuple[str, str]:
    """What a document in ``lang`` calls the request, and where that comes from: the first of the
    user's ``typed`` texts (each with its source: "filed", "title") in a script of ``lang``, else
    the words for the case's ``kind`` ("kind"), else the first of them given, as typed."""
    from .letter_scripts import foreign_script

    for text, source in typed:
        if text and foreign_script(text, lang) is None:
            return text, source
    words = request_words(kind, lang)
    if words is not None:
        return words, "kind"
    return next(((text, source) for text, source in typed if text), ("", typed[-1][1]))
