// MNIST's own preprocessing applied to a drawing: the ink's bounding box is
// scaled (keeping its aspect ratio, averaging the area under each new pixel)
// so that its longer side is 20 pixels, then placed in a 28 × 28 field so
// that its centre of mass is the field's centre, as LeCun et al. describe
// the making of MNIST. Pure functions, no DOM: the node tests import them.

/** Side of the box the digit is scaled into. */
export const BOX = 20;
/** Side of the field. */
export const FIELD = 28;

/** The bounding box {x0, y0, x1, y1} (inclusive) of entries above `threshold`, or null. */
export function inkBox(ink, width, height, threshold = 0.05) {
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x] > threshold) {
        if (x < x0) x0 = x; if (x > x1) x1 = x;
        if (y < y0) y0 = y; if (y > y1) y1 = y;
      }
    }
  }
  return x1 < 0 ? null : { x0, y0, x1, y1 };
}

/**
 * Resamples the w × h window at (x0, y0) of `ink` (row-major, width `stride`)
 * to tw × th by area averaging: each new pixel is the mean of the source area
 * it covers, fractional pixels weighted by their covered fraction.
 */
export function resampleArea(ink, stride, x0, y0, w, h, tw, th) {
  const out = new Float32Array(tw * th);
  const sx = w / tw, sy = h / th;
  for (let ty = 0; ty < th; ty++) {
    const ya = ty * sy, yb = ya + sy;
    for (let tx = 0; tx < tw; tx++) {
      const xa = tx * sx, xb = xa + sx;
      let sum = 0;
      for (let y = Math.floor(ya); y < Math.ceil(yb) && y < h; y++) {
        const wy = Math.min(yb, y + 1) - Math.max(ya, y);
        const row = (y0 + y) * stride + x0;
        for (let x = Math.floor(xa); x < Math.ceil(xb) && x < w; x++) {
          const wx = Math.min(xb, x + 1) - Math.max(xa, x);
          sum += ink[row + x] * wx * wy;
        }
      }
      out[ty * tw + tx] = sum / (sx * sy);
    }
  }
  return out;
}

/** Centre of mass (x, y) of a w × h image, in pixel units with pixel i spanning [i, i+1]. */
export function centreOfMass(img, w, h) {
  let m = 0, mx = 0, my = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = img[y * w + x];
      m += v; mx += v * (x + 0.5); my += v * (y + 0.5);
    }
  }
  return m > 0 ? { x: mx / m, y: my / m } : { x: w / 2, y: h / 2 };
}

/**
 * The 28 × 28 MNIST-style picture (Uint8Array, 0 background, 255 ink) of a
 * drawing given as ink intensities in [0, 1] (row-major, width × height).
 * An empty drawing gives all zeros.
 */
export function toMnist(ink, width, height) {
  const out = new Uint8Array(FIELD * FIELD);
  const box = inkBox(ink, width, height);
  if (!box) return out;
  const w = box.x1 - box.x0 + 1, h = box.y1 - box.y0 + 1;
  const s = BOX / Math.max(w, h);
  const tw = Math.max(1, Math.min(BOX, Math.round(w * s)));
  const th = Math.max(1, Math.min(BOX, Math.round(h * s)));
  const small = resampleArea(ink, width, box.x0, box.y0, w, h, tw, th);
  const c = centreOfMass(small, tw, th);
  const ox = Math.round(FIELD / 2 - c.x), oy = Math.round(FIELD / 2 - c.y);
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) {
      const X = x + ox, Y = y + oy;
      if (X < 0 || Y < 0 || X >= FIELD || Y >= FIELD) continue;
      out[Y * FIELD + X] = Math.round(Math.max(0, Math.min(1, small[y * tw + x])) * 255);
    }
  }
  return out;
}
