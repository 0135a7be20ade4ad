//! Training curves with plotters.

use crate::history::{io_error, temp_path};
use crate::{History, TrainError};
use plotters::prelude::*;
use std::path::Path;

pub(crate) fn draw(history: &History, path: &Path, title: &str) -> Result<(), String> {
    let err = |e: &dyn std::fmt::Display| e.to_string();
    let root = BitMapBackend::new(path, (1000, 420)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let root = root
        .titled(title, ("sans-serif", 22))
        .map_err(|e| err(&e))?;
    let (left, right) = root.split_horizontally(500);
    let first = history.epochs.first().map_or(1, |r| r.epoch) as f64;
    let last = history.epochs.last().map_or(1, |r| r.epoch) as f64;
    let epochs = |f: fn(&crate::EpochRecord) -> Option<f64>| -> Vec<(f64, f64)> {
        history
            .epochs
            .iter()
            .filter_map(|r| f(r).filter(|v| v.is_finite()).map(|v| (r.epoch as f64, v)))
            .collect()
    };
    let losses = [
        ("train loss", epochs(|r| Some(r.train_loss)), BLUE),
        ("validation loss", epochs(|r| r.val_loss), RED),
    ];
    let accs = [
        ("train accuracy", epochs(|r| r.train_accuracy), BLUE),
        ("validation accuracy", epochs(|r| r.val_accuracy), RED),
    ];
    for (area, series, label) in [(&left, &losses, "loss"), (&right, &accs, "accuracy")] {
        let values: Vec<f64> = series
            .iter()
            .flat_map(|(_, s, _)| s.iter().map(|p| p.1))
            .collect();
        if values.is_empty() {
            continue;
        }
        let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let pad = ((hi - lo) * 0.08).max(1e-6);
        let mut chart = ChartBuilder::on(area)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(56)
            .build_cartesian_2d(first - 0.5..last + 0.5, (lo - pad)..(hi + pad))
            .map_err(|e| err(&e))?;
        chart
            .configure_mesh()
            .x_desc("epoch")
            .y_desc(label)
            .x_label_formatter(&|x| format!("{x:.0}"))
            .draw()
            .map_err(|e| err(&e))?;
        for (name, points, color) in series.iter() {
            if points.is_empty() {
                continue;
            }
            let c = *color;
            chart
                .draw_series(LineSeries::new(points.iter().copied(), c.stroke_width(2)))
                .map_err(|e| err(&e))?
                .label(*name)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2))
                });
            chart
                .draw_series(points.iter().map(|&p| Circle::new(p, 3, c.filled())))
                .map_err(|e| err(&e))?;
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(|e| err(&e))?;
    }
    root.present().map_err(|e| err(&e))
}

impl History {
    /// Draws the training curves (loss, and accuracy when known, per epoch) as a
    /// PNG. The image is rendered to a temporary file and renamed into place.
    pub fn plot_png(&self, path: impl AsRef<Path>, title: &str) -> Result<(), TrainError> {
        let path = path.as_ref();
        // The drawing backend reports a missing directory as its own Debug
        // text; ask the OS first, so the message is the one the other
        // writers give.
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::metadata(dir).map_err(|e| io_error(path, e))?;
        }
        let tmp = temp_path(path);
        let result = draw(self, &tmp, title);
        match result {
            Ok(()) => std::fs::rename(&tmp, path).map_err(|e| io_error(path, e)),
            Err(message) => {
                let _ = std::fs::remove_file(&tmp);
                Err(TrainError::Io {
                    path: path.to_path_buf(),
                    message,
                })
            }
        }
    }
}
