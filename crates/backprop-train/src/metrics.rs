//! Classification metrics: accuracy, the confusion matrix, per-class
//! precision, recall and F1.

use std::fmt;

/// Counts of (true class, predicted class) pairs.
///
/// ```
/// use backprop_train::ConfusionMatrix;
/// let mut cm = ConfusionMatrix::new(2);
/// for (t, p) in [(0, 0), (0, 1), (1, 1), (1, 1)] { cm.add(t, p); }
/// assert_eq!(cm.accuracy(), 0.75);
/// assert_eq!(cm.precision(1), 2.0 / 3.0);
/// assert_eq!(cm.recall(0), 0.5);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfusionMatrix {
    n: usize,
    counts: Vec<u64>,
}

impl ConfusionMatrix {
    /// An empty matrix for `n` classes.
    pub fn new(n: usize) -> Self {
        Self {
            n,
            counts: vec![0; n * n],
        }
    }
    /// Number of classes.
    pub fn classes(&self) -> usize {
        self.n
    }
    /// Records one sample; pairs outside the class range are ignored.
    pub fn add(&mut self, truth: usize, predicted: usize) {
        if truth < self.n
            && predicted < self.n
            && let Some(c) = self.counts.get_mut(truth * self.n + predicted)
        {
            *c += 1;
        }
    }
    /// Number of samples of class `truth` predicted as `predicted`.
    pub fn count(&self, truth: usize, predicted: usize) -> u64 {
        if truth < self.n && predicted < self.n {
            self.counts
                .get(truth * self.n + predicted)
                .copied()
                .unwrap_or(0)
        } else {
            0
        }
    }
    /// Total number of samples.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }
    /// Fraction of samples on the diagonal (0 when empty).
    pub fn accuracy(&self) -> f64 {
        let correct: u64 = (0..self.n).map(|i| self.count(i, i)).sum();
        ratio(correct, self.total())
    }
    /// Of the samples predicted as `class`, the fraction that are.
    pub fn precision(&self, class: usize) -> f64 {
        let predicted: u64 = (0..self.n).map(|t| self.count(t, class)).sum();
        ratio(self.count(class, class), predicted)
    }
    /// Of the samples of `class`, the fraction predicted as such.
    pub fn recall(&self, class: usize) -> f64 {
        let actual: u64 = (0..self.n).map(|p| self.count(class, p)).sum();
        ratio(self.count(class, class), actual)
    }
    /// Harmonic mean of precision and recall (0 when both are 0).
    pub fn f1(&self, class: usize) -> f64 {
        let (p, r) = (self.precision(class), self.recall(class));
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
    /// Unweighted mean F1 over classes.
    pub fn macro_f1(&self) -> f64 {
        if self.n == 0 {
            return 0.0;
        }
        (0..self.n).map(|c| self.f1(c)).sum::<f64>() / self.n as f64
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

impl fmt::Display for ConfusionMatrix {
    /// The matrix (rows: true class, columns: predicted), then precision,
    /// recall and F1 per class.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "true\\pred")?;
        for p in 0..self.n {
            write!(f, "{p:>7}")?;
        }
        writeln!(f, "   precision  recall      f1")?;
        for t in 0..self.n {
            write!(f, "{t:>9}")?;
            for p in 0..self.n {
                write!(f, "{:>7}", self.count(t, p))?;
            }
            writeln!(
                f,
                "   {:>9.4} {:>7.4} {:>7.4}",
                self.precision(t),
                self.recall(t),
                self.f1(t)
            )?;
        }
        write!(
            f,
            "accuracy {:.4}, macro F1 {:.4}, {}",
            self.accuracy(),
            self.macro_f1(),
            match self.total() {
                1 => "1 sample".to_string(),
                n => format!("{n} samples"),
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_by_hand() {
        let mut cm = ConfusionMatrix::new(3);
        // truth 0: 3 right, 1 as class 2; truth 1: 2 right; truth 2: 1 as 0.
        for (t, p) in [(0, 0), (0, 0), (0, 0), (0, 2), (1, 1), (1, 1), (2, 0)] {
            cm.add(t, p);
        }
        cm.add(5, 0); // ignored
        assert_eq!(cm.total(), 7);
        assert!((cm.accuracy() - 5.0 / 7.0).abs() < 1e-15);
        assert_eq!(cm.precision(0), 0.75);
        assert_eq!(cm.recall(0), 0.75);
        assert_eq!(cm.f1(2), 0.0);
        assert_eq!(cm.precision(1), 1.0);
        let text = cm.to_string();
        assert!(
            text.contains("precision") && text.contains("7 samples"),
            "{text}"
        );
        let mut one = ConfusionMatrix::new(1);
        one.add(0, 0);
        assert!(one.to_string().ends_with(", 1 sample"), "{one}");
    }
}
