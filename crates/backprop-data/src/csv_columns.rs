//! Which file columns a table reads: the label and the features named by
//! [`LabelColumn`] and [`FeatureColumns`] (1-based numbers or header
//! names), resolved against the first row.

use crate::csv::{ColumnRef, CsvOptions, FeatureColumns, LabelColumn};
use crate::{DataError, Result};

/// The 0-based file columns a table reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    pub(crate) label: Option<usize>,
    pub(crate) features: Vec<usize>,
}

/// The columns known by number before the header is read, whose cells may
/// be text in a data row (the label, dropped columns): header detection
/// does not count them.
pub(crate) fn positional_text_columns(opts: &CsvOptions, n_cols: usize) -> Vec<usize> {
    let mut skip = Vec::new();
    match opts.label {
        LabelColumn::Last => skip.push(n_cols.saturating_sub(1)),
        LabelColumn::Number(n) if n >= 1 => skip.push(n - 1),
        _ => {}
    }
    if let FeatureColumns::Drop(cols) = &opts.features {
        skip.extend(cols.iter().filter_map(|c| match c {
            ColumnRef::Number(n) if *n >= 1 => Some(n - 1),
            _ => None,
        }));
    }
    skip
}

/// The 0-based column `c` names, or why not (the error's `reason`, with
/// its verb: `not found: …`, `is ambiguous: …`).
fn find(c: &ColumnRef, names: Option<&[String]>, n_cols: usize) -> Result<usize, String> {
    match c {
        ColumnRef::Number(0) => {
            Err("not found: columns are numbered from 1, as in messages".into())
        }
        ColumnRef::Number(n) if *n <= n_cols => Ok(n - 1),
        ColumnRef::Number(_) => Err(format!(
            "not found: the file has {n_cols} columns, numbered 1 to {n_cols}"
        )),
        ColumnRef::Name(name) => {
            let Some(names) = names else {
                return Err("not found: the file has no header row".into());
            };
            let found: Vec<usize> = (0..names.len()).filter(|&j| &names[j] == name).collect();
            match found[..] {
                [j] => Ok(j),
                [] => Err(format!("not found: the header has {names:?}")),
                _ => Err(format!(
                    "is ambiguous: the header has {} columns named {name:?} (columns {}); name it by number",
                    found.len(),
                    found
                        .iter()
                        .map(|j| (j + 1).to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            }
        }
    }
}

/// Resolves the label and feature columns of `opts` for a file of `n_cols`
/// columns with header `names`.
pub(crate) fn plan(
    opts: &CsvOptions,
    names: Option<&[String]>,
    n_cols: usize,
    file: &str,
) -> Result<Plan> {
    let label_ref = match &opts.label {
        LabelColumn::Last => ColumnRef::Number(n_cols),
        LabelColumn::Number(n) => ColumnRef::Number(*n),
        LabelColumn::Name(s) => ColumnRef::Name(s.clone()),
    };
    let label = find(&label_ref, names, n_cols).map_err(|reason| DataError::CsvLabelColumn {
        file: file.to_string(),
        requested: label_ref.to_string(),
        reason,
    })?;
    let resolve = |c: &ColumnRef, role: &'static str| {
        let err = |reason: String| DataError::CsvFeatureColumn {
            file: file.to_string(),
            role,
            requested: c.to_string(),
            reason,
        };
        let j = find(c, names, n_cols).map_err(err)?;
        if j == label {
            return Err(err("is the label column".into()));
        }
        Ok(j)
    };
    let features = match &opts.features {
        FeatureColumns::Rest => (0..n_cols).filter(|&j| j != label).collect(),
        FeatureColumns::Only(cols) => {
            let mut features = Vec::with_capacity(cols.len());
            for c in cols {
                let j = resolve(c, "feature")?;
                if features.contains(&j) {
                    return Err(DataError::CsvFeatureColumn {
                        file: file.to_string(),
                        role: "feature",
                        requested: c.to_string(),
                        reason: format!("is listed twice (column {})", j + 1),
                    });
                }
                features.push(j);
            }
            features
        }
        FeatureColumns::Drop(cols) => {
            let mut dropped = Vec::with_capacity(cols.len());
            for c in cols {
                dropped.push(resolve(c, "dropped")?);
            }
            (0..n_cols)
                .filter(|j| *j != label && !dropped.contains(j))
                .collect()
        }
    };
    if features.is_empty() {
        return Err(DataError::Csv {
            file: file.to_string(),
            message: format!(
                "no feature columns: of its {n_cols} columns, column {} is the label and the others are dropped",
                label + 1
            ),
        });
    }
    Ok(Plan {
        label: Some(label),
        features,
    })
}
