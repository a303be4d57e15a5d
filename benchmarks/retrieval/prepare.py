"""Build the retrieval-quality datasets reproducibly, skipping whatever already exists.

What it builds (layout in ``common.py``), each through the same CLI a user runs:

- ``github``: GitHub's status history (both mirrors under ``../shared/eval/raw/github-status/``,
  read in place, never copied into the repository) converted with ``precedent convert
  statuspage`` and loaded with ``precedent import``;
- ``gcp``, ``azure``, ``aws``: the cloud providers' public incident reports under
  ``../shared/eval/raw/cloud-incident-reports/`` converted with ``cloud.py`` (read in place), imported;
- ``syn2`` (development) and ``syn3`` (held out): ``precedent generate --incidents 1500 --seed
  2|3`` (a synthetic organisation plus ``judgments.jsonl``, its planted recurrences), imported.

Each step is skipped when its output exists (an export with ``v2_incidents.json``, a data
directory with ``graph/``); delete a folder to rebuild it. Importing embeds every text with the
real model (a few hundred texts/s), so a full build takes a while; reruns take seconds.

Run: ``uv run python benchmarks/retrieval/prepare.py [DIR] [--raw PATH] [--incidents N]``
(``DIR`` default ``.precedent/bench``). Then ``judge_github.py``, ``quality.py``, ``tune.py``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DIR = Path(".precedent/bench")
DEFAULT_RAW = REPO.parent / "shared" / "eval" / "raw" / "github-status"
DEFAULT_CLOUD_RAW = REPO.parent / "shared" / "eval" / "raw" / "cloud-incident-reports"
SHAPES: dict[str, tuple[str, str | None, str | None]] = {
    # dataset folder: (source, since, until). Windows keep each import to a few thousand texts,
    # which a shared 2-core machine embeds in minutes; Azure is whole.
    "azure": ("azure", None, None),
    "aws": ("aws", "2019-01-01", None),
    "gcp": ("gcp", "2021-01-01", None),
    "gh24": ("github", "2024-01-01", "2025-01-01"),
}
"""The development shapes ``shapes.py`` measures (GitHub's 2024 slice stands beside the full ``github``)."""
GITHUB_INPUTS = ("github-incident-history/incidents.jsonl", "github-statuses/incidents.jsonl")
SYNTHETIC_SEEDS = {"syn2": 2, "syn3": 3}


def _run(command: list[str], data_dir: Path | None = None) -> None:
    env = dict(os.environ)
    if data_dir is not None:
        env["PRECEDENT_DATA_DIR"] = str(data_dir)
    print("$", " ".join(command), f"(PRECEDENT_DATA_DIR={data_dir})" if data_dir else "", flush=True)
    subprocess.run(command, check=True, env=env)


def _precedent(*args: str) -> list[str]:
    return [sys.executable, "-m", "precedent.cli.main", *args]


def _import(dataset: Path) -> None:
    data = dataset / "data"
    if (data / "graph").exists():
        print(f"skip import: {data} exists", flush=True)
        return
    data.mkdir(parents=True, exist_ok=True)
    _run(_precedent("import", str(dataset / "export")), data)


def build_shapes(root: Path, raw: Path, cloud_raw: Path | None) -> None:
    """Convert and import the development shapes of ``SHAPES`` (skipping what exists)."""
    script = str(Path(__file__).resolve().parent / "cloud.py")
    for name, (source, since, until) in SHAPES.items() if cloud_raw is not None else ():
        dataset = root / name
        if (dataset / "export" / "v2_incidents.json").exists():
            print(f"skip convert: {dataset / 'export'} exists", flush=True)
        else:
            window = [*(["--since", since] if since else []), *(["--until", until] if until else [])]
            inputs = ["--github", *(str(raw / n) for n in GITHUB_INPUTS)] if source == "github" else []
            vendors = [] if source == "github" else ["--vendors", source]
            command = [sys.executable, script, str(root), "--raw", str(cloud_raw), "--name", name]
            _run([*command, *vendors, *inputs, *window])
        _import(dataset)


def build(root: Path, raw: Path, incidents: int, cloud_raw: Path | None = None) -> None:
    """Convert/generate and import every dataset under ``root``."""
    github = root / "github"
    if (github / "export" / "v2_incidents.json").exists():
        print(f"skip convert: {github / 'export'} exists", flush=True)
    else:
        inputs = [raw / name for name in GITHUB_INPUTS]
        missing = [str(p) for p in inputs if not p.exists()]
        if missing:
            raise SystemExit(f"missing corpus files: {', '.join(missing)} (see --raw)")
        _run(_precedent("convert", "statuspage", *map(str, inputs), str(github / "export")))
    build_shapes(root, raw, cloud_raw)
    _import(github)
    for name, seed in SYNTHETIC_SEEDS.items():
        dataset = root / name
        if (dataset / "export" / "v2_incidents.json").exists():
            print(f"skip generate: {dataset / 'export'} exists", flush=True)
        else:
            out = str(dataset / "export")
            _run(_precedent("generate", "--incidents", str(incidents), "--seed", str(seed), out))
        _import(dataset)


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and build."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", nargs="?", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--raw", type=Path, default=DEFAULT_RAW, help="the github-status corpus folder")
    parser.add_argument(
        "--cloud-raw", type=Path, default=DEFAULT_CLOUD_RAW, help="cloud-incident-reports folder"
    )
    parser.add_argument("--shapes-only", action="store_true", help="build only the shapes of SHAPES")
    parser.add_argument("--incidents", type=int, default=1500, help="incidents per synthetic dataset")
    args = parser.parse_args(argv)
    if args.shapes_only:
        build_shapes(args.dir, args.raw, args.cloud_raw)
    else:
        build(args.dir, args.raw, args.incidents, args.cloud_raw)
    return 0


if __name__ == "__main__":
    sys.exit(main())
