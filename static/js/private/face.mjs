// Fatigue scoring on the employee's device: the same face gate, landmark crops, CNN and
// combiner as the server (inference/face.py, inference/fatigue.py, inference/services.py),
// run with ONNX Runtime Web on a plain pixel buffer.
//
// Parity matters more than speed here: the server resizes and crops with Pillow, so the image
// operations below reproduce Pillow's algorithms (its fixed-point convolution resize, its
// bilinear affine transform, its luma conversion and 3x3 filter) rather than using canvas
// scaling, and the float32 steps of the NumPy code are rounded to float32 where they feed a
// threshold or a crop position.
//
//   const ort = await import('/static/vendor/onnxruntime-web/ort.wasm.min.mjs');
//   const scorer = await createFaceScorer({ ort, urls: {detector, landmarks, fatigue}, sidecar });
//   scorer.check(pixels)  -> the gate's measures, or throws InvalidMediaError
//   scorer.score(pixels)  -> {score, label, probabilities, parts}

// --- Constants (inference/face.py) -------------------------------------------------------------

const DETECTOR_SIZE = 128;
const LANDMARK_SIZE = 192;
const MIN_DETECTION_SCORE = 0.5;
const NMS_IOU = 0.3;
const MIN_PRESENCE = 0.5;
const MIN_FACE_SCORE = 0.7;
const SECOND_FACE_AREA = 0.3;
const SECOND_FACE_SCORE = 0.75;
const MIN_FACE_PIXELS = 64;
const MIN_FACE_FRACTION = 0.12;
const TOO_DARK = 45.0;
const TOO_BRIGHT = 215.0;
const MAX_CLIPPED_SHARE = 0.25;
const MIN_SHARPNESS = 150.0;

const RIGHT_EYE = [33, 160, 158, 133, 153, 144];
const LEFT_EYE = [362, 385, 387, 263, 373, 380];
const MOUTH_INNER = [13, 14];
const MOUTH_CORNERS = [78, 308];
const NOSE_TIP = 1;
const CHIN = 152;

// The eye model (inference/eyelids.py): a 64 px square around each eye's corners, 2.3 times
// their distance, turned with them; the face's left eye mirrored.
const EYE_MODEL_SIZE = 64;
const EYE_MODEL_SCALE = 2.3;
const EYE_CORNERS = [
  [[33, 133], false],
  [[362, 263], true],
];
const LID_CORNERS = [0, 8];
const LID_PAIRS = [
  [11, 3],
  [12, 4],
  [13, 5],
];

const EYE_CROP_SCALE = 1.5;
const EYE_CROP_LIFT = 0.08;
const EYE_CROP_SIZE = 128;

const PIPELINE = 'face-landmarks-v1';

// The server's refusals, word for word (face.PhotoRejected).
export const MESSAGES = {
  no_face:
    'No face found in the photo. Face the camera in good light, with your whole face in the ' +
    'frame, and take it again.',
  several_faces: 'More than one face is in the photo. Take it again with only you in the frame.',
  face_too_small:
    'Your face is too small in the photo. Move closer to the camera and take it again.',
  no_clear_face:
    'No clear face found in the photo. Face the camera, with nothing covering your face, and ' +
    'take it again.',
  too_dark:
    'The photo is too dark to see your face. Turn on a light or face a window and take it again.',
  too_bright:
    'The photo is too bright: your face is washed out. Move away from direct light and take it ' +
    'again.',
  blurry: 'The photo is blurred. Hold still (or clean the lens) and take it again.',
};

/** A photo the gate refuses; `reason` is the server's short code, the message how to retake. */
export class InvalidMediaError extends Error {
  constructor(reason, message) {
    super(message);
    this.name = 'InvalidMediaError';
    this.reason = reason;
  }
}

function reject(reason, messageKey = reason) {
  throw new InvalidMediaError(reason, MESSAGES[messageKey]);
}

const f32 = Math.fround;

// --- Pixels ----------------------------------------------------------------------------------

/** Canvas -> {width, height, data} (RGBA), for the page. */
export function pixelsFromCanvas(canvas) {
  const context = canvas.getContext('2d', { willReadFrequently: true });
  const image = context.getImageData(0, 0, canvas.width, canvas.height);
  return { width: image.width, height: image.height, data: image.data };
}

/** An image file (JPEG, PNG, WebP) -> {width, height, data} (RGBA), decoded as the server's
 * Pillow decodes it: turned upright by its EXIF orientation, and with the stored values as they
 * are. The browser would otherwise colour-manage them (an embedded ICC profile, a PNG gAMA
 * chunk), which Pillow never does; a PNG with gAMA 1.0 comes out up to 73 levels apart. The
 * bitmap is drawn once at its own size (no scaling) and read back. */
/** The image format from the first bytes (inference.image_preprocessing.sniff_image_format). */
function sniffImageFormat(head) {
  const ascii = (from, to) => String.fromCharCode(...head.subarray(from, to));
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'JPEG';
  if (ascii(1, 4) === 'PNG' && head[0] === 0x89) return 'PNG';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'WEBP';
  return null;
}

export async function pixelsFromBlob(blob) {
  // The server's checks and words, not the browser's ("The source image could not be decoded").
  const head = new Uint8Array(await blob.slice(0, 12).arrayBuffer());
  if (!sniffImageFormat(head)) {
    throw new InvalidMediaError('unsupported', 'Only JPEG, PNG and WebP images are accepted.');
  }
  let bitmap;
  try {
    bitmap = await createImageBitmap(blob, {
      imageOrientation: 'from-image',
      colorSpaceConversion: 'none',
    });
  } catch {
    throw new InvalidMediaError('corrupt', 'The image is corrupt or truncated and could not be decoded.');
  }
  try {
    const canvas = document.createElement('canvas');
    canvas.width = bitmap.width;
    canvas.height = bitmap.height;
    const context = canvas.getContext('2d', { willReadFrequently: true, colorSpace: 'srgb' });
    context.drawImage(bitmap, 0, 0);
    return pixelsFromCanvas(canvas);
  } finally {
    bitmap.close();
  }
}

/** RGB or RGBA buffer -> packed RGB; alpha is dropped, as Pillow's convert("RGB") does. */
function toRgb(pixels) {
  const { width, height, data } = pixels;
  if (!(width >= 1 && height >= 1) || !data) {
    throw new TypeError('Expected {width, height, data} with at least one pixel.');
  }
  const count = width * height;
  if (data.length === count * 3) {
    return { width, height, data: data instanceof Uint8Array ? data : Uint8Array.from(data) };
  }
  if (data.length !== count * 4) {
    throw new TypeError(`Expected ${count * 3} (RGB) or ${count * 4} (RGBA) values.`);
  }
  const rgb = new Uint8Array(count * 3);
  for (let i = 0, j = 0; i < count; i++, j += 4) {
    rgb[i * 3] = data[j];
    rgb[i * 3 + 1] = data[j + 1];
    rgb[i * 3 + 2] = data[j + 2];
  }
  return { width, height, data: rgb };
}

// --- Pillow's resize (Resample.c, BILINEAR) ----------------------------------------------------

const PRECISION_BITS = 32 - 8 - 2;
const ONE_HALF = 1 << (PRECISION_BITS - 1);

function clip8Fixed(sum) {
  const value = Math.floor(sum / (1 << PRECISION_BITS));
  return value < 0 ? 0 : value > 255 ? 255 : value;
}

/** Pillow's precompute_coeffs + normalize_coeffs_8bpc for the triangle filter: the support
 * widens with the downscale factor, so a large reduction averages every source pixel. */
function resampleCoefficients(inSize, outSize) {
  const scale = inSize / outSize;
  const filterScale = Math.max(1.0, scale);
  const support = 1.0 * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const weights = new Int32Array(outSize * ksize);
  const row = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const centre = (xx + 0.5) * scale;
    const ss = 1.0 / filterScale;
    const xmin = Math.max(0, Math.trunc(centre - support + 0.5));
    const xmax = Math.min(inSize, Math.trunc(centre + support + 0.5)) - xmin;
    let total = 0.0;
    for (let x = 0; x < xmax; x++) {
      const t = Math.abs((x + xmin - centre + 0.5) * ss);
      row[x] = t < 1.0 ? 1.0 - t : 0.0;
      total += row[x];
    }
    for (let x = 0; x < ksize; x++) {
      const w = x < xmax ? (total !== 0.0 ? row[x] / total : row[x]) : 0;
      const fixed = w * (1 << PRECISION_BITS);
      weights[xx * ksize + x] = Math.trunc(w < 0 ? fixed - 0.5 : fixed + 0.5);
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, weights };
}

function resampleHorizontal(image, outWidth) {
  const { width, height, data } = image;
  const { ksize, bounds, weights } = resampleCoefficients(width, outWidth);
  const out = new Uint8Array(outWidth * height * 3);
  for (let y = 0; y < height; y++) {
    const rowStart = y * width * 3;
    for (let xx = 0; xx < outWidth; xx++) {
      const xmin = bounds[xx * 2];
      const xmax = bounds[xx * 2 + 1];
      let s0 = ONE_HALF;
      let s1 = ONE_HALF;
      let s2 = ONE_HALF;
      for (let x = 0; x < xmax; x++) {
        const k = weights[xx * ksize + x];
        const i = rowStart + (x + xmin) * 3;
        s0 += data[i] * k;
        s1 += data[i + 1] * k;
        s2 += data[i + 2] * k;
      }
      const o = (y * outWidth + xx) * 3;
      out[o] = clip8Fixed(s0);
      out[o + 1] = clip8Fixed(s1);
      out[o + 2] = clip8Fixed(s2);
    }
  }
  return { width: outWidth, height, data: out };
}

function resampleVertical(image, outHeight) {
  const { width, height, data } = image;
  const { ksize, bounds, weights } = resampleCoefficients(height, outHeight);
  const out = new Uint8Array(width * outHeight * 3);
  for (let yy = 0; yy < outHeight; yy++) {
    const ymin = bounds[yy * 2];
    const ymax = bounds[yy * 2 + 1];
    for (let x = 0; x < width; x++) {
      let s0 = ONE_HALF;
      let s1 = ONE_HALF;
      let s2 = ONE_HALF;
      for (let y = 0; y < ymax; y++) {
        const k = weights[yy * ksize + y];
        const i = ((y + ymin) * width + x) * 3;
        s0 += data[i] * k;
        s1 += data[i + 1] * k;
        s2 += data[i + 2] * k;
      }
      const o = (yy * width + x) * 3;
      out[o] = clip8Fixed(s0);
      out[o + 1] = clip8Fixed(s1);
      out[o + 2] = clip8Fixed(s2);
    }
  }
  return { width, height: outHeight, data: out };
}

/** Image.resize((w, h), BILINEAR): two passes, each rounded to 8 bits. Pillow (11.1 and
 * later) runs the vertical pass first when the height shrinks by more than twice as many pixels
 * as the width, the horizontal one first otherwise; the order changes the rounding. */
function resizeBilinear(image, outWidth, outHeight) {
  const { width, height } = image;
  if (outWidth === width && outHeight === height) {
    return { width, height, data: image.data.slice() };
  }
  const horizontal = (img) => (outWidth !== width ? resampleHorizontal(img, outWidth) : img);
  const vertical = (img) => (outHeight !== height ? resampleVertical(img, outHeight) : img);
  const verticalFirst = height - outHeight > 0 && height - outHeight > (width - outWidth) * 2;
  return verticalFirst ? horizontal(vertical(image)) : vertical(horizontal(image));
}

// --- Pillow's affine transform (Geometry.c, bilinear_filter32RGB) ------------------------------

/** Image.transform((size, size), AFFINE, coefficients, BILINEAR): each output pixel centre is
 * mapped into the photo; outside it the pixel is black, and values are truncated, not rounded. */
function affineBilinear(image, coefficients, size) {
  const [a0, a1, a2, a3, a4, a5] = coefficients;
  const { width, height, data } = image;
  const out = new Uint8Array(size * size * 3);
  for (let v = 0; v < size; v++) {
    for (let u = 0; u < size; u++) {
      let xin = a0 * (u + 0.5) + a1 * (v + 0.5) + a2;
      let yin = a3 * (u + 0.5) + a4 * (v + 0.5) + a5;
      if (!(xin >= 0.0 && xin < width && yin >= 0.0 && yin < height)) continue;
      xin -= 0.5;
      yin -= 0.5;
      const x = Math.floor(xin);
      const y = Math.floor(yin);
      const dx = xin - x;
      const dy = yin - y;
      const x0 = Math.min(Math.max(x, 0), width - 1) * 3;
      const x1 = Math.min(Math.max(x + 1, 0), width - 1) * 3;
      const row0 = Math.min(Math.max(y, 0), height - 1) * width * 3;
      const hasRow1 = y + 1 >= 0 && y + 1 < height;
      const row1 = (y + 1) * width * 3;
      const o = (v * size + u) * 3;
      for (let b = 0; b < 3; b++) {
        const p = data[row0 + x0 + b];
        let v1 = p + (data[row0 + x1 + b] - p) * dx;
        let v2 = v1;
        if (hasRow1) {
          const q = data[row1 + x0 + b];
          v2 = q + (data[row1 + x1 + b] - q) * dx;
        }
        v1 = v1 + (v2 - v1) * dy;
        out[o + b] = v1; // Uint8Array truncates like (UINT8) for 0 <= v1 < 256
      }
    }
  }
  return { width: size, height: size, data: out };
}

/** An eye-aligned square region of the photo (face._Crop). */
function regionCoefficients(region, size) {
  const cos = Math.cos(region.angle);
  const sin = Math.sin(region.angle);
  const k = region.side / size;
  const [cx, cy] = region.centre;
  const half = region.side / 2;
  return [
    cos * k,
    -sin * k,
    cx - cos * half + sin * half,
    sin * k,
    cos * k,
    cy - sin * half - cos * half,
  ];
}

// --- Grey levels and sharpness ---------------------------------------------------------------

/** convert("L"): ITU-R 601 luma in Pillow's 16-bit fixed point. */
function luma(image) {
  const count = image.width * image.height;
  const grey = new Uint8Array(count);
  const d = image.data;
  for (let i = 0; i < count; i++) {
    grey[i] = (d[i * 3] * 19595 + d[i * 3 + 1] * 38470 + d[i * 3 + 2] * 7471 + 0x8000) >> 16;
  }
  return grey;
}

/** Variance of the Laplacian (face.sharpness). Pillow's 3x3 filter leaves the border pixels
 * as they are (grey levels, not edges), and they count in the variance, so they are kept here. */
function laplacianVariance(grey, width, height) {
  const edges = Float64Array.from(grey);
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      const sum = 128 + grey[i - width] + grey[i + width] + grey[i - 1] + grey[i + 1] - 4 * grey[i];
      edges[i] = sum < 0 ? 0 : sum > 255 ? 255 : sum;
    }
  }
  let mean = 0;
  for (const value of edges) mean += value;
  mean /= edges.length;
  let variance = 0;
  for (const value of edges) variance += (value - mean) * (value - mean);
  return variance / edges.length;
}

// --- Detection (face.detect_faces) -----------------------------------------------------------

/** BlazeFace short-range anchors: 2 per cell on the 16x16 grid, 6 per cell on 8x8 (float32). */
function buildAnchors() {
  const centres = [];
  for (const [grid, perCell] of [
    [16, 2],
    [8, 6],
  ]) {
    for (let y = 0; y < grid; y++) {
      for (let x = 0; x < grid; x++) {
        for (let n = 0; n < perCell; n++) centres.push((x + 0.5) / grid, (y + 0.5) / grid);
      }
    }
  }
  return Float32Array.from(centres);
}

const ANCHORS = buildAnchors();

/** The photo padded (top-left biased, as the int() of the server) to a black square and
 * resized to the detector's input, scaled to [-1, 1]. */
function letterbox(image, size) {
  const { width, height } = image;
  const side = Math.max(width, height);
  const padX = Math.trunc((side - width) / 2);
  const padY = Math.trunc((side - height) / 2);
  const square = new Uint8Array(side * side * 3);
  for (let y = 0; y < height; y++) {
    square.set(
      image.data.subarray(y * width * 3, (y + 1) * width * 3),
      ((y + padY) * side + padX) * 3,
    );
  }
  const resized = resizeBilinear({ width: side, height: side, data: square }, size, size);
  const input = new Float32Array(size * size * 3);
  for (let i = 0; i < input.length; i++) input[i] = f32(f32(resized.data[i] / 127.5) - 1.0);
  return { input, side, padX, padY };
}

function iouF32(a, b) {
  const x0 = Math.max(a[0], b[0]);
  const y0 = Math.max(a[1], b[1]);
  const x1 = Math.min(a[2], b[2]);
  const y1 = Math.min(a[3], b[3]);
  const inter = f32(Math.max(f32(x1 - x0), 0) * Math.max(f32(y1 - y0), 0));
  const areaA = f32(f32(a[2] - a[0]) * f32(a[3] - a[1]));
  const areaB = f32(f32(b[2] - b[0]) * f32(b[3] - b[1]));
  return f32(inter / Math.max(f32(f32(areaA + areaB) - inter), f32(1e-9)));
}

function sigmoid(x) {
  return 1 / (1 + Math.exp(-x));
}

async function detectFaces(ort, session, image) {
  const { input, side, padX, padY } = letterbox(image, DETECTOR_SIZE);
  const feeds = {
    [session.inputNames[0]]: new ort.Tensor('float32', input, [1, DETECTOR_SIZE, DETECTOR_SIZE, 3]),
  };
  const outputs = await session.run(feeds);
  const regressors = outputs[session.outputNames[0]].data;
  const logits = outputs[session.outputNames[1]].data;

  const candidates = [];
  for (let i = 0; i < ANCHORS.length / 2; i++) {
    const probability = sigmoid(Math.min(100, Math.max(-100, logits[i])));
    if (probability < MIN_DETECTION_SCORE) continue;
    const raw = (j) => f32(regressors[i * 16 + j] / DETECTOR_SIZE);
    const ax = ANCHORS[i * 2];
    const ay = ANCHORS[i * 2 + 1];
    const cx = f32(raw(0) + ax);
    const cy = f32(raw(1) + ay);
    const hw = f32(raw(2) / 2);
    const hh = f32(raw(3) / 2);
    const points = [];
    for (let p = 0; p < 6; p++) points.push(f32(raw(4 + 2 * p) + ax), f32(raw(5 + 2 * p) + ay));
    candidates.push({
      probability,
      box: [f32(cx - hw), f32(cy - hh), f32(cx + hw), f32(cy + hh)],
      points,
    });
  }
  candidates.sort((a, b) => b.probability - a.probability);

  // Weighted non-maximum suppression: each cluster of overlapping boxes is averaged, weighted
  // by score, and reported with the score of its best member.
  const detections = [];
  let remaining = candidates;
  while (remaining.length) {
    const first = remaining[0];
    const overlaps = remaining.map((other) => iouF32(first.box, other.box));
    let cluster = remaining.filter((_, i) => overlaps[i] > NMS_IOU);
    if (!cluster.length) cluster = [first]; // a degenerate (zero-area) box stands alone
    let total = 0;
    const box = [0, 0, 0, 0];
    const points = new Array(12).fill(0);
    for (const member of cluster) {
      total += member.probability;
      for (let j = 0; j < 4; j++) box[j] += member.box[j] * member.probability;
      for (let j = 0; j < 12; j++) points[j] += member.points[j] * member.probability;
    }
    const toX = (v) => (v / total) * side - padX;
    const toY = (v) => (v / total) * side - padY;
    const keypoints = [];
    for (let p = 0; p < 6; p++) keypoints.push([toX(points[2 * p]), toY(points[2 * p + 1])]);
    const faceBox = [toX(box[0]), toY(box[1]), toX(box[2]), toY(box[3])];
    detections.push({
      score: cluster[0].probability,
      box: faceBox,
      keypoints,
      area: Math.max(0, faceBox[2] - faceBox[0]) * Math.max(0, faceBox[3] - faceBox[1]),
    });
    const rest = remaining.filter((_, i) => overlaps[i] <= NMS_IOU && remaining[i] !== first);
    remaining = rest;
  }
  return detections;
}

// --- Landmarks (face.face_landmarks) ---------------------------------------------------------

/** The square, eye-aligned region around a detection, 1.5 times its size (as MediaPipe). */
function faceRegion(detection) {
  const [rightEye, leftEye] = detection.keypoints;
  const angle = Math.atan2(leftEye[1] - rightEye[1], leftEye[0] - rightEye[0]);
  const [x0, y0, x1, y1] = detection.box;
  const side = Math.max(x1 - x0, y1 - y0) * 1.5;
  return { centre: [(x0 + x1) / 2, (y0 + y1) / 2], side, angle };
}

async function faceLandmarks(ort, session, image, detection) {
  const region = faceRegion(detection);
  const coefficients = regionCoefficients(region, LANDMARK_SIZE);
  const patch = affineBilinear(image, coefficients, LANDMARK_SIZE);
  const input = new Float32Array(patch.data.length);
  for (let i = 0; i < input.length; i++) input[i] = patch.data[i] / 255.0;
  const feeds = {
    [session.inputNames[0]]: new ort.Tensor('float32', input, [1, LANDMARK_SIZE, LANDMARK_SIZE, 3]),
  };
  const outputs = await session.run(feeds);
  const mesh = outputs[session.outputNames[0]].data;
  const presenceLogit = outputs[session.outputNames[1]].data[0];
  const presence = f32(1 / f32(1 + f32(Math.exp(-Math.min(100, Math.max(-100, presenceLogit))))));

  // Crop pixels -> photo pixels, in float32 like the NumPy code (Python floats times a float32
  // array stay float32).
  const [a, b, c, d, e, f] = coefficients.map(f32);
  const count = mesh.length / 3;
  const landmarks = new Float32Array(count * 3);
  for (let i = 0; i < count; i++) {
    const u = mesh[i * 3];
    const v = mesh[i * 3 + 1];
    landmarks[i * 3] = f32(f32(f32(a * u) + f32(b * v)) + c);
    landmarks[i * 3 + 1] = f32(f32(f32(d * u) + f32(e * v)) + f);
    landmarks[i * 3 + 2] = f32(f32(mesh[i * 3 + 2] * f32(region.side)) / LANDMARK_SIZE);
  }
  return { landmarks, presence, patch, region };
}

// --- Measures --------------------------------------------------------------------------------

function point(landmarks, i) {
  return [landmarks[i * 3], landmarks[i * 3 + 1]];
}

function distance(landmarks, i, j) {
  const dx = f32(landmarks[i * 3] - landmarks[j * 3]);
  const dy = f32(landmarks[i * 3 + 1] - landmarks[j * 3 + 1]);
  return f32(Math.sqrt(f32(f32(dx * dx) + f32(dy * dy))));
}

/** (|p2-p6| + |p3-p5|) / (2 |p1-p4|): about 0.25-0.35 open, below about 0.15 closed. */
function eyeAspectRatio(landmarks, eye) {
  const [p1, p2, p3, p4, p5, p6] = eye;
  const width = distance(landmarks, p1, p4);
  if (width <= 0) return 0.0;
  return (distance(landmarks, p2, p6) + distance(landmarks, p3, p5)) / (2 * width);
}

function mouthAspectRatio(landmarks) {
  const width = distance(landmarks, ...MOUTH_CORNERS);
  return width > 0 ? distance(landmarks, ...MOUTH_INNER) / width : 0.0;
}

function meanPoint(landmarks, indices) {
  let x = 0;
  let y = 0;
  for (const i of indices) {
    x += landmarks[i * 3];
    y += landmarks[i * 3 + 1];
  }
  return [x / indices.length, y / indices.length];
}

const degrees = (radians) => (radians * 180) / Math.PI;

/** Rough yaw, pitch and roll in degrees from where the nose sits between eyes and chin. */
function headPose(landmarks) {
  const right = meanPoint(landmarks, RIGHT_EYE);
  const left = meanPoint(landmarks, LEFT_EYE);
  const eyes = [(right[0] + left[0]) / 2, (right[1] + left[1]) / 2];
  const span = Math.hypot(left[0] - right[0], left[1] - right[1]) || 1.0;
  const roll = degrees(Math.atan2(left[1] - right[1], left[0] - right[0]));
  const axis = [(left[0] - right[0]) / span, (left[1] - right[1]) / span];
  const normal = [-axis[1], axis[0]];
  const noseTip = point(landmarks, NOSE_TIP);
  const chinPoint = point(landmarks, CHIN);
  const nose = [noseTip[0] - eyes[0], noseTip[1] - eyes[1]];
  const chin =
    (chinPoint[0] - eyes[0]) * normal[0] + (chinPoint[1] - eyes[1]) * normal[1] || 1.0;
  const along = nose[0] * axis[0] + nose[1] * axis[1];
  const across = nose[0] * normal[0] + nose[1] * normal[1];
  const yaw = degrees(Math.asin(Math.max(-1.0, Math.min(1.0, (2 * along) / span))));
  const pitch = degrees(Math.atan2(across / chin - 0.45, 0.5));
  return [yaw, pitch, roll];
}

// --- The gate (face.analyse_face) ------------------------------------------------------------

async function analyseFace(ort, sessions, image) {
  const faces = await detectFaces(ort, sessions.detector, image);
  if (!faces.length) reject('no_face');
  const best = faces[0];
  if (best.score < MIN_FACE_SCORE) reject('no_face', 'no_clear_face');
  const rival = (other) =>
    other.score >= SECOND_FACE_SCORE && other.area >= SECOND_FACE_AREA * best.area;
  if (faces.slice(1).some(rival)) reject('several_faces');
  const faceWidth = best.box[2] - best.box[0];
  if (
    faceWidth < MIN_FACE_PIXELS ||
    faceWidth < MIN_FACE_FRACTION * Math.min(image.width, image.height)
  ) {
    reject('face_too_small');
  }
  const { landmarks, presence, patch, region } = await faceLandmarks(
    ort,
    sessions.landmarks,
    image,
    best,
  );
  if (presence < MIN_PRESENCE) reject('no_face', 'no_clear_face');

  // Brightness of the middle of the crop: the face itself, not its margin.
  const grey = luma(patch);
  let sum = 0;
  let clipped = 0;
  for (let y = 48; y < 144; y++) {
    for (let x = 48; x < 144; x++) {
      const value = grey[y * LANDMARK_SIZE + x];
      sum += value;
      if (value >= 250) clipped += 1;
    }
  }
  const brightness = f32(sum / (96 * 96));
  if (brightness < TOO_DARK) reject('too_dark');
  if (brightness > TOO_BRIGHT || clipped / (96 * 96) > MAX_CLIPPED_SHARE) reject('too_bright');
  const sharpness = laplacianVariance(grey, LANDMARK_SIZE, LANDMARK_SIZE);
  if (sharpness < MIN_SHARPNESS) reject('blurry');

  const earRight = eyeAspectRatio(landmarks, RIGHT_EYE);
  const earLeft = eyeAspectRatio(landmarks, LEFT_EYE);
  const mar = mouthAspectRatio(landmarks);
  const [yaw, pitch, roll] = headPose(landmarks);
  return {
    detection: { score: best.score, box: best.box, keypoints: best.keypoints },
    faces: faces.length,
    presence,
    landmarks,
    eyeAspectRatio: [earRight, earLeft],
    mouthAspectRatio: mar,
    headPose: [yaw, pitch, roll],
    brightness,
    sharpness,
    crop: patch,
    angle: region.angle,
    features: {
      ear_right: earRight,
      ear_left: earLeft,
      ear_mean: (earRight + earLeft) / 2,
      mar,
      yaw,
      pitch,
      roll,
    },
  };
}

/** The right and the left eye, each an eye-aligned square cut like the eye-state training
 * images: the corners spanning two thirds of the square, centred a little above the eye. */
function eyeCrops(image, analysis) {
  const { landmarks, angle } = analysis;
  return [RIGHT_EYE, LEFT_EYE].map((eye) => {
    const a = point(landmarks, eye[0]);
    const b = point(landmarks, eye[3]);
    const dx = f32(b[0] - a[0]);
    const dy = f32(b[1] - a[1]);
    const width = f32(Math.sqrt(f32(f32(dx * dx) + f32(dy * dy))));
    // float32 mean of the six points, as points.mean(0) on the float32 landmarks
    let sx = 0;
    let sy = 0;
    for (const i of eye) {
      sx = f32(sx + landmarks[i * 3]);
      sy = f32(sy + landmarks[i * 3 + 1]);
    }
    const side = Math.max(8.0, width * EYE_CROP_SCALE);
    const up = [Math.sin(angle), -Math.cos(angle)];
    const centre = [
      f32(sx / 6) + up[0] * EYE_CROP_LIFT * side,
      f32(sy / 6) + up[1] * EYE_CROP_LIFT * side,
    ];
    const coefficients = regionCoefficients({ centre, side, angle }, EYE_CROP_SIZE);
    return affineBilinear(image, coefficients, EYE_CROP_SIZE);
  });
}

// --- The eye model's lids (inference/eyelids.py) ---------------------------------------------

function mirrored(image) {
  const { width, height, data } = image;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const from = (y * width + (width - 1 - x)) * 3;
      const to = (y * width + x) * 3;
      out[to] = data[from];
      out[to + 1] = data[from + 1];
      out[to + 2] = data[from + 2];
    }
  }
  return { width, height, data: out };
}

function contourDistance(contour, i, j) {
  const dx = f32(contour[i * 3] - contour[j * 3]);
  const dy = f32(contour[i * 3 + 1] - contour[j * 3 + 1]);
  return f32(Math.sqrt(f32(f32(dx * dx) + f32(dy * dy))));
}

/** Mean lid gap over the corners' distance (eyelids.lid_aspect_ratio). */
function lidAspectRatio(contour) {
  const width = contourDistance(contour, LID_CORNERS[0], LID_CORNERS[1]);
  if (width <= 0) return 0.0;
  let gaps = 0;
  for (const [i, j] of LID_PAIRS) gaps += contourDistance(contour, i, j);
  return gaps / LID_PAIRS.length / width;
}

/** The lid aspect ratio of the right and the left eye (eyelids.lid_aspect_ratios). */
async function lidAspectRatios(ort, session, image, landmarks) {
  const ratios = [];
  for (const [[first, second], flip] of EYE_CORNERS) {
    const a = point(landmarks, first);
    const b = point(landmarks, second);
    const dx = f32(b[0] - a[0]);
    const dy = f32(b[1] - a[1]);
    const width = f32(Math.sqrt(f32(f32(dx * dx) + f32(dy * dy))));
    const region = {
      centre: [f32(f32(a[0] + b[0]) / 2), f32(f32(a[1] + b[1]) / 2)],
      side: Math.max(8.0, width * EYE_MODEL_SCALE),
      angle: Math.atan2(dy, dx),
    };
    let crop = affineBilinear(image, regionCoefficients(region, EYE_MODEL_SIZE), EYE_MODEL_SIZE);
    if (flip) crop = mirrored(crop);
    const input = new Float32Array(crop.data.length);
    for (let i = 0; i < input.length; i++) input[i] = crop.data[i] / 255.0;
    const outputs = await session.run({
      [session.inputNames[0]]: new ort.Tensor('float32', input, [
        1,
        EYE_MODEL_SIZE,
        EYE_MODEL_SIZE,
        3,
      ]),
    });
    ratios.push(lidAspectRatio(outputs[session.outputNames[0]].data));
  }
  return ratios;
}

// --- The CNN input (preprocessing.image_to_tensor) ----------------------------------------------

/** Shorter side to `resize`, centre crop `image_size`, ImageNet normalisation, CHW float32. */
function imageToTensor(image, preprocessing, out, offset) {
  const imageSize = preprocessing.image_size ?? 224;
  const resize = preprocessing.resize ?? 256;
  const mean = preprocessing.mean ?? [0.485, 0.456, 0.406];
  const std = preprocessing.std ?? [0.229, 0.224, 0.225];
  const { width, height } = image;
  const scale = resize / Math.min(width, height);
  const newWidth = Math.max(imageSize, pyRound(width * scale));
  const newHeight = Math.max(imageSize, pyRound(height * scale));
  // The server passes reducing_gap=3.0, which pre-shrinks only for reductions of 6x or more;
  // the crops here are 128-192 px, so that never happens for any sensible `resize`.
  if (Math.trunc(width / newWidth / 3.0) > 1 || Math.trunc(height / newHeight / 3.0) > 1) {
    throw new Error(`Resizing ${width}x${height} to ${newWidth}x${newHeight} is not supported.`);
  }
  const resized = resizeBilinear(image, newWidth, newHeight);
  const left = Math.floor((newWidth - imageSize) / 2);
  const top = Math.floor((newHeight - imageSize) / 2);
  const scale255 = f32(1.0 / 255.0);
  const plane = imageSize * imageSize;
  for (let c = 0; c < 3; c++) {
    const m = f32(mean[c]);
    const s = f32(std[c]);
    for (let y = 0; y < imageSize; y++) {
      for (let x = 0; x < imageSize; x++) {
        const value = resized.data[((y + top) * newWidth + (x + left)) * 3 + c];
        out[offset + c * plane + y * imageSize + x] = f32(f32(f32(value * scale255) - m) / s);
      }
    }
  }
}

/** Python's round(): halves to even. */
function pyRound(value) {
  const floor = Math.floor(value);
  const diff = value - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

// --- The combiner (inference/fatigue.py) -------------------------------------------------------

function logit(p) {
  p = Math.min(1 - 1e-6, Math.max(1e-6, p));
  return Math.log(p / (1 - p));
}

function clampedSigmoid(x) {
  return 1 / (1 + Math.exp(-Math.max(-60.0, Math.min(60.0, x))));
}

/** P(fatigued) per row, as inference.services._fatigued_scores computes it. */
function fatiguedScores(logits, rows, labels) {
  // P(fatigued) of each crop: a softmax over each row (crop) of the batch, as the server's
  // inference.services.softmax and training's softmax compute it.
  const columns = labels.length;
  const column = labels.indexOf('fatigued');
  const scores = [];
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let c = 0; c < columns; c++) max = Math.max(max, logits[r * columns + c]);
    let total = 0;
    for (let c = 0; c < columns; c++) total += Math.exp(logits[r * columns + c] - max);
    scores.push(Math.exp(logits[r * columns + column] - max) / total);
  }
  return scores;
}

function combine(combiner, mouthAspectRatio, faceScore, eyeScores, earMean, lidEarMean) {
  const yawnPart = combiner.yawn;
  const yawn = clampedSigmoid(
    yawnPart.coef[0] * mouthAspectRatio + yawnPart.coef[1] * logit(faceScore) + yawnPart.intercept,
  );
  // The eye part names its features: the CNN's score of the two eyes and, once calibrated on
  // whole faces, the mesh's mean eye aspect ratio and the eye model's mean lid aspect ratio
  // (inference.fatigue.eyes_closed_probability).
  const eyesPart = combiner.eyes;
  const values = {
    logit_eyes: logit((eyeScores[0] + eyeScores[1]) / 2),
    ear_mean: earMean,
    lid_ear_mean: lidEarMean,
  };
  const features = eyeFeatures(combiner);
  let total = eyesPart.intercept;
  features.forEach((name, i) => {
    total += eyesPart.coef[i] * values[name];
  });
  const eyesClosed = clampedSigmoid(total);
  return { probability: 1 - (1 - yawn) * (1 - eyesClosed), yawn, eyesClosed };
}

function eyeFeatures(combiner) {
  return combiner.eyes.features ?? ['logit_eyes'];
}

// --- Models ----------------------------------------------------------------------------------

async function modelBytes(source, name, expectedSha256) {
  let bytes;
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    bytes = new Uint8Array(source instanceof ArrayBuffer ? source : source.buffer);
  } else {
    const response = await fetch(source, { credentials: 'same-origin' });
    if (!response.ok) {
      throw new Error(`The ${name} model could not be loaded (${response.status}).`);
    }
    bytes = new Uint8Array(await response.arrayBuffer());
  }
  if (expectedSha256) {
    if (!globalThis.crypto?.subtle) {
      throw new Error(`Cannot check the ${name} model here (no Web Crypto).`);
    }
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
    const hex = Array.from(digest, (v) => v.toString(16).padStart(2, '0')).join('');
    if (hex !== expectedSha256) throw new Error(`The ${name} model is altered (sha256 mismatch).`);
  }
  return bytes;
}

/**
 * Load the three models and return a scorer.
 *   ort:     the ONNX Runtime Web module
 *   urls:    {detector, landmarks, eyes, fatigue}: URLs (or the bytes) of the ONNX files
 *            (`eyes`, the eye model, only for a combiner that reads the lids)
 *   sidecar: the fatigue model's sidecar JSON (preprocessing, labels, combiner, pipeline)
 *   sha256:  optional {detector, landmarks, eyes, fatigue} digests to check the files against
 */
export async function createFaceScorer({ ort, urls, sidecar, sha256 = {} }) {
  if (!sidecar || sidecar.pipeline !== PIPELINE || !sidecar.combiner) {
    throw new Error(
      `The fatigue model ${sidecar?.version ?? '?'} predates the face-landmark pipeline ` +
        '(no combiner in its sidecar).',
    );
  }
  const options = { executionProviders: ['wasm'], graphOptimizationLevel: 'all' };
  const load = async (name) =>
    ort.InferenceSession.create(await modelBytes(urls[name], name, sha256[name]), options);
  const readsLids = eyeFeatures(sidecar.combiner).includes('lid_ear_mean');
  const names = ['detector', 'landmarks', 'fatigue', ...(readsLids ? ['eyes'] : [])];
  const loaded = await Promise.all(names.map(load));
  const sessions = Object.fromEntries(names.map((name, i) => [name, loaded[i]]));
  const { fatigue } = sessions;
  const preprocessing = sidecar.preprocessing || {};
  const labels = sidecar.labels || ['alert', 'fatigued'];
  const inputName = sidecar.input_name || fatigue.inputNames[0];
  const outputName = sidecar.output_name || fatigue.outputNames[0];
  // ONNX Runtime Web runs one inference at a time per session; chain the calls.
  let queue = Promise.resolve();
  const serial = (task) => {
    const run = queue.then(task, task);
    queue = run.catch(() => {});
    return run;
  };

  async function check(pixels) {
    return analyseFace(ort, sessions, toRgb(pixels));
  }

  async function score(pixels) {
    const image = toRgb(pixels);
    const analysis = await analyseFace(ort, sessions, image);
    const crops = [analysis.crop, ...eyeCrops(image, analysis)];
    const size = preprocessing.image_size ?? 224;
    const batch = new Float32Array(crops.length * 3 * size * size);
    crops.forEach((crop, i) => imageToTensor(crop, preprocessing, batch, i * 3 * size * size));
    const outputs = await fatigue.run({
      [inputName]: new ort.Tensor('float32', batch, [crops.length, 3, size, size]),
    });
    const logits = outputs[outputName].data;
    const [faceScore, rightEye, leftEye] = fatiguedScores(logits, crops.length, labels);
    const features = { ...analysis.features };
    if (readsLids) {
      const [lidRight, lidLeft] = await lidAspectRatios(ort, sessions.eyes, image, analysis.landmarks);
      Object.assign(features, {
        lid_ear_right: lidRight,
        lid_ear_left: lidLeft,
        lid_ear_mean: (lidRight + lidLeft) / 2,
      });
    }
    const { probability, yawn, eyesClosed } = combine(
      sidecar.combiner,
      analysis.mouthAspectRatio,
      faceScore,
      [rightEye, leftEye],
      features.ear_mean,
      features.lid_ear_mean,
    );
    return {
      score: probability,
      label: probability >= 0.5 ? 'fatigued' : 'alert',
      probabilities: { alert: 1 - probability, fatigued: probability },
      modelVersion: sidecar.version,
      parts: {
        yawn,
        eyesClosed,
        faceScore,
        eyeScores: [rightEye, leftEye],
        features,
      },
      analysis,
    };
  }

  return {
    check: (pixels) => serial(() => check(pixels)),
    score: (pixels) => serial(() => score(pixels)),
    release: () => Promise.all(Object.values(sessions).map((s) => s.release())),
  };
}

// --- A burst of frames (inference/burst.py) --------------------------------------------------

export const BURST_MIN_FRAMES = 3;

/**
 * The burst's figures from its scored frames (each a score() result), in order, as
 * inference.burst.aggregate computes them: the mean P(eyes closed) (a PERCLOS estimate), the
 * mean P(yawn), blinks and the longest closure; P(fatigued) = 1 - (1 - yawn) (1 - closure).
 */
export function aggregateBurst(frames, refused) {
  if (frames.length < BURST_MIN_FRAMES) {
    throw new InvalidMediaError(
      'burst',
      `Only ${frames.length} of ${frames.length + refused} frames showed one clear face; at ` +
        `least ${BURST_MIN_FRAMES} are needed. Face the camera in good light and try again.`,
    );
  }
  const closed = frames.map((f) => f.parts.eyesClosed);
  const closure = closed.reduce((a, b) => a + b, 0) / closed.length;
  const yawn = frames.map((f) => f.parts.yawn).reduce((a, b) => a + b, 0) / frames.length;
  let blinks = 0;
  let longest = 0;
  let run = 0;
  for (const p of closed) {
    if (p >= 0.5) {
      run += 1;
      if (run === 1) blinks += 1;
      longest = Math.max(longest, run);
    } else {
      run = 0;
    }
  }
  return {
    probability: 1 - (1 - yawn) * (1 - closure),
    summary: {
      frames: frames.length,
      frames_refused: refused,
      eye_closure_fraction: Math.round(closure * 1e4) / 1e4,
      yawn_fraction: Math.round(yawn * 1e4) / 1e4,
      blinks,
      longest_closure_frames: longest,
    },
  };
}

/** Score every frame (pixel objects) with `scorer`; frames the gate refuses are counted. */
export async function scoreBurst(scorer, framesPixels) {
  const scored = [];
  let refused = 0;
  for (const pixels of framesPixels) {
    try {
      scored.push(await scorer.score(pixels));
    } catch (err) {
      if (!(err instanceof InvalidMediaError)) throw err;
      refused += 1;
    }
  }
  return aggregateBurst(scored, refused);
}

// Exposed for the parity tests of the pixel operations.
export const _internals = { resizeBilinear, affineBilinear, luma, laplacianVariance, letterbox };
