// On-device voice scoring: the server's voice pipeline (inference/vad.py, preprocessing.py,
// voice.py, voice_features.py) ported to the browser, running the same three ONNX models with
// ONNX Runtime Web:
//
//   16 kHz mono samples -> Silero VAD -> speech gate (same refusals as the server) ->
//   voice embedding (mel front end + GE2E encoder) and 18 prosody measures -> calibrated head.
//
// No DOM is used in the computation; `ort` (onnxruntime-web) is passed in by the caller.
// Arithmetic is Float64 wherever numpy works in float64, and values are rounded to float32
// (Math.fround) exactly where the Python code casts to float32, so the features agree with
// the server's to rounding error on the same samples.

const SAMPLE_RATE = 16000;

// --- Voice-activity detection (inference/vad.py) -------------------------------------------

const VAD_WINDOW = 512; // samples per model call (32 ms)
const VAD_CONTEXT = 64; // samples of the previous window prepended to each call
const VAD_STATE_SIZE = 2 * 1 * 128;
const VAD_THRESHOLD = 0.5;
const VAD_NEG_THRESHOLD = VAD_THRESHOLD - 0.15;
const MIN_SPEECH_MS = 250;
const MIN_SILENCE_MS = 100;
const SPEECH_PAD_MS = 30;

// --- Speech gate (inference/preprocessing.py) ----------------------------------------------

const SILENCE_PEAK = 1e-3; // about -60 dBFS
const MAX_DECODE_SECONDS = 120;
const DEFAULT_PREPROCESSING = { sample_rate: 16000, max_seconds: 8, min_speech_seconds: 1.0 };

// --- Voice features (inference/voice_features.py) ------------------------------------------

const MEL_CHANNELS = 40;
const MEL_WINDOW = 400; // 25 ms
const MEL_HOP = 160; // 10 ms
const PARTIAL_FRAMES = 160; // 1.6 s of mel frames per partial utterance
const PARTIAL_RATE = 1.3; // partial utterances per second
const MIN_PARTIAL_COVERAGE = 0.75;
const EMBEDDING_SIZE = 256;
const LOUDNESS_TARGET_DBFS = -30.0;
const INT16_MAX = 2 ** 15 - 1;

const PITCH_FRAME = 800; // 50 ms
const PITCH_HOP = 160;
const MIN_F0 = 60.0;
const MAX_F0 = 450.0;
const OCTAVE_COST = 0.01;
const VOICING_THRESHOLD = 0.45;
const SILENT_FRAME_DB = 35.0;
const PAUSE_SECONDS = 0.15;
const SPECTRUM_WINDOW = 512; // the prosody's spectral balance uses 32 ms frames

export const PROSODY_FEATURES = [
  "f0_median_st",
  "f0_iqr_st",
  "f0_range_st",
  "f0_slope_st_per_s",
  "voiced_share",
  "jitter",
  "shimmer_db",
  "hnr_db",
  "loudness_std_db",
  "loudness_range_db",
  "alpha_ratio_db",
  "hammarberg_db",
  "spectral_centroid_log",
  "spectral_flux",
  "syllable_rate",
  "pause_share",
  "pause_rate",
  "mean_phrase_s",
];

/** A clip the server would refuse (silence, too little speech, empty); same messages. */
export class InvalidMediaError extends Error {
  constructor(message) {
    super(message);
    this.name = "InvalidMediaError";
  }
}

// --- Small numeric helpers -------------------------------------------------------------------

function sum(values) {
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i];
  return total;
}

function mean(values) {
  return sum(values) / values.length;
}

function sortedCopy(values) {
  return Float64Array.from(values).sort();
}

/** numpy.percentile with its default linear interpolation, on already sorted values. */
function percentileSorted(sorted, q) {
  const position = (q / 100) * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  const t = position - below;
  const a = sorted[below];
  const b = sorted[above];
  // numpy's lerp: from the nearer end, so that t = 1 gives b exactly.
  return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
}

/** numpy.median: the middle value, or the mean of the two middle ones. */
function median(values) {
  const sorted = sortedCopy(values);
  const half = sorted.length >> 1;
  return sorted.length % 2 ? sorted[half] : (sorted[half - 1] + sorted[half]) / 2;
}

/** Python's f"{x:.1f}": like toFixed(1), but exact ties go to the even digit. */
function formatOneDecimal(x) {
  // Only odd multiples of 0.25 are exact decimal ties at one digit in binary floating point.
  const quarters = x * 4;
  if (Number.isInteger(quarters) && Math.abs(quarters) % 2 === 1) {
    let tenths = Math.floor(x * 10);
    if (tenths % 2 !== 0) tenths += 1;
    return (tenths / 10).toFixed(1);
  }
  return x.toFixed(1);
}

/** Python's f"{x:g}" for the ordinary values a sidecar holds (6 significant digits). */
function formatGeneral(x) {
  return String(Number(x.toPrecision(6)));
}

// --- FFT -------------------------------------------------------------------------------------
// A mixed-radix (2, 3, 4, 5, ...) decimation-in-time FFT: the mel front end needs n = 400, which
// is not a power of two. Twiddles come straight from cos/sin of each angle (no recurrences),
// which keeps the error at the level of numpy's pocketfft.

const fftPlans = new Map();

function fftPlan(n) {
  let plan = fftPlans.get(n);
  if (plan) return plan;
  const factors = [];
  let rest = n;
  for (const p of [4, 2, 3, 5]) {
    while (rest % p === 0) {
      factors.push(p);
      rest /= p;
    }
  }
  for (let p = 7; rest > 1; p += 2) {
    while (rest % p === 0) {
      factors.push(p);
      rest /= p;
    }
  }
  const cos = new Float64Array(n);
  const sin = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    cos[j] = Math.cos((2 * Math.PI * j) / n);
    sin[j] = -Math.sin((2 * Math.PI * j) / n); // forward transform: exp(-2*pi*i*j/n)
  }
  const largest = Math.max(1, ...factors);
  plan = {
    n,
    factors,
    cos,
    sin,
    tmpRe: new Float64Array(largest),
    tmpIm: new Float64Array(largest),
  };
  fftPlans.set(n, plan);
  return plan;
}

function fftStage(plan, inRe, inIm, inOffset, stride, size, level, outRe, outIm, outOffset) {
  if (size === 1) {
    outRe[outOffset] = inRe[inOffset];
    outIm[outOffset] = inIm[inOffset];
    return;
  }
  const p = plan.factors[level];
  const m = size / p;
  // Sub-transform r of the inputs r, r+p, r+2p, ... lands in out[outOffset + r*m ...].
  for (let r = 0; r < p; r++) {
    fftStage(plan, inRe, inIm, inOffset + r * stride, stride * p, m, level + 1, outRe, outIm,
      outOffset + r * m);
  }
  const { n, cos, sin, tmpRe, tmpIm } = plan;
  const twiddleStep = n / size;
  for (let k = 0; k < m; k++) {
    for (let r = 0; r < p; r++) {
      tmpRe[r] = outRe[outOffset + r * m + k];
      tmpIm[r] = outIm[outOffset + r * m + k];
    }
    for (let q = 0; q < p; q++) {
      const index = k + q * m;
      let accRe = 0;
      let accIm = 0;
      for (let r = 0; r < p; r++) {
        const t = ((r * index) % size) * twiddleStep;
        const wr = cos[t];
        const wi = sin[t];
        accRe += tmpRe[r] * wr - tmpIm[r] * wi;
        accIm += tmpRe[r] * wi + tmpIm[r] * wr;
      }
      outRe[outOffset + index] = accRe;
      outIm[outOffset + index] = accIm;
    }
  }
}

/** |rfft(x)|^2 of a real frame: n/2 + 1 bins, into `power`. */
function powerSpectrumInto(frame, plan, scratch, power) {
  const { n } = plan;
  scratch.inIm.fill(0);
  fftStage(plan, frame, scratch.inIm, 0, 1, n, 0, scratch.outRe, scratch.outIm, 0);
  for (let k = 0; k <= n >> 1; k++) {
    power[k] = scratch.outRe[k] ** 2 + scratch.outIm[k] ** 2;
  }
}

function periodicHann(length) {
  const w = new Float64Array(length);
  for (let i = 0; i < length; i++) w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / length);
  return w;
}

/** numpy.hanning (symmetric), with numpy's own formula. */
function symmetricHann(length) {
  const w = new Float64Array(length);
  for (let i = 0; i < length; i++) {
    const n = 1 - length + 2 * i;
    w[i] = 0.5 + 0.5 * Math.cos((Math.PI * n) / (length - 1));
  }
  return w;
}

/** voice_features._frames: (start offset, count) of the frames over a float64 copy. */
function framedSignal(samples, { length, hop, center }) {
  let audio;
  if (center) {
    const pad = length >> 1;
    audio = new Float64Array(samples.length + 2 * pad);
    audio.set(samples, pad);
  } else {
    audio = Float64Array.from(samples);
  }
  if (audio.length < length) {
    const padded = new Float64Array(length);
    padded.set(audio);
    audio = padded;
  }
  const count = 1 + Math.floor((audio.length - length) / hop);
  return { audio, count };
}

/** |STFT|^2, periodic Hann, centred frames zero-padded: an array of Float64Array rows. */
function powerSpectrogram(samples, window, hop) {
  const hann = periodicHann(window);
  const { audio, count } = framedSignal(samples, { length: window, hop, center: true });
  const plan = fftPlan(window);
  const scratch = {
    inIm: new Float64Array(window),
    outRe: new Float64Array(window),
    outIm: new Float64Array(window),
  };
  const frame = new Float64Array(window);
  const rows = [];
  for (let f = 0; f < count; f++) {
    const start = f * hop;
    for (let i = 0; i < window; i++) frame[i] = audio[start + i] * hann[i];
    const power = new Float64Array((window >> 1) + 1);
    powerSpectrumInto(frame, plan, scratch, power);
    rows.push(power);
  }
  return rows;
}

// --- Mel spectrogram -------------------------------------------------------------------------

function hzToMel(hz) {
  // Slaney's scale (librosa's default): linear below 1 kHz, logarithmic above.
  if (hz >= 1000.0) return 15.0 + Math.log(Math.max(hz, 1e-10) / 1000.0) / (Math.log(6.4) / 27);
  return hz / (200.0 / 3);
}

function melToHz(mel) {
  if (mel >= 15.0) return 1000.0 * Math.exp((Math.log(6.4) / 27) * (mel - 15.0));
  return mel * (200.0 / 3);
}

/** numpy.linspace(start, stop, num) with the same arithmetic. */
function linspace(start, stop, num) {
  const out = new Float64Array(num);
  const step = (stop - start) / (num - 1);
  for (let i = 0; i < num; i++) out[i] = i * step + start;
  out[num - 1] = stop;
  return out;
}

let melFilters = null;

/** (40, 201) area-normalised triangular filters: librosa.filters.mel(16000, 400, 40). */
function melFilterbank() {
  if (melFilters) return melFilters;
  const bins = 1 + (MEL_WINDOW >> 1);
  const fftFreqs = linspace(0, SAMPLE_RATE / 2, bins);
  const melEdges = linspace(hzToMel(0.0), hzToMel(SAMPLE_RATE / 2), MEL_CHANNELS + 2);
  const hzEdges = melEdges.map(melToHz);
  const filters = [];
  for (let m = 0; m < MEL_CHANNELS; m++) {
    const lowerWidth = hzEdges[m + 1] - hzEdges[m];
    const upperWidth = hzEdges[m + 2] - hzEdges[m + 1];
    const area = 2.0 / (hzEdges[m + 2] - hzEdges[m]);
    const row = new Float64Array(bins);
    for (let k = 0; k < bins; k++) {
      const lower = -(hzEdges[m] - fftFreqs[k]) / lowerWidth;
      const upper = (hzEdges[m + 2] - fftFreqs[k]) / upperWidth;
      row[k] = Math.max(0.0, Math.min(lower, upper)) * area;
    }
    filters.push(row);
  }
  melFilters = filters;
  return filters;
}

/** (frames x 40) mel power spectrogram (not log), float32 values, as rows. */
function melSpectrogram(samples) {
  const filters = melFilterbank();
  return powerSpectrogram(samples, MEL_WINDOW, MEL_HOP).map((power) => {
    const row = new Float32Array(MEL_CHANNELS);
    for (let m = 0; m < MEL_CHANNELS; m++) {
      const weights = filters[m];
      let acc = 0;
      for (let k = 0; k < power.length; k++) acc += power[k] * weights[k];
      row[m] = acc;
    }
    return row;
  });
}

/** Raise (never lower) the level to -30 dBFS RMS, as resemblyzer's preprocessing does. */
export function normaliseLoudness(samples) {
  let squares = 0;
  for (let i = 0; i < samples.length; i++) squares += (samples[i] * INT16_MAX) ** 2;
  const rms = Math.sqrt(squares / samples.length);
  if (!(rms > 0)) return samples;
  const changeDb = LOUDNESS_TARGET_DBFS - 20 * Math.log10(rms / INT16_MAX);
  if (changeDb < 0) return samples;
  // The gain is a float64 scalar in numpy, so the product is float64, then cast to float32.
  const gain = 10 ** (changeDb / 20);
  const out = new Float32Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = samples[i] * gain;
  return out;
}

/** resemblyzer's compute_partial_slices: [start, stop) mel-frame windows of 1.6 s. */
export function partialSlices(nSamples) {
  const nFrames = Math.ceil((nSamples + 1) / MEL_HOP);
  // numpy rounds half to even; 16000 / 1.3 / 160 = 76.9..., no tie.
  const step = Math.round(SAMPLE_RATE / PARTIAL_RATE / MEL_HOP);
  const steps = Math.max(1, nFrames - PARTIAL_FRAMES + step + 1);
  let slices = [];
  for (let i = 0; i < steps; i += step) slices.push([i, i + PARTIAL_FRAMES]);
  const last = slices[slices.length - 1];
  const coverage = (nSamples - last[0] * MEL_HOP) / (PARTIAL_FRAMES * MEL_HOP);
  if (coverage < MIN_PARTIAL_COVERAGE && slices.length > 1) slices = slices.slice(0, -1);
  return slices;
}

/** The encoder's input: (partials * 160 * 40) float32 and the partial count. */
function partialMels(speech) {
  let audio = normaliseLoudness(speech);
  const slices = partialSlices(audio.length);
  const needed = slices[slices.length - 1][1] * MEL_HOP;
  if (needed > audio.length) {
    const padded = new Float32Array(needed);
    padded.set(audio);
    audio = padded;
  }
  const mel = melSpectrogram(audio);
  const data = new Float32Array(slices.length * PARTIAL_FRAMES * MEL_CHANNELS);
  slices.forEach(([start], index) => {
    for (let f = 0; f < PARTIAL_FRAMES; f++) {
      data.set(mel[start + f], (index * PARTIAL_FRAMES + f) * MEL_CHANNELS);
    }
  });
  return { data, count: slices.length };
}

/** The L2-normalised mean of the partial utterances' embeddings (float64, then float32). */
function meanEmbedding(partials, count) {
  const meanVector = new Float64Array(EMBEDDING_SIZE);
  for (let p = 0; p < count; p++) {
    for (let i = 0; i < EMBEDDING_SIZE; i++) meanVector[i] += partials[p * EMBEDDING_SIZE + i];
  }
  let norm = 0;
  for (let i = 0; i < EMBEDDING_SIZE; i++) {
    meanVector[i] /= count;
    norm += meanVector[i] ** 2;
  }
  norm = Math.max(Math.sqrt(norm), 1e-12);
  return Float32Array.from(meanVector, (value) => value / norm);
}

// --- Pitch and prosody -------------------------------------------------------------------------

/** Autocorrelation of `x` at lag 0 and at lags lo..hi: linear (as numpy's zero-padded FFT). */
function autocorrelation(x, lo, hi) {
  const n = x.length;
  const out = new Float64Array(hi - lo + 1);
  let energy = 0;
  for (let i = 0; i < n; i++) energy += x[i] * x[i];
  for (let lag = lo; lag <= hi; lag++) {
    let acc = 0;
    for (let i = 0; i + lag < n; i++) acc += x[i] * x[i + lag];
    out[lag - lo] = acc;
  }
  return { energy, values: out };
}

/** voice_features.track_pitch: per 10 ms frame f0 (NaN when unvoiced), strength, dB, peak. */
export function trackPitch(speech) {
  const { audio, count } = framedSignal(speech, {
    length: PITCH_FRAME,
    hop: PITCH_HOP,
    center: false,
  });
  const hann = symmetricHann(PITCH_FRAME);
  const low = Math.trunc(SAMPLE_RATE / MAX_F0);
  const high = Math.trunc(SAMPLE_RATE / MIN_F0);
  const width = high - low + 1;
  const windowAcf = autocorrelation(hann, low, high);
  // Dividing by the window's own autocorrelation undoes the taper's bias towards short lags.
  const windowShape = windowAcf.values.map((value) => Math.max(value / windowAcf.energy, 1e-6));
  const octaveCost = new Float64Array(width);
  for (let j = 0; j < width; j++) {
    octaveCost[j] = OCTAVE_COST * Math.log2(MIN_F0 * ((j + low) / SAMPLE_RATE));
  }

  const f0 = new Float64Array(count);
  const strength = new Float64Array(count);
  const loudnessDb = new Float64Array(count);
  const peak = new Float64Array(count);
  const frame = new Float64Array(PITCH_FRAME);
  const windowed = new Float64Array(PITCH_FRAME);
  const search = new Float64Array(width);
  const lags = new Float64Array(count);
  for (let f = 0; f < count; f++) {
    const start = f * PITCH_HOP;
    let total = 0;
    for (let i = 0; i < PITCH_FRAME; i++) total += audio[start + i];
    const frameMean = total / PITCH_FRAME;
    let squares = 0;
    let framePeak = 0;
    for (let i = 0; i < PITCH_FRAME; i++) {
      const value = audio[start + i] - frameMean;
      frame[i] = value;
      windowed[i] = value * hann[i];
      squares += value * value;
      framePeak = Math.max(framePeak, Math.abs(value));
    }
    const acf = autocorrelation(windowed, low, high);
    for (let j = 0; j < width; j++) {
      const value = acf.energy > 0 ? acf.values[j] / Math.max(acf.energy, 1e-20) : 0.0;
      search[j] = value / windowShape[j];
    }
    // A periodic frame correlates as well at two periods as at one: the octave cost favours
    // the shorter period, or the tracker would report half the pitch.
    let best = 0;
    let bestScore = -Infinity;
    for (let j = 0; j < width; j++) {
      const score = search[j] - octaveCost[j];
      if (score > bestScore) {
        bestScore = score;
        best = j;
      }
    }
    let lag = best + low;
    if (best > 0 && best < width - 1) {
      const left = search[best - 1];
      const centre = search[best];
      const right = search[best + 1];
      const denominator = left - 2 * centre + right;
      const shift = Math.abs(denominator) > 1e-12 ? (0.5 * (left - right)) / denominator : 0.0;
      lag += Math.min(0.5, Math.max(-0.5, shift));
    }
    lags[f] = lag;
    strength[f] = search[best];
    loudnessDb[f] = 20 * Math.log10(Math.max(Math.sqrt(squares / PITCH_FRAME), 1e-10));
    peak[f] = framePeak;
  }
  let loudest = -Infinity;
  for (let f = 0; f < count; f++) loudest = Math.max(loudest, loudnessDb[f]);
  for (let f = 0; f < count; f++) {
    const audible = loudnessDb[f] >= loudest - SILENT_FRAME_DB;
    const voiced = strength[f] >= VOICING_THRESHOLD && audible;
    f0[f] = voiced ? SAMPLE_RATE / lags[f] : NaN;
    strength[f] = Math.min(0.9999, Math.max(0, strength[f]));
  }
  return { f0, strength, loudnessDb, peak };
}

function semitones(hz) {
  return 12 * Math.log2(hz / 100.0);
}

/** Least-squares slope of y over x (numpy.polyfit(x, y, 1)[0]). */
function linearSlope(x, y) {
  const mx = mean(x);
  const my = mean(y);
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < x.length; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
  }
  return sxy / sxx;
}

/** Syllable nuclei per second: voiced peaks of the smoothed loudness at least 2 dB above the
 * dip before them and 100 ms apart (after de Jong & Wempe 2009). */
function syllableRate(loudnessDb, voiced, seconds) {
  const n = loudnessDb.length;
  if (seconds <= 0 || n < 3) return 0.0;
  // numpy.convolve(x, ones(5) / 5, mode="same"): a centred 5-frame mean, zeros outside.
  const smooth = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let acc = 0;
    for (let j = i - 2; j <= i + 2; j++) if (j >= 0 && j < n) acc += loudnessDb[j] * 0.2;
    smooth[i] = acc;
  }
  let count = 0;
  let last = -10;
  let dip = smooth[0];
  for (let i = 1; i < n - 1; i++) {
    dip = Math.min(dip, smooth[i]);
    const isPeak = smooth[i] >= smooth[i - 1] && smooth[i] > smooth[i + 1];
    if (isPeak && voiced[i] && smooth[i] - dip >= 2.0 && i - last >= 10) {
      count += 1;
      last = i;
      dip = smooth[i];
    }
  }
  return count / seconds;
}

/** voice_features.prosody: the 18 PROSODY_FEATURES of the joined speech. */
export function prosody(speech, segments) {
  const pitch = trackPitch(speech);
  const frames = pitch.f0.length;
  const voiced = Array.from(pitch.f0, (value) => Number.isFinite(value));
  const voicedIndex = [];
  voiced.forEach((isVoiced, index) => isVoiced && voicedIndex.push(index));
  const anyVoiced = voicedIndex.length > 0;
  const tones = anyVoiced ? voicedIndex.map((i) => semitones(pitch.f0[i])) : [0];
  const speechSeconds = speech.length / SAMPLE_RATE;
  const slope =
    voicedIndex.length >= 2
      ? linearSlope(voicedIndex.map((i) => (i * PITCH_HOP) / SAMPLE_RATE), tones)
      : 0.0;

  const periods = voicedIndex.map((i) => 1.0 / pitch.f0[i]);
  const steadySteps = [];
  for (let i = 1; i < periods.length; i++) {
    const step = Math.abs(periods[i] - periods[i - 1]);
    if (step < 0.2 * periods[i - 1]) steadySteps.push(step);
  }
  const jitter = steadySteps.length ? mean(steadySteps) / mean(periods) : 0.0;
  const peaksDb = voicedIndex.map((i) => 20 * Math.log10(Math.max(pitch.peak[i], 1e-10)));
  const peakSteps = [];
  for (let i = 1; i < peaksDb.length; i++) peakSteps.push(Math.abs(peaksDb[i] - peaksDb[i - 1]));
  const shimmer = peakSteps.length ? mean(peakSteps) : 0.0;
  const hnr = anyVoiced
    ? median(voicedIndex.map((i) => 10 * Math.log10(pitch.strength[i] / (1 - pitch.strength[i]))))
    : 0.0;

  let loudest = -Infinity;
  for (let f = 0; f < frames; f++) loudest = Math.max(loudest, pitch.loudnessDb[f]);
  const loud = [];
  for (let f = 0; f < frames; f++) {
    if (pitch.loudnessDb[f] >= loudest - SILENT_FRAME_DB) loud.push(pitch.loudnessDb[f]);
  }
  let loudStd = 0.0;
  let loudRange = 0.0;
  if (loud.length) {
    const loudMean = mean(loud);
    loudStd = Math.sqrt(mean(loud.map((value) => (value - loudMean) ** 2)));
    const sorted = sortedCopy(loud);
    loudRange = percentileSorted(sorted, 95) - percentileSorted(sorted, 5);
  }

  // Spectral balance over the voiced frames (all frames when none is voiced).
  const spectrum = powerSpectrogram(speech, SPECTRUM_WINDOW, PITCH_HOP);
  const bins = (SPECTRUM_WINDOW >> 1) + 1;
  // numpy.fft.rfftfreq(512, 1 / 16000), same arithmetic: the band edges compare exactly.
  const binWidth = 1.0 / (SPECTRUM_WINDOW * (1 / SAMPLE_RATE));
  const freqs = Float64Array.from({ length: bins }, (_, k) => k * binWidth);
  const usable = Math.min(spectrum.length, frames);
  const band = new Float64Array(bins);
  for (let f = 0; f < usable; f++) {
    if (anyVoiced && !voiced[f]) continue;
    for (let k = 0; k < bins; k++) band[k] += spectrum[f][k];
  }
  for (let k = 0; k < bins; k++) band[k] += 1e-12;
  const bandEnergy = (lo, hi) => {
    let total = 0;
    for (let k = 0; k < bins; k++) if (freqs[k] >= lo && freqs[k] < hi) total += band[k];
    return total;
  };
  const bandPeak = (lo, hi) => {
    let best = -Infinity;
    for (let k = 0; k < bins; k++) {
      if (freqs[k] >= lo && freqs[k] < hi) best = Math.max(best, band[k]);
    }
    return best;
  };
  const alpha = 10 * Math.log10(bandEnergy(1000, 5000) / bandEnergy(50, 1000));
  const hammarberg = 10 * Math.log10(bandPeak(0, 2000) / bandPeak(2000, 5000));
  let weighted = 0;
  for (let k = 0; k < bins; k++) weighted += band[k] * freqs[k];
  const centroid = weighted / sum(band);
  let flux = 0.0;
  if (spectrum.length > 1) {
    let total = 0;
    let previous = spectrum[0].map((value) => Math.log(value + 1e-10));
    for (let f = 1; f < spectrum.length; f++) {
      const current = spectrum[f].map((value) => Math.log(value + 1e-10));
      for (let k = 0; k < bins; k++) total += Math.abs(current[k] - previous[k]);
      previous = current;
    }
    flux = total / ((spectrum.length - 1) * bins);
  }

  const spans = [...segments].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let span = spans.length
    ? (spans[spans.length - 1][1] - spans[0][0]) / SAMPLE_RATE
    : speechSeconds;
  const pauses = [];
  for (let i = 1; i < spans.length; i++) {
    const gap = (spans[i][0] - spans[i - 1][1]) / SAMPLE_RATE;
    if (gap >= PAUSE_SECONDS) pauses.push(gap);
  }
  span = Math.max(span, speechSeconds, 1e-6);
  const sortedTones = sortedCopy(tones);
  return {
    f0_median_st: median(tones),
    f0_iqr_st: percentileSorted(sortedTones, 75) - percentileSorted(sortedTones, 25),
    f0_range_st: percentileSorted(sortedTones, 95) - percentileSorted(sortedTones, 5),
    f0_slope_st_per_s: slope,
    voiced_share: frames ? voicedIndex.length / frames : 0.0,
    jitter,
    shimmer_db: shimmer,
    hnr_db: hnr,
    loudness_std_db: loudStd,
    loudness_range_db: loudRange,
    alpha_ratio_db: alpha,
    hammarberg_db: hammarberg,
    spectral_centroid_log: Math.log(Math.max(centroid, 1.0)),
    spectral_flux: flux,
    syllable_rate: syllableRate(pitch.loudnessDb, voiced, speechSeconds),
    pause_share: sum(pauses) / span,
    pause_rate: pauses.length / span,
    mean_phrase_s: speechSeconds / Math.max(1, spans.length),
  };
}

// --- VAD segments ------------------------------------------------------------------------------

/** silero's get_speech_timestamps with its defaults, from per-window probabilities. */
export function segmentsFromProbabilities(probs, length) {
  const minSpeech = (SAMPLE_RATE * MIN_SPEECH_MS) / 1000;
  const minSilence = (SAMPLE_RATE * MIN_SILENCE_MS) / 1000;
  const pad = (SAMPLE_RATE * SPEECH_PAD_MS) / 1000;
  const spans = [];
  let start = null;
  let tempEnd = 0;
  for (let index = 0; index < probs.length; index++) {
    const prob = probs[index];
    const sample = VAD_WINDOW * index;
    if (prob >= VAD_THRESHOLD && tempEnd) tempEnd = 0;
    if (prob >= VAD_THRESHOLD && start === null) {
      start = sample;
      continue;
    }
    if (prob < VAD_NEG_THRESHOLD && start !== null) {
      if (!tempEnd) tempEnd = sample;
      if (sample - tempEnd < minSilence) continue;
      if (tempEnd - start > minSpeech) spans.push([start, tempEnd]);
      start = null;
      tempEnd = 0;
    }
  }
  if (start !== null && length - start > minSpeech) spans.push([start, length]);

  // Pad each segment by 30 ms, or by half the gap when two are closer than twice that.
  for (let index = 0; index < spans.length; index++) {
    const span = spans[index];
    if (index === 0) span[0] = Math.trunc(Math.max(0, span[0] - pad));
    if (index !== spans.length - 1) {
      const following = spans[index + 1];
      const gap = following[0] - span[1];
      if (gap < 2 * pad) {
        span[1] += Math.floor(gap / 2);
        following[0] = Math.trunc(Math.max(0, following[0] - Math.floor(gap / 2)));
      } else {
        span[1] = Math.trunc(Math.min(length, span[1] + pad));
        following[0] = Math.trunc(Math.max(0, following[0] - pad));
      }
    } else {
      span[1] = Math.trunc(Math.min(length, span[1] + pad));
    }
  }
  return spans;
}

// --- The scorer --------------------------------------------------------------------------------

async function fetchModel(url) {
  // The page may have fetched the bytes already (to show download progress).
  if (url instanceof ArrayBuffer) return new Uint8Array(url);
  if (ArrayBuffer.isView(url)) return new Uint8Array(url.buffer, url.byteOffset, url.byteLength);
  const response = await fetch(url, { credentials: "same-origin" });
  if (!response.ok) throw new Error(`Could not load ${url} (HTTP ${response.status}).`);
  return new Uint8Array(await response.arrayBuffer());
}

function waveformOptions(params) {
  const options = { ...DEFAULT_PREPROCESSING, ...(params || {}) };
  return {
    sampleRate: Math.trunc(Number(options.sample_rate)),
    maxSeconds: Number(options.max_seconds),
    minSpeechSeconds: Number(options.min_speech_seconds),
  };
}

/**
 * Load the three models and return a scorer.
 *
 * urls: {vad, encoder, head}, where to fetch silero_vad.onnx, voice_encoder.onnx and the voice
 * head's ONNX file; sidecar: the voice model's sidecar JSON (features, preprocessing, labels,
 * score_weights). The scorer's methods take 16 kHz mono Float32Array samples.
 */
export async function createVoiceScorer({ ort, urls, sidecar }) {
  if (sidecar.pipeline && sidecar.pipeline !== "voice-features-v1") {
    throw new Error(`The voice model's pipeline ${sidecar.pipeline} cannot run in the browser.`);
  }
  const options = waveformOptions(sidecar.preprocessing);
  if (options.sampleRate !== SAMPLE_RATE) {
    throw new Error("The voice features are defined at 16 kHz.");
  }
  const sessionOptions = { executionProviders: ["wasm"], graphOptimizationLevel: "all" };
  const [vadBytes, encoderBytes, headBytes] = await Promise.all(
    [urls.vad, urls.encoder, urls.head].map(fetchModel),
  );
  // Sessions one after the other: the wasm backend initialises once, on the first.
  const vad = await ort.InferenceSession.create(vadBytes, sessionOptions);
  const encoder = await ort.InferenceSession.create(encoderBytes, sessionOptions);
  const head = await ort.InferenceSession.create(headBytes, sessionOptions);
  const featureNames = sidecar.features;
  const inputName = sidecar.input_name || head.inputNames[0];
  const outputName = sidecar.output_name || head.outputNames[0];
  const sampleRateTensor = new ort.Tensor("int64", BigInt64Array.from([BigInt(SAMPLE_RATE)]), []);

  /** Speech probability of each 512-sample window (the last zero-padded), carrying the
   * recurrent state and the previous window's last 64 samples from call to call. */
  async function speechProbabilities(samples) {
    const count = Math.ceil(samples.length / VAD_WINDOW);
    const padded = new Float32Array(VAD_CONTEXT + count * VAD_WINDOW);
    padded.set(samples, VAD_CONTEXT);
    let state = new ort.Tensor("float32", new Float32Array(VAD_STATE_SIZE), [2, 1, 128]);
    const probs = new Float32Array(count);
    for (let index = 0; index < count; index++) {
      const start = index * VAD_WINDOW;
      const frame = padded.slice(start, start + VAD_CONTEXT + VAD_WINDOW);
      const out = await vad.run({
        input: new ort.Tensor("float32", frame, [1, VAD_CONTEXT + VAD_WINDOW]),
        state,
        sr: sampleRateTensor,
      });
      probs[index] = out.output.data[0];
      state = out.stateN;
    }
    return probs;
  }

  async function speechSpans(samples) {
    if (samples.length === 0) return [];
    return segmentsFromProbabilities(await speechProbabilities(samples), samples.length);
  }

  /** preprocessing.gate_speech: the joined speech (middle max_seconds) and its spans. */
  async function gateSpeech(samples) {
    if (samples.length === 0) throw new InvalidMediaError("The audio clip is empty.");
    let loudest = 0;
    for (let i = 0; i < samples.length; i++) loudest = Math.max(loudest, Math.abs(samples[i]));
    if (loudest < SILENCE_PEAK) {
      throw new InvalidMediaError(
        "The audio clip is silent; record again closer to the microphone.",
      );
    }
    const spans = await speechSpans(samples);
    const total = spans.reduce((acc, [start, end]) => acc + (end - start), 0);
    const seconds = total / SAMPLE_RATE;
    if (seconds < options.minSpeechSeconds) {
      throw new InvalidMediaError(
        `We could not hear enough speech in the clip (${formatOneDecimal(seconds)} s detected, ` +
          `at least ${formatGeneral(options.minSpeechSeconds)} s needed). Record again somewhere ` +
          "quiet and speak for a few seconds.",
      );
    }
    let speech = new Float32Array(total);
    let offset = 0;
    for (const [start, end] of spans) {
      speech.set(samples.subarray(start, end), offset);
      offset += end - start;
    }
    const limit = Math.trunc(options.maxSeconds * SAMPLE_RATE);
    if (speech.length > limit) {
      const start = Math.floor((speech.length - limit) / 2);
      speech = speech.slice(start, start + limit);
    }
    return { speech, spans };
  }

  async function embed(speech) {
    const mels = partialMels(speech);
    const out = await encoder.run({
      mels: new ort.Tensor("float32", mels.data, [mels.count, PARTIAL_FRAMES, MEL_CHANNELS]),
    });
    return meanEmbedding(out.embeddings.data, mels.count);
  }

  /** The head's input for a clip, in sidecar.features order, plus what the gate kept. */
  async function analyse(samples) {
    const clip = samples instanceof Float32Array ? samples : Float32Array.from(samples);
    const { speech, spans } = await gateSpeech(clip);
    const values = new Map();
    if (featureNames.some((name) => name.startsWith("embedding_"))) {
      const embedding = await embed(speech);
      embedding.forEach((value, index) => values.set(`embedding_${index}`, value));
    }
    if (featureNames.some((name) => PROSODY_FEATURES.includes(name))) {
      for (const [name, value] of Object.entries(prosody(speech, spans))) values.set(name, value);
    }
    const unknown = featureNames.filter((name) => !values.has(name));
    if (unknown.length) throw new Error(`Unknown voice features ${unknown.slice(0, 3)}.`);
    return {
      features: Float32Array.from(featureNames, (name) => values.get(name)),
      speechSeconds: speech.length / SAMPLE_RATE,
      spans,
    };
  }

  /** Score a clip as the server's score_audio does: sum of P(label) * weight, in [0, 1]. */
  async function score(samples) {
    const analysis = await analyse(samples);
    const out = await head.run({
      [inputName]: new ort.Tensor("float32", analysis.features, [1, featureNames.length]),
    });
    const raw = Array.from(out[outputName].data, Number);
    const probs = sidecar.output_is_probability ? raw : softmax(raw);
    const probabilities = {};
    let total = 0;
    sidecar.labels.forEach((label, index) => {
      probabilities[label] = probs[index];
      total += probs[index] * Number(sidecar.score_weights[label]);
    });
    return {
      score: Math.min(1.0, Math.max(0.0, total)),
      probabilities,
      speechSeconds: analysis.speechSeconds,
    };
  }

  return { analyse, score, speechSpans };
}

function softmax(values) {
  const top = Math.max(...values);
  const exps = values.map((value) => Math.exp(value - top));
  const total = sum(exps);
  return exps.map((value) => value / total);
}

// --- Resampling (inference/resampling.py) --------------------------------------------------
// scipy.signal.resample_poly's default filter, in the server's order of arithmetic, so that a
// recording resampled here and there gives the same samples.

const KAISER_BETA = 5.0;
const HALF_TAPS_PER_RATE = 10;
const BESSEL_TERMS = 40;

/** I0 by its power series, term by term as resampling.bessel_i0. */
function besselI0(x) {
  const half = x / 2;
  const quarterSquare = half * half;
  let term = 1.0;
  let total = 1.0;
  for (let k = 1; k < BESSEL_TERMS; k++) {
    term = (term * quarterSquare) / (k * k);
    total += term;
  }
  return total;
}

function gcd(a, b) {
  while (b) [a, b] = [b, a % b];
  return a;
}

const lowpassFilters = new Map();

/** resampling.lowpass: Kaiser-windowed sinc, unit DC gain, scaled by `up`. */
function lowpass(up, down) {
  const key = `${up}/${down}`;
  let taps = lowpassFilters.get(key);
  if (taps) return taps;
  const widest = Math.max(up, down);
  const half = HALF_TAPS_PER_RATE * widest;
  const cutoff = 1.0 / widest;
  const scale = besselI0(KAISER_BETA);
  taps = new Float64Array(2 * half + 1);
  for (let i = 0; i < taps.length; i++) {
    const offset = i - half;
    const angle = Math.PI * (cutoff * offset);
    const sinc = angle === 0 ? 1.0 : Math.sin(angle) / angle;
    const position = offset / half;
    const window = besselI0(KAISER_BETA * Math.sqrt(1.0 - position * position)) / scale;
    taps[i] = cutoff * sinc * window;
  }
  let total = 0;
  for (let i = 0; i < taps.length; i++) total += taps[i];
  for (let i = 0; i < taps.length; i++) taps[i] = (taps[i] / total) * up;
  lowpassFilters.set(key, taps);
  return taps;
}

/** resampling.resample: `samples` from `fromRate` to `toRate` Hz, Float32Array. */
export function resamplePoly(samples, fromRate, toRate) {
  const common = gcd(fromRate, toRate);
  const up = toRate / common;
  const down = fromRate / common;
  if (up === down) return Float32Array.from(samples);
  const taps = lowpass(up, down);
  const half = (taps.length - 1) / 2;
  const steps = Math.floor((2 * half) / up) + 1;
  const length = samples.length;
  const out = new Float32Array(Math.floor((length * up + down - 1) / down));
  for (let n = 0; n < out.length; n++) {
    const centre = n * down;
    const first = -Math.floor((half - centre) / up);
    const tap = half + centre - first * up;
    let acc = 0.0;
    for (let k = 0; k < steps; k++) {
      const index = tap - k * up;
      if (index < 0) break;
      const j = first + k;
      if (j >= 0 && j < length) acc += samples[j] * taps[index];
    }
    out[n] = acc;
  }
  return out;
}

// --- Decoding ----------------------------------------------------------------------------------

// What browsers record (WebM from MediaRecorder, MP4), decoded on the server by ffmpeg at this
// rate (Opus's own) and resampled with resamplePoly's filter: decoded here the same way, the
// samples match the server's to float32 rounding.
const RECORDING_RATE = 48000;

/** The server's sniff_audio_format, for the two containers it decodes with ffmpeg. */
function isRecordingContainer(bytes) {
  const webm = bytes[0] === 0x1a && bytes[1] === 0x45 && bytes[2] === 0xdf && bytes[3] === 0xa3;
  const mp4 = String.fromCharCode(...bytes.subarray(4, 8)) === "ftyp";
  return webm || mp4;
}

/**
 * Decode an audio file (whatever the browser can decode: WAV, WebM/Opus, MP4/AAC, ...) to
 * 16 kHz mono Float32Array samples, as the server's decode_audio does.
 *
 * WebM and MP4 (what MediaRecorder produces) are decoded at 48 kHz, channels averaged, then
 * resampled by resamplePoly, like the server: Chromium decodes Opus with the same FFmpeg
 * decoder as the server, so the samples agree to float32 rounding (an MP4 recorded at
 * 44.1 kHz is first brought to 48 kHz by each side's own resampler). Other formats are decoded
 * by an OfflineAudioContext at 16 kHz directly; where that means resampling (a 44.1 kHz WAV),
 * the browser's resampler is not the server's (soxr) and a score can differ a little. Samples
 * that are already 16 kHz mono (a 16 kHz WAV) are passed through unchanged.
 */
export async function decodeToMono16k(arrayBuffer) {
  const Offline = globalThis.OfflineAudioContext || globalThis.webkitOfflineAudioContext;
  if (!Offline) throw new Error("This browser cannot decode audio.");
  const head = new Uint8Array(arrayBuffer, 0, Math.min(arrayBuffer.byteLength, 8));
  const recording = head.length === 8 && isRecordingContainer(head);
  // decodeAudioData resamples to its context's rate.
  const rate = recording ? RECORDING_RATE : SAMPLE_RATE;
  const context = new Offline(1, 1, rate);
  let decoded;
  try {
    decoded = await context.decodeAudioData(arrayBuffer.slice(0));
  } catch {
    throw new InvalidMediaError(
      "The audio is corrupt, truncated or in a format this browser cannot decode.",
    );
  }
  if (decoded.length === 0) throw new InvalidMediaError("The audio clip is empty.");
  // The server never decodes more than two minutes either.
  const mono = new Float32Array(Math.min(decoded.length, MAX_DECODE_SECONDS * rate));
  for (let c = 0; c < decoded.numberOfChannels; c++) {
    const channel = decoded.getChannelData(c).subarray(0, mono.length);
    for (let i = 0; i < mono.length; i++) mono[i] += channel[i];
  }
  if (decoded.numberOfChannels > 1) {
    for (let i = 0; i < mono.length; i++) mono[i] /= decoded.numberOfChannels;
  }
  for (let i = 0; i < mono.length; i++) {
    if (!Number.isFinite(mono[i])) {
      throw new InvalidMediaError("The audio clip contains invalid samples.");
    }
  }
  return recording ? resamplePoly(mono, RECORDING_RATE, SAMPLE_RATE) : mono;
}
