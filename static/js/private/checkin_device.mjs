// Private mode on the check-in page: the photo and the voice clip are scored here, in the
// browser, with the same ONNX models the workers run; only the scores, the model versions
// and the optional numbers are sent. checkin.js still handles the camera and the microphone
// and hands the captures over through the resonance:photo and resonance:submit events.
//
// The manifest lists only the kinds the organisation's lawful profile scores: without a
// "voice" kind (the "eu" profile) no voice model is loaded and no stress score is sent.
import { createFaceScorer, pixelsFromBlob, scoreBurst } from "./face.mjs";

const form = document.getElementById("checkin-form");
const NUMBER_FIELDS = ["hours_worked", "sleep_hours", "meeting_count", "mental_fatigue"];

function csrfToken() {
  return form.querySelector("[name=csrfmiddlewaretoken]").value;
}

function setStatus(text, isError) {
  const card = document.getElementById("checkin-status");
  const status = document.getElementById("status-text");
  card.hidden = false;
  status.textContent = text;
  status.className = isError ? "error" : "";
  card.scrollIntoView({ block: "nearest" }); // below the form: bring it into view
}

function setLoading(text, isError) {
  const el = document.getElementById("device-loading");
  el.textContent = text;
  el.className = isError ? "error" : "muted";
}

function megabytes(bytes) {
  return (bytes / 1e6).toFixed(1); // MB, as My data states the download
}

/** Fetch the runtime's WebAssembly and every model file once, showing how much has arrived. */
async function fetchFiles(files, onProgress) {
  const total = files.reduce((acc, file) => acc + file.bytes, 0);
  let done = 0;
  const out = {};
  for (const file of files) {
    const response = await fetch(file.url, { credentials: "same-origin" });
    if (!response.ok) throw new Error(`A model file could not be loaded (${response.status}).`);
    const reader = response.body.getReader();
    const chunks = [];
    for (;;) {
      const { value, done: finished } = await reader.read();
      if (finished) break;
      chunks.push(value);
      done += value.length;
      onProgress(done, total);
    }
    const bytes = new Uint8Array(chunks.reduce((acc, c) => acc + c.length, 0));
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.length;
    }
    out[file.key] = bytes;
  }
  return out;
}

async function loadScorers(manifest) {
  if (!manifest.runtime.available) {
    throw new Error("On-device scoring is not installed on this server (ONNX Runtime Web).");
  }
  const ort = await import(manifest.runtime.module);
  ort.env.wasm.wasmPaths = manifest.runtime.wasm_paths;
  ort.env.wasm.numThreads = 1; // no cross-origin isolation here, so no worker threads
  const wanted = [];
  if (manifest.runtime.wasm) {
    wanted.push({ key: "runtime/wasm", ...manifest.runtime.wasm });
  }
  for (const [kind, item] of Object.entries(manifest.kinds)) {
    for (const [role, file] of Object.entries(item.files)) {
      wanted.push({ key: `${kind}/${role}`, url: file.url, bytes: file.bytes });
    }
  }
  const bytes = await fetchFiles(wanted, (done, total) =>
    setLoading(`Loading the models onto this device: ${megabytes(done)} of ${megabytes(total)} MB…`),
  );
  if (bytes["runtime/wasm"]) ort.env.wasm.wasmBinary = bytes["runtime/wasm"];
  setLoading("Preparing the models…");
  const scorers = {};
  const fatigue = manifest.kinds.fatigue;
  if (fatigue) {
    scorers.fatigue = await createFaceScorer({
      ort,
      sidecar: { ...fatigue.sidecar, version: fatigue.version },
      urls: {
        detector: bytes["fatigue/detector"],
        landmarks: bytes["fatigue/landmarks"],
        eyes: bytes["fatigue/eyes"],
        fatigue: bytes["fatigue/model"],
      },
    });
  }
  const voice = manifest.kinds.voice;
  if (voice) {
    const { createVoiceScorer, decodeToMono16k } = await import("./voice.mjs");
    scorers.decodeAudio = decodeToMono16k;
    scorers.voice = await createVoiceScorer({
      ort,
      sidecar: voice.sidecar,
      urls: { vad: bytes["voice/vad"], encoder: bytes["voice/encoder"], head: bytes["voice/model"] },
    });
  }
  return scorers;
}

function numbers() {
  const out = {};
  for (const name of NUMBER_FIELDS) {
    const value = form.elements[name].value;
    if (value !== "") out[name] = Number(value);
  }
  return out;
}

async function start() {
  if (!form || form.dataset.onDevice !== "true") return;
  const submit = document.getElementById("checkin-submit");
  submit.disabled = true;
  let manifest;
  let scorers;
  try {
    const response = await fetch(form.dataset.manifestUrl, { credentials: "same-origin" });
    manifest = await response.json();
    if (!response.ok) throw new Error(manifest.detail || response.statusText);
    scorers = await loadScorers(manifest);
    setLoading("The models are ready on this device.");
    form.dataset.deviceReady = "true";
    submit.disabled = false;
  } catch (err) {
    setLoading("On-device scoring could not start: " + err.message + ".", true);
    offerServerScoring();
    return;
  }

  // A photo taken with the camera is checked here, by the same gate, never sent.
  form.addEventListener("resonance:photo", async (event) => {
    const captured = document.getElementById("image-captured");
    try {
      await scorers.fatigue.check(await pixelsFromBlob(event.detail.blob));
      event.detail.accept("Photo ready: one clear face (checked on this device).");
    } catch (err) {
      event.detail.refuse(err.message);
    }
    captured.hidden = false;
  });

  let busy = false;
  form.addEventListener("resonance:submit", async (event) => {
    if (busy) return; // a second click while this check-in is scored or sent
    busy = true;
    try {
      await scoreAndSend(event.detail);
    } finally {
      busy = false;
      if (event.detail.finish) event.detail.finish();
    }
  });

  async function scoreAndSend(detail) {
    const { image, audio, frames } = detail;
    const scores = {};
    const versions = {};
    let burst = null;
    try {
      if (frames && frames.length && scorers.fatigue) {
        setStatus("Scoring the photos on this device…");
        const pixels = [];
        for (const frame of frames) pixels.push(await pixelsFromBlob(frame));
        const result = await scoreBurst(scorers.fatigue, pixels);
        scores.fatigue = result.probability;
        burst = result.summary;
        versions.fatigue = { version: manifest.kinds.fatigue.version, digest: manifest.kinds.fatigue.digest };
      } else if (image && scorers.fatigue) {
        setStatus("Scoring the photo on this device…");
        scores.fatigue = (await scorers.fatigue.score(await pixelsFromBlob(image))).score;
        versions.fatigue = { version: manifest.kinds.fatigue.version, digest: manifest.kinds.fatigue.digest };
      }
      if (audio && scorers.voice) {
        setStatus("Scoring the voice clip on this device…");
        const samples = await scorers.decodeAudio(await audio.arrayBuffer());
        scores.stress = (await scorers.voice.score(samples)).score;
        versions.voice = { version: manifest.kinds.voice.version, digest: manifest.kinds.voice.digest };
      }
    } catch (err) {
      setStatus(err.message + " Nothing was sent.", true);
      return;
    }
    if (!Object.keys(scores).length) {
      setStatus(form.dataset.mediaRequest || "Add a face photo, a voice clip, or both.", true);
      return;
    }
    setStatus("Sending the scores…");
    // The page's key: a double click or a resend stores one check-in (the server answers the
    // second with the first). An answer means the next check-in gets a new key.
    const keyInput = form.querySelector("[name=idempotency_key]");
    let response;
    try {
      response = await fetch(form.dataset.syncUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          "X-CSRFToken": csrfToken(),
          "Idempotency-Key": keyInput ? keyInput.value : "",
        },
        body: JSON.stringify({ scores, model_versions: versions, ...(burst ? { burst } : {}), ...numbers() }),
      });
    } catch (err) {
      // No answer: the same key goes with the retry, so a check-in that did arrive is not
      // stored twice.
      setStatus(
        "Sending the scores failed (" + err.message + "). Check the connection and press " +
          "Check in again; your photo and clip never left this device.",
        true
      );
      return;
    }
    if (keyInput) keyInput.value = crypto.randomUUID().replaceAll("-", "");
    const body = await response.json().catch(() => ({}));
    if (response.status === 409) {
      setStatus(body.detail || "The models changed; reload the page.", true);
      return;
    }
    if (!response.ok) {
      setStatus(body.detail || `The check-in was refused (${response.status}).`, true);
      return;
    }
    detail.done(body);
  }
}

// Where the deployment lets people choose (PRIVATE_MODE=optional), a device that cannot run
// the models is not a dead end: the person can switch to scoring on the server.
function offerServerScoring() {
  const loading = document.getElementById("device-loading");
  if (form.dataset.privateMode !== "optional") {
    loading.append(" Your organisation requires scoring on your device; try another browser or ask your administrator.");
    return;
  }
  const link = document.createElement("a");
  link.href = form.dataset.myDataUrl;
  link.textContent = "score your check-ins on the server instead";
  loading.append(" You can ", link, " (My data).");
}

start();
