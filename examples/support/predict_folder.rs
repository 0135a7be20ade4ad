//! examples/predict `--images DIR`: every image file of a folder classified
//! into one CSV. Compiled into predict with `#[path]`; uses
//! predict_image.rs.
//!
//! - Files are taken in the order of their names (byte order), not
//!   recursing into subfolders. An image file is one whose extension is
//!   one of [`IMAGE_EXTENSIONS`] (any case); anything else is skipped and
//!   counted.
//! - An image file that cannot be read (damaged, truncated, too large) is
//!   reported on stderr as `error: FILE: why`, and the others are still
//!   classified; the run then ends with status 1 so a script notices.
//! - The CSV has one row per image read: `file` (its name), `class` (the
//!   model's class name, else its index), `probability` (of that class),
//!   `p_<class>` for every class, `polarity` (`inverted` or `as-is`) and
//!   `fit` (`none`, `digit` or `resize`).

use crate::predict_image::{Fit, Invert, argmax, class_label, prepare, probabilities};
use backprop::data::read_image;
use backprop::layers::Sequential;
use backprop::tensor::Scalar;
use std::error::Error;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The file extensions read as images (lower case).
pub const IMAGE_EXTENSIONS: [&str; 14] = [
    "bmp", "gif", "jpe", "jpeg", "jpg", "pam", "pbm", "pgm", "png", "pnm", "ppm", "tif", "tiff",
    "webp",
];

/// Whether `path` names an image file by its extension.
fn is_image_name(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// A CSV field, quoted when it holds a comma, a quote or a line break.
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// What `--images` needs besides the model.
pub struct Folder<'a> {
    /// The folder.
    pub dir: &'a Path,
    /// The model's picture size.
    pub size: (usize, usize),
    /// `--invert`.
    pub invert: Invert,
    /// `--fit`.
    pub fit: Fit,
    /// `--out`: the CSV file; `None` writes it to stdout.
    pub out: Option<&'a Path>,
}

/// Classifies every image file of `folder.dir` into one CSV.
pub fn classify_folder<T: Scalar>(
    net: &mut Sequential<T>,
    folder: &Folder<'_>,
    stdout: &mut dyn Write,
) -> Result<(), Box<dyn Error>> {
    let dir = folder.dir;
    let listing = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: cannot list the folder: {e}", dir.display()))?;
    let mut entries: Vec<PathBuf> = Vec::new();
    for entry in listing {
        let entry = entry.map_err(|e| format!("{}: cannot list the folder: {e}", dir.display()))?;
        entries.push(entry.path());
    }
    entries.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    let (images, others): (Vec<PathBuf>, Vec<PathBuf>) = entries
        .into_iter()
        .partition(|p| p.is_file() && is_image_name(p));
    if images.is_empty() {
        return Err(format!(
            "{} holds no image files (by extension: .{}); {} other entr{}",
            dir.display(),
            IMAGE_EXTENSIONS.join(" ."),
            others.len(),
            if others.len() == 1 { "y" } else { "ies" }
        )
        .into());
    }
    let names = net.info().class_names.clone();
    let label = |c: usize| class_label(names.as_deref(), c);
    let mut csv = String::from("file,class,probability");
    for c in 0..net.output_size() {
        csv.push(',');
        csv.push_str(&field(&format!("p_{}", label(c))));
    }
    csv.push_str(",polarity,fit\n");
    let (mut rows, mut inverted, mut failed) = (0usize, 0usize, 0usize);
    for path in &images {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let prepared = read_image(path)
            .map_err(|e| e.to_string())
            .and_then(|picture| {
                prepare(picture, folder.size, folder.invert, folder.fit)
                    .map_err(|e| format!("{}: {e}", path.display()))
            });
        let prepared = match prepared {
            Ok(p) => p,
            Err(e) => {
                eprintln!("error: {e}");
                failed += 1;
                continue;
            }
        };
        let probs = probabilities(net, &prepared.image)?;
        let class = argmax(&probs);
        csv.push_str(&field(&name));
        csv.push(',');
        csv.push_str(&field(&label(class)));
        csv.push_str(&format!(",{:.6}", probs.get(class).copied().unwrap_or(0.0)));
        for p in &probs {
            csv.push_str(&format!(",{p:.6}"));
        }
        csv.push_str(&format!(",{},{}\n", prepared.polarity(), prepared.fit));
        rows += 1;
        inverted += usize::from(prepared.inverted);
    }
    let target = match folder.out {
        Some(out) => {
            backprop::io::write_bytes_atomic(out, csv.as_bytes())?;
            out.display().to_string()
        }
        None => {
            stdout.write_all(csv.as_bytes())?;
            "stdout".to_string()
        }
    };
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let summary = format!(
        "classified {} of {} into {target} ({inverted} inverted); skipped {}",
        plural(rows, "image", "images"),
        dir.display(),
        plural(
            others.len(),
            "entry that is not an image file (by extension)",
            "entries that are not image files (by extension)"
        ),
    );
    // The summary goes where the CSV does not.
    if folder.out.is_some() {
        writeln!(stdout, "{summary}")?;
    } else {
        eprintln!("{summary}");
    }
    if failed > 0 {
        return Err(format!(
            "{} of {} image files in {} could not be read (listed above); the other {rows} are in {target}",
            failed,
            images.len(),
            dir.display()
        )
        .into());
    }
    Ok(())
}
