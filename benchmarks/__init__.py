"""Side-by-side throughput benchmarks, run with `python -m benchmarks`.

Each `<topic>_bench.py` module exposes
`run(workdir: pathlib.Path, quick: bool = False) -> list[dict]`, returning
table rows `{"benchmark", "variant", "value", "unit"}`. Benchmarks are not
tests: they measure, they never assert a speed.
"""
