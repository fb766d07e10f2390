"""Design spaces: what a family's architectures may be, and the moves the built-in proposer makes.

A space is declared as data (`describe()`, which an external proposer reads too) and checks every
candidate (`validate`), whoever proposed it. Families:

  mlp   ternary MNIST classifiers 784 → hidden… → 10 written the usual way (models/train_mlp.py's
        TernaryLinear: abs-mean ternary weights, per-row abs-max int8 inputs, ReLU), 1–3 hidden
        layers of the widths below; the family of `mlp-mnist-up5k`, and small enough to be built
        for the iCE40 UP5K.
"""
import json
import random
from typing import Any, Dict


class MlpSpace:
    name = "mlp"
    WIDTHS = (16, 24, 32, 48, 64, 96, 128, 192, 256, 320, 384, 512)
    DEPTHS = (1, 2, 3)
    LEARNING_RATES = (1e-3, 2e-3, 4e-3)

    def describe(self) -> Dict[str, Any]:
        return {"family": self.name,
                "fields": {"hidden": f"list of {self.DEPTHS[0]}–{self.DEPTHS[-1]} widths, each one of {list(self.WIDTHS)}",
                           "lr": f"one of {list(self.LEARNING_RATES)}"},
                "example": {"hidden": [256, 256], "lr": 2e-3}}

    def validate(self, arch: Any) -> Dict[str, Any]:
        """The candidate in canonical form, or ValueError saying what is wrong."""
        if not isinstance(arch, dict):
            raise ValueError(f"a candidate is a JSON object like {json.dumps(self.describe()['example'])}, not {json.dumps(arch)[:80]}")
        extra = set(arch) - {"hidden", "lr"}
        if extra:
            raise ValueError(f"unknown field(s) {sorted(extra)}; the mlp family has 'hidden' and 'lr'")
        hidden = arch.get("hidden")
        if not isinstance(hidden, list) or len(hidden) not in self.DEPTHS or any(h not in self.WIDTHS for h in hidden):
            raise ValueError(f"'hidden' must be a list of {self.DEPTHS[0]}–{self.DEPTHS[-1]} widths from {list(self.WIDTHS)}, not {hidden!r}")
        lr = arch.get("lr", 2e-3)
        if lr not in self.LEARNING_RATES:
            raise ValueError(f"'lr' must be one of {list(self.LEARNING_RATES)}, not {lr!r}")
        return {"hidden": [int(h) for h in hidden], "lr": float(lr)}

    def key(self, arch: Dict[str, Any]) -> str:
        return json.dumps(self.validate(arch), sort_keys=True)

    def sample(self, rng: random.Random) -> Dict[str, Any]:
        depth = rng.choice(self.DEPTHS)
        return {"hidden": [rng.choice(self.WIDTHS) for _ in range(depth)], "lr": rng.choice(self.LEARNING_RATES)}

    def mutate(self, arch: Dict[str, Any], rng: random.Random) -> Dict[str, Any]:
        """One small step: a width one notch up or down, a layer added or dropped, or another rate."""
        hidden, lr = list(arch["hidden"]), arch["lr"]
        move = rng.choice(["width", "width", "depth", "lr"])
        if move == "width":
            i = rng.randrange(len(hidden))
            j = self.WIDTHS.index(hidden[i]) + rng.choice((-1, 1))
            hidden[i] = self.WIDTHS[min(max(j, 0), len(self.WIDTHS) - 1)]
        elif move == "depth":
            if len(hidden) < self.DEPTHS[-1] and (len(hidden) == self.DEPTHS[0] or rng.random() < 0.5):
                hidden.insert(rng.randrange(len(hidden) + 1), rng.choice(hidden))
            else:
                hidden.pop(rng.randrange(len(hidden)))
        else:
            lr = rng.choice([x for x in self.LEARNING_RATES if x != lr])
        return {"hidden": hidden, "lr": lr}

    def crossover(self, a: Dict[str, Any], b: Dict[str, Any], rng: random.Random) -> Dict[str, Any]:
        """Layers from the front of one parent and the back of the other; either's rate."""
        ha, hb = a["hidden"], b["hidden"]
        cut_a, cut_b = rng.randint(1, len(ha)), rng.randint(0, len(hb) - 1)
        hidden = (ha[:cut_a] + hb[cut_b:])[:self.DEPTHS[-1]]
        return {"hidden": hidden, "lr": rng.choice((a["lr"], b["lr"]))}


FAMILIES = {"mlp": MlpSpace()}


def space_of(family: str):
    if family not in FAMILIES:
        raise ValueError(f"unknown family '{family}'; the search knows {sorted(FAMILIES)}")
    return FAMILIES[family]
