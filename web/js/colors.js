// Colours shared by every view: one per class, and a diverging scale for signed values.

/** One colour per class (up to 10), [r, g, b]. */
export const CLASS_RGB = [
  [42, 111, 187], [232, 116, 12], [46, 158, 84], [200, 55, 70], [140, 90, 190],
  [140, 100, 60], [220, 110, 180], [110, 110, 110], [170, 170, 40], [30, 170, 190],
];

/** CSS colour of class `c`. */
export function classColor(c, alpha = 1) {
  const [r, g, b] = CLASS_RGB[c % CLASS_RGB.length];
  return `rgba(${r},${g},${b},${alpha})`;
}

/** Negative values in blue, zero white, positive in orange; `t` in [-1, 1]. */
export function diverging(t) {
  const s = Math.max(-1, Math.min(1, t));
  const [r, g, b] = s >= 0 ? [232, 116, 12] : [42, 111, 187];
  const a = Math.abs(s);
  return [255 + (r - 255) * a, 255 + (g - 255) * a, 255 + (b - 255) * a];
}

/** CSS colour of a signed value `t` in [-1, 1]. */
export function divergingCss(t, alpha = 1) {
  const [r, g, b] = diverging(t);
  return `rgba(${r | 0},${g | 0},${b | 0},${alpha})`;
}
