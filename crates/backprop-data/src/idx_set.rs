//! The four files of an IDX image-classification set (MNIST and the sets
//! shaped like it): found in a directory whatever their naming convention
//! ([`IdxFiles::find`]), or given one by one.
//!
//! A file name is recognised, after an optional `.gz`, as
//! `[PREFIX-]SPLIT-KIND{-,.}IDX-ubyte` where `SPLIT` is `train` for the
//! training set and `t10k` or `test` for the test set, `KIND` is `images`
//! (`idx3`) or `labels` (`idx1`), and `PREFIX-` is anything ending in a
//! hyphen (`emnist-letters-`). So `train-images-idx3-ubyte.gz` (MNIST,
//! Fashion-MNIST), `train-images.idx3-ubyte` (a common re-packing) and
//! `emnist-letters-train-images-idx3-ubyte.gz` (EMNIST) are all found; the
//! four files of a set share their prefix.

use crate::{DataError, Result};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Which of the four files of an IDX set a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IdxRole {
    /// The training images (IDX3: count × rows × columns, `u8`).
    TrainImages,
    /// The training labels (IDX1: count, `u8`).
    TrainLabels,
    /// The test images.
    TestImages,
    /// The test labels.
    TestLabels,
}

impl IdxRole {
    /// The four roles, in the order MNIST lists its files.
    pub const ALL: [IdxRole; 4] = [
        IdxRole::TrainImages,
        IdxRole::TrainLabels,
        IdxRole::TestImages,
        IdxRole::TestLabels,
    ];

    /// The role in words: `"training images"`, `"test labels"`, ….
    pub fn describe(self) -> &'static str {
        match self {
            IdxRole::TrainImages => "training images",
            IdxRole::TrainLabels => "training labels",
            IdxRole::TestImages => "test images",
            IdxRole::TestLabels => "test labels",
        }
    }

    /// MNIST's name for the file, without `.gz`: `train-images-idx3-ubyte`,
    /// `t10k-labels-idx1-ubyte`, ….
    pub fn mnist_name(self) -> &'static str {
        match self {
            IdxRole::TrainImages => crate::mnist::TRAIN_IMAGES,
            IdxRole::TrainLabels => crate::mnist::TRAIN_LABELS,
            IdxRole::TestImages => crate::mnist::TEST_IMAGES,
            IdxRole::TestLabels => crate::mnist::TEST_LABELS,
        }
    }

    /// The names this role's file may have after its prefix and before an
    /// optional `.gz`, the preferred first.
    ///
    /// ```
    /// use backprop_data::mnist::IdxRole;
    /// assert_eq!(
    ///     IdxRole::TestLabels.names(),
    ///     ["t10k-labels-idx1-ubyte", "t10k-labels.idx1-ubyte", "test-labels-idx1-ubyte", "test-labels.idx1-ubyte"]
    /// );
    /// ```
    pub fn names(self) -> Vec<String> {
        let splits: &[&str] = match self {
            IdxRole::TrainImages | IdxRole::TrainLabels => &["train"],
            IdxRole::TestImages | IdxRole::TestLabels => &["t10k", "test"],
        };
        let (kind, idx) = match self {
            IdxRole::TrainImages | IdxRole::TestImages => ("images", "idx3"),
            IdxRole::TrainLabels | IdxRole::TestLabels => ("labels", "idx1"),
        };
        splits
            .iter()
            .flat_map(|split| ['-', '.'].map(|sep| format!("{split}-{kind}{sep}{idx}-ubyte")))
            .collect()
    }
}

impl fmt::Display for IdxRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// A file name read as a file of an IDX set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Recognised {
    /// What comes before the set's own name, with its hyphen (`""`,
    /// `"emnist-letters-"`).
    pub(crate) prefix: String,
    role: IdxRole,
    /// Lower is preferred: the name's place in [`IdxRole::names`], raw
    /// before `.gz`.
    rank: usize,
}

/// `name` as a file of an IDX set, if it is named like one.
pub(crate) fn recognise(name: &str) -> Option<Recognised> {
    let (base, gz) = match name.strip_suffix(".gz") {
        Some(base) => (base, 1),
        None => (name, 0),
    };
    IdxRole::ALL.into_iter().find_map(|role| {
        role.names().iter().enumerate().find_map(|(i, pattern)| {
            let prefix = base.strip_suffix(pattern.as_str())?;
            (prefix.is_empty() || prefix.ends_with('-')).then(|| Recognised {
                prefix: prefix.to_string(),
                role,
                rank: 2 * i + gz,
            })
        })
    })
}

/// The four files of an IDX image-classification set.
///
/// ```no_run
/// use backprop_data::mnist::{IdxFiles, Mnist};
/// use backprop_data::idx::IdxLimits;
/// let files = IdxFiles::find("data/fashion-mnist")?;
/// assert_eq!(files.dataset_name(), "Fashion-MNIST");
/// let sets = Mnist::load_files(&files, &IdxLimits::default())?;
/// # Ok::<(), backprop_data::DataError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxFiles {
    /// The training images.
    pub train_images: PathBuf,
    /// The training labels.
    pub train_labels: PathBuf,
    /// The test images.
    pub test_images: PathBuf,
    /// The test labels.
    pub test_labels: PathBuf,
}

impl IdxFiles {
    /// The set in `dir`, found by its files' names: the one set whose four
    /// files are all there.
    ///
    /// A file name is read, after an optional `.gz`, as
    /// `[PREFIX-]SPLIT-KIND{-,.}IDX-ubyte`: `SPLIT` is `train` for the
    /// training set and `t10k` or `test` for the test set, `KIND` is
    /// `images` (`idx3`) or `labels` (`idx1`), and `PREFIX-` is anything
    /// ending in a hyphen. So `train-images-idx3-ubyte.gz` (MNIST,
    /// Fashion-MNIST), `train-images.idx3-ubyte` and
    /// `emnist-letters-train-images-idx3-ubyte.gz` (EMNIST) are all found.
    /// The four files of a set share their prefix; of two names for one
    /// file the uncompressed one is taken before its `.gz`, and the order of
    /// [`IdxRole::names`] decides between the others.
    ///
    /// Fails with [`DataError::MissingDataDir`] when `dir` is not a
    /// directory, and [`IdxSetError`] when it holds no complete set (naming
    /// what is missing, the names looked for and what the directory holds)
    /// or more than one (EMNIST's six splits side by side: name the files
    /// one by one instead).
    pub fn find(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref();
        if !dir.is_dir() {
            return Err(DataError::MissingDataDir {
                dir: dir.to_path_buf(),
            });
        }
        let holds = list_dir(dir)?;
        let mut sets: BTreeMap<String, [Option<(usize, String)>; 4]> = BTreeMap::new();
        for name in &holds {
            let Some(r) = recognise(name) else { continue };
            if !dir.join(name).is_file() {
                continue;
            }
            let slot = &mut sets.entry(r.prefix).or_default()[r.role as usize];
            if slot.as_ref().is_none_or(|(rank, _)| r.rank < *rank) {
                *slot = Some((r.rank, name.clone()));
            }
        }
        let complete: Vec<&String> = sets
            .iter()
            .filter(|(_, files)| files.iter().all(Option::is_some))
            .map(|(prefix, _)| prefix)
            .collect();
        match complete.as_slice() {
            [prefix] => {
                let files = &sets[*prefix];
                let path = |role: IdxRole| {
                    let name = files[role as usize]
                        .as_ref()
                        .map_or("", |(_, n)| n.as_str());
                    dir.join(name)
                };
                Ok(Self {
                    train_images: path(IdxRole::TrainImages),
                    train_labels: path(IdxRole::TrainLabels),
                    test_images: path(IdxRole::TestImages),
                    test_labels: path(IdxRole::TestLabels),
                })
            }
            [] => {
                // The most nearly complete set says what is missing.
                let best = sets
                    .iter()
                    .max_by_key(|(prefix, files)| {
                        (files.iter().flatten().count(), std::cmp::Reverse(*prefix))
                    })
                    .map(|(prefix, files)| (prefix.clone(), files.clone()));
                let (prefix, files) = best.unwrap_or_default();
                Err(IdxSetError::Missing {
                    dir: dir.to_path_buf(),
                    prefix,
                    missing: IdxRole::ALL
                        .into_iter()
                        .filter(|r| files[*r as usize].is_none())
                        .collect(),
                    found: files.into_iter().flatten().map(|(_, n)| n).collect(),
                    holds,
                }
                .into())
            }
            _ => Err(IdxSetError::Ambiguous {
                dir: dir.to_path_buf(),
                prefixes: complete.into_iter().cloned().collect(),
            }
            .into()),
        }
    }

    /// The file of `role`.
    pub fn get(&self, role: IdxRole) -> &Path {
        match role {
            IdxRole::TrainImages => &self.train_images,
            IdxRole::TrainLabels => &self.train_labels,
            IdxRole::TestImages => &self.test_images,
            IdxRole::TestLabels => &self.test_labels,
        }
    }
}

/// The names in `dir`, sorted (a directory's with a trailing `/`).
fn list_dir(dir: &Path) -> Result<Vec<String>> {
    let io = |source| DataError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let mut name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().is_dir() {
            name.push('/');
        }
        names.push(name);
    }
    names.sort();
    Ok(names)
}

/// Why a directory is not one IDX set. [`IdxFiles::find`] returns it as
/// [`DataError::IdxSet`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum IdxSetError {
    /// No set has all four files.
    #[error("{}", missing_message(.dir, .prefix, .missing, .found, .holds))]
    Missing {
        /// The directory searched.
        dir: PathBuf,
        /// The prefix of the most nearly complete set found (`""` for none,
        /// or MNIST's own names).
        prefix: String,
        /// The files that set lacks (all four when there is no set).
        missing: Vec<IdxRole>,
        /// The files of that set that were found.
        found: Vec<String>,
        /// Everything the directory holds, sorted.
        holds: Vec<String>,
    },
    /// More than one set has all four files.
    #[error(
        "{}: {} IDX sets are here ({}): give the four files of one explicitly, or keep each set in a directory of its own",
        .dir.display(),
        .prefixes.len(),
        .prefixes.iter().map(|p| if p.is_empty() { "train-images…".to_string() } else { format!("{p}train-images…") }).collect::<Vec<_>>().join(", ")
    )]
    Ambiguous {
        /// The directory searched.
        dir: PathBuf,
        /// Each complete set's prefix.
        prefixes: Vec<String>,
    },
}

/// At most this many of a directory's names are listed in an error.
const LISTED: usize = 12;

fn missing_message(
    dir: &Path,
    prefix: &str,
    missing: &[IdxRole],
    found: &[String],
    holds: &[String],
) -> String {
    let what = if found.is_empty() {
        "no IDX image set".to_string()
    } else {
        let roles: Vec<&str> = missing.iter().map(|r| r.describe()).collect();
        format!(
            "no file of the {} beside {}",
            roles.join(", the "),
            found.join(", ")
        )
    };
    let looked: Vec<String> = missing
        .iter()
        .map(|r| {
            let names: Vec<String> = r.names().iter().map(|n| format!("{prefix}{n}")).collect();
            names.join(" or ")
        })
        .collect();
    let anywhere = if prefix.is_empty() {
        ", also after a prefix such as emnist-letters-"
    } else {
        ""
    };
    let contents = match holds.len() {
        0 => "the directory is empty".to_string(),
        n if n <= LISTED => format!("the directory holds {}", holds.join(", ")),
        n => format!(
            "the directory holds {}, … ({} more)",
            holds[..LISTED].join(", "),
            n - LISTED
        ),
    };
    format!(
        "{}: {what}: looked for {} (each also with .gz{anywhere}); {contents}",
        dir.display(),
        looked.join("; ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_recognised_with_their_prefix_role_and_preference() {
        let r = |name: &str| recognise(name).map(|r| (r.prefix, r.role, r.rank));
        assert_eq!(
            r("train-images-idx3-ubyte"),
            Some((String::new(), IdxRole::TrainImages, 0))
        );
        assert_eq!(
            r("train-images-idx3-ubyte.gz"),
            Some((String::new(), IdxRole::TrainImages, 1))
        );
        assert_eq!(
            r("train-images.idx3-ubyte"),
            Some((String::new(), IdxRole::TrainImages, 2))
        );
        assert_eq!(
            r("t10k-labels-idx1-ubyte"),
            Some((String::new(), IdxRole::TestLabels, 0))
        );
        assert_eq!(
            r("test-labels.idx1-ubyte.gz"),
            Some((String::new(), IdxRole::TestLabels, 7))
        );
        assert_eq!(
            r("emnist-letters-train-labels-idx1-ubyte.gz"),
            Some(("emnist-letters-".into(), IdxRole::TrainLabels, 1))
        );
        // A prefix must end in a hyphen; labels are IDX1, images IDX3.
        assert_eq!(r("mytrain-images-idx3-ubyte"), None);
        assert_eq!(r("train-images-idx1-ubyte"), None);
        assert_eq!(r("train-labels-idx3-ubyte"), None);
        assert_eq!(r("train-images-idx3-ubyte.zip"), None);
        assert_eq!(r("README.md"), None);
    }
}
