// Loss and accuracy curves, train and test, against the step count.

import { classColor } from './colors.js';

/**
 * Draws series [{name, color, points: [[step, value], ...]}] on one canvas,
 * with the y range [lo, hi] (hi null: the data's maximum).
 */
export function drawCurves(canvas, title, series, lo = 0, hi = null) {
  const ctx = canvas.getContext('2d');
  const W = canvas.width, H = canvas.height;
  const L = 40, R = 8, T = 16, B = 18;
  ctx.clearRect(0, 0, W, H);
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillStyle = '#333';
  ctx.fillText(title, L, 11);
  let xmax = 1, ymax = hi ?? -Infinity;
  for (const s of series) {
    for (const [x, y] of s.points) {
      xmax = Math.max(xmax, x);
      if (hi === null && Number.isFinite(y)) ymax = Math.max(ymax, y);
    }
  }
  if (!Number.isFinite(ymax) || ymax <= lo) ymax = lo + 1;
  const px = (x) => L + (x / xmax) * (W - L - R);
  const py = (y) => T + (1 - (Math.min(y, ymax) - lo) / (ymax - lo)) * (H - T - B);
  ctx.strokeStyle = '#bbb';
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(L, T); ctx.lineTo(L, H - B); ctx.lineTo(W - R, H - B);
  ctx.stroke();
  ctx.fillStyle = '#666';
  ctx.textAlign = 'right';
  ctx.fillText(ymax.toPrecision(2), L - 3, T + 8);
  ctx.fillText(String(lo), L - 3, H - B);
  ctx.textAlign = 'left';
  ctx.fillText(`step ${xmax}`, W - R - 60, H - 4);
  let legendX = L + ctx.measureText(title).width + 14;
  for (const s of series) {
    ctx.strokeStyle = s.color;
    ctx.lineWidth = 1.5;
    ctx.setLineDash(s.dashed ? [4, 3] : []);
    ctx.beginPath();
    let first = true;
    for (const [x, y] of s.points) {
      if (!Number.isFinite(y)) { first = true; continue; }
      if (first) ctx.moveTo(px(x), py(y)); else ctx.lineTo(px(x), py(y));
      first = false;
    }
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = s.color;
    ctx.fillText(s.name, legendX, 11);
    legendX += ctx.measureText(s.name).width + 12;
  }
}

/** A growing record of metrics, thinned to at most `max` points per series. */
export class History {
  constructor(max = 600) { this.max = max; this.clear(); }
  clear() { this.rows = []; }
  push(m) {
    this.rows.push(m);
    if (this.rows.length > this.max) this.rows = this.rows.filter((_, i) => i % 2 === 0);
  }
  series(key) { return this.rows.map((m) => [m.step, m[key]]); }
}

/** Draws the loss and accuracy panels from a History. */
export function drawHistory(lossCanvas, accCanvas, h) {
  const train = classColor(0), test = classColor(1);
  drawCurves(lossCanvas, 'loss', [
    { name: 'train', color: train, points: h.series('train_loss') },
    { name: 'test', color: test, dashed: true, points: h.series('test_loss') },
  ]);
  drawCurves(accCanvas, 'accuracy', [
    { name: 'train', color: train, points: h.series('train_acc') },
    { name: 'test', color: test, dashed: true, points: h.series('test_acc') },
  ], 0, 1);
}
