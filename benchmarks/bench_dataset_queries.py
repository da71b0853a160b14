"""Query times on a session dataset of 10,000 sessions and one million emotion samples.

The dataset is synthetic, generated with numpy and pyarrow straight into the dataset layout
(what :class:`~nextevi_widgets.dataset.DatasetWriter` writes: the same schema, part files,
manifest), not through the emulator: 10,000 sessions with a ``sentiment`` label (3 values)
and a ``config`` (2 values), 4 turns and 2 latency records each, and 1,000,008 emotion samples
(9 emotions × 111,112 sample times spread over the sessions, scores biased by the label).
It is written as a writer flushing every 16 sessions (its default) leaves it before compacting
(625 parts, e.g. after a killed run), timed as such (full run only), then compacted with
``compact_dataset`` (timed) and timed again.

Timed (median/p95 of repeated runs, result to pandas included): the per-label aggregate
(mean score per sentiment and emotion, emotion samples joined to sessions) through DuckDB —
the goal, ≤ 1 s — and through pandas (frames already in memory; and read from the files
first), then typical analysis queries through DuckDB: top emotion per session vs label,
latency percentiles per configuration, one session's turns. The calibration loop is printed
beside the goal.
"""

from __future__ import annotations

import itertools
import time
from pathlib import Path
from typing import Any

import numpy as np

from .harness import BenchSpec, Context, Goal, Metric, Skip, calibrated, calibration_loop

SESSIONS = 10_000
EMOTIONS = ("joy", "sadness", "anger", "fear", "surprise", "disgust", "neutral", "empathy")
EMOTIONS += ("confusion",)
SAMPLE_TIMES = 111_112  # x 9 emotions = 1,000,008 samples
LABELS = ("positive", "negative", "neutral")
GOAL_MS = 1000.0
MESSAGE_IDS = np.array(["user-1", "assistant-2", "user-3", "assistant-4"])

PER_LABEL = """
    select s.sentiment, e.name, avg(e.score) as mean_score, count(*) as samples
    from emotion_samples e join sessions s using (session_id)
    group by all order by all
"""


def generate(path: Path, parts: int, seed: int = 0) -> dict[str, int]:
    """Write the synthetic dataset at ``path`` in ``parts`` parts; rows per table."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from nextevi_widgets.dataset import SCHEMAS, DatasetWriter

    DatasetWriter(path).close()  # the manifest
    rng = np.random.default_rng(seed)
    ids = np.array([f"s{i:05d}" for i in range(SESSIONS)], dtype=object)
    label_index = rng.integers(0, len(LABELS), SESSIONS)
    sentiment = np.array(LABELS, dtype=object)[label_index]
    config = np.array(["a", "b"], dtype=object)[rng.integers(0, 2, SESSIONS)]
    points = rng.multinomial(SAMPLE_TIMES, np.full(SESSIONS, 1 / SESSIONS))
    # positive leans to joy, negative to sadness and anger, neutral to neutral
    bias = np.array(
        [[2.0, 1, 1, 1, 1, 1, 1, 1, 1], [1, 2, 1.5, 1, 1, 1, 1, 1, 1], [1] * 6 + [2] + [1] * 2]
    )
    rows = {"sessions": 0, "turns": 0, "emotion_samples": 0, "latency": 0}
    bounds = np.linspace(0, SESSIONS, parts + 1).astype(int)
    sessions_schema = SCHEMAS["sessions"].append(pa.field("sentiment", pa.string()))
    for number, (lo, hi) in enumerate(itertools.pairwise(bounds), 1):
        part = f"part-20260101T000000{number:06d}Z-synth000-{number:05d}"
        n = hi - lo
        sid = ids[lo:hi]
        per = points[lo:hi]
        point_session = np.repeat(np.arange(lo, hi), per)
        t = np.concatenate([np.sort(rng.uniform(0, 40, k)) for k in per]) if n else np.zeros(0)
        turn = (t // 10).astype(np.int32) + 1
        scores = rng.dirichlet(np.ones(9), len(point_session))
        biased = bias[label_index[point_session]]
        scores = scores * biased / (scores * biased).sum(axis=1, keepdims=True)
        m = len(point_session)
        tables = {
            "emotion_samples": {
                "session_id": np.repeat(ids[point_session], 9),
                "part": np.full(m * 9, part, dtype=object),
                "t": np.repeat(t, 9),
                "turn": np.repeat(turn, 9),
                "user_turn": np.repeat((turn + 1) // 2, 9),
                "role": np.repeat(np.where(turn % 2 == 1, "user", "assistant"), 9),
                "name": np.tile(np.array(EMOTIONS, dtype=object), m),
                "score": scores.astype(np.float32).ravel(),
                "source": np.full(m * 9, "emotion_update", dtype=object),
            },
            "turns": {
                "session_id": np.repeat(sid, 4),
                "part": np.full(n * 4, part, dtype=object),
                "turn": np.tile(np.arange(1, 5, dtype=np.int32), n),
                "message_id": np.tile(
                    np.array(["user-1", "assistant-2", "user-3", "assistant-4"]), n
                ),
                "role": np.tile(np.array(["user", "assistant"] * 2), n),
                "text": np.tile(np.array(["hello there", "Hi! How are you?"] * 2), n),
                "is_final": np.ones(n * 4, bool),
                "interrupted": np.zeros(n * 4, bool),
                "start": np.tile(np.array([0.0, 10, 20, 30]), n),
                "end": np.tile(np.array([8.0, 18, 28, 38]), n),
            },
            "latency": {
                "session_id": np.repeat(sid, 2),
                "part": np.full(n * 2, part, dtype=object),
                "user_turn": np.tile(np.array([1, 2], dtype=np.int32), n),
                "response_s": rng.gamma(4.0, 0.1 + 0.05 * (config[lo:hi] == "b").repeat(2)),
                "transcript_s": rng.gamma(2.0, 0.05, n * 2),
            },
            "sessions": {
                "session_id": sid,
                "part": np.full(n, part, dtype=object),
                "config": config[lo:hi],
                "n_turns": np.full(n, 4),
                "n_emotion_samples": per * 9,
                "sentiment": sentiment[lo:hi],
            },
        }
        for name, columns in tables.items():
            schema = sessions_schema if name == "sessions" else SCHEMAS[name]
            length = len(next(iter(columns.values())))
            arrays = [
                pa.array(columns[f.name], f.type) if f.name in columns else pa.nulls(length, f.type)
                for f in schema
            ]
            table = pa.Table.from_arrays(arrays, schema=schema)
            (path / name).mkdir(exist_ok=True)
            pq.write_table(table, path / name / f"{part}.parquet", compression="zstd")
            rows[name] += table.num_rows
    return rows


def _timed(run: Any, repeats: int) -> list[float]:
    run()  # warm: the first query reads the footers
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def _pandas_per_label(samples: Any, sessions: Any) -> Any:
    joined = samples[["session_id", "name", "score"]].merge(
        sessions[["session_id", "sentiment"]], on="session_id"
    )
    return joined.groupby(["sentiment", "name"])["score"].agg(["mean", "count"])


async def run(ctx: Context) -> list[Metric]:
    try:
        import pandas as pd

        from nextevi_widgets import analysis
        from nextevi_widgets.dataset import SessionDataset, compact_dataset
        from nextevi_widgets.dataset.compact import MAX_SAMPLES
    except ImportError as exc:
        raise Skip(f"the dataset extra is not installed ({exc})") from None
    repeats = ctx.pick(15, 5)
    metrics: list[Metric] = []
    loop = calibration_loop()
    path = ctx.workdir / "synthetic"
    started = time.perf_counter()
    rows = generate(path, SESSIONS // 16)
    generated = time.perf_counter() - started
    for where in ctx.pick(("625 parts", "compacted"), ("compacted",)):
        if where == "compacted":
            started = time.perf_counter()
            compact_dataset(path)
            metrics.append(
                Metric.single(
                    "compact 625 parts",
                    "s",
                    time.perf_counter() - started,
                    note=f"into {len(SessionDataset.open(path).parts)} parts "
                    f"(at most {MAX_SAMPLES:,} emotion samples each)",
                )
            )
        opened = _timed(lambda path=path: SessionDataset.open(path), repeats)
        ds = SessionDataset.open(path)
        duck = _timed(lambda ds=ds: ds.sql(PER_LABEL), repeats)
        check = ds.sql(PER_LABEL)
        samples, sessions = ds.df("emotion_samples"), ds.df("sessions")
        in_memory = _timed(lambda s=samples, ss=sessions: _pandas_per_label(s, ss), repeats)
        expected = _pandas_per_label(samples, sessions)
        assert np.allclose(check["mean_score"], expected["mean"].to_numpy(), atol=1e-6)

        def from_files(path: Path = path) -> Any:
            return _pandas_per_label(
                pd.read_parquet(path / "emotion_samples", columns=["session_id", "name", "score"]),
                pd.read_parquet(path / "sessions", columns=["session_id", "sentiment"]),
            )

        cold = _timed(from_files, max(3, repeats // 3))
        note = (
            f"{rows['sessions']:,} sessions, {rows['emotion_samples']:,} emotion samples, "
            f"{len(ds.parts)} parts; generated and written in {generated:.1f} s"
        )
        p95_duck = sorted(duck)[int(0.95 * (len(duck) - 1))]
        metrics += [
            Metric.from_samples(f"open dataset ({where})", "ms", opened, note=note),
            Metric.from_samples(
                f"per-label aggregate, DuckDB ({where})",
                "ms",
                duck,
                goal=Goal(calibrated(f"p95 <= {GOAL_MS:g} ms", loop), p95_duck <= GOAL_MS)
                if where == "compacted"
                else None,
                note="mean score per sentiment x emotion over all samples, joined to sessions"
                + ("" if where == "compacted" else "; before compaction (not judged)"),
            ),
            Metric.from_samples(
                f"per-label aggregate, pandas in memory ({where})",
                "ms",
                in_memory,
                baseline=f"DuckDB {np.median(duck):.0f} ms",
                ratio=float(np.median(in_memory) / np.median(duck)),
                note="merge + groupby on DataFrames already loaded (ratio: median over DuckDB's)",
            ),
            Metric.from_samples(
                f"per-label aggregate, pandas from files ({where})",
                "ms",
                cold,
                note="pd.read_parquet of the two table folders, then merge + groupby",
            ),
            Metric.from_samples(
                f"top emotion vs label, DuckDB ({where})",
                "ms",
                _timed(lambda ds=ds: analysis.top_emotion_confusion(ds, "sentiment"), repeats),
                note="analysis.top_emotion_confusion: per-session means, arg max, crosstab",
            ),
            Metric.from_samples(
                f"latency percentiles per config, DuckDB ({where})",
                "ms",
                _timed(lambda ds=ds: analysis.latency_percentiles(ds), repeats),
                note=f"analysis.latency_percentiles over {rows['latency']:,} latency rows",
            ),
            Metric.from_samples(
                f"one session's turns, DuckDB ({where})",
                "ms",
                _timed(
                    lambda ds=ds: ds.sql(
                        "select * from turns where session_id = ? order by turn", ["s04242"]
                    ),
                    repeats,
                ),
            ),
        ]
    return metrics


SPEC = BenchSpec("dataset_queries", "DuckDB and pandas query times on a 1M-sample dataset", run)
