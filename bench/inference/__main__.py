"""``python -m bench.inference``: every measurement in turn, results.json, then the report."""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import time

import bench.inference
from bench.inference.checkin import bench_checkin
from bench.inference.common import WORK, ReportRow, Results, Settings, setup_django
from bench.inference.inputs import burst_archive, sample_clip, sample_image
from bench.inference.models import burnout_model
from bench.inference.networks import bench_cnn, bench_wav2vec2
from bench.inference.report import print_burst, print_report, print_worker
from bench.inference.stages import bench_burst, bench_face, bench_vad, bench_voice_features
from bench.inference.worker import bench_worker


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.inference",
        description=(bench.inference.__doc__ or "").split("\n\n")[0],
    )
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1, help="torch and ORT intra-op threads")
    parser.add_argument(
        "--skip-export", action="store_true", help="reuse exported models from a previous run"
    )
    parser.add_argument(
        "--burst-only", action="store_true", help="only the burst's extra worker time"
    )
    args = parser.parse_args()
    settings = Settings(
        work=WORK, repeats=args.repeats, threads=args.threads, skip_export=args.skip_export
    )
    WORK.mkdir(parents=True, exist_ok=True)
    setup_django(WORK)
    import torch

    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    image = sample_image(WORK)
    clips = {seconds: sample_clip(WORK, seconds) for seconds in (3, 5, 10)}
    rows: list[ReportRow] = []
    results: Results = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "threads": args.threads,
        "repeats": args.repeats,
        "load_average_at_start": os.getloadavg(),
    }
    bench_burst(image, settings, results)
    archive = burst_archive(image, WORK)
    if args.burst_only:
        # The shipped starter models in the throw-away registry, for the worker process.
        from django.core.management import call_command

        call_command("setup_models", stdout=io.StringIO())
        bench_worker(image, clips[10], args.threads, results, archive)
        print_burst(results)
        print_worker(results)
        return
    bench_cnn("ResNet-18", image, settings, rows, results)
    cnn = bench_cnn("ResNet-50", image, settings, rows, results)
    bench_wav2vec2({3: clips[3], 5: clips[5]}, settings, rows, results)
    burnout = burnout_model(WORK / "registry-src")
    bench_checkin(image, clips[5], cnn, burnout, settings, results)
    bench_voice_features(clips, settings, results)
    bench_vad(clips, settings, results)
    bench_face(image, settings, results)
    bench_worker(image, clips[10], args.threads, results, archive)
    results["load_average_at_end"] = os.getloadavg()
    results["total_s"] = time.perf_counter() - started
    (WORK / "results.json").write_text(json.dumps(results, indent=2))
    print_report(rows, results)


if __name__ == "__main__":
    main()
