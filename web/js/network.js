// The network diagram: one column of nodes per layer, edges coloured by the
// weight's sign and drawn as thick as its magnitude. Wide layers show an
// evenly spaced sample of their units, with the true width written under them.

import { divergingCss } from './colors.js';

const MAX_NODES = 20;

/** Indices of the units drawn for a layer of width n. */
function shown(n) {
  if (n <= MAX_NODES) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: MAX_NODES }, (_, i) => Math.round((i * (n - 1)) / (MAX_NODES - 1)));
}

/**
 * Draws `sizes` (e.g. [2, 64, 64, 3]) with `weights[l]` = {rows, cols, data}
 * of dense layer l+1 (rows = outputs, cols = inputs, column-major) or null when
 * the engine does not expose them. `selected` is the highlighted dense layer
 * (1-based). Returns the x range of each layer column, for clicks.
 */
export function drawNetwork(canvas, sizes, weights, selected) {
  const ctx = canvas.getContext('2d');
  const W = canvas.width, H = canvas.height;
  const top = 14, bottom = 28;
  ctx.clearRect(0, 0, W, H);
  const cols = sizes.length;
  const xs = sizes.map((_, l) => 40 + (l * (W - 80)) / Math.max(1, cols - 1));
  const pos = sizes.map((n) => {
    const idx = shown(n);
    const step = (H - top - bottom) / Math.max(1, idx.length);
    return idx.map((unit, k) => ({ unit, y: top + step * (k + 0.5) }));
  });
  if (selected >= 1 && selected < cols) {
    ctx.fillStyle = 'rgba(0,0,0,0.05)';
    ctx.fillRect(xs[selected - 1] - 12, 0, xs[selected] - xs[selected - 1] + 24, H);
  }
  for (let l = 1; l < cols; l++) {
    const w = weights ? weights[l - 1] : null;
    let scale = 0;
    if (w) for (const v of w.data) scale = Math.max(scale, Math.abs(v));
    for (const a of pos[l - 1]) {
      for (const b of pos[l]) {
        let t = 0.25, alpha = 0.25, width = 0.6;
        if (w && scale > 0) {
          t = w.data[a.unit * w.rows + b.unit] / scale;
          alpha = 0.15 + 0.85 * Math.abs(t);
          width = 0.3 + 2.7 * Math.abs(t);
        }
        ctx.strokeStyle = w ? divergingCss(t >= 0 ? 1 : -1, alpha) : `rgba(120,120,120,${alpha})`;
        ctx.lineWidth = width;
        ctx.beginPath();
        ctx.moveTo(xs[l - 1], a.y);
        ctx.lineTo(xs[l], b.y);
        ctx.stroke();
      }
    }
  }
  ctx.font = '11px system-ui, sans-serif';
  ctx.textAlign = 'center';
  for (let l = 0; l < cols; l++) {
    for (const p of pos[l]) {
      ctx.beginPath();
      ctx.arc(xs[l], p.y, 4, 0, 2 * Math.PI);
      ctx.fillStyle = '#fff';
      ctx.fill();
      ctx.strokeStyle = '#333';
      ctx.lineWidth = 1;
      ctx.stroke();
    }
    const name = l === 0 ? 'input' : l === cols - 1 ? 'output' : `hidden ${l}`;
    const more = sizes[l] > MAX_NODES ? ` (${MAX_NODES} drawn)` : '';
    ctx.fillStyle = '#333';
    ctx.fillText(`${name}: ${sizes[l]}${more}`, xs[l], H - 14);
    if (l > 0) {
      ctx.fillStyle = '#888';
      ctx.fillText(`W[${l}] ${sizes[l]}×${sizes[l - 1]}`, (xs[l - 1] + xs[l]) / 2, H - 2);
    }
  }
  if (!weights) {
    ctx.fillStyle = '#888';
    ctx.textAlign = 'left';
    ctx.fillText('(this engine build does not expose the weights: edges in grey)', 4, 10);
  }
  return xs;
}

/** The dense layer (1-based) whose column pair contains x, or 0. */
export function layerAt(xs, x) {
  for (let l = 1; l < xs.length; l++) {
    if (x > xs[l - 1] + 8 && x <= xs[l] + 8) return l;
  }
  return 0;
}
