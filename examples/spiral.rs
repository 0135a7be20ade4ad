//! The three-arm spiral of Stanford's CS231n notes: points of each class lie
//! on one arm, so no straight line separates them. A 2-64-64-3 ReLU network
//! learns the arms; the picture shows the class it predicts at every point
//! of the plane (the decision regions) under the training points.
//!
//! ```sh
//! cargo run --release --example spiral
//! cargo run --release --example spiral -- --classes 5 --noise 0.1 --epochs 500 --out runs/spiral/five.png
//! ```
//!
//! The data are synthetic and seeded: for class `j` and point `i` of `n`,
//! radius `r = i/(n−1)` and angle `t = 4j + 4i/(n−1) + noise·z` with
//! `z ~ N(0, 1)` (CS231n's noise is 0.2, the default), at
//! `(r·sin t, r·cos t)`. Softmax cross-entropy, Adam, He initialisation.

#[allow(dead_code)] // Only main uses it, and the test that includes this file has its own.
#[path = "support/exit.rs"]
mod exit;

use backprop::data::{Dataset, Features};
use backprop::layers::{Mode, Sequential};
use backprop::losses::SoftmaxCrossEntropy;
use backprop::optim::Adam;
use backprop::tensor::{DMatrix, rng};
use backprop::train::{History, ProgressMode, Trainer};
use clap::Parser;
use plotters::prelude::*;
use rand::Rng;
use std::error::Error;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The command line.
#[derive(Parser, Debug, Clone)]
#[command(about = "Learn CS231n's spiral and draw the decision regions")]
pub struct Args {
    /// Points per class.
    #[arg(long, default_value_t = 100)]
    pub points: usize,
    /// Number of classes (arms).
    #[arg(long, default_value_t = 3)]
    pub classes: usize,
    /// Standard deviation of the angle noise, in radians.
    #[arg(long, default_value_t = 0.2)]
    pub noise: f64,
    /// Width of each of the two hidden layers.
    #[arg(long, default_value_t = 64)]
    pub hidden: usize,
    /// Number of epochs.
    #[arg(long, default_value_t = 300)]
    pub epochs: usize,
    /// Mini-batch size.
    #[arg(long, default_value_t = 32)]
    pub batch: usize,
    /// Adam's learning rate.
    #[arg(long, default_value_t = 1e-2)]
    pub lr: f64,
    /// Seed for the data, initialisation and shuffling.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// The PNG to write.
    #[arg(long, default_value = "runs/spiral/spiral.png")]
    pub out: PathBuf,
    /// Width and height of the picture in pixels (MIN_SIZE to MAX_SIZE).
    #[arg(long, default_value_t = 600)]
    pub size: u32,
}

/// The smallest picture drawn: its margins, caption and axis labels take
/// about 70 pixels of each side.
pub const MIN_SIZE: u32 = 100;
/// The largest picture drawn (4096 × 4096, 48 MiB of pixels).
pub const MAX_SIZE: u32 = 4096;

/// Checks `--size` and `--out` before any training: the size within
/// [`MIN_SIZE`]`..=`[`MAX_SIZE`], a `.png` file name that is not a
/// directory, in a directory that exists (or is created now) and can be
/// written.
pub fn check_output(path: &Path, size: u32) -> Result<(), Box<dyn Error>> {
    if !(MIN_SIZE..=MAX_SIZE).contains(&size) {
        return Err(format!(
            "--size {size}: expected a picture of {MIN_SIZE} to {MAX_SIZE} pixels a side"
        )
        .into());
    }
    let shown = path.display();
    if path.is_dir() {
        return Err(format!("--out {shown}: is a directory; expected a .png file name").into());
    }
    if !path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("png"))
    {
        return Err(format!("--out {shown}: expected a file name ending in .png").into());
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if let Some(file) = dir.ancestors().find(|a| a.exists() && !a.is_dir()) {
        return Err(format!(
            "--out {shown}: {} is a file, not a directory",
            file.display()
        )
        .into());
    }
    std::fs::create_dir_all(dir).map_err(|e| {
        format!(
            "--out {shown}: cannot create the directory {}: {e}",
            dir.display()
        )
    })?;
    // Write a probe file next to it, so that a read-only directory is found
    // now and not after training.
    let probe = dir.join(format!(".spiral-probe-{}", std::process::id()));
    std::fs::write(&probe, b"")
        .map_err(|e| format!("--out {shown}: cannot write in {}: {e}", dir.display()))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// A standard normal draw (Box–Muller).
fn normal(r: &mut impl Rng) -> f64 {
    let u1: f64 = r.random_range(f64::EPSILON..1.0);
    let u2: f64 = r.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// `points` points on each of `classes` spiral arms (see the module docs),
/// class after class; deterministic in `seed`.
pub fn spiral(
    points: usize,
    classes: usize,
    noise: f64,
    seed: u64,
) -> Result<Dataset, Box<dyn Error>> {
    if points < 2 || classes < 2 {
        return Err(format!(
            "need at least 2 points per class and 2 classes, found {points} and {classes}"
        )
        .into());
    }
    if !(noise.is_finite() && noise >= 0.0) {
        return Err(format!("--noise must be a non-negative number, found {noise}").into());
    }
    let mut r = rng::seeded(seed);
    let mut xs = Vec::with_capacity(2 * points * classes);
    let mut labels = Vec::with_capacity(points * classes);
    for j in 0..classes {
        for i in 0..points {
            let s = i as f64 / (points - 1) as f64;
            let t = 4.0 * j as f64 + 4.0 * s + noise * normal(&mut r);
            xs.push((s * t.sin()) as f32);
            xs.push((s * t.cos()) as f32);
            labels.push(j);
        }
    }
    Ok(Dataset::from_f32(xs, 2, labels, classes)?)
}

/// The 2-H-H-K ReLU network.
pub fn network(
    hidden: usize,
    classes: usize,
    seed: u64,
) -> Result<Sequential<f32>, Box<dyn Error>> {
    Ok(Sequential::<f32>::builder(2)
        .seed(seed)
        .dense(hidden)
        .relu()
        .dense(hidden)
        .relu()
        .dense(classes)
        .build()?)
}

/// A trained network and how it did.
pub struct Trained {
    /// The network.
    pub net: Sequential<f32>,
    /// The training data.
    pub data: Dataset,
    /// Accuracy on the training data, in evaluation mode.
    pub accuracy: f64,
    /// Per-epoch history.
    pub history: History,
}

/// Generates the spiral and trains the network on it.
pub fn train(args: &Args, progress: ProgressMode) -> Result<Trained, Box<dyn Error>> {
    let data = spiral(args.points, args.classes, args.noise, args.seed)?;
    let mut net = network(args.hidden, args.classes, args.seed)?;
    let mut trainer = Trainer::new(SoftmaxCrossEntropy, Adam::new(), args.lr)
        .epochs(args.epochs)
        .batch_size(args.batch)
        .seed(args.seed)
        .progress(progress);
    let history = trainer.fit(&mut net, &data)?;
    let accuracy = trainer
        .evaluate(&mut net, &data)?
        .accuracy
        .ok_or("no accuracy for a classification task")?;
    Ok(Trained {
        net,
        data,
        accuracy,
        history,
    })
}

/// The class the network predicts at each point, given as a 2 × n matrix.
pub fn predict_points(
    net: &mut Sequential<f32>,
    xy: &DMatrix<f32>,
) -> Result<Vec<usize>, Box<dyn Error>> {
    let logits = net.forward(xy, Mode::Eval)?;
    Ok(logits.column_iter().map(|c| c.argmax().0).collect())
}

/// Region (light) and point (strong) colours of class `c`.
fn colours(c: usize) -> (RGBColor, RGBColor) {
    const STRONG: [(u8, u8, u8); 6] = [
        (31, 119, 180),
        (214, 39, 40),
        (44, 160, 44),
        (148, 103, 189),
        (255, 127, 14),
        (23, 190, 207),
    ];
    let (r, g, b) = STRONG[c % STRONG.len()];
    let light = |v: u8| (255.0 - 0.28 * (255.0 - f64::from(v))) as u8;
    (RGBColor(light(r), light(g), light(b)), RGBColor(r, g, b))
}

/// Draws the decision regions of `net` over [−1.1, 1.1]² and the points of
/// `data` to a `size` × `size` PNG at `path`.
pub fn draw(
    net: &mut Sequential<f32>,
    data: &Dataset,
    path: &Path,
    size: u32,
    title: &str,
) -> Result<(), Box<dyn Error>> {
    const LIM: f64 = 1.1;
    const GRID: usize = 200;
    let Features::F32(xs) = data.features() else {
        return Err("expected f32 features".into());
    };
    // The class at the centre of every grid cell, in one forward pass.
    let cell = 2.0 * LIM / GRID as f64;
    let centre = |k: usize| -LIM + (k as f64 + 0.5) * cell;
    let grid = DMatrix::from_fn(2, GRID * GRID, |row, col| {
        let (i, j) = (col % GRID, col / GRID);
        (if row == 0 { centre(i) } else { centre(j) }) as f32
    });
    let regions = predict_points(net, &grid)?;

    check_output(path, size)?;
    render(path, size, title, &regions, xs, data.labels())
        .map_err(|e| format!("{}: cannot draw the picture: {e}", path.display()).into())
}

/// Draws the picture with plotters; its errors are turned into one line
/// naming the file by [`draw`].
fn render(
    path: &Path,
    size: u32,
    title: &str,
    regions: &[usize],
    xs: &[f32],
    labels: &[usize],
) -> Result<(), Box<dyn Error>> {
    const LIM: f64 = 1.1;
    const GRID: usize = 200;
    let cell = 2.0 * LIM / GRID as f64;
    let root = BitMapBackend::new(path, (size, size)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 17))
        .margin(12)
        // About as much again on the right as the caption takes at the
        // top, so the plotting area is close to square.
        .margin_right(32)
        .x_label_area_size(28)
        .y_label_area_size(36)
        .build_cartesian_2d(-LIM..LIM, -LIM..LIM)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(5)
        .y_labels(5)
        .draw()?;
    chart.draw_series(regions.iter().enumerate().map(|(col, &c)| {
        let (x, y) = (
            -LIM + (col % GRID) as f64 * cell,
            -LIM + (col / GRID) as f64 * cell,
        );
        Rectangle::new([(x, y), (x + cell, y + cell)], colours(c).0.filled())
    }))?;
    chart.draw_series(xs.chunks_exact(2).zip(labels).map(|(p, &c)| {
        Circle::new((f64::from(p[0]), f64::from(p[1])), 3, colours(c).1.filled())
    }))?;
    chart.draw_series(xs.chunks_exact(2).map(|p| {
        Circle::new(
            (f64::from(p[0]), f64::from(p[1])),
            3,
            BLACK.mix(0.6).stroke_width(1),
        )
    }))?;
    root.present()?;
    Ok(())
}

/// Trains, prints the accuracy and writes the picture. A failed write to
/// stdout is an error (an `io::Error`).
pub fn run(args: &Args) -> Result<f64, Box<dyn Error>> {
    check_output(&args.out, args.size)?;
    let mut out = io::stdout();
    writeln!(
        out,
        "spiral: {} classes × {} points, noise {}; network 2-{h}-{h}-{}, ReLU, softmax cross-entropy, Adam {}, batch {}, {} epochs, seed {}",
        args.classes,
        args.points,
        args.noise,
        args.classes,
        args.lr,
        args.batch,
        args.epochs,
        args.seed,
        h = args.hidden
    )?;
    let mut t = train(args, ProgressMode::Silent)?;
    let last = t
        .history
        .epochs
        .last()
        .map(|r| r.train_loss)
        .unwrap_or(f64::NAN);
    let seconds: f64 = t.history.epochs.iter().map(|r| r.seconds).sum();
    writeln!(
        out,
        "training accuracy {:.4} (final training loss {last:.4}, {seconds:.2}s of training)",
        t.accuracy
    )?;
    let title = format!(
        "{}-class spiral, 2-{h}-{h}-{} ReLU: training accuracy {:.1}%",
        args.classes,
        args.classes,
        100.0 * t.accuracy,
        h = args.hidden
    );
    draw(&mut t.net, &t.data, &args.out, args.size, &title)?;
    writeln!(out, "wrote {}", args.out.display())?;
    Ok(t.accuracy)
}

#[allow(dead_code)] // Also compiled into tests/spiral_example.rs, which has its own main.
fn main() -> ExitCode {
    let args = Args::parse();
    exit::exit_code(run(&args))
}
