// Saving and loading model files: the library's safetensors bytes, downloaded
// as a file or read from a file picker. Nothing leaves the machine.

/** Offers `bytes` as a download named `name`. */
export function download(bytes, name) {
  const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/** Calls `onBytes(Uint8Array, fileName)` each time the user picks a file in `input`. */
export function onFilePicked(input, onBytes) {
  input.addEventListener('change', async () => {
    const file = input.files && input.files[0];
    if (!file) return;
    const bytes = new Uint8Array(await file.arrayBuffer());
    input.value = '';
    onBytes(bytes, file.name);
  });
}

/** Fetches a file shipped with the page as bytes; throws naming the file and status. */
export async function fetchBytes(path) {
  const r = await fetch(path);
  if (!r.ok) throw new Error(`${path}: the server answered ${r.status} ${r.statusText}`);
  return new Uint8Array(await r.arrayBuffer());
}
