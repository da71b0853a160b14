"""DuckDB SQL over the dataset, and the same files through Dask on a LocalCluster."""

from __future__ import annotations

import pandas as pd
import pytest

from nextevi_widgets.dataset import SessionDataset

PER_LABEL = """
    select s.sentiment, e.name, avg(e.score) as mean_score, count(*) as n
    from emotion_samples e join sessions s using (session_id)
    group by s.sentiment, e.name order by s.sentiment, e.name
"""


def test_sql_per_label_aggregate_matches_pandas(labelled: SessionDataset) -> None:
    got = labelled.sql(PER_LABEL)
    samples = labelled.df("emotion_samples").merge(labelled.df("sessions"), on="session_id")
    expected = (
        samples.groupby(["sentiment", "name"])["score"]
        .agg(mean_score="mean", n="count")
        .reset_index()
    )
    assert len(got) == len(expected) > 0
    assert list(got["n"]) == list(expected["n"])
    assert got["mean_score"].to_numpy() == pytest.approx(expected["mean_score"].to_numpy())
    # two of the four sessions per label
    per_label = labelled.sql(
        "select sentiment, count(*) as n from sessions group by sentiment order by sentiment"
    )
    assert per_label.values.tolist() == [["negative", 2], ["positive", 2]]


def test_sql_arrow_and_parameters(labelled: SessionDataset) -> None:
    table = labelled.sql(
        "select turn, text from turns where session_id = $id order by turn",
        {"id": "s1"},
        arrow=True,
    )
    assert table.column("turn").to_pylist() == [1, 2, 3, 4]
    assert table.column("text").to_pylist()[0] == "hello there how are you today"


@pytest.mark.filterwarnings("ignore:The inplace keyword")  # inside dask, with pandas 3
@pytest.mark.filterwarnings("ignore:Couldn.t detect a suitable IP address")  # offline
def test_dask_on_a_local_cluster_matches_duckdb(labelled: SessionDataset) -> None:
    dd = pytest.importorskip("dask.dataframe")
    distributed = pytest.importorskip("distributed")
    expected = labelled.sql(PER_LABEL).set_index(["sentiment", "name"])
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        # the table folders as they are on disk: no export step
        samples = dd.read_parquet(str(labelled.path / "emotion_samples"))
        sessions = dd.read_parquet(
            str(labelled.path / "sessions"), columns=["session_id", "sentiment"]
        )
        assert samples.npartitions == 2  # one per part file
        joined = samples.merge(sessions, on="session_id")
        result = client.compute(
            joined.groupby(["sentiment", "name"])["score"].agg(["mean", "count"])
        ).result()
        via_helper = labelled.dask("emotion_samples")["score"].sum().compute()
    result = result.sort_index()
    assert isinstance(result, pd.DataFrame)
    assert list(result.index) == list(expected.index)
    assert list(result["count"]) == list(expected["n"])
    assert result["mean"].to_numpy() == pytest.approx(expected["mean_score"].to_numpy(), rel=1e-6)
    assert via_helper == pytest.approx(
        labelled.sql("select sum(score) as s from emotion_samples")["s"][0], rel=1e-6
    )
