// Check-in page: camera burst (12 frames over 3 s), microphone recording (file upload as fallback), submit to the
// sync API, then poll the check-in's status until it is scored.
//
// What is captured comes from the page, never from here: the form's data-needs-image and
// data-needs-audio say which uploads the organisation's lawful profile reads (no microphone
// where no voice is scored), and the result cards say which scores to show.
(function () {
  "use strict";

  function newKey() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  const form = document.getElementById("checkin-form");
  if (!form) return;

  const syncUrl = form.dataset.syncUrl;
  // Private mode: checkin_device.mjs scores the captures in this browser; nothing but
  // scores may leave it, so the photo check and the upload below hand over to it instead.
  const onDevice = form.dataset.onDevice === "true";
  const maxBytes = parseInt(form.dataset.maxBytes, 10);
  const needsImage = form.dataset.needsImage === "true";
  const needsAudio = form.dataset.needsAudio === "true";
  const statusCard = document.getElementById("checkin-status");
  const statusText = document.getElementById("status-text");
  const result = document.getElementById("result");
  const submitButton = document.getElementById("checkin-submit");
  const RECORD_MS = 5000;
  // "Take photo" takes a burst: BURST_FRAMES frames BURST_INTERVAL_MS apart (3 s), so a blink
  // or a smile is one frame of twelve and eyes closed through most of them are seen as such.
  const BURST_FRAMES = 12;
  const BURST_INTERVAL_MS = 250;
  const POLL_MS = 1000;
  const POLL_LIMIT = 180;

  let imageBlob = null;
  let burstBlobs = [];
  let audioBlob = null;
  let cameraStream = null;

  function show(el, visible) {
    el.hidden = !visible;
  }

  function setStatus(text, isError) {
    show(statusCard, true);
    statusText.textContent = text;
    statusText.className = isError ? "error" : "";
    // The card sits below the form: bring it into view, or nothing seems to happen.
    statusCard.scrollIntoView({ block: "nearest" });
  }

  // "Add a face photo, a voice clip, or both." with only what this page takes.
  function mediaRequest() {
    const wanted = [];
    if (needsImage) wanted.push("a face photo");
    if (needsAudio) wanted.push("a voice clip");
    return "Add " + (wanted.length > 1 ? wanted.join(", ") + ", or both." : wanted[0] + ".");
  }
  form.dataset.mediaRequest = mediaRequest(); // private mode (checkin_device.mjs) says the same

  // --- What will be sent -------------------------------------------------------------------
  const imageInput = needsImage ? document.getElementById("id_image") : null;
  const audioInput = needsAudio ? document.getElementById("id_audio") : null;
  const NUMBER_FIELDS = ["hours_worked", "sleep_hours", "meeting_count", "mental_fatigue"];
  let photoState = { state: "missing", text: "not added" };

  function setPart(id, state, text) {
    const el = document.getElementById(id);
    el.dataset.state = state;
    el.textContent = text;
  }

  function setPhotoState(state, text) {
    photoState = { state: state, text: text };
    updateParts();
  }

  function updateParts() {
    if (imageInput) {
      const file = imageInput.files[0];
      if (file) setPart("part-photo", "ready", "ready (uploaded file " + file.name + ")");
      else setPart("part-photo", photoState.state, photoState.text);
    }
    if (audioInput) {
      const clip = audioInput.files[0];
      if (clip) setPart("part-voice", "ready", "ready (uploaded file " + clip.name + ")");
      else if (audioBlob) setPart("part-voice", "ready", "ready (recorded clip)");
      else setPart("part-voice", "missing", "not added");
    }
    const given = NUMBER_FIELDS.filter((name) => form.elements[name].value !== "").length;
    setPart("part-numbers", given ? "ready" : "missing", given ? given + " of 4 given" : "none");
  }

  if (imageInput) imageInput.addEventListener("change", updateParts);
  if (audioInput) audioInput.addEventListener("change", updateParts);
  NUMBER_FIELDS.forEach((name) => form.elements[name].addEventListener("input", updateParts));

  // --- Camera ------------------------------------------------------------------------------
  const video = document.getElementById("camera-preview");
  const canvas = document.getElementById("snapshot");
  const startCamera = document.getElementById("camera-start");
  const snap = document.getElementById("camera-snap");

  if (needsImage) startCamera.addEventListener("click", async function () {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      setStatus("This browser cannot use the camera here; upload a photo instead.", true);
      return;
    }
    try {
      cameraStream = await navigator.mediaDevices.getUserMedia({ video: true });
      video.srcObject = cameraStream;
      imageBlob = null;
      burstBlobs = [];
      show(video, true);
      show(canvas, false);
      show(snap, true);
      show(startCamera, false);
      show(captured, false);
      setPhotoState("missing", "camera on: press \u201cTake photo\u201d");
      snap.focus();
    } catch (err) {
      setStatus("Camera not available (" + err.name + "); upload a photo instead.", true);
    }
  });

  function grabFrame(width, height) {
    canvas.width = width;
    canvas.height = height;
    canvas.getContext("2d").drawImage(video, 0, 0, width, height);
    return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.9));
  }

  function cameraLive() {
    return Boolean(cameraStream && cameraStream.getVideoTracks().some((t) => t.readyState === "live"));
  }

  // Grab `count` frames `intervalMs` apart while the camera is on; `tick(i)` is told each one.
  async function grabBurst(count, intervalMs, tick) {
    const width = video.videoWidth || 640;
    const height = video.videoHeight || 480;
    const frames = [];
    for (let i = 0; i < count && cameraLive(); i++) {
      if (tick) tick(i);
      frames.push(await grabFrame(width, height));
      if (i < count - 1) await new Promise((r) => setTimeout(r, intervalMs));
    }
    return { frames: frames.filter(Boolean), width, height };
  }

  // The burst is kept; its middle frame stays on screen and goes through the photo check.
  async function keepBurst({ frames, width, height }) {
    if (!frames.length) return;
    const middle = frames[Math.floor(frames.length / 2)];
    const bitmap = await createImageBitmap(middle);
    canvas.width = width;
    canvas.height = height;
    canvas.getContext("2d").drawImage(bitmap, 0, 0, width, height);
    burstBlobs = frames;
    imageBlob = middle;
    if (onDevice) checkPhotoOnDevice(middle);
    else checkPhoto(middle);
    if (cameraStream) cameraStream.getTracks().forEach((t) => t.stop());
    show(video, false);
    show(canvas, true);
    show(snap, false);
    startCamera.textContent = "Retake";
    show(startCamera, true);
  }

  if (needsImage) snap.addEventListener("click", async function () {
    snap.disabled = true;
    burstBlobs = [];
    imageBlob = null;
    setPhotoState("checking", "hold still…");
    const taken = await grabBurst(BURST_FRAMES, BURST_INTERVAL_MS, function (i) {
      snap.textContent = "Hold still… " + Math.ceil(((BURST_FRAMES - i) * BURST_INTERVAL_MS) / 1000) + " s";
    });
    snap.disabled = false;
    snap.textContent = "Take photo";
    await keepBurst(taken);
    startCamera.focus();
  });

  // The server runs the same photo gate as the check-in (and stores nothing), so a photo
  // without one clear face is retaken now rather than refused after sending everything.
  const captured = document.getElementById("image-captured");
  async function checkPhoto(blob) {
    captured.textContent = "Checking the photo…";
    captured.className = "muted";
    show(captured, true);
    setPhotoState("checking", "checking the photo…");
    const data = new FormData();
    data.set("image", blob, "snapshot.jpg");
    try {
      const response = await fetch(form.dataset.photoCheckUrl, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { "X-CSRFToken": form.querySelector("[name=csrfmiddlewaretoken]").value },
      });
      const body = await response.json().catch(() => ({}));
      if (response.ok) {
        captured.textContent = "Photo ready: one clear face.";
        setPhotoState("ready", "ready (one clear face)");
        return;
      }
      if (response.status === 400 || response.status === 413 || response.status === 415) {
        imageBlob = null;
        burstBlobs = [];
        captured.textContent = (body.detail || "This photo cannot be used.") +
          " Press \u201cRetake\u201d to retake it.";
        captured.className = "error";
        setPhotoState("refused", "refused: retake it");
        return;
      }
      captured.textContent = "Photo taken (it could not be checked now; it is checked on sending).";
    } catch (err) {
      captured.textContent = "Photo taken (it could not be checked now; it is checked on sending).";
    }
    setPhotoState("ready", "ready (checked on sending)");
  }

  function checkPhotoOnDevice(blob) {
    captured.textContent = "Checking the photo on this device…";
    captured.className = "muted";
    show(captured, true);
    setPhotoState("checking", "checking the photo…");
    form.dispatchEvent(
      new CustomEvent("resonance:photo", {
        detail: {
          blob: blob,
          accept: function (message) {
            captured.textContent = message;
            setPhotoState("ready", "ready (one clear face)");
          },
          refuse: function (message) {
            imageBlob = null;
            burstBlobs = [];
            captured.textContent = message + " Press \u201cRetake\u201d to retake it.";
            captured.className = "error";
            setPhotoState("refused", "refused: retake it");
          },
        },
      })
    );
  }

  // --- Microphone --------------------------------------------------------------------------
  const recordButton = document.getElementById("mic-record");
  const audioPreview = document.getElementById("audio-preview");

  // Only where a voice clip is scored: otherwise the page has no microphone button and the
  // microphone is never asked for.
  if (needsAudio) recordButton.addEventListener("click", async function () {
    if (!window.MediaRecorder || !navigator.mediaDevices) {
      setStatus("This browser cannot record audio here; upload a recording instead.", true);
      return;
    }
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (err) {
      setStatus("Microphone not available (" + err.name + "); upload a recording instead.", true);
      return;
    }
    const chunks = [];
    const recorder = new MediaRecorder(stream);
    const stopMeter = startLevelMeter(stream);
    recorder.addEventListener("dataavailable", (e) => e.data.size && chunks.push(e.data));
    recorder.addEventListener("stop", function () {
      stopMeter();
      stream.getTracks().forEach((t) => t.stop());
      audioBlob = new Blob(chunks, { type: recorder.mimeType || "audio/webm" });
      audioPreview.src = URL.createObjectURL(audioBlob);
      show(audioPreview, true);
      show(document.getElementById("audio-captured"), true);
      recordButton.disabled = false;
      recordButton.textContent = "Record again";
      updateParts();
    });
    audioBlob = null;
    show(audioPreview, false);
    show(document.getElementById("audio-captured"), false);
    setPart("part-voice", "recording", "recording…");
    recordButton.disabled = true;
    recordButton.textContent = "Recording…";
    recorder.start();
    setTimeout(() => recorder.state !== "inactive" && recorder.stop(), RECORD_MS);
    // With the camera still on, the burst is taken while the person speaks: BURST_FRAMES
    // frames spread over the recording, instead of a separate "Take photo".
    if (needsImage && cameraLive() && !burstBlobs.length) {
      setPhotoState("checking", "taking photos while you speak…");
      snap.disabled = true;
      keepBurst(await grabBurst(BURST_FRAMES, RECORD_MS / BURST_FRAMES)).finally(() => {
        snap.disabled = false;
      });
    }
  });

  // A live level meter and countdown while recording, so people see the microphone hears them.
  const meterBox = document.getElementById("mic-meter");
  const meter = document.getElementById("mic-level");
  const countdown = document.getElementById("mic-countdown");

  function startLevelMeter(stream) {
    const started = Date.now();
    let audioContext = null;
    let analyser = null;
    let samples = null;
    try {
      audioContext = new (window.AudioContext || window.webkitAudioContext)();
      analyser = audioContext.createAnalyser();
      analyser.fftSize = 1024;
      audioContext.createMediaStreamSource(stream).connect(analyser);
      samples = new Float32Array(analyser.fftSize);
    } catch (err) {
      analyser = null; // no Web Audio: the countdown still runs
    }
    show(meterBox, true);
    let running = true;
    let peak = 0;
    function tick() {
      if (!running) return;
      if (analyser) {
        analyser.getFloatTimeDomainData(samples);
        let sum = 0;
        for (const v of samples) sum += v * v;
        const rms = Math.sqrt(sum / samples.length);
        meter.value = Math.min(1, rms * 4);
        peak = Math.max(peak, meter.value);
        meter.dataset.peak = peak.toFixed(3);
      }
      const left = Math.max(0, Math.ceil((RECORD_MS - (Date.now() - started)) / 1000));
      countdown.textContent = left + " s left";
      requestAnimationFrame(tick);
    }
    tick();
    return function stop() {
      running = false;
      meter.value = 0;
      countdown.textContent = peak < 0.02 && analyser ? "We heard almost nothing: check the microphone." : "";
      if (audioContext) audioContext.close();
    };
  }

  updateParts();

  // --- Submit and poll ---------------------------------------------------------------------
  function percent(value) {
    return value === null || value === undefined ? "–" : Math.round(value * 100) + "%";
  }

  // The value formats of resonance.indicators (Indicator.value_format) the cards use.
  function formatted(value, format) {
    if (value === null || value === undefined) return "–";
    if (format === ".0%") return percent(value);
    if (format === "d") return String(Math.round(value));
    const digits = /^\.(\d)f$/.exec(format);
    return digits ? value.toFixed(Number(digits[1])) : String(value);
  }

  function renderResult(data) {
    for (const card of result.querySelectorAll("[data-indicator]")) {
      card.textContent = formatted(data[card.dataset.indicator], card.dataset.format);
    }
    document.getElementById("result-coach").textContent = data.coach_message || "";
    const day = data.day;
    document.getElementById("result-day").textContent =
      day && day.flow_score !== null
        ? "Today so far: FlowScore " + day.flow_score.toFixed(1) + " over " +
          day.checkin_count + " check-in" + (day.checkin_count === 1 ? "" : "s") + "."
        : "";
    show(result, true);
  }

  async function poll(url) {
    for (let i = 0; i < POLL_LIMIT; i++) {
      let data;
      try {
        const response = await fetch(url, { credentials: "same-origin" });
        data = await response.json();
        if (!response.ok) throw new Error(data.detail || response.statusText);
      } catch (err) {
        setStatus("Could not read the status: " + err.message, true);
        return;
      }
      if (data.status === "done") {
        setStatus("Scored.", false);
        renderResult(data);
        statusCard.scrollIntoView({ block: "nearest" });
        return;
      }
      if (data.status === "failed") {
        setStatus("We could not score this check-in: " + data.failure_reason, true);
        return;
      }
      setStatus(data.status === "processing" ? "Scoring your check-in…" : "Queued for scoring…");
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    setStatus("Scoring is taking longer than usual; the result will appear in My trends.", true);
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    const data = new FormData(form);
    const imageFile = imageInput && imageInput.files[0];
    const audioFile = audioInput && audioInput.files[0];
    // A burst from the camera goes as its frames; an uploaded photo as one image.
    const burst = needsImage && !imageFile && burstBlobs.length ? burstBlobs : [];
    if (needsImage && !imageFile && imageBlob) data.set("image", imageBlob, "snapshot.jpg");
    if (needsAudio && !audioFile && audioBlob) data.set("audio", audioBlob, "voice.webm");
    for (const name of NUMBER_FIELDS) {
      if (data.get(name) === "") data.delete(name);
    }
    data.delete("csrfmiddlewaretoken");
    const image = data.get("image");
    const audio = data.get("audio");
    const hasImage = needsImage && image instanceof Blob && image.size > 0;
    const hasAudio = needsAudio && audio instanceof Blob && audio.size > 0;
    if (!hasImage) data.delete("image");
    if (!hasAudio) data.delete("audio");
    if (!hasImage && !hasAudio) {
      setStatus(mediaRequest(), true);
      return;
    }
    for (const file of [hasImage && image, hasAudio && audio]) {
      if (file instanceof Blob && file.size > maxBytes) {
        setStatus("Each file must be at most " + Math.round(maxBytes / 1048576) + " MB.", true);
        return;
      }
    }
    if (burst.length) {
      data.delete("image");
      burst.forEach((frame, i) => data.append("frames", frame, "frame-" + i + ".jpg"));
    }
    if (onDevice) {
      submitButton.disabled = true;
      show(result, false);
      form.dispatchEvent(
        new CustomEvent("resonance:submit", {
          detail: {
            image: hasImage ? image : null,
            frames: burst,
            audio: hasAudio ? audio : null,
            done: function (checkin) {
              setStatus("Scored on this device.", false);
              renderResult(checkin);
              statusCard.scrollIntoView({ block: "nearest" });
            },
            // Scoring on the device takes a while: the button stays off until it is over, so
            // a second click cannot start a second check-in.
            finish: function () {
              submitButton.disabled = false;
            },
          },
        })
      );
      return;
    }
    submitButton.disabled = true;
    show(result, false);
    setStatus("Uploading…");
    try {
      const keyInput = form.querySelector("[name=idempotency_key]");
      const response = await fetch(syncUrl, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: {
          "X-CSRFToken": form.querySelector("[name=csrfmiddlewaretoken]").value,
          // The same key when the employee retries after a lost answer: one check-in stored.
          "Idempotency-Key": keyInput ? keyInput.value : "",
        },
      });
      // An answer arrived: the next check-in is a new one. (A network error keeps the key.)
      if (keyInput) keyInput.value = newKey();
      const body = await response.json().catch(() => ({}));
      if (response.status !== 202) {
        let message = body.detail || "The check-in was refused (" + response.status + ").";
        if (body.errors && typeof body.errors === "object") {
          message += " " + Object.entries(body.errors)
            .map(([field, errs]) => field.replace(/_/g, " ") + ": " + [].concat(errs).join(" "))
            .join("; ");
        }
        setStatus(message, true);
        return;
      }
      await poll(body.status_url);
    } catch (err) {
      setStatus("Upload failed: " + err.message, true);
    } finally {
      submitButton.disabled = false;
    }
  });
})();
