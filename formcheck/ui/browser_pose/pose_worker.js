// The pose model, off the page's main thread (it would starve the Streamlit page around it).
// Takes {bitmap, ts} (an ImageBitmap of one camera frame, ms), answers
// {ts, lm, world, stretched}.
import { FilesetResolver, PoseLandmarker } from "./vendor/vision_bundle.mjs";

let landmarker = null;

async function load() {
  const base = new URL("vendor/wasm", self.location.href).href;
  const files = await FilesetResolver.forVisionTasks(base, true);  // the ES-module runtime
  landmarker = await PoseLandmarker.createFromOptions(files, {
    baseOptions: { modelAssetPath: new URL("model.task", self.location.href).href,
                   delegate: "CPU" },
    runningMode: "VIDEO",
    numPoses: 1,
  });
}

function plain(points, withVisibility) {
  if (!points) return null;
  return points.map((p) => (withVisibility ? [p.x, p.y, p.z, p.visibility ?? 0]
                                           : [p.x, p.y, p.z]));
}

// Dim light: a frame whose bright end (99th percentile) is under grey 150 is shown to the
// model with its levels stretched from its 1st to its 99th percentile, as on the server
// (formcheck/pose.py, well_exposed): in a dim room the model otherwise finds no one.
const UNDEREXPOSED_BELOW = 150;
let probe = null;
let stretched = null;

function levels(bitmap) {
  probe ??= new OffscreenCanvas(48, 36);
  const c = probe.getContext("2d", { willReadFrequently: true });
  c.drawImage(bitmap, 0, 0, probe.width, probe.height);
  const px = c.getImageData(0, 0, probe.width, probe.height).data;
  const v = [];
  for (let i = 0; i < px.length; i += 4) v.push(px[i], px[i + 1], px[i + 2]);
  v.sort((a, b) => a - b);
  return [v[Math.floor(0.01 * (v.length - 1))], v[Math.floor(0.99 * (v.length - 1))]];
}

function wellExposed(bitmap) {
  const [lo, hi] = levels(bitmap);
  if (hi >= UNDEREXPOSED_BELOW || hi - lo < 8) return null;
  if (!stretched || stretched.width !== bitmap.width || stretched.height !== bitmap.height) {
    stretched = new OffscreenCanvas(bitmap.width, bitmap.height);
  }
  // y = (x - lo) * gain as CSS filters (0-1 units): contrast first, then brightness.
  const gain = 255 / (hi - lo);
  const c = 0.5 / (0.5 - lo / 255);
  const g = stretched.getContext("2d");
  g.filter = `contrast(${c}) brightness(${gain / c})`;
  g.drawImage(bitmap, 0, 0);
  return stretched;
}

load().then(() => self.postMessage({ ready: true }),
            (e) => self.postMessage({ error: String(e) }));

self.onmessage = (event) => {
  const { bitmap, ts } = event.data;
  try {
    const lifted = wellExposed(bitmap);
    const result = landmarker.detectForVideo(lifted || bitmap, ts);
    self.postMessage({ ts, lm: plain(result.landmarks && result.landmarks[0], true),
                       world: plain(result.worldLandmarks && result.worldLandmarks[0], false),
                       stretched: Boolean(lifted) });
  } catch (e) {
    self.postMessage({ ts, lm: null, world: null, error: String(e) });
  } finally {
    bitmap.close();
  }
};
