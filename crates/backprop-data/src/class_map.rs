//! [`ClassMap`]: the label values of a classification CSV, as classes.

use crate::{DataError, Result};

pub(crate) fn class_value(v: f64) -> Option<u64> {
    const MAX_EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    ((0.0..=MAX_EXACT).contains(&v) && v.fract() == 0.0).then_some(v as u64)
}

/// The sorted distinct label values of a classification CSV; class `c` is
/// the `c`-th smallest value.
///
/// ```
/// use backprop_data::csv::ClassMap;
/// let m = ClassMap::from_values([7, 1, 3, 1])?;
/// assert_eq!(m.values(), &[1, 3, 7]);
/// assert_eq!((m.class_of(3), m.class_of(2)), (Some(1), None));
/// assert_eq!(m.value_of(2), Some(7));
/// # Ok::<(), backprop_data::DataError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassMap {
    values: Vec<u64>,
}

impl ClassMap {
    /// The map of these label values (sorted, duplicates removed; at least one).
    pub fn from_values(values: impl IntoIterator<Item = u64>) -> Result<Self> {
        let mut values: Vec<u64> = values.into_iter().collect();
        values.sort_unstable();
        values.dedup();
        if values.is_empty() {
            return Err(DataError::NoClasses);
        }
        Ok(Self { values })
    }
    /// The label value of each class, ascending.
    pub fn values(&self) -> &[u64] {
        &self.values
    }
    /// Number of classes.
    pub fn len(&self) -> usize {
        self.values.len()
    }
    /// Always `false` (a map has at least one class).
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
    /// The class of a label value.
    pub fn class_of(&self, value: u64) -> Option<usize> {
        self.values.binary_search(&value).ok()
    }
    /// The label value of a class.
    pub fn value_of(&self, class: usize) -> Option<u64> {
        self.values.get(class).copied()
    }
}
