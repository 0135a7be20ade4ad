//! [`ClassMap`]: the labels of a classification CSV, as classes `0..k`.

use crate::{DataError, Result};

pub(crate) fn class_value(v: f64) -> Option<u64> {
    const MAX_EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    ((0.0..=MAX_EXACT).contains(&v) && v.fract() == 0.0).then_some(v as u64)
}

/// The classes of a classification CSV: class `c` is the `c`-th label in
/// sorted order, as scikit-learn's `LabelEncoder` numbers them.
///
/// - **Numeric labels** (every label of the column is a non-negative
///   integer): sorted by value, so labels `{1, 3, 7}` are classes `0, 1, 2`;
///   the class names are the values written out (`"7"`).
/// - **Text labels** (any label is not a number: `setosa`): sorted by their
///   bytes (`"Iris-setosa" < "setosa" < "versicolor"`); the class names are
///   the labels.
///
/// ```
/// use backprop_data::csv::ClassMap;
/// let m = ClassMap::from_values([7, 1, 3, 1])?;
/// assert_eq!(m.values(), Some(&[1, 3, 7][..]));
/// assert_eq!((m.class_of(3), m.class_of(2)), (Some(1), None));
/// assert_eq!((m.value_of(2), m.name_of(2)), (Some(7), Some("7")));
/// assert_eq!(m.class_of_label("3.0"), Some(1)); // a numeric map reads numbers
///
/// let m = ClassMap::from_names(["virginica", "setosa", "versicolor", "setosa"])?;
/// assert_eq!(m.names(), ["setosa", "versicolor", "virginica"]);
/// assert_eq!((m.class_of_label("virginica"), m.class_of_label("daisy")), (Some(2), None));
/// assert_eq!(m.values(), None);
/// # Ok::<(), backprop_data::DataError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassMap {
    names: Vec<String>,
    /// The label value of each class, for a numeric map.
    values: Option<Vec<u64>>,
    /// Class indices in the order of their names, for lookups by name.
    by_name: Vec<usize>,
}

impl ClassMap {
    /// The map of these numeric label values (sorted, duplicates removed;
    /// at least one).
    pub fn from_values(values: impl IntoIterator<Item = u64>) -> Result<Self> {
        let mut values: Vec<u64> = values.into_iter().collect();
        values.sort_unstable();
        values.dedup();
        if values.is_empty() {
            return Err(DataError::NoClasses);
        }
        let names = values.iter().map(u64::to_string).collect();
        Ok(Self::indexed(names, Some(values)))
    }

    /// The map of these text labels (sorted by their bytes, duplicates
    /// removed; at least one).
    pub fn from_names<S: Into<String>>(names: impl IntoIterator<Item = S>) -> Result<Self> {
        let mut names: Vec<String> = names.into_iter().map(Into::into).collect();
        names.sort_unstable();
        names.dedup();
        if names.is_empty() {
            return Err(DataError::NoClasses);
        }
        Ok(Self::indexed(names, None))
    }

    /// The map whose class `c` is `names[c]`, in the order given (as a model
    /// file lists its class names). Names must be distinct.
    pub fn from_class_names(names: Vec<String>) -> Result<Self> {
        if names.is_empty() {
            return Err(DataError::NoClasses);
        }
        let map = Self::indexed(names, None);
        if let Some(w) = map
            .by_name
            .windows(2)
            .find(|w| map.names[w[0]] == map.names[w[1]])
        {
            return Err(DataError::InvalidClassNames {
                message: format!(
                    "classes {} and {} are both named {:?}",
                    w[0].min(w[1]),
                    w[0].max(w[1]),
                    map.names[w[0]]
                ),
            });
        }
        Ok(map)
    }

    fn indexed(names: Vec<String>, values: Option<Vec<u64>>) -> Self {
        let mut by_name: Vec<usize> = (0..names.len()).collect();
        by_name.sort_by(|&a, &b| names[a].cmp(&names[b]).then(a.cmp(&b)));
        Self {
            names,
            values,
            by_name,
        }
    }

    /// The label value of each class, ascending, for a numeric map; `None`
    /// for text labels.
    pub fn values(&self) -> Option<&[u64]> {
        self.values.as_deref()
    }
    /// The name of each class: the label as written (text), or the value.
    pub fn names(&self) -> &[String] {
        &self.names
    }
    /// Number of classes.
    pub fn len(&self) -> usize {
        self.names.len()
    }
    /// Always `false` (a map has at least one class).
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
    /// The class of a numeric label value (`None` for text labels).
    pub fn class_of(&self, value: u64) -> Option<usize> {
        self.values.as_ref()?.binary_search(&value).ok()
    }
    /// The class of a label as a CSV cell holds it: a number for a numeric
    /// map (`"3"`, `"3.0"`), the exact text otherwise.
    pub fn class_of_label(&self, label: &str) -> Option<usize> {
        match &self.values {
            Some(_) => {
                let v = class_value(label.parse::<f64>().ok()?)?;
                self.class_of(v)
            }
            None => self
                .by_name
                .binary_search_by(|&c| self.names[c].as_str().cmp(label))
                .ok()
                .and_then(|i| self.by_name.get(i).copied()),
        }
    }
    /// The label value of a class (numeric maps).
    pub fn value_of(&self, class: usize) -> Option<u64> {
        self.values.as_ref()?.get(class).copied()
    }
    /// The name of a class.
    pub fn name_of(&self, class: usize) -> Option<&str> {
        self.names.get(class).map(String::as_str)
    }
    /// The classes as an error message lists them: `[1, 3, 7]` or
    /// `["setosa", "versicolor"]`.
    pub fn describe(&self) -> String {
        match &self.values {
            Some(v) => format!("{v:?}"),
            None => format!("{:?}", self.names),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_values() {
        assert_eq!(class_value(3.0), Some(3));
        assert_eq!(class_value(-1.0), None);
        assert_eq!(class_value(2.5), None);
        assert_eq!(class_value(1e300), None);
    }

    #[test]
    fn names_in_a_given_order_and_duplicates() {
        let m = ClassMap::from_class_names(vec!["b".into(), "a".into(), "c".into()]).unwrap();
        assert_eq!(m.names(), ["b", "a", "c"]);
        assert_eq!(
            ["a", "b", "c", "d"].map(|n| m.class_of_label(n)),
            [Some(1), Some(0), Some(2), None]
        );
        let e = ClassMap::from_class_names(vec!["x".into(), "y".into(), "x".into()]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid class names: classes 0 and 2 are both named \"x\""
        );
        assert!(ClassMap::from_names(Vec::<String>::new()).is_err());
        // Byte order, as numpy's unique and LabelEncoder sort strings.
        let m = ClassMap::from_names(["b", "B", "a", "10", "9"]).unwrap();
        assert_eq!(m.names(), ["10", "9", "B", "a", "b"]);
        assert_eq!(m.describe(), "[\"10\", \"9\", \"B\", \"a\", \"b\"]");
        assert_eq!(
            ClassMap::from_values([9, 10]).unwrap().describe(),
            "[9, 10]"
        );
    }
}
