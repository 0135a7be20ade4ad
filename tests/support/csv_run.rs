//! Running the built examples/csv binary from the tests, and the small
//! deterministic tables they feed it (`#[path]`-included next to
//! `support/examples.rs`, as `mod examples`).
#![allow(dead_code)]

use super::examples::{example, temp_dir};
use std::path::{Path, PathBuf};
use std::process::Command;

/// What one run of the binary printed, and how it ended.
pub struct Run {
    /// The exit status code.
    pub code: Option<i32>,
    /// Its stdout.
    pub stdout: String,
    /// Its stderr.
    pub stderr: String,
}

/// Runs examples/csv with `args`.
pub fn csv(args: &[&str]) -> Run {
    let out = Command::new(example("csv"))
        .args(args)
        .output()
        .expect("the csv example starts");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs examples/csv with `args` (plus `--quiet` when training) and
/// expects success; returns its stdout.
pub fn ok(args: &[&str]) -> String {
    let mut argv = args.to_vec();
    if !argv.contains(&"--predict") {
        argv.push("--quiet");
    }
    let r = csv(&argv);
    assert_eq!(
        r.code,
        Some(0),
        "csv {argv:?} failed:\n{}{}",
        r.stdout,
        r.stderr
    );
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    r.stdout
}

/// Runs examples/csv with `args` and expects status 1 and one line
/// `error: …` on stderr; returns that line without `error: `.
pub fn fails(args: &[&str]) -> String {
    let mut argv = args.to_vec();
    argv.push("--quiet");
    let r = csv(&argv);
    assert_eq!(r.code, Some(1), "csv {argv:?}:\n{}{}", r.stdout, r.stderr);
    let line = r.stderr.trim_end();
    assert!(!line.contains('\n'), "one line: {line}");
    line.strip_prefix("error: ")
        .unwrap_or_else(|| panic!("expected `error: …`, found {line:?}"))
        .to_string()
}

/// The JSON object on the last line of a `--json` run's stdout.
pub fn json(stdout: &str) -> serde_json::Value {
    let last = stdout.lines().last().expect("some output");
    serde_json::from_str(last).unwrap_or_else(|e| panic!("{e}: {last}"))
}

/// A shipped sample table.
pub fn sample(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/data")
        .join(name)
        .display()
        .to_string()
}

/// A fresh directory for one test, removed on drop.
pub struct Dir(pub PathBuf);

impl Dir {
    /// A new empty directory tagged `tag`.
    pub fn new(tag: &str) -> Self {
        Self(temp_dir("csv-example", tag))
    }
    /// Writes `text` to `name` in the directory; returns its path.
    pub fn file(&self, name: &str, text: &str) -> String {
        let p = self.0.join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    }
    /// The path of `name` in the directory.
    pub fn path(&self, name: &str) -> String {
        self.0.join(name).display().to_string()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A deterministic value in [0, 1) for `i`.
fn unit(i: usize) -> f64 {
    (i as f64 * 0.618_034).fract()
}

/// Three classes labelled 3, 5 and 9 (not 0..3), the label in the first
/// column: points on three rays.
pub fn three_class_csv(rows: usize, offset: usize) -> String {
    let mut s = String::from("species,length,width\n");
    for i in 0..rows {
        let c = i % 3;
        let t = unit(i + offset);
        let angle = std::f64::consts::TAU * c as f64 / 3.0 + 0.3 * (t - 0.5);
        let r = 1.0 + 2.0 * t;
        let label = [3, 5, 9][c];
        s += &format!(
            "{label},{:.4},{:.4}\n",
            10.0 + r * angle.cos(),
            -4.0 + r * angle.sin()
        );
    }
    s
}

/// The species of the flowers of [`flowers`], in sorted order.
pub const SPECIES: [&str; 3] = ["setosa", "versicolor", "virginica"];

/// `rows` flowers shaped like the iris table (made up, well separated):
/// `id,sepal_length,sepal_width,petal_length,petal_width,species`.
pub fn flowers(rows: usize, offset: usize) -> String {
    let mut s = String::from("id,sepal_length,sepal_width,petal_length,petal_width,species\n");
    for i in 0..rows {
        s += &flower_row(i, offset, true);
    }
    s
}

/// The class of row `i` of [`flowers`]: species in a scrambled order, so
/// that a split takes some of each.
pub fn flower_class(i: usize) -> usize {
    (i * 7 + i / 3) % 3
}

/// One row of [`flowers`] (with or without the species).
pub fn flower_row(i: usize, offset: usize, species: bool) -> String {
    let c = flower_class(i);
    let t = unit(i + offset) - 0.5;
    let u = unit(3 * (i + offset) + 1) - 0.5;
    let means = [
        [5.0, 3.4, 1.5, 0.25],
        [5.9, 2.8, 4.3, 1.3],
        [6.6, 3.0, 5.6, 2.1],
    ][c];
    let mut row = format!(
        "{},{:.1},{:.1},{:.1},{:.2}",
        1000 + i + offset,
        means[0] + 0.6 * t,
        means[1] + 0.4 * u,
        means[2] + 0.5 * u,
        means[3] + 0.2 * t
    );
    if species {
        row += ",";
        row += SPECIES[c];
    }
    row + "\n"
}

/// The rows of a predictions CSV: its header cells, then each row's cells.
pub fn rows(csv_text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut lines = csv_text.lines();
    let split = |l: &str| l.split(',').map(str::to_string).collect::<Vec<_>>();
    let header = split(lines.next().expect("a header"));
    (header, lines.map(split).collect())
}

/// 40 rows `a,b,y` of two separable classes, with `holes` (line, column,
/// marker) made missing.
pub fn holey_table(holes: &[(usize, usize, &str)]) -> String {
    let mut s = String::from("a,b,y\n");
    for i in 0..40 {
        let line = i + 2;
        let y = i % 2;
        let mut cells = [
            format!("{:.2}", (i % 7) as f64 * 0.5 + 3.0 * y as f64),
            format!("{:.2}", (i % 5) as f64 * 0.25 - y as f64),
            y.to_string(),
        ];
        for &(l, c, m) in holes {
            if l == line {
                cells[c - 1] = m.to_string();
            }
        }
        s += &cells.join(",");
        s += "\n";
    }
    s
}
