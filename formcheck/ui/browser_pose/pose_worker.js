// The pose model, off the page's main thread (it would starve the Streamlit page around it).
// Takes {bitmap, ts} (an ImageBitmap of one camera frame, ms), answers {ts, lm, world}.
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

load().then(() => self.postMessage({ ready: true }),
            (e) => self.postMessage({ error: String(e) }));

self.onmessage = (event) => {
  const { bitmap, ts } = event.data;
  try {
    const result = landmarker.detectForVideo(bitmap, ts);
    self.postMessage({ ts, lm: plain(result.landmarks && result.landmarks[0], true),
                       world: plain(result.worldLandmarks && result.worldLandmarks[0], false) });
  } catch (e) {
    self.postMessage({ ts, lm: null, world: null, error: String(e) });
  } finally {
    bitmap.close();
  }
};
