"""`oneproxy bench`: every routine timed against its baselines, answers checked to agree."""
import json

import pytest

from oneproxy import bench
from oneproxy.cli import main


def test_numpy_baselines_are_right():
    import numpy as np
    from scipy import stats

    rng = np.random.default_rng(0)
    x = rng.integers(0, 5, 300).astype(float)
    np.testing.assert_array_equal(bench._numpy_ranks(x), stats.rankdata(x))
    F = rng.integers(0, 4, (300, 2)).astype(float)
    from oneproxy import hypervolume, is_nondominated, nondominated_sort

    np.testing.assert_array_equal(bench._numpy_front_2d(F), is_nondominated(F))
    np.testing.assert_array_equal(bench._deb_sort(F), nondominated_sort(F))
    assert bench._numpy_hypervolume_2d(F, np.array([4.0, 4.0])) == hypervolume(F, [4, 4])


def test_bench_command_writes_a_table_and_json(tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert main(["bench", "--quick", "--n", "5000", "--json", str(out)]) == 0
    table = capsys.readouterr().out
    assert "spearman" in table and "hypervolume 3-D" in table
    rows = json.loads(out.read_text())
    assert {row["routine"].split()[0] for row in rows} >= {"spearman", "kendall", "is_nondominated",
                                                           "nondominated_sort", "hypervolume"}
    for row in rows:
        assert row["agree"] is True
        assert row["seconds"]["oneproxy"] > 0
        assert set(row["ratios"]) == set(row["seconds"]) - {"oneproxy"}
    assert any("scipy" in row["seconds"] for row in rows)
    assert any("moocore" in row["seconds"] for row in rows)


def test_bench_rejects_tiny_n(capsys):
    assert main(["bench", "--n", "3"]) == 2
    assert "n must be >= 10, got 3" in capsys.readouterr().err
    with pytest.raises(ValueError):
        bench.run(5)
    for n in (1e6, "1000", True):
        with pytest.raises(ValueError, match="n must be an integer >= 10"):
            bench.run(n)
    with pytest.raises(ValueError, match="seed must be a non-negative integer, got -1"):
        bench.run(100, seed=-1)
