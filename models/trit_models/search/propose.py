"""Proposers: what to try next, given the archive.

The interface (docs/search.md §Proposers) is one call: `propose(archive_view) -> candidate`, where
the view is JSON-ready — the family's space (`describe()`), every trial with its architecture,
status, metrics and error — and the candidate is an architecture of that space. The search checks
the candidate (space.validate), refuses one already in the archive, and records who proposed it.

  BuiltinProposer   evolutionary: random candidates until `init` trials exist, then a parent from
                    the Pareto fronts of the archive (mutated), or two (recombined, then mutated)
  CommandProposer   any program: the view on stdin, one candidate as JSON on stdout — for example a
                    language model reading the archive. Its failures (non-zero exit, bad JSON, a
                    candidate outside the space) are errors naming the command, never a crash.
"""
import json
import random
import shlex
import subprocess
from typing import Any, Dict, List

from .front import COSTS, front_of


class ProposerError(Exception):
    pass


class BuiltinProposer:
    name = "builtin"

    def __init__(self, space, seed: int = 0, init: int = 4, crossover: float = 0.3):
        self.space, self.rng, self.init, self.p_cross = space, random.Random(seed), init, crossover

    def propose(self, view: Dict[str, Any]) -> Dict[str, Any]:
        trials = view["trials"]
        done = [t for t in trials if t["status"] == "done"]
        if len(trials) < self.init or not done:
            return self.space.sample(self.rng)
        parents = _front_members(trials) or done
        a = self.rng.choice(parents)["arch"]
        if len(parents) > 1 and self.rng.random() < self.p_cross:
            b = self.rng.choice([p for p in parents if p["arch"] != a])["arch"]
            return self.space.mutate(self.space.crossover(a, b, self.rng), self.rng)
        return self.space.mutate(a, self.rng)


def _front_members(trials: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    seen, out = set(), []
    for cost, _, _ in COSTS:
        for t in front_of(trials, cost)[1]:
            if t["id"] not in seen:
                seen.add(t["id"])
                out.append(t)
    return out


class CommandProposer:
    def __init__(self, command: str, timeout: float = 600):
        self.command, self.argv, self.timeout = command, shlex.split(command), timeout
        self.name = f"command: {command}"[:200]

    def propose(self, view: Dict[str, Any]) -> Dict[str, Any]:
        try:
            r = subprocess.run(self.argv, input=json.dumps(view), capture_output=True, text=True, timeout=self.timeout)
        except FileNotFoundError:
            raise ProposerError(f"proposer command not found: {self.argv[0]}")
        except subprocess.TimeoutExpired:
            raise ProposerError(f"proposer `{self.command}` gave no candidate within {self.timeout:g} s")
        if r.returncode != 0:
            raise ProposerError(f"proposer `{self.command}` exited with {r.returncode}: {r.stderr.strip()[-300:]}")
        try:
            out = json.loads(r.stdout)
        except json.JSONDecodeError:
            raise ProposerError(f"proposer `{self.command}` wrote no JSON candidate on stdout (got {r.stdout.strip()[:120]!r})")
        return out.get("arch", out) if isinstance(out, dict) else out


def view_of(space, trials: List[Dict[str, Any]]) -> Dict[str, Any]:
    """What a proposer sees: the space and the archive, JSON-ready."""
    keep = ("id", "arch", "status", "metrics", "error", "proposer", "cpu_seconds")
    return {"space": space.describe(), "trials": [{k: t.get(k) for k in keep} for t in trials]}
