#!/usr/bin/env python3
"""Hardware-aware architecture search with trit in the loop (docs/search.md).

    models/py models/search.py run --db search.sqlite [--family mlp] [--trials 20] [--jobs 2]
        [--budget 60] [--proposer builtin | --proposer-cmd "python3 my_proposer.py"] [--seed 0]
        [--train-images 60000] [--test-images 10000] [--no-fpga] [--no-wasm] [--work DIR] [--place-route K]
    models/py models/search.py report --db search.sqlite --out DIR
    models/py models/search.py list --db search.sqlite

`run` proposes, trains (a fixed CPU-time budget per candidate), evaluates and measures candidates
with trit until the archive holds `--trials` finished or failed trials, `--jobs` at a time; it can be
stopped at any moment (Ctrl-C, kill -9) and run again with the same --db to go on: finished trials
are kept, interrupted ones re-run. `--place-route K` then builds the K most accurate trials of the
accuracy-against-UP5K-cycles front for real (yosys + nextpnr, minutes each) and records their
logic cells and Fmax. `trit search` runs this file.
"""
import argparse
import json
import os
import platform
import sys
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from trit_models.search.archive import Archive  # noqa: E402
from trit_models.search.front import front_of, report  # noqa: E402
from trit_models.search.propose import BuiltinProposer, CommandProposer, ProposerError, view_of  # noqa: E402
from trit_models.search.space import space_of  # noqa: E402
from trit_models.search import trial as trial_mod  # noqa: E402


def _machine() -> str:
    name = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    name = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{name}, {os.cpu_count()} cores"


def _work(family, arch, opts):
    """In a worker: one trial, with any failure turned into a message (the search goes on)."""
    try:
        return {"ok": trial_mod.run_trial(family, arch, opts)}
    except Exception as e:  # recorded as the trial's failure, with the cause
        kind = "non-finite loss" if isinstance(e, trial_mod.NonFiniteLoss) else type(e).__name__
        return {"error": f"{kind}: {e}", "trace": traceback.format_exc(limit=4)}


def next_candidate(space, proposer, archive, family, attempts=50):
    """A new, valid candidate from the proposer, added to the archive (queued); None if it keeps repeating."""
    for _ in range(attempts):
        arch = space.validate(proposer.propose(view_of(space, archive.trials())))
        key = space.key(arch)
        if not archive.has(family, key):
            return archive.add(family, key, proposer.name)
    return None


def run(args, work=_work, build=trial_mod.place_route) -> int:
    archive = Archive(args.db)
    family = archive.setting("family", args.family)
    if family != args.family:
        print(f"search: {args.db} holds a '{family}' search; continuing it as such", file=sys.stderr)
    space = space_of(family)
    archive.setting("machine", _machine())
    requeued = archive.requeue_interrupted()
    if requeued:
        print(f"search: {requeued} interrupted trial(s) queued again", file=sys.stderr)
    proposer = CommandProposer(args.proposer_cmd) if args.proposer_cmd else BuiltinProposer(space, seed=args.seed)
    work_dir = args.work or os.path.splitext(args.db)[0] + "-trials"
    opts = {"budget": args.budget, "train_images": args.train_images, "test_images": args.test_images,
            "fpga": not args.no_fpga, "wasm": not args.no_wasm, "seed": args.seed}
    running = {}
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        while True:
            settled = len(archive.trials("done")) + len(archive.trials("failed"))
            queued = archive.trials("queued")
            while len(running) < args.jobs and settled + len(running) < args.trials:
                if not queued:
                    try:
                        tid = next_candidate(space, proposer, archive, family)
                    except (ProposerError, ValueError) as e:
                        print(f"search: error: {e}", file=sys.stderr)
                        archive.close()
                        return 1
                    if tid is None:
                        print("search: the proposer keeps proposing trials already in the archive; stopping", file=sys.stderr)
                        break
                    queued = archive.trials("queued")
                t = queued.pop(0)
                archive.start(t["id"])
                o = dict(opts, dir=os.path.join(work_dir, f"trial-{t['id']:04d}"))
                running[pool.submit(work, family, t["arch"], o)] = (t, time.time())
                print(f"search: trial #{t['id']} {json.dumps(t['arch'])} started", file=sys.stderr)
            if not running:
                break
            finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for f in finished:
                t, t0 = running.pop(f)
                r = f.result()
                if "ok" in r:
                    ok = r["ok"]
                    archive.finish(t["id"], ok["metrics"], ok["curve"], ok["wall"], ok["cpu"])
                    m = ok["metrics"]
                    print(f"search: trial #{t['id']} done: accuracy {m['accuracy']:.4f}, UP5K cycles {m.get('up5k_cycles', '—')}, "
                          f"wasm {m.get('wasm_images_per_second', '—')} img/s ({ok['cpu']:.0f} CPU-s)", file=sys.stderr)
                else:
                    archive.fail(t["id"], r["error"], time.time() - t0, 0.0)
                    print(f"search: trial #{t['id']} failed: {r['error']}", file=sys.stderr)
    place_route_front(archive, args.place_route, work_dir, build)
    archive.close()
    return 0


def place_route_front(archive, k, work_dir, build=trial_mod.place_route) -> None:
    """Real UP5K builds of the k most accurate trials on the accuracy-against-cycles front (not yet built)."""
    front = sorted(front_of(archive.trials(), "up5k_cycles")[1], key=lambda t: -t["metrics"]["accuracy"])
    for t in [t for t in front if "up5k_fmax_mhz" not in t["metrics"]][:k]:
        print(f"search: placing and routing trial #{t['id']} for the UP5K (minutes)…", file=sys.stderr)
        d = os.path.join(work_dir, f"trial-{t['id']:04d}")
        more = build(os.path.join(d, "model.onnx"), os.path.join(d, "up5k-build"))
        archive.add_metrics(t["id"], more)
        print(f"search: trial #{t['id']}: " + (f"{more['up5k_logic_cells']} logic cells, {more['up5k_fmax_mhz']} MHz after routing"
                                             if "up5k_fmax_mhz" in more else more.get("up5k_place_route_note", "no build")), file=sys.stderr)


def write_report(args) -> int:
    archive = Archive(args.db)
    settings = {k: archive.setting(k) for k in ("family", "machine")}
    md, svgs = report(archive.trials(), settings)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "report.md"), "w") as f:
        f.write(md)
    for name, text in svgs.items():
        with open(os.path.join(args.out, name), "w") as f:
            f.write(text)
    print(f"search: wrote {os.path.join(args.out, 'report.md')} and {len(svgs)} plots", file=sys.stderr)
    return 0


def list_trials(args) -> int:
    for t in Archive(args.db).trials():
        print(json.dumps({k: t[k] for k in ("id", "status", "proposer", "arch", "metrics", "error", "cpu_seconds")}))
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="propose, train and measure until --trials are settled")
    r.add_argument("--db", required=True, help="the SQLite archive (created, or continued)")
    r.add_argument("--family", default="mlp", help="the design space (mlp)")
    r.add_argument("--trials", type=int, default=20, help="finished + failed trials to reach")
    r.add_argument("--jobs", type=int, default=1, help="trials in parallel (one core each)")
    r.add_argument("--budget", type=float, default=60, help="CPU seconds of training per candidate")
    r.add_argument("--proposer-cmd", help="an external proposer: the archive on stdin, a candidate as JSON on stdout")
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--train-images", type=int, default=60000)
    r.add_argument("--test-images", type=int, default=10000)
    r.add_argument("--no-fpga", action="store_true", help="skip the UP5K fit prediction and cycle count")
    r.add_argument("--no-wasm", action="store_true", help="skip the wasm build and its measured speed")
    r.add_argument("--work", help="where trials write their files (default: beside the database)")
    r.add_argument("--place-route", type=int, default=0, metavar="K", help="then build the K most accurate front trials for the UP5K for real")
    rp = sub.add_parser("report", help="the Pareto fronts, plots and the archive as Markdown")
    rp.add_argument("--db", required=True)
    rp.add_argument("--out", required=True)
    ls = sub.add_parser("list", help="every trial as one JSON line")
    ls.add_argument("--db", required=True)
    args = p.parse_args(argv)
    if args.cmd != "run" and not os.path.exists(args.db):
        print(f"search: error: {args.db}: no such archive", file=sys.stderr)
        return 1
    if args.cmd == "run" and (args.jobs < 1 or args.trials < 1 or args.budget <= 0):
        print("search: error: --jobs and --trials must be at least 1 and --budget positive", file=sys.stderr)
        return 2
    return {"run": run, "report": write_report, "list": list_trials}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
