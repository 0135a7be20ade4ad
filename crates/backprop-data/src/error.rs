//! The crate's error type: every failure names what was expected and what was
//! found, and, for files, the path (and for CSV the line and column).

use std::io;
use std::path::PathBuf;
use thiserror::Error;

pub use crate::csv_column::CsvColumn;

/// Everything that can go wrong while loading, validating or batching data.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum DataError {
    // ----- files -----
    /// A file does not exist.
    #[error("{}: file not found", .path.display())]
    FileNotFound {
        /// The path that was tried.
        path: PathBuf,
    },
    /// Reading a file failed.
    #[error("{}: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// A gzip-compressed file could not be decompressed.
    #[error("{}: invalid gzip data: {source}", .path.display())]
    Gzip {
        /// The file.
        path: PathBuf,
        /// The decompressor's error.
        source: io::Error,
    },

    /// An image file that cannot be decoded (see [`crate::image`]).
    #[error("{}: {source}", .path.display())]
    Image {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        source: crate::image_error::ImageError,
    },

    // ----- IDX -----
    /// The first two bytes of an IDX file are not zero.
    #[error(
        "{}: not an IDX file: expected magic bytes 00 00 <type> <ndims>, found {:02x} {:02x} {:02x} {:02x}",
        .path.display(), .found[0], .found[1], .found[2], .found[3]
    )]
    IdxMagic {
        /// The file.
        path: PathBuf,
        /// The four bytes found.
        found: [u8; 4],
    },
    /// The IDX element type is not unsigned byte (`0x08`).
    #[error(
        "{}: unsupported IDX element type 0x{found:02x} ({}): expected 0x08 (unsigned byte)",
        .path.display(), crate::idx_format::element_type_name(*.found)
    )]
    IdxElementType {
        /// The file.
        path: PathBuf,
        /// The element type byte found.
        found: u8,
    },
    /// The IDX file has the wrong number of dimensions.
    #[error("{}: expected {expected} dimension(s), found {found}", .path.display())]
    IdxDimensions {
        /// The file.
        path: PathBuf,
        /// What was expected, e.g. `"3 (count, rows, columns)"`.
        expected: &'static str,
        /// The number of dimensions declared.
        found: usize,
    },
    /// The declared dimensions multiply to more than can be addressed.
    #[error("{}: declared dimensions {dims:?} are too large (their product overflows)", .path.display())]
    IdxTooLarge {
        /// The file.
        path: PathBuf,
        /// The declared dimensions.
        dims: Vec<u32>,
    },
    /// The file ends before the declared amount of data.
    #[error("{}: truncated: expected {expected} bytes of {what}, found {found}", .path.display())]
    IdxTruncated {
        /// The file.
        path: PathBuf,
        /// Which part was cut short (`"header"`, `"pixel data"`, …).
        what: &'static str,
        /// Bytes the header declared.
        expected: u64,
        /// Bytes actually present.
        found: u64,
    },
    /// The file holds more data than its header declares.
    #[error(
        "{}: trailing data: expected {expected} bytes of {what}, found {}{extra} more",
        .path.display(),
        if *.extra >= crate::idx_format::TRAILING_COUNT_LIMIT { "at least " } else { "" }
    )]
    IdxTrailing {
        /// The file.
        path: PathBuf,
        /// Which part (`"pixel data"`, …).
        what: &'static str,
        /// Bytes the header declared.
        expected: u64,
        /// Bytes found after them, counted up to
        /// [`TRAILING_COUNT_LIMIT`](crate::idx::TRAILING_COUNT_LIMIT).
        extra: u64,
    },
    /// The header declares more data than
    /// [`IdxLimits::max_bytes`](crate::idx::IdxLimits::max_bytes) allows:
    /// refused before decompressing any of it.
    #[error(
        "{}: the header declares dimensions {dims:?}, {declared} bytes of data, more than the limit of {max_bytes} bytes \
         (IdxLimits::max_bytes raises it; IdxLimits::max_samples reads only the first samples)",
        .path.display()
    )]
    IdxLimit {
        /// The file.
        path: PathBuf,
        /// The declared dimensions.
        dims: Vec<u32>,
        /// Bytes of data the samples to be read need.
        declared: u64,
        /// The limit.
        max_bytes: u64,
    },
    /// An IDX file whose dimensions hold no samples or no features.
    #[error("{}: empty: dimensions {dims:?} hold no data", .path.display())]
    IdxEmpty {
        /// The file.
        path: PathBuf,
        /// Its dimensions.
        dims: Vec<usize>,
    },
    /// An image file and its label file disagree on the number of samples.
    #[error("{}: {n_images} images, but {}: {n_labels} labels", .images.display(), .labels.display())]
    IdxCountMismatch {
        /// The image file.
        images: PathBuf,
        /// Images it holds.
        n_images: usize,
        /// The label file.
        labels: PathBuf,
        /// Labels it holds.
        n_labels: usize,
    },
    /// Training and test images have different sizes.
    #[error(
        "{}: images are {}×{}, but {}: images are {}×{}",
        .train.display(), .train_shape.0, .train_shape.1, .test.display(), .test_shape.0, .test_shape.1
    )]
    IdxShapeMismatch {
        /// The training image file.
        train: PathBuf,
        /// Its `(rows, columns)`.
        train_shape: (usize, usize),
        /// The test image file.
        test: PathBuf,
        /// Its `(rows, columns)`.
        test_shape: (usize, usize),
    },
    /// The MNIST directory does not exist.
    #[error(
        "MNIST data directory {} does not exist or is not a directory: pass --data DIR with the four MNIST IDX files \
         (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, \
         t10k-labels-idx1-ubyte, each optionally .gz)",
        .dir.display()
    )]
    MissingDataDir {
        /// Where it looked.
        dir: PathBuf,
    },
    /// One of the four MNIST files is missing from an existing directory.
    #[error(
        "{}: neither {name} nor {name}.gz found: pass --data DIR with the four MNIST IDX files",
        .dir.display()
    )]
    MissingIdxFile {
        /// The directory searched.
        dir: PathBuf,
        /// The file name looked for (without `.gz`).
        name: &'static str,
    },
    /// A directory that is not one IDX set: files missing, or several sets.
    #[error(transparent)]
    IdxSet(#[from] crate::mnist::IdxSetError),

    // ----- datasets -----
    /// A dataset would hold no samples.
    #[error("empty dataset: {context}")]
    EmptyDataset {
        /// Where the empty dataset arose.
        context: &'static str,
    },
    /// A dataset needs at least one feature.
    #[error("a dataset needs at least one feature, found 0")]
    NoFeatures,
    /// The feature buffer's length is not a multiple of the feature count.
    #[error("feature data of length {len} is not a multiple of the feature count {n_features}")]
    FeatureLength {
        /// Length of the feature buffer.
        len: usize,
        /// Features per sample.
        n_features: usize,
    },
    /// Feature rows and labels (or targets) disagree on the number of samples.
    #[error(
        "sample count mismatch: features hold {features} samples, but there are {labels} labels"
    )]
    SampleCountMismatch {
        /// Samples in the feature buffer.
        features: usize,
        /// Labels (or target rows) given.
        labels: usize,
    },
    /// Regression targets that do not form whole rows of `n_outputs` values
    /// (or `n_outputs` is zero).
    #[error("{}", target_length_message(*len, *n_outputs))]
    TargetLength {
        /// Length of the target buffer.
        len: usize,
        /// Targets per sample.
        n_outputs: usize,
    },
    /// A class label is not below the number of classes.
    #[error("sample {sample}: label {label} out of range: expected a class below {n_classes}")]
    LabelOutOfRange {
        /// Index of the sample.
        sample: usize,
        /// Its label.
        label: usize,
        /// The number of classes.
        n_classes: usize,
    },
    /// A feature value is NaN or infinite.
    #[error("sample {sample}, feature {feature}: expected a finite value, found {value}")]
    NonFiniteFeature {
        /// Index of the sample.
        sample: usize,
        /// Index of the feature.
        feature: usize,
        /// The value.
        value: f32,
    },
    /// A regression target is NaN or infinite.
    #[error("sample {sample}, target {target}: expected a finite value, found {value}")]
    NonFiniteTarget {
        /// Index of the sample.
        sample: usize,
        /// Index of the target.
        target: usize,
        /// The value.
        value: f32,
    },
    /// A sample index is out of range.
    #[error("sample index {index} out of range for a dataset of {len} samples")]
    IndexOutOfRange {
        /// The index.
        index: usize,
        /// The dataset's length.
        len: usize,
    },
    /// A validation fraction outside (0, 1).
    #[error("validation fraction must be in (0, 1), found {fraction}")]
    InvalidFraction {
        /// The fraction given.
        fraction: f64,
    },
    /// A split would leave one side empty.
    #[error(
        "cannot split {len} samples with validation fraction {fraction}: one side would be empty"
    )]
    SplitTooSmall {
        /// Samples in the dataset.
        len: usize,
        /// The fraction given.
        fraction: f64,
    },
    /// A pixel standardisation with a non-finite mean or a non-positive std.
    #[error(
        "invalid pixel scale: expected a finite mean and a finite std > 0, found mean {mean}, std {std}"
    )]
    InvalidPixelScale {
        /// The mean given.
        mean: f64,
        /// The std given.
        std: f64,
    },
    /// The operation needs a different kind of features or targets.
    #[error("{operation} needs {expected}, but this dataset holds {found}")]
    WrongKind {
        /// The operation, e.g. `"Scaler::apply"`.
        operation: &'static str,
        /// What it needs, e.g. `"f32 features"`.
        expected: &'static str,
        /// What the dataset holds, e.g. `"u8 image features (use PixelScale)"`.
        found: &'static str,
    },
    /// A scaler and a dataset disagree on the number of features.
    #[error("feature count mismatch: the scaler was fitted on {expected} features, found {found}")]
    FeatureCountMismatch {
        /// Features the scaler knows.
        expected: usize,
        /// Features given.
        found: usize,
    },
    /// Scaler parameters are unusable (lengths differ, or a scale is not a finite positive number).
    #[error("invalid scaler: {message}")]
    InvalidScaler {
        /// What is wrong.
        message: String,
    },
    /// A number of classes of zero where classes are needed.
    #[error("the number of classes must be at least 1, found 0")]
    NoClasses,
    /// A number of classes above [`MAX_CLASSES`](crate::MAX_CLASSES): almost
    /// certainly a mistake, and one one-hot batch would not fit in memory.
    #[error("too many classes: expected at most {max}, found {n_classes}")]
    TooManyClasses {
        /// Classes given.
        n_classes: usize,
        /// The largest number accepted.
        max: usize,
    },

    // ----- batching -----
    /// A batch size of zero.
    #[error("batch size must be at least 1, found 0")]
    ZeroBatchSize,

    // ----- CSV -----
    /// A CSV cell that is not a number.
    #[error("{file}:{line}: {column}: expected a number, found {found:?}")]
    CsvValue {
        /// The file (as given).
        file: String,
        /// 1-based line number.
        line: usize,
        /// The column.
        column: CsvColumn,
        /// The cell's text.
        found: String,
    },
    /// A cell of a first row read as data (most of its cells are numbers,
    /// and [`CsvOptions::has_header`](crate::CsvOptions::has_header) is
    /// `None`) that is not a number: a typo, or a header that looks like data.
    #[error(
        "{file}:{line}: {column}: expected a number, found {found:?} (the first row was read as data \
         because most of its cells are numbers; if it is a header, say so with --header yes, \
         CsvOptions::has_header = Some(true))"
    )]
    CsvFirstRow {
        /// The file.
        file: String,
        /// 1-based line number.
        line: usize,
        /// The column.
        column: CsvColumn,
        /// The cell's text.
        found: String,
    },
    /// A CSV file that is not UTF-8 text.
    #[error(
        "{file}:{line}: not UTF-8 text: byte {found:#04x} at byte {byte} of the line \
         (save the file as UTF-8)"
    )]
    CsvEncoding {
        /// The file.
        file: String,
        /// 1-based line number of the first byte that is not UTF-8.
        line: usize,
        /// Its 1-based byte position on the line.
        byte: usize,
        /// The byte.
        found: u8,
    },
    /// A CSV file holding more text than
    /// [`CsvOptions::max_bytes`](crate::CsvOptions::max_bytes): reading
    /// (and decompressing) stopped there.
    #[error(
        "{file}: more than {max_bytes} bytes of CSV text{}, the limit \
         (raise it with --max-bytes, CsvOptions::max_bytes)",
        if *.gzip { " after decompression" } else { "" }
    )]
    CsvTooLarge {
        /// The file.
        file: String,
        /// The limit.
        max_bytes: u64,
        /// Whether the file is gzip-compressed.
        gzip: bool,
    },
    /// A CSV cell holding NaN or an infinity (or a number beyond `f32`'s range).
    #[error("{file}:{line}: {column}: expected a finite number, found {found:?}")]
    CsvNonFinite {
        /// The file.
        file: String,
        /// 1-based line number.
        line: usize,
        /// The column.
        column: CsvColumn,
        /// The cell's text.
        found: String,
    },
    /// A CSV row with a different number of cells than the first row.
    #[error("{file}:{line}: expected {expected} columns (as on line {first_line}), found {found}")]
    CsvRagged {
        /// The file.
        file: String,
        /// 1-based line number.
        line: usize,
        /// Columns of the first row.
        expected: usize,
        /// Columns of this row.
        found: usize,
        /// Line of the first row.
        first_line: usize,
    },
    /// A quoted CSV cell that is not closed, or has text after its closing quote.
    #[error(
        "{file}:{line}: malformed quoted field (unterminated quote or text after the closing quote){hint}"
    )]
    CsvQuote {
        /// The file.
        file: String,
        /// 1-based line number.
        line: usize,
        /// Empty, or a suggestion: ` (a quote closes before ';': is it the
        /// delimiter? …)`.
        hint: String,
    },
    /// The requested label column does not exist (or its name is not unique).
    #[error("{file}: label column {requested} {reason}")]
    CsvLabelColumn {
        /// The file.
        file: String,
        /// The column asked for, e.g. `"\"class\""` or `"7"`.
        requested: String,
        /// Why not, e.g. `not found: the header has […]`.
        reason: String,
    },
    /// A class label that is not a non-negative integer, or not a known
    /// class; a regression target beyond `f32`.
    #[error("{file}:{line}: {column}: {reason}, found {}", cell_text(found))]
    CsvLabel {
        /// The file.
        file: String,
        /// 1-based line number.
        line: usize,
        /// The label column.
        column: CsvColumn,
        /// What a label must be.
        reason: String,
        /// The label cell's text.
        found: String,
    },
    /// A missing value (see [`crate::csv::is_missing`]) where
    /// [`CsvOptions::missing`](crate::CsvOptions::missing) is
    /// [`MissingValues::Error`](crate::csv::MissingValues::Error), or a
    /// kept one that was never filled in.
    #[error(
        "{file}:{line}: {column}: expected a number, found the missing value {found:?} \
         (--missing drop skips such rows, --missing mean fills in the training mean; CsvOptions::missing)"
    )]
    CsvMissing {
        /// The file.
        file: String,
        /// 1-based line number.
        line: usize,
        /// The column.
        column: CsvColumn,
        /// The cell's text (`""` for an empty cell).
        found: String,
    },
    /// A feature column without a single value to take the mean of.
    #[error("{file}: {column}: every value is missing, so there is no mean to fill in")]
    CsvNoValues {
        /// The file.
        file: String,
        /// The column.
        column: CsvColumn,
    },
    /// A feature column (`--features`, `--drop`) that does not exist, or
    /// cannot be a feature (the label, listed twice).
    #[error("{file}: {role} column {requested} {reason}")]
    CsvFeatureColumn {
        /// The file.
        file: String,
        /// `"feature"` or `"dropped"`.
        role: &'static str,
        /// The column asked for, e.g. `"\"id\""` or `"7"`.
        requested: String,
        /// Why not, e.g. `is the label column`.
        reason: String,
    },
    /// A file to predict whose columns are not the training file's.
    #[error("{file}:{line}: {message}")]
    CsvColumns {
        /// The file.
        file: String,
        /// 1-based line of its first row.
        line: usize,
        /// What was expected and found.
        message: String,
    },
    /// A model file's record of its CSV columns (or means) that cannot be read.
    #[error("model metadata {key:?}: {message}")]
    CsvMetadata {
        /// The metadata key.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// Imputation means that are unusable.
    #[error("invalid imputer: {message}")]
    InvalidImputer {
        /// What is wrong.
        message: String,
    },
    /// Class names that cannot name classes (two the same).
    #[error("invalid class names: {message}")]
    InvalidClassNames {
        /// What is wrong.
        message: String,
    },
    /// Any other structural problem with a CSV file (no data rows, no feature
    /// columns, an unusable delimiter).
    #[error("{file}: {message}")]
    Csv {
        /// The file.
        file: String,
        /// What is wrong.
        message: String,
    },
}

/// Shorthand for results of this crate.
pub type Result<T, E = DataError> = std::result::Result<T, E>;

fn target_length_message(len: usize, n_outputs: usize) -> String {
    match n_outputs {
        0 => "regression targets: expected at least 1 output per sample, found 0".into(),
        1 => format!("target data of length {len} does not hold whole rows of 1 output"),
        n => format!("target data of length {len} does not hold whole rows of {n} outputs"),
    }
}

/// A label cell as a message shows it: a number as written (`1e20`, `4`),
/// text quoted (`"daisy"`).
fn cell_text(cell: &str) -> String {
    if cell.parse::<f64>().is_ok() {
        cell.to_string()
    } else {
        format!("{cell:?}")
    }
}
