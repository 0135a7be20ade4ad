//! What an IDX set is called ([`IdxFiles::dataset_name`]) and, for the
//! sets everyone knows, what its classes are ([`class_names`]).

use crate::idx_set::{IdxFiles, recognise};
use std::path::Path;

impl IdxFiles {
    /// The dataset's name for people, from the files' prefix or, without
    /// one, their directory (its parent for a `raw` or `gzip` directory,
    /// as torchvision and EMNIST lay them out): `"MNIST"`,
    /// `"Fashion-MNIST"`, `"KMNIST"`, `"EMNIST letters"`; any other
    /// directory by its own name.
    ///
    /// ```
    /// use backprop_data::mnist::IdxFiles;
    /// let files = |dir: &str, prefix: &str| IdxFiles {
    ///     train_images: format!("{dir}/{prefix}train-images-idx3-ubyte.gz").into(),
    ///     train_labels: format!("{dir}/{prefix}train-labels-idx1-ubyte.gz").into(),
    ///     test_images: format!("{dir}/{prefix}test-images-idx3-ubyte.gz").into(),
    ///     test_labels: format!("{dir}/{prefix}test-labels-idx1-ubyte.gz").into(),
    /// };
    /// assert_eq!(files("data/mnist", "").dataset_name(), "MNIST");
    /// assert_eq!(files("data/FashionMNIST/raw", "").dataset_name(), "Fashion-MNIST");
    /// assert_eq!(files("emnist/gzip", "emnist-letters-").dataset_name(), "EMNIST letters");
    /// assert_eq!(files("/home/me/sketches", "").dataset_name(), "sketches");
    /// ```
    pub fn dataset_name(&self) -> String {
        let file = self
            .train_images
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        if let Some(r) = recognise(&file)
            && !r.prefix.is_empty()
        {
            let words: Vec<&str> = r.prefix.split('-').filter(|w| !w.is_empty()).collect();
            if let Some((first, rest)) = words.split_first()
                && !rest.is_empty()
                && let Some(known) = known_name(first)
            {
                return format!("{known} {}", rest.join(" "));
            }
            let joined = words.join("-");
            return known_name(&joined).map_or(joined, str::to_string);
        }
        let dir = directory_name(&self.train_images);
        known_name(&dir).map_or(dir, str::to_string)
    }
}

/// The name of the directory holding `file`, skipping a `raw` or `gzip`
/// level; `"IDX set"` when there is none to read.
fn directory_name(file: &Path) -> String {
    let parent = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let parent = std::fs::canonicalize(parent).unwrap_or_else(|_| parent.to_path_buf());
    let mut names = parent
        .iter()
        .rev()
        .map(|c| c.to_string_lossy().into_owned());
    let mut name = names.next();
    if name
        .as_deref()
        .is_some_and(|n| ["raw", "gzip", "gz"].contains(&n.to_lowercase().as_str()))
    {
        name = names.next();
    }
    match name {
        Some(n) if !n.is_empty() && n != "/" && n != "." => n,
        _ => "IDX set".into(),
    }
}

/// The usual spelling of a dataset known by `name` in any case, with or
/// without hyphens and underscores.
fn known_name(name: &str) -> Option<&'static str> {
    let key: String = name
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    Some(match key.as_str() {
        "mnist" => "MNIST",
        "fashionmnist" | "fashion" => "Fashion-MNIST",
        "kmnist" | "kuzushijimnist" => "KMNIST",
        "emnist" => "EMNIST",
        "emnistletters" => "EMNIST letters",
        "emnistdigits" => "EMNIST digits",
        "emnistbalanced" => "EMNIST balanced",
        _ => return None,
    })
}

/// The class names of a known dataset with `n_classes` classes: MNIST's
/// and EMNIST digits' digits, Fashion-MNIST's garments, KMNIST's
/// hiragana (romanised), EMNIST letters' `A`–`Z` (labels 1–26; class 0
/// has no samples and is named `"none"`). `None` for any other.
///
/// ```
/// use backprop_data::mnist::class_names;
/// assert_eq!(class_names("Fashion-MNIST", 10).unwrap()[9], "Ankle boot");
/// assert_eq!(class_names("EMNIST letters", 27).unwrap()[1], "A");
/// assert_eq!(class_names("MNIST", 12), None);
/// ```
pub fn class_names(dataset: &str, n_classes: usize) -> Option<Vec<String>> {
    let names: Vec<String> = match (dataset, n_classes) {
        ("MNIST" | "EMNIST digits", 10) => (0..10).map(|d| d.to_string()).collect(),
        ("Fashion-MNIST", 10) => [
            "T-shirt/top",
            "Trouser",
            "Pullover",
            "Dress",
            "Coat",
            "Sandal",
            "Shirt",
            "Sneaker",
            "Bag",
            "Ankle boot",
        ]
        .map(String::from)
        .to_vec(),
        ("KMNIST", 10) => ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]
            .map(String::from)
            .to_vec(),
        ("EMNIST letters", 27) => std::iter::once("none".to_string())
            .chain(('A'..='Z').map(String::from))
            .collect(),
        _ => return None,
    };
    Some(names)
}
