//! Helpers shared by the integration tests: temporary directories (no
//! `tempfile` crate) and IDX/gzip writers.
#![allow(dead_code)]

use flate2::{Compression, write::GzEncoder};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir = std::env::temp_dir().join(format!(
            "backprop-data-{tag}-{}-{n}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
    pub fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// An IDX file: magic `00 00 type ndims`, big-endian dims, then `payload`.
pub fn idx(element_type: u8, dims: &[u32], payload: &[u8]) -> Vec<u8> {
    let mut v = vec![0, 0, element_type, dims.len() as u8];
    for d in dims {
        v.extend_from_slice(&d.to_be_bytes());
    }
    v.extend_from_slice(payload);
    v
}

/// `count` images of `rows×cols` pixels; pixel `k` of the file is `k mod 256`.
pub fn images(count: u32, rows: u32, cols: u32) -> Vec<u8> {
    let n = (count * rows * cols) as usize;
    let payload: Vec<u8> = (0..n).map(|k| (k % 256) as u8).collect();
    idx(0x08, &[count, rows, cols], &payload)
}

/// A label file.
pub fn labels(values: &[u8]) -> Vec<u8> {
    idx(0x08, &[values.len() as u32], values)
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}
