// The drawing canvas of MNIST mode: white ink on black with the mouse, a pen
// or a finger (pointer events), turned into MNIST's 28 × 28 input on every
// change and shown enlarged beside it.

import { toMnist, FIELD } from './mnistify.js';

/** Stroke width in canvas pixels (the canvas is 280 wide: 10 per MNIST pixel). */
const PEN = 22;

/**
 * Makes `canvas` drawable. `onChange(pixels)` receives the Uint8Array(784)
 * after each stroke segment (at most once per animation frame) and on clear.
 * Returns {clear}.
 */
export function createDrawPad(canvas, preview, onChange) {
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  let last = null, pending = false;

  const reset = () => {
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
  };
  const emit = () => {
    pending = false;
    const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
    const ink = new Float32Array(canvas.width * canvas.height);
    for (let i = 0; i < ink.length; i++) ink[i] = data[4 * i] / 255;
    const pixels = toMnist(ink, canvas.width, canvas.height);
    showPreview(preview, pixels);
    onChange(pixels);
  };
  const schedule = () => {
    if (!pending) { pending = true; requestAnimationFrame(emit); }
  };
  const at = (e) => {
    const r = canvas.getBoundingClientRect();
    return { x: ((e.clientX - r.left) * canvas.width) / r.width, y: ((e.clientY - r.top) * canvas.height) / r.height };
  };
  const line = (a, b) => {
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = PEN;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    ctx.moveTo(a.x, a.y);
    ctx.lineTo(b.x, b.y);
    ctx.stroke();
  };
  canvas.addEventListener('pointerdown', (e) => {
    canvas.setPointerCapture(e.pointerId);
    last = at(e);
    line(last, last);
    schedule();
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!last) return;
    const p = at(e);
    line(last, p);
    last = p;
    schedule();
  });
  const end = () => { if (last) { last = null; schedule(); } };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
  reset();
  showPreview(preview, new Uint8Array(FIELD * FIELD));
  return {
    clear() { reset(); schedule(); },
  };
}

/** Draws the 28 × 28 input, enlarged. */
export function showPreview(canvas, pixels) {
  const off = document.createElement('canvas');
  off.width = FIELD; off.height = FIELD;
  const oc = off.getContext('2d');
  const img = oc.createImageData(FIELD, FIELD);
  for (let i = 0; i < FIELD * FIELD; i++) {
    img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = pixels[i];
    img.data[4 * i + 3] = 255;
  }
  oc.putImageData(img, 0, 0);
  const ctx = canvas.getContext('2d');
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(off, 0, 0, canvas.width, canvas.height);
}
