//! The playground's 2-D data sets: spiral, moons, circles, XOR and Gaussian
//! blobs, generated from a seed so that the browser and a native test make
//! the same points.

use crate::error::{EngineError, Result};
use backprop_tensor::rng;
use rand::Rng;
use rand::seq::SliceRandom;
use serde::Deserialize;
use std::f64::consts::PI;

/// The most samples a data set may have (the page draws every point).
pub const MAX_SAMPLES: usize = 1_000_000;

/// The most classes a spiral or a set of blobs may have.
pub const MAX_CLASSES: usize = 10;

/// How to make a data set (the JSON `make_dataset` takes; see API.md).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatasetConfig {
    /// `"spiral"`, `"moons"`, `"circles"`, `"xor"` or `"blobs"`.
    pub kind: String,
    /// Total number of samples, train and test.
    pub n: usize,
    /// Number of classes (spiral and blobs; the others have 2).
    pub classes: usize,
    /// Scale of the Gaussian noise.
    pub noise: f64,
    /// The fraction of samples held out as the test set.
    pub test_fraction: f64,
    /// The seed of every draw.
    pub seed: u64,
}

impl Default for DatasetConfig {
    fn default() -> Self {
        Self {
            kind: "spiral".into(),
            n: 600,
            classes: 3,
            noise: 0.1,
            test_fraction: 0.2,
            seed: 1,
        }
    }
}

impl DatasetConfig {
    /// Parses the JSON form; unknown fields are an error.
    pub fn from_json(json: &str) -> Result<Self> {
        serde_json::from_str(json).map_err(|e| EngineError::Json {
            what: "dataset config",
            message: e.to_string(),
        })
    }
}

/// A generated set of 2-D points, split into train and test.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset2d {
    /// Training points, sample-major (`x0, y0, x1, y1, ...`).
    pub train_x: Vec<f32>,
    /// Training labels.
    pub train_y: Vec<u32>,
    /// Test points, sample-major.
    pub test_x: Vec<f32>,
    /// Test labels.
    pub test_y: Vec<u32>,
    /// Number of classes.
    pub classes: usize,
}

impl Dataset2d {
    /// Number of features per sample (always 2).
    pub const FEATURES: usize = 2;
}

/// The data set `config` describes.
///
/// ```
/// use backprop_web::dataset::{DatasetConfig, make_dataset};
/// let d = make_dataset(&DatasetConfig { n: 100, test_fraction: 0.2, ..Default::default() })?;
/// assert_eq!((d.train_y.len(), d.test_y.len(), d.classes), (80, 20, 3));
/// assert_eq!(d, make_dataset(&DatasetConfig { n: 100, test_fraction: 0.2, ..Default::default() })?);
/// # Ok::<(), backprop_web::EngineError>(())
/// ```
pub fn make_dataset(config: &DatasetConfig) -> Result<Dataset2d> {
    let c = config;
    if !(2..=MAX_SAMPLES).contains(&c.n) {
        return Err(EngineError::invalid(
            "n",
            format!("2..={MAX_SAMPLES} samples"),
            c.n,
        ));
    }
    if !(c.noise.is_finite() && c.noise >= 0.0) {
        return Err(EngineError::invalid(
            "noise",
            "a finite number >= 0",
            c.noise,
        ));
    }
    if !(0.0..=0.9).contains(&c.test_fraction) {
        return Err(EngineError::invalid(
            "test_fraction",
            "a number in [0, 0.9]",
            c.test_fraction,
        ));
    }
    let two_class = matches!(c.kind.as_str(), "moons" | "circles" | "xor");
    let classes = if two_class { 2 } else { c.classes };
    if !two_class && !(2..=MAX_CLASSES).contains(&classes) {
        return Err(EngineError::invalid(
            "classes",
            format!("2..={MAX_CLASSES}"),
            classes,
        ));
    }
    let mut r = rng::stream(c.seed, 0);
    let mut points: Vec<([f64; 2], u32)> = Vec::with_capacity(c.n);
    for i in 0..c.n {
        let class = i % classes;
        // Position of the sample within its class, in [0, 1).
        let t = (i / classes) as f64 / c.n.div_ceil(classes) as f64;
        let label = class as u32;
        let point = match c.kind.as_str() {
            "spiral" => (spiral(t, class, classes, c.noise, &mut r), label),
            "moons" => (moons(t, class, c.noise, &mut r), label),
            "circles" => (circles(class, c.noise, &mut r), label),
            "xor" => xor(c.noise, &mut r),
            "blobs" => (blobs(class, classes, c.noise, &mut r), label),
            other => {
                return Err(EngineError::invalid(
                    "kind",
                    "one of spiral, moons, circles, xor, blobs",
                    format!("\"{other}\""),
                ));
            }
        };
        points.push(point);
    }
    points.shuffle(&mut r);
    let n_test = (c.n as f64 * c.test_fraction).round() as usize;
    let (train, test) = points.split_at(c.n - n_test);
    let flat = |s: &[([f64; 2], u32)]| -> (Vec<f32>, Vec<u32>) {
        let x = s.iter().flat_map(|(p, _)| p.map(|v| v as f32)).collect();
        (x, s.iter().map(|&(_, y)| y).collect())
    };
    let (train_x, train_y) = flat(train);
    let (test_x, test_y) = flat(test);
    Ok(Dataset2d {
        train_x,
        train_y,
        test_x,
        test_y,
        classes,
    })
}

/// A standard normal draw (Box–Muller; two uniform draws).
fn gauss(r: &mut impl Rng) -> f64 {
    let u1: f64 = 1.0 - r.random::<f64>(); // (0, 1]
    let u2: f64 = r.random();
    (-2.0 * u1.ln()).sqrt() * (2.0 * PI * u2).cos()
}

/// Arm `class` of a spiral: radius grows with `t`, 1¼ turns per arm.
fn spiral(t: f64, class: usize, classes: usize, noise: f64, r: &mut impl Rng) -> [f64; 2] {
    let radius = t;
    let angle = 2.0 * PI * class as f64 / classes as f64 + 4.0 * t + 2.0 * noise * gauss(r);
    [radius * angle.sin(), radius * angle.cos()]
}

/// Two interleaved half circles (scikit-learn's `make_moons`, centred).
fn moons(t: f64, class: usize, noise: f64, r: &mut impl Rng) -> [f64; 2] {
    let a = PI * t;
    let (x, y) = if class == 0 {
        (a.cos(), a.sin())
    } else {
        (1.0 - a.cos(), 0.5 - a.sin())
    };
    [
        (x - 0.5) * 0.8 + noise * gauss(r),
        (y - 0.25) * 0.8 + noise * gauss(r),
    ]
}

/// Class 0 on a circle of radius 1, class 1 on one of radius 0.5.
fn circles(class: usize, noise: f64, r: &mut impl Rng) -> [f64; 2] {
    let a = 2.0 * PI * r.random::<f64>();
    let radius = if class == 0 { 1.0 } else { 0.5 };
    [
        radius * a.cos() + noise * gauss(r),
        radius * a.sin() + noise * gauss(r),
    ]
}

/// XOR: a uniform point in [-1, 1]² and its class, 1 where the signs of x
/// and y differ (decided before the noise is added).
fn xor(noise: f64, r: &mut impl Rng) -> ([f64; 2], u32) {
    let x = 2.0 * r.random::<f64>() - 1.0;
    let y = 2.0 * r.random::<f64>() - 1.0;
    let class = u32::from((x < 0.0) != (y < 0.0));
    ([x + noise * gauss(r), y + noise * gauss(r)], class)
}

/// A Gaussian blob per class, centred on a circle of radius 0.7.
fn blobs(class: usize, classes: usize, noise: f64, r: &mut impl Rng) -> [f64; 2] {
    let a = 2.0 * PI * class as f64 / classes as f64;
    let spread = 0.1 + noise;
    [
        0.7 * a.cos() + spread * gauss(r),
        0.7 * a.sin() + spread * gauss(r),
    ]
}
