"""`trit search` (models/search.py, trit_models/search): the design space, the Pareto front, the
proposers, failures recorded without stopping the search, resuming after kill -9, and one real
trial through trit (UP5K cycles in simulation, the wasm's measured speed)."""
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import pytest

import search
from trit_models.search.archive import Archive
from trit_models.search.front import pareto, report
from trit_models.search.space import MlpSpace

MODELS = os.path.join(os.path.dirname(__file__), "..")
PY = os.path.join(MODELS, "py")


def test_pareto_keeps_exactly_the_undominated_points():
    pts = [(0.9, 100), (0.95, 200), (0.92, 150), (0.91, 300), (0.95, 250), (0.85, 50), (0.9, 100)]
    # (0.91, 300) and (0.95, 250) are dominated by (0.95, 200); equal points do not dominate each other
    assert sorted(pareto(pts)) == [0, 1, 2, 5, 6]
    assert [pts[i][1] for i in pareto(pts)] == [50, 100, 100, 150, 200]


def test_space_moves_stay_valid_and_bad_candidates_are_named():
    s, rng = MlpSpace(), random.Random(1)
    a = s.sample(rng)
    for _ in range(500):
        b = s.sample(rng)
        a = s.validate(s.mutate(s.crossover(a, b, rng), rng) if rng.random() < 0.5 else s.mutate(a, rng))
    for bad, says in [([1, 2], "JSON object"), ({"hidden": [256] * 4}, "1–3 widths"), ({"hidden": [100]}, "widths from"),
                      ({"hidden": [64], "lr": 1}, "'lr'"), ({"hidden": [64], "depth": 2}, "unknown field")]:
        with pytest.raises(ValueError, match=says):
            s.validate(bad)


def fake_work(family, arch, opts):
    """A trial without training: metrics from the widths; one architecture fails as a real one would."""
    if arch["hidden"] == [16]:
        return {"error": "non-finite loss: training loss became nan at step 3"}
    w = sum(arch["hidden"])
    return {"ok": {"metrics": {"accuracy": 0.9 + w / 10000, "up5k_cycles": 1000 + 10 * w, "ternary_weights": 784 * w},
                   "curve": [{"step": 1, "loss": 1.0}], "wall": 0.01, "cpu": 0.01}}


def _args(db, **kw):
    a = dict(db=str(db), family="mlp", trials=5, jobs=2, budget=1, proposer_cmd=None, seed=0, train_images=1000,
             test_images=200, no_fpga=True, no_wasm=True, work=None, place_route=0)
    a.update(kw)
    return type("Args", (), a)()


def test_a_scripted_external_proposer_drives_the_search_and_failures_are_recorded(tmp_path):
    script = tmp_path / "proposer.py"
    script.write_text(textwrap.dedent("""
        import json, sys
        view = json.load(sys.stdin)
        assert view["space"]["family"] == "mlp"
        plan = [[16], [32], [64, 32], [128], [32, 32, 32]]
        print(json.dumps({"arch": {"hidden": plan[len(view["trials"])], "lr": 0.002}}))
    """))
    db = tmp_path / "s.sqlite"
    assert search.run(_args(db, proposer_cmd=f"{sys.executable} {script}"), work=fake_work) == 0
    trials = Archive(str(db)).trials()
    assert [t["arch"]["hidden"] for t in trials] == [[16], [32], [64, 32], [128], [32, 32, 32]]
    assert all(t["proposer"].startswith("command:") for t in trials)
    assert [t["status"] for t in trials] == ["failed", "done", "done", "done", "done"]
    assert "non-finite loss" in trials[0]["error"]
    md, svgs = report(trials, {"family": "mlp", "machine": "test"})
    assert "#4" in md and "failed" in md and set(svgs) >= {"front-up5k_cycles.svg"}
    assert svgs["front-up5k_cycles.svg"].startswith("<svg") and "#2" in svgs["front-up5k_cycles.svg"]


def test_a_proposer_outside_the_space_ends_the_search_with_its_error(tmp_path, capsys):
    script = tmp_path / "bad.py"
    script.write_text('print(\'{"hidden": [7]}\')\n')
    assert search.run(_args(tmp_path / "s.sqlite", proposer_cmd=f"{sys.executable} {script}"), work=fake_work) == 1
    assert "'hidden' must be a list" in capsys.readouterr().err
    script.write_text("import sys; sys.exit(3)\n")
    assert search.run(_args(tmp_path / "t.sqlite", proposer_cmd=f"{sys.executable} {script}"), work=fake_work) == 1
    assert "exited with 3" in capsys.readouterr().err


def test_the_builtin_proposer_never_repeats_a_trial(tmp_path):
    db = tmp_path / "s.sqlite"
    assert search.run(_args(db, trials=12), work=fake_work) == 0
    trials = Archive(str(db)).trials()
    assert len(trials) == 12 and len({json.dumps(t["arch"], sort_keys=True) for t in trials}) == 12


def _done(db):
    if not os.path.exists(db):
        return []
    c = sqlite3.connect(db, timeout=30)
    try:
        return c.execute("SELECT id, metrics, finished FROM trials WHERE status = 'done' ORDER BY id").fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        c.close()


def test_kill_9_then_resume_keeps_every_finished_trial(tmp_path):
    db = str(tmp_path / "s.sqlite")
    cmd = [PY, os.path.join(MODELS, "search.py"), "run", "--db", db, "--trials", "3", "--jobs", "1", "--budget", "1",
           "--train-images", "1000", "--test-images", "200", "--no-fpga", "--no-wasm"]
    p = subprocess.Popen(cmd, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 240
    while not _done(db) and time.time() < deadline and p.poll() is None:
        time.sleep(0.2)
    first = _done(db)
    os.killpg(p.pid, signal.SIGKILL)
    p.wait()
    assert first, "no trial finished before the deadline"
    assert subprocess.run(cmd, stderr=subprocess.DEVNULL, timeout=600).returncode == 0
    after = _done(db)
    assert after[:len(first)] == first  # the finished trials, untouched
    trials = Archive(db).trials()
    assert [t["status"] for t in trials] == ["done"] * 3


def test_one_real_trial_through_trit(tmp_path):
    db = str(tmp_path / "s.sqlite")
    r = subprocess.run([PY, os.path.join(MODELS, "search.py"), "run", "--db", db, "--trials", "1", "--budget", "2",
                        "--train-images", "2000", "--test-images", "500", "--proposer-cmd",
                        f"{sys.executable} -c \"print('{{\\\"hidden\\\": [64], \\\"lr\\\": 0.002}}')\""],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    (t,) = Archive(db).trials()
    m = t["metrics"]
    assert t["status"] == "done" and m["accuracy"] > 0.5
    assert m["up5k_fits"] and m["up5k_cycles"] > 784 * 64 / 8 and m["up5k_logic_cells"] < 5280
    assert m["wasm_images_per_second"] > 0 and abs(m["wasm_accuracy"] - m["accuracy"]) < 0.05
    out = tmp_path / "report"
    assert subprocess.run([PY, os.path.join(MODELS, "search.py"), "report", "--db", db, "--out", str(out)], timeout=60).returncode == 0
    assert "UP5K cycles" in (out / "report.md").read_text() and (out / "front-up5k_cycles.svg").exists()


def test_place_route_builds_the_most_accurate_front_trials_once(tmp_path):
    db = tmp_path / "s.sqlite"
    assert search.run(_args(db, trials=8), work=fake_work) == 0
    built = []

    def fake_build(onnx, out):
        built.append(os.path.basename(os.path.dirname(onnx)))
        return {"up5k_logic_cells": 4000 + len(built), "up5k_logic_source": "placed and routed", "up5k_fmax_mhz": 29.0}

    archive = Archive(str(db))
    search.place_route_front(archive, 2, str(tmp_path / "w"), fake_build)
    front = sorted((t for t in archive.trials() if t["status"] == "done"), key=lambda t: -t["metrics"]["accuracy"])
    assert [t["metrics"].get("up5k_fmax_mhz") for t in front[:2]] == [29.0, 29.0]  # fake_work's front is every trial by width
    assert built == [f"trial-{t['id']:04d}" for t in front[:2]]
    search.place_route_front(archive, 1, str(tmp_path / "w"), fake_build)  # the next one, not the built ones again
    assert len(built) == 3 and built[2] == f"trial-{front[2]['id']:04d}"
    md, _ = report(archive.trials(), {"family": "mlp"})
    assert "4,001 P&R" in md
