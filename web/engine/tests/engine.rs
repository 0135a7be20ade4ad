//! The engine's behaviour, natively: what the browser runs, checked
//! against the library and the tutorial's formulas.

use backprop_layers::{Mode, Sequential};
use backprop_losses::{Loss, LossKind, Target};
use backprop_tensor::DMatrix;
use backprop_web::dataset::{DatasetConfig, make_dataset};
use backprop_web::{Engine, EngineError, PlaygroundConfig, build_network};

fn spiral(n: usize, seed: u64) -> backprop_web::dataset::Dataset2d {
    make_dataset(&DatasetConfig {
        n,
        seed,
        ..Default::default()
    })
    .expect("spiral")
}

fn engine(config: PlaygroundConfig, n: usize) -> Engine {
    let d = spiral(n, 3);
    let mut e = Engine::new(config).expect("engine");
    e.set_data(&d.train_x, &d.train_y, &d.test_x, &d.test_y, 2)
        .expect("data");
    e
}

fn small() -> PlaygroundConfig {
    PlaygroundConfig {
        layers: vec![2, 5, 4, 3],
        batch: 8,
        seed: 11,
        ..Default::default()
    }
}

#[test]
fn datasets_are_deterministic_and_well_formed() {
    for kind in ["spiral", "moons", "circles", "xor", "blobs"] {
        let c = DatasetConfig {
            kind: kind.into(),
            n: 200,
            classes: 4,
            noise: 0.1,
            test_fraction: 0.25,
            seed: 5,
        };
        let a = make_dataset(&c).expect(kind);
        assert_eq!(
            a,
            make_dataset(&c).expect(kind),
            "{kind} is not deterministic"
        );
        let other = make_dataset(&DatasetConfig {
            seed: 6,
            ..c.clone()
        })
        .expect(kind);
        assert_ne!(a.train_x, other.train_x, "{kind}: the seed changes nothing");
        let classes = if kind == "spiral" || kind == "blobs" {
            4
        } else {
            2
        };
        assert_eq!(a.classes, classes, "{kind}");
        assert_eq!((a.train_y.len(), a.test_y.len()), (150, 50), "{kind}");
        assert_eq!((a.train_x.len(), a.test_x.len()), (300, 100), "{kind}");
        let all: Vec<u32> = a.train_y.iter().chain(&a.test_y).copied().collect();
        for c in 0..classes as u32 {
            let count = all.iter().filter(|&&y| y == c).count();
            assert!(
                count >= 200 / classes / 2,
                "{kind}: class {c} has {count} samples"
            );
        }
        assert!(all.iter().all(|&y| (y as usize) < classes));
        assert!(
            a.train_x
                .iter()
                .chain(&a.test_x)
                .all(|v| v.is_finite() && v.abs() < 2.0),
            "{kind}: points outside [-2, 2]²"
        );
    }
}

#[test]
fn dataset_configs_are_checked() {
    let bad = |json: &str| {
        DatasetConfig::from_json(json)
            .and_then(|c| make_dataset(&c))
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        bad(r#"{"kind": "swirl"}"#),
        "kind: expected one of spiral, moons, circles, xor, blobs, found \"swirl\""
    );
    assert_eq!(
        bad(r#"{"n": 0}"#),
        "n: expected 2..=1000000 samples, found 0"
    );
    assert_eq!(
        bad(r#"{"classes": 11}"#),
        "classes: expected 2..=10, found 11"
    );
    assert!(bad(r#"{"nosie": 1}"#).contains("unknown field `nosie`"));
    assert_eq!(
        bad(r#"{"test_fraction": 1.0}"#),
        "test_fraction: expected a number in [0, 0.9], found 1"
    );
}

#[test]
fn spiral_2_64_64_3_reaches_95_percent_train_accuracy() {
    let mut e = engine(
        PlaygroundConfig {
            layers: vec![2, 64, 64, 3],
            lr: Some(0.01),
            batch: 32,
            seed: 1,
            ..Default::default()
        },
        600,
    );
    let mut acc = 0.0;
    for _ in 0..100 {
        e.epoch().expect("epoch");
        acc = e.metrics().expect("metrics").train_acc;
        if acc >= 0.95 {
            break;
        }
    }
    let m = e.metrics().expect("metrics");
    assert!(acc >= 0.95, "train accuracy {acc} after {} steps", m.step);
    assert!(m.step <= 1500, "took {} steps", m.step);
}

#[test]
fn inspect_shapes_follow_the_tutorial() {
    let mut e = engine(small(), 100);
    assert!(matches!(e.inspect(1), Err(EngineError::NotReady(_))));
    e.step().expect("step");
    let sizes = [2, 5, 4, 3];
    for l in 1..=3 {
        let v = e.inspect(l).expect("inspect");
        let (n_in, n_out, m) = (sizes[l - 1], sizes[l], 8);
        assert_eq!(v.batch, m);
        assert_eq!(v.a_prev.shape(), (n_in, m), "A[{}]", l - 1);
        assert_eq!(v.w.shape(), (n_out, n_in), "W[{l}] is out × in");
        assert_eq!(v.b.shape(), (n_out, 1));
        for (name, q) in [("Z", &v.z), ("A", &v.a), ("dA", &v.da), ("dZ", &v.dz)] {
            assert_eq!(q.shape(), (n_out, m), "{name}[{l}]");
        }
        assert_eq!(v.dw.shape(), (n_out, n_in));
        assert_eq!(v.db.shape(), (n_out, 1));
    }
    assert_eq!(e.inspect(1).expect("l1").activation, "relu");
    assert_eq!(e.inspect(3).expect("l3").activation, "softmax");
    assert_eq!(
        e.inspect(0).unwrap_err().to_string(),
        "layer: expected 1..=3, found 0"
    );
    assert!(e.inspect(4).is_err());
}

fn close(a: &DMatrix<f32>, b: &DMatrix<f32>, what: &str) {
    assert_eq!(a.shape(), b.shape(), "{what}");
    for (x, y) in a.iter().zip(b.iter()) {
        assert!(
            (x - y).abs() <= 1e-5 * (1.0 + y.abs()),
            "{what}: {x} vs {y}"
        );
    }
}

#[test]
fn inspected_quantities_obey_the_formulas() {
    let mut e = engine(small(), 100);
    e.step().expect("step");
    for l in 1..=3 {
        let v = e.inspect(l).expect("inspect");
        let mut z = &v.w * &v.a_prev;
        for mut col in z.column_iter_mut() {
            col += v.b.column(0);
        }
        close(&v.z, &z, "Z = W A_prev + b");
        close(&v.dw, &(&v.dz * v.a_prev.transpose()), "dW = dZ A_prevᵀ");
        let db = DMatrix::from_iterator(v.dz.nrows(), 1, v.dz.row_iter().map(|r| r.sum()));
        close(&v.db, &db, "db = Σ dZ");
        if l < 3 {
            let relu = v.z.map(|z| z.max(0.0));
            assert_eq!(v.a, relu, "A = relu(Z)");
            let dz = v.da.zip_map(&v.z, |da, z| if z > 0.0 { da } else { 0.0 });
            assert_eq!(v.dz, dz, "dZ = dA ⊙ relu'(Z)");
            // dA[l] = W[l+1]ᵀ dZ[l+1]
            let next = e.inspect(l + 1).expect("next");
            close(
                &v.da,
                &(next.w.transpose() * &next.dz),
                "dA = W[l+1]ᵀ dZ[l+1]",
            );
        } else {
            for (j, col) in v.a.column_iter().enumerate() {
                assert!(
                    (col.sum() - 1.0).abs() < 1e-5,
                    "softmax column {j} sums to {}",
                    col.sum()
                );
            }
        }
    }
}

#[test]
fn gradients_equal_the_librarys_sequential_backward() {
    let config = PlaygroundConfig {
        dropout: 0.3,
        ..small()
    };
    let mut e = engine(config.clone(), 100);
    e.step().expect("step");
    let (x, labels) = e.last_batch().expect("batch");
    let (x, labels) = (x.clone(), labels.to_vec());
    // The same fresh network, run by Sequential itself.
    let mut net: Sequential<f32> = build_network(&config).expect("net");
    let out = net.forward(&x, Mode::Train).expect("forward").clone();
    let mut dout = DMatrix::zeros(0, 0);
    LossKind::SoftmaxCrossEntropy
        .loss_and_gradient(&out, Target::Classes(&labels), &mut dout)
        .expect("loss");
    net.backward(&x, &dout).expect("backward");
    let mut grads = Vec::new();
    net.visit_params(&mut |p| grads.push(p.grad.clone()));
    let mut mine = Vec::new();
    for l in 1..=3 {
        let v = e.inspect(l).expect("inspect");
        mine.push(v.dw);
        mine.push(v.db);
    }
    assert_eq!(grads, mine, "dW and db differ from Sequential::backward's");
}

#[test]
fn the_same_seed_gives_the_same_bits() {
    let config = PlaygroundConfig {
        dropout: 0.2,
        ..small()
    };
    let run = || {
        let mut e = engine(config.clone(), 100);
        (0..20)
            .map(|_| e.step().expect("step").to_bits())
            .collect::<Vec<_>>()
    };
    assert_eq!(run(), run());
    let mut other = engine(
        PlaygroundConfig {
            seed: 12,
            ..config.clone()
        },
        100,
    );
    assert_ne!(other.step().expect("step").to_bits(), run()[0]);
}

#[test]
fn an_epoch_visits_every_sample_once() {
    let mut e = engine(small(), 100); // 80 training samples, batch 8
    let r = e.epoch().expect("epoch");
    assert_eq!((e.steps(), e.epochs()), (10, 1));
    assert!(r.loss.is_finite() && (0.0..=1.0).contains(&r.accuracy));
    let mut e = engine(
        PlaygroundConfig {
            batch: 30,
            ..small()
        },
        100,
    );
    e.epoch().expect("epoch");
    assert_eq!(e.steps(), 3, "80 samples in batches of 30, 30, 20");
    assert_eq!(e.last_batch().expect("batch").1.len(), 20);
}

#[test]
fn save_and_load_round_trip() {
    let mut e = engine(
        PlaygroundConfig {
            optimizer: "sgd".into(),
            ..small()
        },
        100,
    );
    for _ in 0..5 {
        e.step().expect("step");
    }
    let bytes = e.save().expect("save");
    let mut back = Engine::load(&bytes).expect("load");
    assert_eq!(back.config(), e.config());
    let grid: Vec<f32> = (0..50).map(|i| (i as f32 - 25.0) / 20.0).collect();
    let p = e.predict(&grid).expect("predict");
    assert_eq!(p.len(), 25 * 3);
    assert_eq!(back.predict(&grid).expect("predict"), p);
    let d = spiral(100, 3);
    back.set_data(&d.train_x, &d.train_y, &d.test_x, &d.test_y, 2)
        .expect("data");
    assert!(back.step().expect("training continues").is_finite());
    let mut garbage = bytes.clone();
    garbage.truncate(bytes.len() / 2);
    assert!(matches!(Engine::load(&garbage), Err(EngineError::Io(_))));
}

#[test]
fn predictions_are_probabilities_per_loss() {
    let grid: Vec<f32> = (0..40).map(|i| (i as f32 - 20.0) / 15.0).collect();
    for (loss, out) in [
        ("softmax_cross_entropy", 3),
        ("bce", 3),
        ("bce", 1),
        ("mse", 3),
    ] {
        let mut layers = vec![2, 6, out];
        if out == 1 {
            layers = vec![2, 6, 1];
        }
        let config = PlaygroundConfig {
            layers,
            loss: loss.into(),
            ..small()
        };
        let d = make_dataset(&DatasetConfig {
            kind: if out == 1 {
                "moons".into()
            } else {
                "spiral".into()
            },
            n: 60,
            ..Default::default()
        })
        .expect("data");
        let mut e = Engine::new(config).expect(loss);
        e.set_data(&d.train_x, &d.train_y, &d.test_x, &d.test_y, 2)
            .expect("data");
        assert!(e.step().expect(loss).is_finite(), "{loss}");
        let p = e.predict(&grid).expect("predict");
        let classes = out.max(2);
        assert_eq!(p.len(), 20 * classes, "{loss} with {out} outputs");
        if loss == "softmax_cross_entropy" || out == 1 {
            for s in p.chunks(classes) {
                assert!((s.iter().sum::<f32>() - 1.0).abs() < 1e-5, "{loss}: {s:?}");
            }
        }
        if loss == "bce" {
            assert!(p.iter().all(|v| (0.0..=1.0).contains(v)), "{loss}");
        }
    }
}

#[test]
fn bad_configs_and_data_are_typed_errors() {
    let err = |json: &str| PlaygroundConfig::from_json(json).unwrap_err().to_string();
    assert_eq!(
        err(r#"{"layers": [2]}"#),
        "layers: expected 2..=34 sizes (input, hidden..., output), found 1 sizes"
    );
    assert_eq!(
        err(r#"{"layers": [2, 0, 3]}"#),
        "layers: expected sizes in 1..=4096, found 0"
    );
    assert!(err(r#"{"activation": "relus"}"#).contains("relus"));
    assert!(err(r#"{"optimizer": "adagrad"}"#).contains("adagrad"));
    assert!(err(r#"{"loss": "hinge"}"#).contains("unknown loss \"hinge\""));
    assert!(err(r#"{"layer": [2, 3]}"#).contains("unknown field `layer`"));
    assert_eq!(err(r#"{"batch": 0}"#), "batch: expected 1..=65536, found 0");
    assert_eq!(
        err(r#"{"dropout": 1.0}"#),
        "dropout: expected a probability in [0, 1), found 1"
    );
    assert_eq!(
        err(r#"{"schedule": "warm"}"#),
        "schedule: expected one of constant, cosine, step, found \"warm\""
    );
    assert!(err(r#"{"lr": -1}"#).starts_with("lr: expected a finite number > 0"));

    let mut e = Engine::new(small()).expect("engine");
    assert!(matches!(e.step(), Err(EngineError::NotReady(_))));
    assert_eq!(
        e.set_data(&[0.0; 4], &[0, 3], &[], &[], 2)
            .unwrap_err()
            .to_string(),
        "training data labels: expected classes 0..3 (the network's outputs), found 3"
    );
    assert_eq!(
        e.set_data(&[0.0; 3], &[0, 1], &[], &[], 2)
            .unwrap_err()
            .to_string(),
        "training values: expected 2 labels × 2 features = 4 values, found 3"
    );
    assert!(e.set_data(&[0.0; 6], &[0, 1], &[], &[], 3).is_err());
    assert!(e.set_data(&[f32::NAN, 0.0], &[0], &[], &[], 2).is_err());
    assert!(e.predict(&[0.0; 3]).is_err());
}

#[test]
fn images_train_and_classify() {
    let config = PlaygroundConfig {
        layers: vec![784, 16, 10],
        batch: 16,
        ..Default::default()
    };
    let mut e = Engine::new(config).expect("engine");
    // Ten "digits": image k lights row band k.
    let (mut pixels, mut labels) = (Vec::new(), Vec::new());
    for i in 0..200 {
        let k = i % 10;
        pixels.extend((0..784).map(|p| {
            if (p / 28) / 3 == k {
                255u8
            } else {
                (i * 7 % 13) as u8
            }
        }));
        labels.push(k as u8);
    }
    e.set_images(&pixels, &labels, &pixels[..784 * 20], &labels[..20])
        .expect("images");
    for _ in 0..10 {
        e.epoch().expect("epoch");
    }
    assert!(e.metrics().expect("metrics").test_acc > 0.9);
    let p = e
        .predict_pixels(&pixels[784 * 3..784 * 4])
        .expect("predict");
    assert_eq!(p.len(), 10);
    assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5);
    let best = (0..10).max_by(|&a, &b| p[a].total_cmp(&p[b])).unwrap_or(0);
    assert_eq!(best, 3);
    assert!(e.predict_pixels(&[0; 100]).is_err());
    // The scaling rides in the model file.
    let back = Engine::load(&e.save().expect("save")).expect("load");
    assert_eq!(
        back.network().info().preprocess,
        e.network().info().preprocess
    );
    assert_ne!(
        back.network().info().preprocess,
        backprop_layers::Preprocess::None
    );
}
