"""Accuracy of the guardrails (triage and the reply coach) on public data sets and our own.

Prints JSON lines: one object per data set and label, then one summary object. With
``--markdown FILE`` it also writes a table that puts each figure beside the published
baseline from ../shared/data/README.md.

    .venv/bin/python bench/guardrails_eval.py [--data DIR] [--markdown FILE] [--limit N]

The public sets are read in place (evaluation only: several are GPL, NC or unlicensed and
must not be copied into the repository). A missing file is skipped with a note, so the
script also runs on a machine that has only some of them. The mapping from each set's
labels to Balie's labels is loose in places; every result carries a ``note`` saying how,
so nobody compares a figure with a baseline it does not match.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))  # run from a checkout without installing

from balie.analysis.model import Coaching, ReplyContext, Triage  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "data"
OWN_DATA = Path(__file__).resolve().parent / "data"
FLAG_KINDS = (
    "insult",
    "sarcasm",
    "blame_customer",
    "internal_process",
    "no_apology",
    "qualified_apology",
    "refusal_without_alternative",
    "gag_clause",
    "charge_for_fault",
)
# A fixed clock: the coach needs "now" to date promises, and the figures must not depend
# on when the script runs.
NOW = dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC)

TriageFn = Callable[..., Triage]
CoachFn = Callable[[str, ReplyContext], Coaching]


@dataclass
class Counts:
    """A confusion matrix for one binary label."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, gold: bool, pred: bool) -> None:
        if gold and pred:
            self.tp += 1
        elif pred:
            self.fp += 1
        elif gold:
            self.fn += 1
        else:
            self.tn += 1

    @property
    def n(self) -> int:
        return self.tp + self.fp + self.fn + self.tn

    def metrics(self) -> dict[str, Any]:
        p = _div(self.tp, self.tp + self.fp)
        r = _div(self.tp, self.tp + self.fn)
        f1 = _div(2 * p * r, p + r) if p is not None and r is not None else None
        # The negative class's F1 too: OLID and DALC report macro-F1 over both classes.
        pn = _div(self.tn, self.tn + self.fn)
        rn = _div(self.tn, self.tn + self.fp)
        f1n = _div(2 * pn * rn, pn + rn) if pn is not None and rn is not None else None
        macro = (f1 + f1n) / 2 if f1 is not None and f1n is not None else None
        return {
            "n": self.n,
            "positives": self.tp + self.fn,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "tn": self.tn,
            "precision": _round(p),
            "recall": _round(r),
            "f1": _round(f1),
            "macro_f1": _round(macro),
            "accuracy": _round(_div(self.tp + self.tn, self.n)),
        }


def _div(a: float, b: float) -> float | None:
    return a / b if b else None


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 3)


@dataclass
class Report:
    results: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)

    def add(
        self,
        dataset: str,
        label: str,
        counts: Counts,
        *,
        baseline: str = "",
        note: str = "",
        **extra: Any,
    ) -> dict[str, Any]:
        row = {"dataset": dataset, "label": label, **counts.metrics()}
        row.update(extra)
        if baseline:
            row["baseline"] = baseline
        if note:
            row["note"] = note
        self.results.append(row)
        print(json.dumps(row, ensure_ascii=False), flush=True)
        return row

    def skip(self, dataset: str, why: str) -> None:
        row = {"dataset": dataset, "skipped": why}
        self.skipped.append(row)
        print(json.dumps(row, ensure_ascii=False), flush=True)


class Guarded:
    """Calls triage/coach and counts exceptions instead of dying on the first odd input:
    an exception on a real message is itself a finding."""

    def __init__(self, triage: TriageFn | None, coach: CoachFn | None) -> None:
        self._triage = triage
        self._coach = coach
        self.errors: Counter[str] = Counter()
        self.error_examples: list[str] = []

    def triage(self, text: str, language: str | None = None) -> Triage | None:
        assert self._triage is not None
        try:
            return self._triage(text, language=language)
        except Exception as exc:  # recorded and reported, see Guarded
            self._record("triage", text, exc)
            return None

    def coach(self, draft: str, context: ReplyContext) -> Coaching | None:
        assert self._coach is not None
        try:
            return self._coach(draft, context)
        except Exception as exc:  # recorded and reported, see Guarded
            self._record("coach", draft, exc)
            return None

    def _record(self, fn: str, text: str, exc: Exception) -> None:
        self.errors[fn] += 1
        if len(self.error_examples) < 5:
            self.error_examples.append(f"{fn}({text[:60]!r}): {type(exc).__name__}: {exc}")


def _sample(rows: list[Any], limit: int | None) -> list[Any]:
    """An evenly spread subset (files are often sorted by label, so never just the head)."""
    if not limit or len(rows) <= limit:
        return rows
    step = len(rows) / limit
    return [rows[int(i * step)] for i in range(limit)]


def _csv(path: Path, **kw: Any) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        yield from csv.DictReader(f, **kw)


def _jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


# --- public data sets -------------------------------------------------------------------


def eval_hatecheck(
    rep: Report, g: Guarded, path: Path, name: str, baseline: str, limit: int | None
) -> None:
    """HateCheck-style functional tests: hateful -> abusive, non-hateful -> not abusive."""
    rows = _sample(list(_csv(path)), limit)
    counts, lang_ok = Counts(), 0
    by_func: dict[str, Counts] = defaultdict(Counts)
    for row in rows:
        t = g.triage(row["test_case"])
        if t is None:
            continue
        gold = row["label_gold"] == "hateful"
        counts.add(gold, t.abusive)
        by_func[row["functionality"]].add(gold, t.abusive)
        lang_ok += t.language == "nl"
    # Balie's "abusive" includes plain profanity aimed at nobody (the issue: insults,
    # profanity, threats), which HateCheck labels non-hateful; show the score without
    # that functionality too, so the disagreement in definitions is visible.
    strict = Counts()
    for func, c in by_func.items():
        if func != "profanity_nh":
            for attr in ("tp", "fp", "fn", "tn"):
                setattr(strict, attr, getattr(strict, attr) + getattr(c, attr))
    functionality = {func: _round(_div(c.tp + c.tn, c.n)) for func, c in sorted(by_func.items())}
    rep.add(
        name,
        "abusive (hateful)",
        counts,
        baseline=baseline,
        note="gold hateful -> abusive; non-hateful includes profanity_nh, which Balie calls "
        "abusive by design; accuracy_without_profanity_nh leaves those out",
        accuracy_without_profanity_nh=strict.metrics()["accuracy"],
        accuracy_by_functionality=functionality,
        language_accuracy=_round(_div(lang_ok, len(rows))),
    )


def eval_xed_anger(rep: Report, g: Guarded, path: Path, limit: int | None) -> None:
    rows = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            text, _, labels = line.rstrip("\n").rpartition("\t")
            if text:
                rows.append((text, {x.strip() for x in labels.split(",")}))
    rows = _sample(rows, limit)
    counts, lang_ok = Counts(), 0
    for text, labels in rows:
        t = g.triage(text)
        if t is None:
            continue
        counts.add("1" in labels, t.anger)
        lang_ok += t.language == "nl"
    rep.add(
        "XED-nl",
        "anger",
        counts,
        baseline="XED nl linear SVM multi-label F1 0.614 over all 8 emotions (not anger "
        "alone; not comparable)",
        note="movie subtitles with labels projected from English; label 1 = anger",
        language_accuracy=_round(_div(lang_ok, len(rows))),
    )


def eval_olid(rep: Report, g: Guarded, data: Path, limit: int | None) -> None:
    tweets = {r["id"]: r["tweet"] for r in _csv(data / "olid/testset-levela.tsv", delimiter="\t")}
    with (data / "olid/labels-levela.csv").open(encoding="utf-8") as f:
        gold = dict(tuple(r) for r in csv.reader(f) if len(r) == 2)
    rows = _sample([(tweets[i], gold[i] == "OFF") for i in tweets if i in gold], limit)
    counts = Counts()
    for text, off in rows:
        t = g.triage(text)
        if t is not None:
            counts.add(off, t.abusive)
    rep.add(
        "OLID level A test",
        "abusive (OFF)",
        counts,
        baseline="macro-F1: SVM 0.69, BiLSTM 0.75, CNN 0.80, all-NOT 0.42 (Zampieri et al. "
        "2019); trained on OLID train, Balie is not",
        note="OFF -> abusive; compare macro_f1",
    )


def eval_complaints(rep: Report, g: Guarded, path: Path, limit: int | None) -> None:
    with path.open(encoding="utf-8", newline="") as f:
        rows = [(r[1], r[2] == "1") for r in csv.reader(f) if len(r) >= 3]
    rows = _sample(rows, limit)
    counts = Counts()
    for text, complaint in rows:
        t = g.triage(text)
        if t is not None:
            counts.add(complaint, t.intent == "complaint")
    rep.add(
        "Complaints (Preotiuc-Pietro 2019)",
        "intent == complaint",
        counts,
        baseline="F1 up to 0.79 (feature-based, distant supervision, 10-fold CV); "
        "transformers macro-F1 up to 0.87",
        note="tweets to brands; complaint -> intent complaint; compare f1",
    )


def eval_isarcasm(rep: Report, g: Guarded, path: Path, limit: int | None) -> None:
    # Triage has no sarcasm label (model.Triage), so the tweets are scored as if an agent
    # had written them: a neutral context, and only the coach's sarcasm flag counts. That
    # measures the reply-side detector on text it was not written for (tweets, not
    # replies), so expect it to read low; it is still the only public sarcasm set we have.
    rows = _sample([(r["text"], r["sarcastic"] == "1") for r in _csv(path)], limit)
    counts = Counts()
    ctx = ReplyContext(now=NOW, language="en")
    for text, sarcastic in rows:
        c = g.coach(text, ctx)
        if c is not None:
            counts.add(sarcastic, any(fl.kind == "sarcasm" for fl in c.flags))
    rep.add(
        "iSarcasmEval A test",
        "coach sarcasm flag",
        counts,
        baseline="F1 (sarcastic class) best team about 0.605 (recalled, unchecked)",
        note="tweets scored as replies with a neutral context; triage has no sarcasm label",
    )


def eval_bitext(rep: Report, g: Guarded, path: Path, limit: int | None) -> None:
    rows = []
    for r in _csv(path):
        tags = r["tags"]
        if "W" in tags:
            rows.append((r["instruction"], True))
        elif "P" in tags:
            rows.append((r["instruction"], False))
    rows = _sample(rows, limit)
    counts = Counts()
    for text, offensive in rows:
        t = g.triage(text)
        if t is not None:
            counts.add(offensive, t.abusive)
    rep.add(
        "Bitext customer support",
        "abusive (W tag) vs polite (P tag)",
        counts,
        baseline="none published",
        note="only rows tagged W (offensive, mostly mild: damn, bloody) or P (polite); "
        "recall = W rows caught, 1 - precision shows polite rows flagged",
    )


def eval_clinc(rep: Report, g: Guarded, path: Path, limit: int | None) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    rows = [(text, True) for text, _ in data["oos_test"]]
    rows += [(text, False) for text, _ in data["test"]]
    rows = _sample(rows, limit)
    counts = Counts()
    for text, oos in rows:
        t = g.triage(text)
        if t is not None:
            counts.add(oos, t.intent in ("non_customer", "spam"))
    rep.add(
        "CLINC150 test",
        "out-of-scope -> non_customer/spam",
        counts,
        baseline="OOS recall: SVM 0.145, MLP 0.474, BERT 0.403 (0.523 with threshold), all "
        "trained on CLINC in-scope intents (Larson et al. 2019)",
        note="loose mapping: in-scope covers 150 assistant intents (banking, travel, small "
        "talk), not only customer service; compare recall, and precision for false alarms",
    )


# --- our own sets -----------------------------------------------------------------------


def eval_replies(rep: Report, g: Guarded, path: Path) -> dict[str, Any]:
    rows = _jsonl(path)
    per_kind: dict[str, Counts] = {k: Counts() for k in FLAG_KINDS}
    per_kind_lang: dict[tuple[str, str], Counts] = defaultdict(Counts)
    verdict_ok = 0
    blocks, ok_rows = Counts(), Counts()
    misses: list[dict[str, Any]] = []
    for row in rows:
        c = row["context"]
        ctx = ReplyContext(
            customer_upset=c["customer_upset"],
            severity=c["severity"],
            company_at_fault=c["company_at_fault"],
            internal=c["internal"],
            customer_abusive=c["customer_abusive"],
            now=NOW,
            language=row["language"],
        )
        out = g.coach(row["text"], ctx)
        if out is None:
            continue
        got = {fl.kind for fl in out.flags}
        want = set(row["flags"])
        for kind in FLAG_KINDS:
            per_kind[kind].add(kind in want, kind in got)
            per_kind_lang[(kind, row["language"])].add(kind in want, kind in got)
        verdict_ok += out.verdict == row["verdict"]
        blocks.add(row["verdict"] == "block", out.verdict == "block")
        # "positive" = a good reply that the coach leaves alone
        ok_rows.add(row["verdict"] == "ok", out.verdict == "ok")
        if got != want and len(misses) < 400:
            misses.append({"id": row["id"], "want": sorted(want), "got": sorted(got)})
    for kind, counts in per_kind.items():
        by_lang = {lang: per_kind_lang[(kind, lang)].metrics()["f1"] for lang in ("nl", "en")}
        rep.add("own reply set", kind, counts, f1_by_language=by_lang)
    rep.add(
        "own reply set",
        "verdict == block",
        blocks,
        note="insults must block; precision shows replies blocked that should not be",
    )
    rep.add(
        "own reply set",
        "good reply stays ok",
        ok_rows,
        note="recall = good replies left alone; precision = replies passed as ok that are ok",
        verdict_accuracy=_round(_div(verdict_ok, len(rows))),
    )
    micro = Counts()
    for counts in per_kind.values():
        micro.tp += counts.tp
        micro.fp += counts.fp
        micro.fn += counts.fn
    macro_f1 = [c.metrics()["f1"] or 0.0 for c in per_kind.values()]
    return {
        "reply_flags_micro_f1": micro.metrics()["f1"],
        "reply_flags_macro_f1": _round(sum(macro_f1) / len(macro_f1)),
        "reply_verdict_accuracy": _round(_div(verdict_ok, len(rows))),
        "good_replies_left_ok": ok_rows.metrics()["recall"],
        "reply_mismatches": misses,
    }


def eval_triage_cases(rep: Report, g: Guarded, path: Path) -> dict[str, Any]:
    rows = _jsonl(path)
    results: list[tuple[dict[str, Any], Triage]] = []
    for row in rows:
        t = g.triage(row["text"])
        if t is not None:
            results.append((row, t))
    summary: dict[str, Any] = {}
    for sev in ("critical", "high"):
        for lang in ("all", "nl", "en"):
            counts = Counts()
            for row, t in results:
                if lang in ("all", row["language"]):
                    # "high or worse" for high: a critical case marked critical is not a
                    # miss of high; for critical only critical counts.
                    got = t.severity == "critical" or (sev == "high" and t.severity == "high")
                    want = row["severity"] == "critical" or (
                        sev == "high" and row["severity"] == "high"
                    )
                    counts.add(want, got)
            label = f"severity >= {sev}" + ("" if lang == "all" else f" ({lang})")
            m = rep.add("own triage set", label, counts)
            if lang == "all":
                summary[f"{sev}_recall"] = m["recall"]
    missed = [
        r["id"] for r, t in results if r["severity"] == "critical" and t.severity != "critical"
    ]
    summary["critical_missed_ids"] = missed
    for intent in ("complaint", "question", "praise", "non_customer", "spam"):
        counts = Counts()
        for row, t in results:
            if row["intent"] is not None:
                counts.add(row["intent"] == intent, t.intent == intent)
        rep.add("own triage set", f"intent == {intent}", counts)
    scored = [(r, t) for r, t in results if r["intent"] is not None]
    summary["intent_accuracy"] = _round(
        _div(sum(r["intent"] == t.intent for r, t in scored), len(scored))
    )
    for key in ("wants_human", "abusive", "anger"):
        counts = Counts()
        for row, t in results:
            if row[key] is not None:
                counts.add(row[key], getattr(t, key))
        rep.add("own triage set", key, counts)
    innocent = [(r, t) for r, t in results if r["tag"] == "innocent"]
    wrong = [r["id"] for r, t in innocent if t.abusive or t.severity != r["severity"]]
    summary["innocent_senses_right"] = f"{len(innocent) - len(wrong)}/{len(innocent)}"
    summary["innocent_senses_wrong_ids"] = wrong
    summary["language_accuracy"] = _round(
        _div(sum(r["language"] == t.language for r, t in results), len(results))
    )
    return summary


# --- driver -----------------------------------------------------------------------------


def _load() -> tuple[TriageFn | None, CoachFn | None, list[str]]:
    notes = []
    triage = coach = None
    try:
        from balie.analysis.triage import triage as triage_fn

        triage = triage_fn
    except ImportError as exc:
        notes.append(f"balie.analysis.triage not importable ({exc}); triage sets skipped")
    try:
        from balie.analysis.coach import coach as coach_fn

        coach = coach_fn
    except ImportError as exc:
        notes.append(f"balie.analysis.coach not importable ({exc}); coach sets skipped")
    return triage, coach, notes


def run(data: Path, limit: int | None, own: Path = OWN_DATA) -> tuple[Report, dict[str, Any]]:
    triage, coach, notes = _load()
    g = Guarded(triage, coach)
    rep = Report()
    summary: dict[str, Any] = {"notes": notes}
    timings: dict[str, float] = {}

    def step(name: str, needs: object, files: Iterable[Path], fn: Callable[[], Any]) -> None:
        if needs is None:
            rep.skip(name, "the function it needs is not available")
            return
        missing = [str(p) for p in files if not p.exists()]
        if missing:
            rep.skip(name, "missing " + ", ".join(missing))
            return
        t0 = time.perf_counter()
        out = fn()
        timings[name] = round(time.perf_counter() - t0, 2)
        if isinstance(out, dict):
            summary.update(out)

    hc_base = (
        "accuracy: random 57.08, all-hateful 68.83, BERTje fine-tuned on DALC v2 "
        "offensive 61.40 / abusive 60.19 (Caselli & van der Veen 2023)"
    )
    hc, mhc = data / "dalc/hatecheck-nl.csv", data / "mhc-dutch/hatecheck_cases_final_dutch.csv"
    xed, cmp_ = data / "xed/nl-projections.tsv", data / "complaints/complaints-data.csv"
    isar = data / "isarcasmeval/task_A_En_test.csv"
    bit = data / "bitext-customer-support/Bitext_Sample_Customer_Support_Training_Dataset_4514.csv"
    olid = [data / "olid/testset-levela.tsv", data / "olid/labels-levela.csv"]
    clinc = data / "clinc150/data_full.json"
    own_r, own_t = own / "reply_flags.jsonl", own / "triage_cases.jsonl"

    step("own triage set", triage, [own_t], lambda: eval_triage_cases(rep, g, own_t))
    step("own reply set", coach, [own_r], lambda: eval_replies(rep, g, own_r))
    step(
        "HateCheck-NL",
        triage,
        [hc],
        lambda: eval_hatecheck(rep, g, hc, "HateCheck-NL", hc_base, limit),
    )
    step(
        "MHC-nl",
        triage,
        [mhc],
        lambda: eval_hatecheck(rep, g, mhc, "MHC-nl", "none found", limit),
    )
    step("XED-nl", triage, [xed], lambda: eval_xed_anger(rep, g, xed, limit))
    step("OLID", triage, olid, lambda: eval_olid(rep, g, data, limit))
    step("Complaints", triage, [cmp_], lambda: eval_complaints(rep, g, cmp_, limit))
    step("iSarcasmEval", coach, [isar], lambda: eval_isarcasm(rep, g, isar, limit))
    step("Bitext", triage, [bit], lambda: eval_bitext(rep, g, bit, limit))
    step("CLINC150", triage, [clinc], lambda: eval_clinc(rep, g, clinc, limit))

    summary["seconds"] = timings
    summary["errors"] = dict(g.errors)
    summary["error_examples"] = g.error_examples
    summary["skipped"] = rep.skipped
    return rep, summary


def _fmt(x: Any) -> str:
    return "–" if x is None else f"{x:.3f}" if isinstance(x, float) else str(x)


def markdown(rep: Report, summary: dict[str, Any]) -> str:
    lines = [
        "| data set | label | n | positives | precision | recall | F1 | macro-F1 | accuracy "
        "| published baseline |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rep.results:
        cells = [r["dataset"], r["label"], r["n"], r["positives"]]
        cells += [_fmt(r[k]) for k in ("precision", "recall", "f1", "macro_f1", "accuracy")]
        cells.append(r.get("baseline", ""))
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    for s in rep.skipped:
        lines.append(f"| {s['dataset']} | skipped: {s['skipped']} | | | | | | | | |")
    by_lang = [r for r in rep.results if "f1_by_language" in r]
    if by_lang:
        lines += ["", "Reply flags, F1 by language:", "", "| flag | nl | en |", "|---|---:|---:|"]
        for r in by_lang:
            f1 = r["f1_by_language"]
            lines.append(f"| {r['label']} | {_fmt(f1['nl'])} | {_fmt(f1['en'])} |")
    keys = (
        "critical_recall",
        "high_recall",
        "critical_missed_ids",
        "intent_accuracy",
        "innocent_senses_right",
        "innocent_senses_wrong_ids",
        "language_accuracy",
        "reply_flags_micro_f1",
        "reply_flags_macro_f1",
        "reply_verdict_accuracy",
        "good_replies_left_ok",
        "errors",
    )
    lines += ["", "Summary:", ""]
    lines += [f"- {k}: {summary[k]}" for k in keys if k in summary]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared data folder")
    ap.add_argument("--markdown", type=Path, help="also write a Markdown table here")
    ap.add_argument("--limit", type=int, help="at most N rows per public set (quick runs)")
    # A set the lexicons have been tuned on no longer measures generalisation; a fresh one
    # (same two file names) can be pointed at without touching the committed sets.
    ap.add_argument("--own", type=Path, default=OWN_DATA, help="folder with our own two sets")
    args = ap.parse_args(argv)
    rep, summary = run(args.data, args.limit, args.own)
    print(json.dumps({"summary": summary}, ensure_ascii=False), flush=True)
    if args.markdown:
        args.markdown.write_text(markdown(rep, summary), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
