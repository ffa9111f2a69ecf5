"""Voice stress across corpora: ASED's sentences, leave-one-corpus-out and pooled folds."""

from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from training import cards, voice_corpora
from training.datasets import SpeechSample, folder_labelled_sample
from training.voice_stress import ALL_FEATURES, FeatureTable

ROOT = Path("/data/ased")


def ased(speaker: int, emotion: str, sentence: str) -> SpeechSample:
    path = ROOT / f"speaker_{speaker:02d}" / emotion / f"a5-{sentence}-01-01-{speaker:02d}.flac"
    sample = folder_labelled_sample(path, ROOT)
    assert sample is not None
    return sample


def test_ased_clips_are_read_by_folder_and_judged_on_the_shared_sentences():
    sample = ased(3, "angry", "01")
    assert (sample.speaker, sample.emotion) == ("folder-speaker_03", "angry")
    assert voice_corpora.corpus_of(sample) == "ased"
    assert voice_corpora.ased_sentence(sample) == "01"
    assert voice_corpora.is_ased_core(sample)
    assert not voice_corpora.is_ased_core(ased(3, "angry", "05"))  # written for one emotion
    assert not voice_corpora.is_ased_core(ased(3, "sad", "02"))  # not in the core contrast


def synthetic_table(*, shift: float, seed: int = 0) -> FeatureTable:
    """Two corpora whose stressed clips differ along one feature, the second corpus offset by
    ``shift`` (a language or a room)."""
    rng = np.random.default_rng(seed)
    samples, rows = [], []
    for corpus, offset in (("ravdess", 0.0), ("ased", shift)):
        for speaker in range(6):
            for emotion, level in (("neutral", 0.0), ("angry", 1.5), ("fearful", 1.5)):
                for sentence in ("01", "02", "03"):
                    if corpus == "ased":
                        sample = ased(speaker, emotion, sentence)
                    else:
                        path = Path(f"/data/ravdess/{speaker}-{emotion}-{sentence}.wav")
                        sample = SpeechSample(path, emotion, f"ravdess-{speaker}", "ravdess")
                    row = rng.normal(0, 1, len(ALL_FEATURES))
                    row[0] += level + offset
                    samples.append(sample)
                    rows.append(row)
    return FeatureTable(values=np.array(rows), samples=samples, rejected=[])


@pytest.fixture(scope="module")
def report() -> dict:
    return voice_corpora.report(synthetic_table(shift=0.0), candidates=["prosody"], seed=3)[
        "prosody"
    ]


def test_both_tests_report_every_corpus_and_the_core_with_a_spread(report):

    loco = report["leave_one_corpus_out"]
    assert set(loco) == {
        "ased (fitted on the rest)",
        "ased_core (fitted on the rest)",
        "ravdess (fitted on the rest)",
    }
    low, high = loco["ravdess (fitted on the rest)"]["ci95"]["balanced_accuracy"]
    assert low <= loco["ravdess (fitted on the rest)"]["balanced_accuracy"] <= high
    pooled = report["pooled_speaker_folds"]
    assert set(pooled) == {"ased", "ravdess", "ased_core"}
    assert pooled["ased"]["balanced_accuracy"]["std"] >= 0


def test_the_card_shows_the_transfer_figures(report):
    lines = "\n".join(cards._cross_corpus({"cross_corpus": report}))
    assert "## Across corpora and languages" in lines
    assert "ased_core | fitted on the other corpus" in lines.replace(" (fitted on the rest)", "")
    assert "both corpora, speakers held out" in lines


@pytest.mark.django_db
def test_the_command_needs_two_corpora(tmp_path):
    folder = tmp_path / "one" / "speaker_01" / "angry"
    folder.mkdir(parents=True)
    with pytest.raises(CommandError, match="No speech files"):
        call_command("evaluate_voice_corpora", "--data-dir", str(tmp_path / "one"))
    with pytest.raises(CommandError, match="Unknown candidate"):
        call_command("evaluate_voice_corpora", "--data-dir", str(tmp_path), "--candidate", "words")


def test_per_speaker_standardising_removes_each_speakers_own_level():
    table = synthetic_table(shift=3.0)
    standardised = voice_corpora.per_speaker_standardised(table)
    for speaker in set(table.speakers.tolist()):
        rows = standardised.values[table.speakers == speaker]
        assert np.allclose(rows.mean(axis=0), 0, atol=1e-9)
        assert np.allclose(rows.std(axis=0), 1, atol=1e-9)
