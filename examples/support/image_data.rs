//! Where the image examples' data comes from (`--data`, the four file
//! flags, `$BACKPROP_DATA`, or `data/mnist` found at run time), what it is
//! called, its files' fingerprint for checkpoints, and the validation split.

use crate::data_dir;
use crate::image_cli::Args;
use backprop::data::Dataset;
use backprop::data::mnist::{IdxFiles, IdxRole};
use backprop::train::file_checksum;
use serde_json::{Value, json};
use std::path::PathBuf;

/// The data of a run: its four files, its name, and where it was found.
pub struct Source {
    /// The four IDX files.
    pub files: IdxFiles,
    /// What people call it: `MNIST`, `Fashion-MNIST`, … (see
    /// `IdxFiles::dataset_name`).
    pub name: String,
    /// The directory (or, for files given one by one, the training
    /// images' file) as the output shows it.
    pub shown: PathBuf,
    /// How it was chosen: `--data`, `BACKPROP_DATA`, ….
    pub origin: String,
}

/// The run's data, from the flags or, without them, from
/// `$BACKPROP_DATA`, else `data/mnist` in the working directory, else
/// `data/mnist` beside the executable or in one of its ancestors. Never a
/// path fixed when the example was compiled: a copied binary reads the data
/// where it is run.
pub fn source(args: &Args) -> Result<Source, String> {
    if let (Some(train_images), Some(train_labels), Some(test_images), Some(test_labels)) = (
        &args.train_images,
        &args.train_labels,
        &args.test_images,
        &args.test_labels,
    ) {
        let files = IdxFiles {
            train_images: train_images.clone(),
            train_labels: train_labels.clone(),
            test_images: test_images.clone(),
            test_labels: test_labels.clone(),
        };
        return Ok(Source {
            name: files.dataset_name(),
            shown: train_images.clone(),
            files,
            origin: "--train-images, --train-labels, --test-images, --test-labels".into(),
        });
    }
    let (dir, origin) = match &args.data {
        Some(dir) => (dir.clone(), "--data".to_string()),
        None => data_dir::default_dir()?,
    };
    let files = IdxFiles::find(&dir).map_err(|e| format!("{origin}: {e}"))?;
    Ok(Source {
        name: files.dataset_name(),
        shown: dir,
        files,
        origin,
    })
}

/// The four files' names, sizes and checksums, under MNIST's names for
/// them (what a checkpoint records and a resume compares).
pub fn fingerprint(files: &IdxFiles) -> Result<Value, String> {
    let mut all = serde_json::Map::new();
    for role in IdxRole::ALL {
        let path = files.get(role);
        let (bytes, checksum) =
            file_checksum(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let file = path.file_name().map(|f| f.to_string_lossy().into_owned());
        all.insert(
            role.mnist_name().into(),
            json!({ "file": file, "bytes": bytes, "checksum": checksum }),
        );
    }
    Ok(json!({ "files": all }))
}

/// How the data files now differ from those a checkpoint recorded, one
/// entry per file (none for a checkpoint that recorded none).
pub fn differences(saved: &Value, now: &Value) -> Vec<String> {
    let (Some(saved), Some(now)) = (saved["files"].as_object(), now["files"].as_object()) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for (name, then) in saved {
        let current = now.get(name).unwrap_or(&Value::Null);
        if then == current {
            continue;
        }
        let describe = |v: &Value| match (
            v["file"].as_str(),
            v["bytes"].as_u64(),
            v["checksum"].as_str(),
        ) {
            (Some(file), Some(bytes), Some(sum)) => format!("{file}, {bytes} bytes, {sum}"),
            _ => "none".to_string(),
        };
        found.push(format!(
            "{name}: {} then, {} now",
            describe(then),
            describe(current)
        ));
    }
    found
}

/// Keras's `validation_split`: the last `fraction` of `train` (in file
/// order, before any shuffling) becomes the validation set, the rest is
/// trained on. Both must hold at least one image.
pub fn split_last(train: &Dataset, fraction: f64) -> Result<(Dataset, Dataset), String> {
    let n = train.len();
    // Keras: split_at = int(n * (1 - validation_split)).
    let at = (n as f64 * (1.0 - fraction)).floor() as usize;
    if at == 0 || at >= n {
        return Err(format!(
            "--validation-split {fraction} of {n} training image{} leaves {} to train on and {} to validate on; both need at least 1",
            if n == 1 { "" } else { "s" },
            at.min(n),
            n - at.min(n)
        ));
    }
    let indices: Vec<usize> = (0..n).collect();
    let fit = train.subset(&indices[..at]).map_err(|e| e.to_string())?;
    let val = train.subset(&indices[at..]).map_err(|e| e.to_string())?;
    Ok((fit, val))
}
