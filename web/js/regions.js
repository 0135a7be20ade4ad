// Decision regions: the class the network predicts at every point of the
// plane (a grid of predict() calls), under the training and test points.

import { CLASS_RGB, classColor } from './colors.js';

const GRID = 80; // cells per side

/** The square view around all points, with a margin: {x0, x1, y0, y1}. */
export function boundsOf(...sets) {
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (const xs of sets) {
    for (let i = 0; i + 1 < xs.length; i += 2) {
      x0 = Math.min(x0, xs[i]); x1 = Math.max(x1, xs[i]);
      y0 = Math.min(y0, xs[i + 1]); y1 = Math.max(y1, xs[i + 1]);
    }
  }
  if (!Number.isFinite(x0)) return { x0: -1, x1: 1, y0: -1, y1: 1 };
  const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
  const half = Math.max(x1 - x0, y1 - y0, 1e-6) * 0.55;
  return { x0: cx - half, x1: cx + half, y0: cy - half, y1: cy + half };
}

/** The grid's cell centres as one Float32Array of (x, y) pairs, row by row from the top. */
export function gridPoints(b) {
  const xs = new Float32Array(GRID * GRID * 2);
  for (let r = 0; r < GRID; r++) {
    for (let c = 0; c < GRID; c++) {
      const k = (r * GRID + c) * 2;
      xs[k] = b.x0 + ((c + 0.5) / GRID) * (b.x1 - b.x0);
      xs[k + 1] = b.y1 - ((r + 0.5) / GRID) * (b.y1 - b.y0);
    }
  }
  return xs;
}

const offscreen = document.createElement('canvas');
offscreen.width = GRID; offscreen.height = GRID;

/**
 * Draws the regions from `probs` (GRID² × classes, one row of class
 * probabilities per grid point; null draws a blank plane) and the points.
 */
export function drawRegions(canvas, b, probs, classes, data, showTest) {
  const ctx = canvas.getContext('2d');
  const W = canvas.width, H = canvas.height;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, W, H);
  if (probs) {
    const oc = offscreen.getContext('2d');
    const img = oc.createImageData(GRID, GRID);
    for (let i = 0; i < GRID * GRID; i++) {
      let best = 0, pmax = -Infinity;
      for (let c = 0; c < classes; c++) {
        const p = probs[i * classes + c];
        if (p > pmax) { pmax = p; best = c; }
      }
      // Confidence above chance, 0..1: pale where the network hesitates.
      const conf = Math.max(0, Math.min(1, (pmax - 1 / classes) / (1 - 1 / classes)));
      const a = 0.15 + 0.55 * conf;
      const [r, g, bl] = CLASS_RGB[best % CLASS_RGB.length];
      img.data[i * 4] = 255 + (r - 255) * a;
      img.data[i * 4 + 1] = 255 + (g - 255) * a;
      img.data[i * 4 + 2] = 255 + (bl - 255) * a;
      img.data[i * 4 + 3] = 255;
    }
    oc.putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(offscreen, 0, 0, W, H);
  }
  const px = (x) => ((x - b.x0) / (b.x1 - b.x0)) * W;
  const py = (y) => ((b.y1 - y) / (b.y1 - b.y0)) * H;
  const dots = (xs, ys, test) => {
    for (let i = 0; i < ys.length; i++) {
      ctx.beginPath();
      ctx.arc(px(xs[2 * i]), py(xs[2 * i + 1]), test ? 3.2 : 2.6, 0, 2 * Math.PI);
      ctx.fillStyle = test ? '#fff' : classColor(ys[i]);
      ctx.fill();
      ctx.lineWidth = test ? 1.6 : 0.6;
      ctx.strokeStyle = test ? classColor(ys[i]) : '#fff';
      ctx.stroke();
    }
  };
  if (data) {
    dots(data.train_x, data.train_y, false);
    if (showTest) dots(data.test_x, data.test_y, true);
  }
}

export { GRID };
