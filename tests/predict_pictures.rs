//! `examples/predict` on pictures as users have them (#14): a black-on-white
//! digit was silently read as "3" at 0.975. A small model is trained here
//! on 3,000 MNIST images; real test digits are then saved as a user would
//! have them — inverted, 100×100, a colour JPEG of another shape — and the
//! built binary must classify each as the digit it is, saying what it did.
//! A folder of pictures, a text file and a damaged PNG becomes one CSV.

#[path = "support/examples.rs"]
mod examples;
use examples::example;

use backprop::data::image::GrayImage;
use backprop::data::{Features, Mnist, PixelScale};
use backprop::io::save_model;
use backprop::layers::{Preprocess, Sequential};
use backprop::losses::SoftmaxCrossEntropy;
use backprop::optim::Adam;
use backprop::train::{ProgressMode, Trainer};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

/// A trained model's file and three test digits it reads right, with
/// their labels. Trained once per test binary.
struct Fixture {
    model: PathBuf,
    digits: Vec<(GrayImage, usize)>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mnist");
        let mut mnist = Mnist::load(&data).unwrap();
        mnist.set_pixel_scale(PixelScale::Unit).unwrap();
        let train = mnist.train.take(3000).unwrap();
        let mut net = Sequential::<f32>::builder(784)
            .seed(1)
            .dense(32)
            .relu()
            .dense(10)
            .build()
            .unwrap();
        net.info_mut().preprocess = Preprocess::UNIT_PIXELS;
        Trainer::new(SoftmaxCrossEntropy, Adam::new(), 3e-3)
            .epochs(3)
            .batch_size(32)
            .seed(1)
            .progress(ProgressMode::Silent)
            .fit(&mut net, &train)
            .unwrap();
        let dir = examples::temp_dir("predict-pictures", "model");
        let model = dir.join("model.safetensors");
        save_model(&net, &model).unwrap();
        let Features::U8 { data: pixels, .. } = mnist.test.features() else {
            panic!("MNIST pixels are bytes")
        };
        // The first test digits of three different classes.
        let mut digits: Vec<(GrayImage, usize)> = Vec::new();
        for (i, &label) in mnist.test.labels().iter().enumerate() {
            if digits.len() < 3 && digits.iter().all(|(_, l)| *l != label) {
                let image = GrayImage {
                    width: 28,
                    height: 28,
                    pixels: pixels[i * 784..(i + 1) * 784].to_vec(),
                };
                digits.push((image, label));
            }
        }
        Fixture { model, digits }
    })
}

fn predict(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(example("predict"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("predict starts")
}

/// `predict --model M --image PATH [extra]`: status 0, and stdout.
fn classify(path: &Path, extra: &[&str]) -> String {
    let mut args = vec![
        "--model".as_ref(),
        fixture().model.as_os_str(),
        "--image".as_ref(),
        path.as_os_str(),
    ];
    args.extend(extra.iter().map(std::ffi::OsStr::new));
    let out = predict(&args);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The class on predict's `FILE: class C` line.
fn class_of(stdout: &str) -> String {
    stdout
        .lines()
        .find_map(|l| l.split_once(": class ").map(|(_, c)| c.to_string()))
        .unwrap_or_else(|| panic!("no class line in {stdout}"))
}

/// The per-class probability lines (`  7: 0.98…`).
fn probabilities(stdout: &str) -> Vec<&str> {
    stdout.lines().filter(|l| l.starts_with("  ")).collect()
}

fn png(image: &GrayImage, path: &Path) {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, image.width as u32, image.height as u32);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().unwrap();
        w.write_image_data(&image.pixels).unwrap();
    }
    std::fs::write(path, out).unwrap();
}

fn inverted(image: &GrayImage) -> GrayImage {
    let mut out = image.clone();
    out.invert();
    out
}

/// `digit` as dark-blue ink on cream paper, in the left part of a
/// `width × height` colour JPEG.
fn colour_jpeg(digit: &GrayImage, width: u32, height: u32, path: &Path) {
    let side = width.min(height) * 3 / 4;
    let big = digit.resize(side as usize, side as usize).unwrap();
    let (paper, ink) = ([250.0, 240.0, 200.0], [20.0, 40.0, 140.0]);
    let mut rgb = Vec::with_capacity((width * height * 3) as usize);
    for y in 0..height {
        for x in 0..width {
            let v = if x >= 2 && x - 2 < side && y >= 4 && y - 4 < side {
                f64::from(big.pixels[((y - 4) * side + x - 2) as usize]) / 255.0
            } else {
                0.0
            };
            for c in 0..3 {
                rgb.push((paper[c] + (ink[c] - paper[c]) * v).round() as u8);
            }
        }
    }
    image::RgbImage::from_raw(width, height, rgb)
        .unwrap()
        .save_with_format(path, image::ImageFormat::Jpeg)
        .unwrap();
}

#[test]
fn a_black_on_white_digit_is_inverted_and_read_as_the_white_on_black_one() {
    let fx = fixture();
    let dir = examples::temp_dir("predict-pictures", "invert");
    for (digit, label) in &fx.digits {
        let (white, black) = (dir.join("white.png"), dir.join("black.png"));
        png(digit, &white);
        png(&inverted(digit), &black);
        let as_is = classify(&white, &[]);
        assert!(
            as_is.contains(
                "28×28, the model's input size, as it is; as-is (auto: a dark background"
            ),
            "{as_is}"
        );
        assert_eq!(class_of(&as_is), label.to_string(), "{as_is}");
        let turned = classify(&black, &[]);
        assert!(
            turned.contains(
                "; inverted (auto: a light background, its edge's median 255 above the mean"
            ),
            "{turned}"
        );
        // Inverted back, it is the same picture: the same probabilities.
        assert_eq!(class_of(&turned), label.to_string(), "{turned}");
        assert_eq!(probabilities(&turned), probabilities(&as_is));
        // Kept as it is, the model sees another picture; the output says so.
        let kept = classify(&black, &["--invert", "no"]);
        assert!(kept.contains("; as-is (--invert no)"), "{kept}");
        assert_ne!(probabilities(&kept), probabilities(&as_is));
        // --invert yes on the white-on-black digit turns it the wrong way.
        let forced = classify(&white, &["--invert", "yes", "--json"]);
        assert!(forced.contains("\"polarity\":\"inverted\""), "{forced}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_100_pixel_picture_and_a_colour_jpeg_are_fitted_and_read_right() {
    let fx = fixture();
    let dir = examples::temp_dir("predict-pictures", "resize");
    for (digit, label) in &fx.digits {
        // 100×100, black on white.
        let big = dir.join("big.png");
        png(&inverted(&digit.resize(100, 100).unwrap()), &big);
        let out = classify(&big, &["--json"]);
        assert!(
            out.contains(
                "100×100 → 28×28 as MNIST's digits were made (the ink's bounding box into \
                 20×20, centred by mass); inverted (auto: a light background"
            ),
            "{out}"
        );
        assert_eq!(class_of(&out), label.to_string(), "{out}");
        assert!(out.contains("\"fit\":\"digit\""), "{out}");
        // 90×120, dark blue on cream, off-centre, JPEG.
        let jpeg = dir.join("photo.jpg");
        colour_jpeg(digit, 90, 120, &jpeg);
        let out = classify(&jpeg, &[]);
        assert!(
            out.contains("90×120 → 28×28 as MNIST's digits were made")
                && out.contains("; inverted (auto: a light background"),
            "{out}"
        );
        assert_eq!(class_of(&out), label.to_string(), "{out}");
        // --fit resize stretches the whole picture instead, and says so.
        let out = classify(&jpeg, &["--fit", "resize"]);
        assert!(
            out.contains("90×120 → 28×28, the whole picture resized"),
            "{out}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_folder_becomes_one_csv_row_per_readable_image() {
    let fx = fixture();
    let dir = examples::temp_dir("predict-pictures", "folder");
    let pictures = dir.join("pictures");
    std::fs::create_dir(&pictures).unwrap();
    let [(d0, l0), (d1, l1), (d2, l2)] = [&fx.digits[0], &fx.digits[1], &fx.digits[2]];
    png(&inverted(d0), &pictures.join("a.png"));
    colour_jpeg(d1, 64, 64, &pictures.join("b.JPG"));
    let mut pgm = b"P5 28 28 255\n".to_vec();
    pgm.extend_from_slice(&d2.pixels);
    std::fs::write(pictures.join("c.pgm"), pgm).unwrap();
    std::fs::write(
        pictures.join("notes.txt"),
        "three digits and a broken file\n",
    )
    .unwrap();
    let mut broken = std::fs::read(pictures.join("a.png")).unwrap();
    broken.truncate(60);
    std::fs::write(pictures.join("broken.png"), broken).unwrap();
    let csv = dir.join("preds.csv");
    let out = predict(&[
        "--model".as_ref(),
        fx.model.as_os_str(),
        "--images".as_ref(),
        pictures.as_os_str(),
        "--out".as_ref(),
        csv.as_os_str(),
    ]);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    // The damaged file is reported by name; the others are still classified.
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    let broken_path = pictures.join("broken.png");
    assert!(
        stderr.contains(&format!("error: {}: PNG: ", broken_path.display())),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "error: 1 of 4 image files in {} could not be read (listed above); the other 3 are in {}",
            pictures.display(),
            csv.display()
        )),
        "{stderr}"
    );
    assert!(
        stdout.contains(&format!(
            "classified 3 images of {} into {} (2 inverted); skipped 1 entry that is not an image file",
            pictures.display(),
            csv.display()
        )),
        "{stdout}"
    );
    let text = std::fs::read_to_string(&csv).unwrap();
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split(',').collect()).collect();
    let header: Vec<String> = ["file", "class", "probability"]
        .into_iter()
        .map(String::from)
        .chain((0..10).map(|c| format!("p_{c}")))
        .chain(["polarity", "fit"].map(String::from))
        .collect();
    assert_eq!(rows[0], header);
    assert_eq!(rows.len(), 4, "{text}");
    let expected = [
        ("a.png", l0, "inverted", "none"),
        ("b.JPG", l1, "inverted", "digit"),
        ("c.pgm", l2, "as-is", "none"),
    ];
    for (row, (file, label, polarity, fit)) in rows[1..].iter().zip(expected) {
        assert_eq!(row.len(), 15, "{row:?}");
        assert_eq!(
            (row[0], row[1], row[13], row[14]),
            (file, label.to_string().as_str(), polarity, fit)
        );
        // The class's probability is its own column's, and the largest.
        let p: Vec<f64> = row[3..13].iter().map(|v| v.parse().unwrap()).collect();
        assert_eq!(row[2], row[3 + label], "{row:?}");
        assert!(p.iter().all(|&q| q <= p[*label]), "{row:?}");
    }
    // Without --out the CSV is stdout's alone; the notes go to stderr.
    std::fs::remove_file(pictures.join("broken.png")).unwrap();
    let out = predict(&[
        "--model".as_ref(),
        fx.model.as_os_str(),
        "--images".as_ref(),
        pictures.as_os_str(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout), text);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("model ") && stderr.contains("into stdout"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
