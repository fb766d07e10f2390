"""Hardware-aware architecture search with trit's compiler in the loop (`trit search`).

One loop, one module a stage:

    space.py    the declared design space of a family: random, mutate, crossover, validate
    propose.py  the built-in evolutionary proposer, and the external one (any command that reads
                the archive as JSON on stdin and writes the next candidate as JSON on stdout)
    trial.py    one candidate: train for a fixed CPU-time budget, evaluate, export ONNX, then trit:
                the UP5K fit prediction and cycles per inference (simulated), the wasm build and
                its measured images/s
    archive.py  every trial in SQLite: a search stops and resumes without losing a finished trial
    front.py    the Pareto front of quality against each cost, an SVG plot and a report

models/search.py is the command line; docs/search.md says how each figure is obtained.
"""
