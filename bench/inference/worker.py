"""The worker as it runs in production: a fresh process that never imports torch, timed from
its start until every model is loaded, and its resident memory before and after scoring."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from bench.inference.common import ROOT, Results

WORKER_SCRIPT = textwrap.dedent(
    """
    import json, sys, time
    import psutil

    def peak_mb():
        # VmHWM belongs to this process image; ru_maxrss would carry the parent's across exec.
        with open("/proc/self/status") as status:
            line = next(row for row in status if row.startswith("VmHWM:"))
        return int(line.split()[1]) / 1024

    import django
    django.setup()
    from inference import face, runtime, services, vad, voice_features
    loaded = runtime.load_active_models()
    face.load()
    vad.load()
    voice_features.load()
    process = psutil.Process()
    ready = time.time() - process.create_time()
    cpu = process.cpu_times()
    ready_cpu = cpu.user + cpu.system
    rss_loaded = process.memory_info().rss
    image, clip = sys.argv[1], sys.argv[2]
    services.score_image(image)
    services.score_audio(clip)
    services.score_burnout({"mental_fatigue": 4, "resource_allocation": 5})
    if len(sys.argv) > 3:
        services.score_burst(sys.argv[3])  # a burst of frames, as the check-in page sends
    print(json.dumps({
        "loaded": loaded,
        "startup_s": ready,
        "startup_cpu_s": ready_cpu,
        "rss_loaded_mb": rss_loaded / 2**20,
        "rss_after_10s_clip_mb": process.memory_info().rss / 2**20,
        "peak_rss_mb": peak_mb(),
        "torch_imported": any(m.split(".")[0] in ("torch", "transformers") for m in sys.modules),
    }))
    """
)


def bench_worker(
    image: Path, clip10: Path, threads: int, results: Results, burst: Path | None = None
) -> None:
    """A fresh worker process: start-up until every model is loaded, and resident memory
    after scoring a photo, a 10 s clip and (``burst``) a burst archive of frames."""
    env = {**os.environ, "ORT_INTRA_OP_THREADS": str(threads)}
    extra = [str(burst)] if burst is not None else []
    out = subprocess.run(
        [sys.executable, "-c", WORKER_SCRIPT, str(image), str(clip10), *extra],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    results["worker"] = json.loads(out.stdout.strip().splitlines()[-1])
