// Loads the wasm engine (web/pkg/backprop_web.js, built by web/build.sh) and
// says clearly what is missing when it cannot.

/** @type {null | Record<string, any>} */
let engine = null;

/**
 * Imports and initialises the wasm module once. Resolves to the module's
 * exports (Playground, make_dataset, …); rejects with an Error whose message
 * tells the user how to build it.
 */
export async function loadEngine() {
  if (engine) return engine;
  let mod;
  try {
    mod = await import('../pkg/backprop_web.js');
  } catch (e) {
    throw new Error('The wasm engine is not built (web/pkg/backprop_web.js is missing): ' +
      'run `bash web/build.sh`, then reload. (' + e.message + ')');
  }
  await mod.default();
  engine = mod;
  return engine;
}

/** The message of anything thrown by the engine (wasm-bindgen throws Errors or strings). */
export function errorText(e) {
  if (e instanceof Error) return e.message;
  if (typeof e === 'string') return e;
  try { return JSON.stringify(e); } catch { return String(e); }
}

/** Whether the loaded engine's object has a method (for features added later). */
export function has(obj, name) {
  return obj != null && typeof obj[name] === 'function';
}

/**
 * Parses what an engine call returned: wasm-bindgen hands back either plain
 * objects (serde-wasm-bindgen) or JSON strings; both become objects here.
 */
export function asObject(v) {
  return typeof v === 'string' ? JSON.parse(v) : v;
}
