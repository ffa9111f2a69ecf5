"""The printed report of a run: the model table, then the check-in, its stages and the worker."""

from __future__ import annotations

from bench.inference.common import ReportRow, Results, Timing


def print_report(rows: list[ReportRow], results: Results) -> None:
    print(
        f"\nInference benchmark - {results['machine']}, {results['threads']} thread(s), "
        f"median of {results['repeats']} interleaved runs, thread CPU ms (wall ms)"
    )
    header = (
        f"{'model / input':<20}{'PyTorch eager':>18}{'ORT fp32':>18}{'ORT int8':>18}"
        f"{'int8 vs torch':>15}{'|dp| int8':>11}  int8 method"
    )
    print(header)
    print("-" * len(header))

    def cell(t: Timing) -> str:
        return f"{t['cpu']:8.1f} ({t['wall']:6.0f})"

    for name, t, diff, method in rows:
        print(
            f"{name:<20}{cell(t['torch']):>18}{cell(t['fp32']):>18}{cell(t['int8']):>18}"
            f"{t['torch']['cpu'] / t['int8']['cpu']:>14.2f}x{diff:>11.4f}  {method}"
        )
    c = results["checkin"]
    t = c["ms"]
    vad_ms = ", ".join(f"{clip} {cell(ms)}" for clip, ms in results["vad"]["ms"].items())
    print(
        f"\nFull check-in (photo gate + landmarks + ResNet-50 on 3 crops + speech gate + voice "
        f"encoder + prosody + voice head on 5 s + burnout), end to end:\n"
        f"  PyTorch eager pipeline   {cell(t['torch'])} ms\n"
        f"  worker path, ORT         {cell(t['worker'])} ms   speed-up {c['speedup']:.2f}x "
        f"(wall {c['speedup_wall']:.2f}x)\n"
        f"  pure session.run only    {cell(t['session_run'])} ms   overhead "
        f"{c['overhead_ratio']:.3f} (wall {c['overhead_ratio_wall']:.3f})\n"
        f"  max |p worker - p other| fatigue int8 vs fp32 {c['max_prob_diff_fatigue']:.4f}, "
        f"voice ORT vs torch {c['max_prob_diff_voice']:.6f} (target <= 0.02); "
        f"burnout vs XGBoost {c['burnout_diff_vs_xgboost']:.5f}"
    )
    print("Voice features per clip (part of the worker path above), thread CPU ms (wall ms):")
    for clip, v in results["voice_features"].items():
        m = v["ms"]
        print(
            f"  {clip:>4}: encoder PyTorch {cell(m['encoder_torch'])}, ORT "
            f"{cell(m['encoder_ort'])} ({v['encoder_speedup']:.2f}x, {v['partials']} partials, "
            f"|diff| {v['encoder_max_abs_diff']:.1e}); mel {cell(m['mel'])}; prosody "
            f"{cell(m['prosody'])}; whole analysis incl. speech gate {cell(m['analysis'])}"
        )
    print_burst(results)
    print(
        f"Speech detector (Silero VAD, part of the worker path above), per clip: {vad_ms} ms\n"
        f"Photo gate (face detection + 468 landmarks + checks + eye crops, part of the worker "
        f"path above): {cell(results['face']['ms']['gate + landmarks + crops'])} ms"
    )
    print_worker(results)
    print(
        f"Load average {results['load_average_at_start'][0]:.1f} at start, "
        f"{results['load_average_at_end'][0]:.1f} at end; total {results['total_s']:.0f} s"
    )


def print_burst(results: Results) -> None:
    b = results["burst"]
    print(
        f"Burst of {b['frames']} frames with the shipped fatigue model ({b['runs']} runs, thread "
        f"CPU ms): one photo p50 {b['photo_ms_p50']:.1f}; burst p50 {b['burst_ms_p50']:.1f}, "
        f"p99 {b['burst_ms_p99']:.1f}; extra over one photo p50 {b['extra_ms_p50']:.1f}, "
        f"p99 {b['extra_ms_p99']:.1f}; the eye model's lids p50 {b['lids_ms_p50']:.1f} of a "
        f"photo (without them {b['photo_without_lids_ms_p50']:.1f})"
    )


def print_worker(results: Results) -> None:
    w = results["worker"]
    print(
        f"Worker process (torch imported: {w['torch_imported']}):\n"
        f"  start-up (interpreter + imports + model sessions) {w['startup_s']:.2f} s wall, "
        f"{w['startup_cpu_s']:.2f} s CPU (target <= 3)\n"
        f"  RSS with all models loaded {w['rss_loaded_mb']:.0f} MB, after scoring a photo, a "
        f"10 s clip and a 12-frame burst {w['rss_after_10s_clip_mb']:.0f} MB, peak "
        f"{w['peak_rss_mb']:.0f} MB (target <= 600)"
    )
