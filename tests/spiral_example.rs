//! `examples/spiral.rs`: the seeded spiral, > 95 % training accuracy with
//! the default settings, and the decision-region picture.

#[path = "../examples/spiral.rs"]
mod spiral_example;

use backprop::data::Features;
use backprop::train::ProgressMode;
use clap::Parser;
use spiral_example::{Args, draw, spiral, train};

fn default_args(extra: &[&str]) -> Args {
    let mut argv = vec!["spiral"];
    argv.extend_from_slice(extra);
    Args::try_parse_from(argv).unwrap()
}

#[test]
fn the_spiral_is_seeded_and_balanced() {
    let a = spiral(100, 3, 0.2, 0).unwrap();
    assert_eq!((a.len(), a.n_features(), a.n_classes()), (300, 2, 3));
    assert_eq!(a.class_counts(), vec![100, 100, 100]);
    let Features::F32(xs) = a.features() else {
        panic!("f32 features")
    };
    // Radii run from 0 to 1 along each arm.
    let radius = |k: usize| f64::from(xs[2 * k]).hypot(f64::from(xs[2 * k + 1]));
    assert_eq!(radius(0), 0.0);
    assert!((radius(99) - 1.0).abs() < 1e-6 && (radius(299) - 1.0).abs() < 1e-6);
    assert!(xs.iter().all(|v| v.abs() <= 1.0));
    assert_eq!(spiral(100, 3, 0.2, 0).unwrap(), a);
    assert_ne!(spiral(100, 3, 0.2, 1).unwrap(), a);
    assert!(spiral(1, 3, 0.2, 0).is_err());
    assert!(spiral(100, 1, 0.2, 0).is_err());
    assert!(spiral(100, 3, f64::NAN, 0).is_err());
}

#[test]
fn defaults_reach_95_percent_and_draw_the_regions() {
    let args = default_args(&[]);
    assert_eq!((args.points, args.classes, args.hidden), (100, 3, 64));
    let mut t = train(&args, ProgressMode::Silent).unwrap();
    assert_eq!(t.history.epochs.len(), 300);
    assert!(t.accuracy > 0.95, "training accuracy {}", t.accuracy);

    let dir = std::env::temp_dir().join(format!(
        "backprop-spiral-example-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ));
    let path = dir.join("nested").join("spiral.png");
    draw(&mut t.net, &t.data, &path, 600, "spiral").unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    assert_eq!(&bytes[12..16], b"IHDR");
    assert_eq!((be(&bytes[16..20]), be(&bytes[20..24])), (600, 600));
    std::fs::remove_dir_all(&dir).unwrap();
}
