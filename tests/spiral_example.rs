//! `examples/spiral.rs`: the seeded spiral, > 95 % training accuracy with
//! the default settings, and the decision-region picture.

#[path = "../examples/spiral.rs"]
mod spiral_example;

use backprop::data::Features;
use backprop::train::ProgressMode;
use clap::Parser;
use spiral_example::{Args, MAX_SIZE, MIN_SIZE, check_output, draw, network, run, spiral, train};

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

#[test]
fn sizes_and_output_paths_are_checked_before_training() {
    let dir = std::env::temp_dir().join(format!(
        "backprop-spiral-out-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let png = dir.join("a.png");
    // --size 100000 panicked inside plotters, --size 0 printed its debug text.
    for size in [0, MIN_SIZE - 1, MAX_SIZE + 1, 100_000] {
        let e = check_output(&png, size).unwrap_err().to_string();
        assert_eq!(
            e,
            format!("--size {size}: expected a picture of 100 to 4096 pixels a side")
        );
    }
    assert!(check_output(&png, MIN_SIZE).is_ok() && check_output(&png, MAX_SIZE).is_ok());
    let file = dir.join("file");
    std::fs::write(&file, b"x").unwrap();
    let cases = [
        (
            dir.clone(),
            format!(
                "--out {}: is a directory; expected a .png file name",
                dir.display()
            ),
        ),
        (
            dir.join("a.txt"),
            format!(
                "--out {}: expected a file name ending in .png",
                dir.join("a.txt").display()
            ),
        ),
        (
            file.join("x.png"),
            format!(
                "--out {}: {} is a file, not a directory",
                file.join("x.png").display(),
                file.display()
            ),
        ),
    ];
    for (out, expected) in cases {
        assert_eq!(check_output(&out, 600).unwrap_err().to_string(), expected);
        // run refuses before training (10,000 epochs would take minutes).
        let a = default_args(&["--out", out.to_str().unwrap(), "--epochs", "10000"]);
        assert_eq!(run(&a).unwrap_err().to_string(), expected);
    }
    // draw checks too, and a picture of the smallest size is drawn.
    let data = spiral(10, 3, 0.2, 0).unwrap();
    let mut net = network(4, 3, 0).unwrap();
    let e = draw(&mut net, &data, &png, 0, "t").unwrap_err().to_string();
    assert!(e.starts_with("--size 0"), "{e}");
    let small = dir.join("nested").join("small.png");
    draw(&mut net, &data, &small, MIN_SIZE, "t").unwrap();
    assert!(std::fs::read(&small).unwrap().starts_with(b"\x89PNG"));
    std::fs::remove_dir_all(&dir).unwrap();
}
