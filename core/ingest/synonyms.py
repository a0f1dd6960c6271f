"""Header synonyms (English and Korean) and the header parser: field, time point, unit.

``parse_header("uPCR, mg/mmol (month 6)")`` gives field ``upcr``, month 6.0, unit
``mg/mmol``; every pattern of data-contract §1 is read (``upcr_m6``, ``upcr_0``,
``upcr_6m``, ``UPCR (6 mo)``, ``UPCR (month 6)``, ``UPCR (m6)``, ``upcr_month6``,
``UPCR_6개월``, ``_baseline``/``_bl``/``(baseline)``/``_기저``/``_0개월``, weeks ``upcr_w24``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from core.ingest.units import STEROID_FACTORS, is_unit_text, normalise_unit

SYNONYMS: dict[str, tuple[str, ...]] = {
    "patient_id": ("patient_id", "id", "pid", "patient id", "patient no", "patient no.", "patient number",
                   "pt id", "pt no", "subject", "subject id", "case id", "case no", "study id",
                   "record no", "mrn", "chart no", "환자번호", "등록번호", "환자 id", "환자id",
                   "연구번호", "병록번호", "차트번호", "대상자번호", "환자 번호", "연구 번호", "번호"),
    "group": ("group", "reason", "reason for switch", "switch reason", "indication", "arm",
              "cohort", "switch", "군", "그룹", "전환사유", "전환 사유", "전환이유", "사유", "분류군"),
    "isn_class": ("isn_class", "class", "isn class", "isn/rps class", "isn/rps", "isn rps",
                  "biopsy class", "biopsy class isn/rps", "ln class", "who class", "histology",
                  "histologic class", "histological class", "pathology", "pathology class",
                  "biopsy", "isn분류", "isn 분류", "조직형", "병리", "병리분류", "조직학적 분류",
                  "신생검", "신생검 분류", "ln 분류", "루푸스신염 분류"),
    "isn_class_detail": ("isn_class_detail",),
    "sex": ("sex", "gender", "성별", "성"),
    "age": ("age", "age at start", "age at baseline", "age years", "나이", "연령", "만나이"),
    "start_date": ("start_date", "start date", "therapy start", "treatment start",
                   "start of therapy", "date of switch", "switch date", "시작일",
                   "치료시작일", "치료 시작일", "전환일"),
    "ttr_months": ("ttr_months", "ttr", "time to response", "time to response months",
                   "반응까지 기간"),
    "ttr_event": ("ttr_event", "response event", "ttr event", "반응여부"),
    # competing events: only headers that name a time (a bare "ESKD" or "death" column is
    # usually yes/no, and must not be read as a month)
    "death_month": ("death_month", "death month", "month of death", "time to death",
                    "death time months", "사망월", "사망 시점", "사망시점", "사망까지 기간",
                    "사망 개월"),
    "eskd_month": ("eskd_month", "eskd month", "month of eskd", "time to eskd", "esrd month",
                   "time to esrd", "말기신부전 시점"),
    "discontinued_month": ("discontinued_month", "discontinuation month",
                           "month of discontinuation", "time to discontinuation",
                           "stop month", "중단 시점", "중단시점", "투약중단 시점", "치료중단 시점"),
    "ttr_status": ("ttr_status", "event status", "status code", "event code", "ttr status",
                   "사건코드", "상태코드"),
    # long-term outcomes (core/model/schema.py LONG_TERM_*): English and Korean headers
    "death": ("death", "died", "deceased", "mortality", "사망", "사망여부"),
    "dialysis_month": ("dialysis_month", "dialysis month", "dialysis start month",
                       "month dialysis started", "투석시작", "투석 시작 개월", "투석시점"),
    "transplant_month": ("transplant_month", "transplant month", "kidney transplant month",
                         "month of transplant", "신이식", "신장이식 시점", "이식시점"),
    # LN response extensions (issue 13): BLISS-LN reference eGFR and treatment failure
    "prior_egfr": ("prior_egfr", "prior egfr", "pre-flare egfr", "preflare egfr",
                   "pre flare egfr", "egfr before flare", "reference egfr", "baseline egfr before flare",
                   "재발 전 egfr", "재발전 egfr", "이전 egfr", "기준 egfr", "flare 전 egfr"),
    "treatment_failure": ("treatment_failure", "treatment failure", "rescue", "rescue therapy",
                          "rescue medication", "rescue treatment", "치료실패", "치료 실패",
                          "구제요법", "구제 요법", "구제치료"),
    "month": ("month", "months", "visit month", "time", "time months", "follow-up month",
              "follow up", "followup", "fu month", "개월", "방문월", "시점", "추적기간", "경과월"),
    "week": ("week", "weeks", "visit week", "주", "주차"),
    "day": ("day", "days", "visit day", "일", "일차"),
    "visit_date": ("visit_date", "visit date", "date", "sample date", "lab date", "방문일",
                   "검사일", "방문일자", "검사일자"),
    "upcr": ("upcr", "u-pcr", "upcr ratio", "pcr", "protein/creatinine ratio",
             "urine protein/creatinine ratio", "urine protein creatinine ratio",
             "urine protein to creatinine ratio", "spot upcr", "uprot/ucr", "단백뇨",
             "요단백/크레아티닌비", "요단백크레아티닌비", "요단백/크레아티닌 비", "단백/크레아티닌비"),
    "proteinuria_24h": ("proteinuria_24h", "24h proteinuria", "24-h proteinuria",
                        "24 hour proteinuria", "24h urine protein", "24-hour urine protein",
                        "24 h urine protein", "proteinuria 24h", "24시간 단백뇨", "24시간 요단백",
                        "24hr urine protein", "daily proteinuria"),
    "creatinine": ("creatinine", "cr", "scr", "s-cr", "s-creatinine", "serum creatinine", "creat",
                   "크레아티닌", "혈청 크레아티닌", "혈청크레아티닌", "크레아틴"),
    "egfr": ("egfr", "gfr", "egfr ckd-epi", "ckd-epi egfr", "사구체여과율", "추정사구체여과율"),
    "albumin": ("albumin", "alb", "s-albumin", "s-alb", "serum albumin", "알부민", "혈청 알부민",
                "혈청알부민"),
    "anti_dsdna": ("anti_dsdna", "anti-dsdna", "anti dsdna", "dsdna", "anti-ds-dna", "ds-dna",
                   "anti-dsdna ab", "anti-dsdna titre", "anti-dsdna titer", "항dsdna", "항 dsdna",
                   "항ds-dna", "항dsdna 항체", "항dsdna항체", "dsdna 항체"),
    "anti_dsdna_censored": ("anti_dsdna_censored",),
    "anti_dsdna_pos": ("anti_dsdna_pos", "anti-dsdna pos/neg", "anti-dsdna positive",
                       "anti-dsdna positivity", "anti-dsdna status", "dsdna positive",
                       "dsdna pos", "anti-dsdna +/-", "항dsdna 양성여부", "항dsdna 양성",
                       "dsdna 양성", "항dsdna 양성/음성", "항dsdna양성여부"),
    "c3": ("c3", "complement c3", "serum c3", "보체 c3", "보체c3"),
    "c4": ("c4", "complement c4", "serum c4", "보체 c4", "보체c4"),
    "sledai": ("sledai", "sledai-2k", "sledai2k", "sle-dai", "sledai score", "sledai-2k score"),
    "steroid_mg": ("steroid_mg", "steroid", "steroids", "steroid dose", "glucocorticoid",
                   "gc dose", "oral steroid", "pred", "pd", "pdn", "daily steroid", "스테로이드",
                   "스테로이드 용량", "스테로이드용량"),
    "steroid_pulse_mg": ("steroid_pulse_mg", "steroid pulse", "pulse", "iv pulse",
                         "스테로이드 펄스", "펄스"),
    "steroid_pulse_days": ("steroid_pulse_days", "pulse days", "number of pulse days",
                           "pulse day count", "펄스 일수", "펄스일수", "펄스 횟수"),
    "urine_rbc": ("urine_rbc", "urine rbc", "rbc", "u-rbc", "urinary rbc", "urine red cells",
                  "hematuria", "haematuria", "요 적혈구", "요적혈구", "혈뇨"),
    "response": ("response", "renal response", "outcome", "clinical response", "신반응",
                 "반응", "치료반응", "신장반응", "신 반응", "치료 반응"),
}

_DRUGS: dict[str, tuple[str, ...]] = {
    "prednisolone": ("prednisolone", "프레드니솔론", "pdl", "소론도"),
    "prednisone": ("prednisone", "프레드니손"),
    "methylprednisolone": ("methylprednisolone", "methyl-prednisolone", "mp", "mpd", "medrol",
                           "메틸프레드니솔론", "메드롤", "solu-medrol"),
    "triamcinolone": ("triamcinolone", "트리암시놀론"),
    "dexamethasone": ("dexamethasone", "dexa", "덱사메타손"),
    "hydrocortisone": ("hydrocortisone", "하이드로코티손", "히드로코르티손"),
    "deflazacort": ("deflazacort", "데플라자코트"),
}
assert set(_DRUGS) == set(STEROID_FACTORS)


def name_key(text: str) -> str:
    """Header text reduced for matching: NFKC, lower case, letters/digits/Hangul only."""
    s = unicodedata.normalize("NFKC", str(text)).lower()
    return re.sub(r"[^0-9a-z가-힣+]", "", s)


_LOOKUP: dict[str, str] = {name_key(s): f for f, syns in SYNONYMS.items() for s in syns}
_DRUG_LOOKUP: dict[str, str] = {name_key(s): d for d, syns in _DRUGS.items() for s in syns}
_DOSE_WORDS = ("dose", "daily", "dailydose", "용량", "mgday", "po", "oral", "경구")

_NUM = r"(\d+(?:\.\d+)?)"
# Time-point texts (a whole bracket, or a header suffix after _ / space / -).
_TIME_PATTERNS: tuple[tuple[re.Pattern, str], ...] = (
    (re.compile(r"^(?:baseline|bl|base|기저|기저치|month0|m0)$"), "zero"),
    (re.compile(rf"^(?:m|mo|month|months|개월)\s*{_NUM}$"), "months"),
    (re.compile(rf"^{_NUM}\s*(?:m|mo|mos|month|months|개월|개월째)$"), "months"),
    (re.compile(rf"^(?:w|wk|week|weeks|주)\s*{_NUM}$"), "weeks"),
    (re.compile(rf"^{_NUM}\s*(?:w|wk|wks|week|weeks|주|주째)$"), "weeks"),
    (re.compile(rf"^(?:d|day|days)\s*{_NUM}$"), "days"),
    (re.compile(rf"^{_NUM}\s*(?:d|day|days|일|일째)$"), "days"),
)
_SUFFIX = re.compile(
    r"^(?P<name>.*?\S)\s*[_\-\s.]\s*(?P<time>(?:baseline|bl|기저|기저치|"
    rf"(?:m|mo|month|w|wk|week|d|day)\s*_?{_NUM}|{_NUM}\s*(?:m|mo|mos|months?|개월|w|wk|weeks?|주|d|days?|일))|{_NUM})$"
)
_KOREAN_SUFFIX = re.compile(rf"^(?P<name>.*?\S)\s*(?P<time>기저|{_NUM}\s*(?:개월|주|일))$")


def to_months(value: float, unit: str | None) -> float:
    """A time in ``unit`` (months, weeks, days; None = months) as months: weeks × 12 / 52,
    days / 30.4375, never rounded (data-contract §1)."""
    v = float(value)
    return v * 12 / 52 if unit == "weeks" else v / 30.4375 if unit == "days" else v


def parse_time_unit(text: str) -> tuple[float, str] | None:
    """A time-point text as written: ``(value, unit)`` with unit months, weeks or days.

    'w20' -> (20.0, 'weeks'); '6 mo' -> (6.0, 'months'); 'baseline' -> (0.0, 'months').
    """
    s = unicodedata.normalize("NFKC", str(text)).strip().lower().replace("_", "")
    if re.fullmatch(_NUM, s):
        return float(s), "months"
    for pattern, kind in _TIME_PATTERNS:
        m = pattern.fullmatch(s)
        if m:
            return (0.0, "months") if kind == "zero" else (float(m.group(1)), kind)
    return None


def parse_time(text: str) -> float | None:
    """Months since therapy start for a time-point text, or None.

    '6 mo', 'month 6', 'm6', '6개월' -> 6.0; 'baseline', 'bl', '기저' -> 0.0; 'w24' ->
    24 * 12 / 52; 'day 30' -> 30 / 30.4375 (data-contract §1: never rounded).
    """
    got = parse_time_unit(text)
    return None if got is None else to_months(*got)


@dataclass(frozen=True)
class HeaderInfo:
    """What a header says: canonical field (or None), month, unit (or steroid drug)."""

    field: str | None
    month: float | None
    unit: str | None
    name: str  # the header with time point and unit removed
    time: float | None = None  # the time point as written (``month`` in ``time_unit``)
    time_unit: str | None = None  # months, weeks or days


def lookup_field(name: str) -> tuple[str | None, str | None]:
    """``(field, drug)`` for a header name without time point or unit."""
    key = name_key(name)
    if not key:
        return None, None
    if key in _LOOKUP:
        return _LOOKUP[key], None
    pulse = "pulse" in key or "펄스" in key
    for drug_key, drug in sorted(_DRUG_LOOKUP.items(), key=lambda kv: -len(kv[0])):
        rest = key.replace(drug_key, "", 1) if drug_key in key else None
        if rest is None or len(drug_key) < 3 and rest and not pulse:
            continue
        rest = rest.replace("pulse", "").replace("펄스", "").replace("iv", "")
        if rest == "" or rest in _DOSE_WORDS or pulse:
            return ("steroid_pulse_mg" if pulse else "steroid_mg"), drug
    for strip in ("serum", "urine", "urinary", "혈청", "s", "u"):
        if key.startswith(strip) and key[len(strip):] in _LOOKUP:
            return _LOOKUP[key[len(strip):]], None
    return None, None


def parse_header(header: str) -> HeaderInfo:
    """Field, month and unit written in a header (see the module docstring)."""
    text = unicodedata.normalize("NFKC", str(header)).strip()
    month: float | None = None
    written: tuple[float, str] | None = None
    unit: str | None = None
    kept: list[str] = []

    def bracket(m: re.Match) -> str:
        nonlocal month, unit, written
        inner = (m.group(1) or m.group(2) or "").strip()
        t = parse_time(inner)
        if t is not None and month is None:
            month, written = t, parse_time_unit(inner)
            return " "
        if is_unit_text(inner) and unit is None:
            unit = inner
            return " "
        if "," in inner:  # "(mg/g, month 6)"
            parts = [p.strip() for p in inner.split(",")]
            if all(parse_time(p) is not None or is_unit_text(p) for p in parts):
                for p in parts:
                    if parse_time(p) is not None:
                        month, written = parse_time(p), parse_time_unit(p)
                    else:
                        unit = p
                return " "
        kept.append(inner)
        return " "

    text = re.sub(r"\(([^()]*)\)|\[([^\[\]]*)\]", bracket, text)
    name = re.sub(r"\s+", " ", text).strip(" _-")
    if month is None:
        m = _KOREAN_SUFFIX.match(name) or _SUFFIX.match(name)
        if m and parse_time(m.group("time")) is not None:
            month, name = parse_time(m.group("time")), m.group("name").strip(" _-")
            written = parse_time_unit(m.group("time"))
    if "," in name:
        head, _sep, tail = name.rpartition(",")
        if is_unit_text(tail.strip()) and head.strip():
            unit = unit or tail.strip()
            name = head.strip()
    parts = name.rsplit(" ", 1)
    if unit is None and len(parts) == 2 and "/" in parts[1] and is_unit_text(parts[1]):
        unit, name = parts[1], parts[0]
    field, drug = lookup_field(f"{name} {' '.join(kept)}")
    if field is None:
        field, drug = lookup_field(name)
    if field is None and kept:  # "Albumin (serum)": the bracket may be the name itself
        field, drug = lookup_field(kept[0])
    if drug is not None and STEROID_FACTORS[drug] == 1.0:
        drug = None  # prednisolone itself: the header's unit (mg/day) is what to show
    if field in ("week", "day"):  # a long file's time column in weeks or days
        field, unit, drug = "month", f"{field}s", None
    norm_unit = normalise_unit(drug or unit, field) if field else normalise_unit(unit)
    if field and drug is None and unit is not None and norm_unit is None:
        norm_unit = normalise_unit(unit)  # a unit we know but cannot convert: validation says so
    time, time_unit = written if written is not None and month is not None else (None, None)
    return HeaderInfo(field, month, norm_unit, name, time, time_unit)
