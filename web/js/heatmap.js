// Pictures of one matrix: a heatmap (blue negative, white zero, orange
// positive, scaled by the largest magnitude) and a histogram of its entries.

import { diverging } from './colors.js';

/** Smallest, largest and largest absolute entry of `data`. */
export function range(data) {
  let lo = Infinity, hi = -Infinity;
  for (const v of data) { if (v < lo) lo = v; if (v > hi) hi = v; }
  if (!Number.isFinite(lo)) { lo = 0; hi = 0; }
  return { lo, hi, abs: Math.max(Math.abs(lo), Math.abs(hi)) };
}

/**
 * Draws matrix m = {rows, cols, data} into `canvas`, resizing it to fit
 * within maxW × maxH (several entries per pixel when the matrix is larger
 * than the box; cells of a narrow or flat matrix are stretched up to 40 px).
 * `data` is column-major, as the engine hands it over (one column per
 * sample): entry (i, j) is data[j*rows + i]. The colour's strength is
 * √(|x| / max |x|), so that small entries beside a few large ones still show.
 */
export function drawHeatmap(canvas, m, maxW = 240, maxH = 150) {
  const { rows, cols, data } = m;
  const cw = Math.min(maxW / cols, 40), ch = Math.min(maxH / rows, 40);
  canvas.width = Math.max(1, Math.round(cols * cw));
  canvas.height = Math.max(1, Math.round(rows * ch));
  const { abs } = range(data);
  const off = document.createElement('canvas');
  off.width = cols; off.height = rows;
  const oc = off.getContext('2d');
  const img = oc.createImageData(cols, rows);
  for (let j = 0; j < cols; j++) {
    for (let i = 0; i < rows; i++) {
      const t = abs > 0 ? data[j * rows + i] / abs : 0;
      const [r, g, b] = diverging(Math.sign(t) * Math.sqrt(Math.abs(t)));
      const k = 4 * (i * cols + j);
      img.data[k] = r; img.data[k + 1] = g; img.data[k + 2] = b; img.data[k + 3] = 255;
    }
  }
  oc.putImageData(img, 0, 0);
  const ctx = canvas.getContext('2d');
  ctx.imageSmoothingEnabled = cw < 1 || ch < 1;
  ctx.drawImage(off, 0, 0, canvas.width, canvas.height);
}

/** Draws a histogram of `data` with `bins` bars between its extremes, and a line at zero. */
export function drawHistogram(canvas, data, bins = 30) {
  const ctx = canvas.getContext('2d');
  const W = canvas.width, H = canvas.height, B = 12;
  ctx.clearRect(0, 0, W, H);
  const { lo, hi } = range(data);
  const span = hi - lo || 1;
  const counts = new Array(bins).fill(0);
  for (const v of data) counts[Math.min(bins - 1, Math.floor(((v - lo) / span) * bins))]++;
  const top = Math.max(1, ...counts);
  const bw = W / bins;
  for (let k = 0; k < bins; k++) {
    const mid = lo + ((k + 0.5) / bins) * span;
    ctx.fillStyle = mid < 0 ? '#2a6fbb' : '#e8740c';
    const h = (counts[k] / top) * (H - B - 2);
    ctx.fillRect(k * bw + 0.5, H - B - h, bw - 1, h);
  }
  if (lo < 0 && hi > 0) {
    const x = ((0 - lo) / span) * W;
    ctx.strokeStyle = '#333';
    ctx.beginPath(); ctx.moveTo(x, 0); ctx.lineTo(x, H - B); ctx.stroke();
  }
  ctx.fillStyle = '#666';
  ctx.font = '10px system-ui, sans-serif';
  ctx.textAlign = 'left'; ctx.fillText(lo.toPrecision(3), 0, H - 1);
  ctx.textAlign = 'right'; ctx.fillText(hi.toPrecision(3), W, H - 1);
}
