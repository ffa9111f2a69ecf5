"""Model cards: a JSON record and a Markdown rendering of the same facts."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

DATA_SOURCES: dict[str, dict[str, str]] = {
    "burnout": {
        "name": "Are Your Employees Burning Out? (HackerEarth, 2020), labelled train rows",
        "origin": "Kaggle redwankarimsony/hackerearth-employee-burnout-challenge",
        "licence": "HackerEarth machine-learning challenge data; the original terms apply",
    },
    "voice": {
        "name": "RAVDESS speech (Livingstone & Russo 2018), 16 kHz mono FLAC",
        "origin": "Zenodo 1188976 / Kaggle uwrfkaggler/ravdess-emotional-speech-audio",
        "licence": "CC BY-NC-SA 4.0 (non-commercial; share alike)",
    },
    "voice-ased": {
        "name": "ASED, the Amharic Speech Emotion Dataset (Retta et al., ACM TALLIP 2022), "
        "16 kHz mono FLAC",
        "origin": "GitHub wgwangang/ASED_V1",
        "licence": "no licence stated: research use",
    },
    "fatigue": {
        "name": "Yawn/no_yawn faces and closed/open eye crops (Kaggle drowsiness data sets)",
        "origin": "Kaggle dheerajperumandla/drowsiness-dataset (yawn-eye data set); "
        "ismailnasri20/driver-drowsiness-dataset-ddd for the full driver set",
        "licence": "no licence file shipped with the redistributions; the original terms apply",
    },
}


def voice_data_source(corpora: list[str]) -> dict[str, str]:
    """The card's data source for the voice corpora used; a corpus the project does not know
    (a local folder of labelled clips) is named as such, never passed off as a known one."""

    def source(corpus: str) -> dict[str, str]:
        known = DATA_SOURCES.get("voice" if corpus == "ravdess" else f"voice-{corpus}")
        return known or {
            "name": f"{corpus} (a local folder of labelled clips)",
            "origin": "local",
            "licence": "the data's own terms",
        }

    parts = [source(corpus) for corpus in corpora]
    return {key: "; ".join(part[key] for part in parts) for key in ("name", "origin", "licence")}


def initialisation(pretrained: Path | None) -> str:
    """How a network's weights started, for the card's model section."""
    return f"from {pretrained}" if pretrained else "from scratch"


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    if value is None:
        return "n/a"
    return str(value)


def _megabytes(size: int) -> str:
    return f"{size / 1e6:.2f} MB" if size >= 100_000 else f"{size / 1e3:.1f} kB"


def _size(parameters: object) -> str:
    return f"{parameters:,} parameters" if isinstance(parameters, int) else str(parameters)


def _metric_rows(metrics: Mapping) -> list[str]:
    rows = []
    for key, value in metrics.items():
        if key == "confusion_matrix" or isinstance(value, Mapping | list):
            continue
        rows.append(f"| {key} | {_fmt(value)} |")
    return rows


def _confusion(metrics: Mapping) -> list[str]:
    cm = metrics.get("confusion_matrix")
    if not cm:
        return []
    labels = cm["labels"]
    lines = [
        "",
        "Confusion matrix (rows: true, columns: predicted)",
        "",
        "| | " + " | ".join(labels) + " |",
        "|---" * (len(labels) + 1) + "|",
    ]
    for label, row in zip(labels, cm["matrix"], strict=True):
        lines.append(f"| **{label}** | " + " | ".join(str(v) for v in row) + " |")
    return lines


def _table_head(title: str, columns: list[str]) -> list[str]:
    """A section heading and the head of its table."""
    return [f"## {title}", "", "| " + " | ".join(columns) + " |", "|---" * len(columns) + "|"]


def _metrics_section(name: str, metrics: Mapping) -> list[str]:
    """A heading, the table of single figures, then the confusion matrix when there is one."""
    return [
        f"### {name}",
        "",
        "| metric | value |",
        "|---|---|",
        *_metric_rows(metrics),
        *_confusion(metrics),
        "",
    ]


def _variant_summary(metrics: Mapping) -> list[str]:
    """One short line per metrics block: accuracy-type figures only."""
    keys = ("accuracy", "balanced_accuracy", "roc_auc", "r2")
    flat = {k: v for k, v in metrics.items() if k in keys}
    parts = [", ".join(f"{k} {_fmt(v)}" for k, v in flat.items())] if flat else []
    for name, block in metrics.items():
        if isinstance(block, Mapping):
            figures = ", ".join(f"{k} {_fmt(block[k])}" for k in keys if k in block)
            parts.append(f"{name}: {figures}")
    return parts


def _spread(value: object) -> str:
    if isinstance(value, Mapping) and "mean" in value:
        text = f"{value['mean']:.3f} ± {value['std']:.3f}"
        return text + (f" ({value['min']:.3f}-{value['max']:.3f})" if "min" in value else "")
    return _fmt(value)


def _cross_validation(card: Mapping) -> list[str]:
    comparison = card.get("cross_validation")
    if not comparison:
        return []
    metrics = [k for k, v in next(iter(comparison.values())).items() if isinstance(v, Mapping)]
    lines = [
        "## Cross-validation (held-out actors)",
        "",
        "| candidate | folds | " + " | ".join(metrics) + " |",
        "|---" * (len(metrics) + 2) + "|",
    ]
    for name, row in comparison.items():
        figures = " | ".join(_spread(row[m]) for m in metrics)
        lines.append(f"| {name} | {row.get('folds', '')} | {figures} |")
    if card.get("cross_validation_note"):
        lines += ["", card["cross_validation_note"]]
    return [*lines, ""]


def _robustness(card: Mapping) -> list[str]:
    robust = card.get("robustness")
    if not robust:
        return []
    lines = ["## Robustness", ""]
    for name, result in robust.items():
        if isinstance(result, Mapping):
            parts = ", ".join(f"{k}: {_fmt(v)}" for k, v in result.items())
        else:
            parts = _fmt(result)
        lines.append(f"- **{name}**: {parts}")
    return [*lines, ""]


def _cross_corpus(card: Mapping) -> list[str]:
    """Leave-one-corpus-out (95 % bootstrap over test speakers) and pooled speaker folds
    (mean ± standard deviation over folds), per corpus and on ASED's shared sentences."""
    transfer = card.get("cross_corpus")
    if not transfer:
        return []
    lines = _table_head(
        "Across corpora and languages",
        ["test", "how", "balanced accuracy", "ROC-AUC", "calm below 0.5"],
    )
    for name, figures in transfer.get("leave_one_corpus_out", {}).items():
        low, high = figures.get("ci95", {}).get("balanced_accuracy", ["-", "-"])
        lines.append(
            f"| {name} | fitted on the other corpus | {_fmt(figures.get('balanced_accuracy'))} "
            f"({_fmt(low)}-{_fmt(high)}) | {_fmt(figures.get('roc_auc'))} | "
            f"{_fmt(figures.get('calm_below_half'))} |"
        )
    for name, figures in transfer.get("pooled_speaker_folds", {}).items():
        cells = [
            f"{_fmt(figures[k]['mean'])} ± {_fmt(figures[k]['std'])}" if k in figures else "-"
            for k in ("balanced_accuracy", "roc_auc", "calm_below_half")
        ]
        lines.append(f"| {name} | both corpora, speakers held out | {' | '.join(cells)} |")
    lines += [
        "",
        "`ased_core`: angry and fearful against neutral on sentences 01-02, the two every "
        "ASED speaker said in every emotion (the other sentences were written for one "
        "emotion, so the words could give it away).",
        "",
    ]
    return lines


def render_markdown(card: Mapping) -> str:
    """Human-readable card; every number comes from ``card`` (the JSON twin)."""
    lines = [
        f"# Model card: {card['kind']} {card['version']}",
        "",
        card.get("summary", ""),
        "",
        f"- File: `{card['onnx_file']}` (sha256 `{card['sha256'][:16]}…`, "
        f"{_megabytes(card.get('size_bytes', 0))}), variant shipped: "
        f"**{card.get('shipped_variant', 'fp32')}**",
        f"- Architecture: {card['model']['architecture']} "
        f"({_size(card['model'].get('parameters'))}), "
        f"initialised {card['model'].get('initialisation', 'from scratch')}",
        f"- Output: {card.get('output_description', '')}",
        f"- Created: {card.get('created_at', '')}",
        "",
        "## Data",
        "",
        f"- Source: {card['data']['name']} ({card['data']['origin']})",
        f"- Licence: {card['data']['licence']}",
        f"- Samples used: {card['data'].get('n_samples')}; label mapping: "
        f"`{json.dumps(card['data'].get('label_mapping', {}))}`",
        "",
        "## Split",
        "",
        f"- Method: {card['split']['method']}",
        f"- Seed: {card['split']['seed']}; sizes: train {card['split'].get('train')}, "
        f"validation {card['split'].get('val')}, test {card['split'].get('test')}",
    ]
    if card["split"].get("test_groups"):
        lines.append(f"- Held-out groups: {', '.join(card['split']['test_groups'])}")
    lines += ["", "## Held-out metrics", ""]
    for name, metrics in card["metrics"].items():
        lines += _metrics_section(name, metrics)
    lines += _cross_validation(card) + _robustness(card)
    if card.get("targets"):
        lines += _table_head("Targets", ["target", "required", "measured", "met"])
        for target in card["targets"]:
            lines.append(
                f"| {target['name']} | {_fmt(target['required'])} | {_fmt(target['measured'])} "
                f"| {'yes' if target['met'] else 'NO'} |"
            )
        lines.append("")
    if card.get("variants"):
        lines += _table_head("Exported variants", ["variant", "size MB", "held-out metrics"])
        for name, info in card["variants"].items():
            summary = "; ".join(_variant_summary(info.get("metrics", {})))
            lines.append(f"| {name} | {info.get('size_bytes', 0) / 1e6:.2f} | {summary} |")
        if card.get("variant_choice"):
            lines += ["", card["variant_choice"]]
        lines.append("")
    if card.get("split_checks"):
        lines += _table_head(
            "Other runs and splits (same data and settings)", ["seed", "held-out groups", "figures"]
        )
        for check in card["split_checks"]:
            figures = "; ".join(_variant_summary(check["metrics"]))
            groups = ", ".join(check.get("test_groups", [])) or "n/a"
            lines.append(f"| {check['seed']} | {groups} | {figures} |")
        if card.get("split_checks_note"):
            lines += ["", card["split_checks_note"]]
        lines.append("")
    for evaluation in card.get("evaluations", []):
        lines += [
            f"## Evaluation {evaluation['at']} ({evaluation['part']} part of "
            f"{', '.join(evaluation['data_dirs'])})",
            "",
        ]
        for name, metrics in evaluation["metrics"].items():
            if not isinstance(metrics, Mapping):
                lines += [f"- {name}: {_fmt(metrics)}", ""]
                continue
            lines += _metrics_section(name, metrics)
    lines += _cross_corpus(card)
    lines += ["## Training", "", "```json", json.dumps(card["training"], indent=2), "```", ""]
    lines += ["## Known limits", ""] + [f"- {limit}" for limit in card.get("limits", [])]
    if card.get("validated_languages"):
        languages = card["validated_languages"]
        lines += ["", "## Validated on", ""] + [f"- {language}" for language in languages]
    if card.get("not_for"):
        lines += ["", "## Not for", ""] + [f"- {use}" for use in card["not_for"]]
    lines += ["", "## Reproduce", "", "```sh", card.get("reproduce", ""), "```", ""]
    return "\n".join(lines)
