"""Inference benchmark: PyTorch eager vs ONNX Runtime fp32 vs int8, a full check-in, worker RSS.

    .venv/bin/python -m bench.inference [--repeats 7] [--threads 1] [--skip-export]

Models are random-initialised from transformers configs (timing does not depend on the
weights): ResNet-18 and ResNet-50 (224x224 image), Wav2Vec2 with the base-sized config
(3 s and 5 s of 16 kHz audio, the optional ``--architecture wav2vec2`` voice model) and an
XGBoost burnout regressor trained on synthetic rows. The shipped voice model (voice encoder,
prosody and a small head) is measured with its real weights, the encoder against the same
network in PyTorch eager (``training.voice_encoder.from_onnx``).
The audio is the committed test sentences (real speech, which the speech detector keeps).
Quantisation: static QDQ int8 for the CNNs; for Wav2Vec2 dynamic int8 on MatMul/Gemm only, and
the same plus static QDQ int8 on its convolutional feature encoder.

The full check-in compares the worker's real path (``inference.services`` with the int8 models
registered in a throw-away SQLite registry) with the same preprocessing feeding PyTorch eager
models and native XGBoost. The worker's start-up and resident memory are measured in a fresh
process that never imports torch. Exported models and a JSON copy of the results go to
``bench/results/inference/`` (git-ignored).
"""
