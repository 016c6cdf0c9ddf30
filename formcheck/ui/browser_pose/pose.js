// The live check with the pose model in this browser.
// Camera → MediaPipe Pose Landmarker (WASM in pose_worker.js, our bundled model, all served by
// the app) → landmarks over a WebSocket to the server's live engine → the overlay state back.
// No picture leaves the browser. Settings come in the URL fragment (see live_page.py).

const cfg = JSON.parse(decodeURIComponent(location.hash.slice(1)) || "{}");
const T = cfg.texts || {};
const video = document.getElementById("video");
const canvas = document.getElementById("canvas");
const ctx = canvas.getContext("2d");
const statusLine = document.getElementById("status");
const warning = document.getElementById("warning");
const MAX_BUFFERED = 64 * 1024;   // skip sending while the socket is this far behind
const WARMUP_S = 3;               // judge the frame rate only after this long

// Read by the browser tests (and handy in the console); never sent anywhere.
const stats = { processed: 0, sent: 0, states: 0, dropped: 0, lastState: null, fps: 0,
                found: 0, stretched: 0 };
window.formcheckStats = stats;

let worker = null;
let workerReady = false;
let busy = false;           // one frame at a time in the model; newer frames wait or are skipped
let lastLm = null;
let socket = null;
let ready = false;
let state = {};
let lastTs = -1;
let firstFrameAt = null;
let prevFrameAt = null;

function say(line) { statusLine.textContent = line; }
function warn(line) { warning.textContent = line || ""; warning.hidden = !line; }
function fill(template, values) {
  return (template || "").replace(/\{(\w+)\}/g, (_, k) => (k in values ? values[k] : ""));
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${location.host}${cfg.socket}`);
  socket.onopen = () => socket.send(JSON.stringify({ token: cfg.token }));
  socket.onmessage = (event) => {
    const msg = JSON.parse(event.data);
    if (msg.hello) { Object.assign(cfg, msg.hello); ready = true; return; }
    if ("dropped" in msg) { stats.dropped = msg.dropped_total; return; }
    state = msg;
    stats.states += 1;
    stats.lastState = msg;
  };
  socket.onclose = () => { ready = false; warn(T.socket_lost); };
}

// One frame as the server takes it (formcheck/browser_live.py): little-endian float64 t,
// uint16 width and height, then (a person found) float32 x, y, z, visibility of the 33
// image landmarks and x, y, z of the 33 world landmarks: 12 or 936 bytes.
const HEADER_BYTES = 12;
const FRAME_BYTES = HEADER_BYTES + 4 * 33 * 7;

function frameMessage(t, result) {
  const person = result.lm && result.world && result.lm.length === 33
    && result.world.length === 33;
  const data = new DataView(new ArrayBuffer(person ? FRAME_BYTES : HEADER_BYTES));
  data.setFloat64(0, t, true);
  data.setUint16(8, video.videoWidth, true);
  data.setUint16(10, video.videoHeight, true);
  if (person) {
    let at = HEADER_BYTES;
    const put = (v) => { data.setFloat32(at, v, true); at += 4; };
    for (const [x, y, z, v] of result.lm) { put(x); put(y); put(z); put(Math.min(Math.max(v, 0), 1)); }
    for (const [x, y, z] of result.world) { put(x); put(y); put(z); }
  }
  return data.buffer;
}

function drawOverlay(lm) {
  const w = canvas.width, h = canvas.height;
  ctx.drawImage(video, 0, 0, w, h);
  if (lm) {
    ctx.lineWidth = Math.max(2, w / 200);
    ctx.strokeStyle = "#00e0ff";
    for (const [a, b] of cfg.edges || []) {
      if (lm[a][3] < 0.5 || lm[b][3] < 0.5) continue;
      ctx.beginPath();
      ctx.moveTo(lm[a][0] * w, lm[a][1] * h);
      ctx.lineTo(lm[b][0] * w, lm[b][1] * h);
      ctx.stroke();
    }
  }
  // Scaled by the smaller of the height and a 16:9 width: a 9:16 phone picture gets text that
  // fits its width (as the annotated video, formcheck/overlay.py).
  const unit = w < h ? Math.min(h, (w * 9) / 16) : h;
  const big = Math.max(14, Math.round(unit / 16)), small = Math.max(11, Math.round(unit / 28));
  const pad = Math.round(unit / 60) + 4;
  const drawn = {};
  const hold = (cfg.hold_required || 0) > 0 && state.hold_s > 0;
  const title = fitLines(cfg.title || "", small, w - 2 * pad - (hold ? w / 3 + pad : 0), 1, "");
  let count = null;
  if ("count" in state) {
    let label = `${state.count}${cfg.goal ? " / " + cfg.goal : ""} ${T.reps || ""}`;
    if (state.set) label += `  ·  ${T.set || ""} ${state.set}`;
    count = fitLines(label, big, w - 2 * pad, 1, "bold ");
  }
  ctx.fillStyle = "rgba(0,0,0,0.6)";
  ctx.fillRect(0, 0, w, pad * 3 + big + small);
  ctx.fillStyle = "#fff";
  ctx.textBaseline = "top";
  drawn.title = drawLines(title, pad, pad, 0, w, false);
  if (count) drawn.count = drawLines(count, pad, pad * 2 + small, 0, w, false);
  if (hold) {
    const need = cfg.hold_required;
    const frac = Math.min(state.hold_s / need, 1), left = Math.max(need - state.hold_s, 0);
    const x0 = w - w / 3 - pad, bw = w / 3, bh = small + 2 * pad;
    ctx.fillStyle = "rgba(60,60,60,0.7)";
    ctx.fillRect(x0, pad, bw, bh);
    ctx.fillStyle = frac >= 1 ? "rgba(20,130,60,0.9)" : "rgba(230,160,0,0.9)";
    ctx.fillRect(x0, pad, bw * frac, bh);
    ctx.fillStyle = "#fff";
    ctx.font = `${small}px sans-serif`;
    ctx.fillText(left > 0 ? `${T.hold || ""} ${Math.ceil(left)} s` : T.good || "", x0 + pad,
                 pad * 2);
  }
  if (state.message) {
    // Wrapped to at most three lines, the font made smaller until they fit the width.
    const msg = fitLines(state.message, big, w - 2 * pad, 3, "bold ");
    const lineH = Math.round(msg.size * 1.2);
    const y = h - msg.lines.length * lineH - 2 * pad;
    ctx.fillStyle = state.fault ? "rgba(180,30,30,0.82)" : "rgba(20,130,60,0.82)";
    ctx.fillRect(0, y, w, h - y);
    ctx.fillStyle = "#fff";
    drawn.message = drawLines(msg, pad, y + pad, lineH, w, true);
  }
  stats.overlay = drawn;
}

// ``text`` split into whole words on at most ``maxLines`` lines no wider than ``maxW``, the
// font shrunk from ``size`` until they fit (not below 8 px): ``{lines, size, weight, maxW}``.
function fitLines(text, size, maxW, maxLines, weight) {
  for (;;) {
    ctx.font = `${weight}${size}px sans-serif`;
    const lines = [];
    for (const word of text.split(/\s+/).filter(Boolean)) {
      const trial = lines.length ? `${lines[lines.length - 1]} ${word}` : word;
      if (lines.length && ctx.measureText(trial).width <= maxW) lines[lines.length - 1] = trial;
      else lines.push(word);
    }
    const widest = Math.max(0, ...lines.map((l) => ctx.measureText(l).width));
    if ((lines.length <= maxLines && widest <= maxW) || size <= 8) {
      return { lines, size, weight, maxW, widest };
    }
    size = Math.max(8, Math.floor(size * 0.85));
  }
}

// Draw fitted lines at ``x`` (centred in ``w`` when ``centre``) from ``y``, ``lineH`` apart;
// returns what was drawn, for the browser tests.
function drawLines(fit, x, y, lineH, w, centre) {
  ctx.font = `${fit.weight}${fit.size}px sans-serif`;
  fit.lines.forEach((line, i) => {
    const left = centre ? Math.max(0, (w - ctx.measureText(line).width) / 2) : x;
    ctx.fillText(line, left, y + i * lineH);
  });
  return { lines: fit.lines, size: fit.size, fits: fit.widest <= fit.maxW, width: w };
}

function onVideoFrame(now) {
  if (workerReady && !busy) {
    const ts = Math.max(now, lastTs + 1);   // the model wants strictly increasing times (ms)
    lastTs = ts;
    busy = true;
    createImageBitmap(video).then(
      (bitmap) => worker.postMessage({ bitmap, ts }, [bitmap]),
      () => { busy = false; });
  }
  drawOverlay(lastLm);
  video.requestVideoFrameCallback(onVideoFrame);
}

function onResult(result) {
  busy = false;
  stats.processed += 1;
  if (result.lm) stats.found += 1;
  if (result.stretched) stats.stretched += 1;
  lastLm = result.lm;
  const at = performance.now() / 1000;
  if (firstFrameAt === null) firstFrameAt = at;
  if (prevFrameAt !== null && at > prevFrameAt) {
    const inst = 1 / (at - prevFrameAt);
    stats.fps = stats.fps ? 0.9 * stats.fps + 0.1 * inst : inst;
  }
  prevFrameAt = at;
  if (ready && socket.readyState === WebSocket.OPEN && socket.bufferedAmount < MAX_BUFFERED) {
    socket.send(frameMessage(result.ts / 1000, result));
    stats.sent += 1;
  }
  const fps = stats.fps.toFixed(0);
  say(fill(T.mode_running_browser, { fps }));
  if (ready) {
    const slow = at - firstFrameAt > WARMUP_S && stats.fps < (cfg.min_fps || 0);
    warn(slow ? fill(T.too_slow, { fps }) : "");
  }
}

async function main() {
  say(T.browser_loading || "");
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      video: { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 30 } },
      audio: false,
    });
  } catch (e) {
    warn(T.camera_denied);
    return;
  }
  worker = new Worker("pose_worker.js", { type: "module" });
  const loaded = new Promise((resolve, reject) => {
    worker.onmessage = (event) => {
      const msg = event.data;
      if (msg.ready) { workerReady = true; resolve(); }
      else if (!workerReady) reject(new Error(msg.error));
      else onResult(msg);
    };
    worker.onerror = (e) => reject(e);
  });
  try {
    await loaded;
  } catch (e) {
    console.error(e);
    warn(T.browser_failed);
    return;
  }
  video.srcObject = stream;
  await video.play();
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  connect();
  video.requestVideoFrameCallback(onVideoFrame);
}

main();
