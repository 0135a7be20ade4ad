//! Where `examples/mnist` finds its data when `--data` is not given (#14):
//! `BACKPROP_DATA`, else `data/mnist` in the working directory, else
//! `data/mnist` beside the executable, never a path fixed at compile time;
//! the first line says which. And Fashion-MNIST, shipped in
//! data/fashion-mnist, read and named.

#[path = "support/examples.rs"]
mod examples;
#[path = "support/mnist_sets.rs"]
mod mnist_sets;
use examples::{example, temp_dir, temp_dir_outside_checkout};
use mnist_sets::{MNIST_NAMES, arg, mnist, ok, small_set, stderr, summary};

use backprop::io::load_model;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// `exe` with `args` in `cwd`, `BACKPROP_DATA` set to `data` (or unset).
fn run(exe: &Path, cwd: &Path, data: Option<&Path>, args: &[&str]) -> Output {
    let mut command = Command::new(exe);
    command.args(args).current_dir(cwd).stdin(Stdio::null());
    match data {
        Some(dir) => command.env("BACKPROP_DATA", dir),
        None => command.env_remove("BACKPROP_DATA"),
    };
    command.output().expect("mnist starts")
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

#[test]
fn the_data_is_found_at_run_time_and_the_output_says_where() {
    let dir = temp_dir("mnist-data", "found");
    let out = dir.join("out");
    let quick = ["--epochs", "1", "--out", arg(&out)];
    let exe = example("mnist");

    // BACKPROP_DATA.
    let env_set = dir.join("env-set");
    small_set(&env_set, MNIST_NAMES, 200, 50, 0);
    let elsewhere = dir.join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let text = ok(&run(&exe, &elsewhere, Some(&env_set), &quick));
    assert_eq!(
        first_line(&text),
        format!(
            "env-set: 200 training, 50 test images (28×28, 10 classes) from {} (BACKPROP_DATA)",
            env_set.display()
        )
    );

    // data/mnist in the working directory, and BACKPROP_DATA before it.
    let work = dir.join("work");
    small_set(&work.join("data/mnist"), MNIST_NAMES, 150, 40, 0);
    let text = ok(&run(&exe, &work, None, &quick));
    assert_eq!(
        first_line(&text),
        "MNIST: 150 training, 40 test images (28×28, 10 classes) from data/mnist (in the working directory)"
    );
    let text = ok(&run(&exe, &work, Some(&env_set), &quick));
    assert!(first_line(&text).ends_with("(BACKPROP_DATA)"), "{text}");
    // --data before both.
    let mut args = quick.to_vec();
    args.extend(["--data", arg(&env_set)]);
    let text = ok(&run(&exe, &work, Some(&dir), &args));
    assert!(
        first_line(&text).ends_with(&format!("{} (--data)", env_set.display())),
        "{text}"
    );

    // A BACKPROP_DATA without a set is an error naming the variable.
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let failed = run(&exe, &work, Some(&empty), &quick);
    assert_eq!(failed.status.code(), Some(1));
    assert!(
        stderr(&failed).starts_with(&format!(
            "error: BACKPROP_DATA: {}: no IDX image set: looked for ",
            empty.display()
        )),
        "{}",
        stderr(&failed)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_copied_binary_reads_the_data_beside_it_not_the_checkout_it_was_built_in() {
    // Outside the checkout: the executable looks for data/mnist in its
    // parent directories, and the checkout has one.
    let dir = temp_dir_outside_checkout("mnist-data", "copied");
    let out = dir.join("out");
    let quick = ["--epochs", "1", "--out", arg(&out)];
    let app = dir.join("app");
    std::fs::create_dir_all(app.join("bin")).unwrap();
    let exe = app.join("bin/mnist");
    std::fs::copy(example("mnist"), &exe).unwrap();
    let elsewhere = dir.join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();

    small_set(&app.join("data/mnist"), MNIST_NAMES, 120, 30, 0);
    let text = ok(&run(&exe, &elsewhere, None, &quick));
    assert_eq!(
        first_line(&text),
        format!(
            "MNIST: 120 training, 30 test images (28×28, 10 classes) from {} (beside the executable, {})",
            app.join("data/mnist").display(),
            exe.display()
        )
    );

    // Without it, no other checkout's data: an error saying where it looked.
    std::fs::remove_dir_all(app.join("data")).unwrap();
    let failed = run(&exe, &elsewhere, None, &quick);
    assert_eq!(failed.status.code(), Some(1));
    assert_eq!(
        stderr(&failed),
        format!(
            "error: no data: give --data DIR (or the four files), or set BACKPROP_DATA; there is no data/mnist \
             in the working directory ({}) nor beside the executable ({}) or in any of its parent directories\n",
            elsewhere.display(),
            exe.display()
        )
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn fashion_mnist_ships_with_the_repository_and_is_named() {
    let dir = temp_dir("mnist-data", "fashion");
    let out = dir.join("out");
    let run = mnist(&[
        "--data",
        "data/fashion-mnist",
        "--limit",
        "300",
        "--epochs",
        "1",
        "--json",
        "--out",
        arg(&out),
    ]);
    let text = ok(&run);
    assert_eq!(
        first_line(&text),
        "Fashion-MNIST: 300 training, 10000 test images (28×28, 10 classes) from data/fashion-mnist (--data)"
    );
    let json = summary(&run);
    assert_eq!(json["dataset"], "Fashion-MNIST");
    // The model file names the classes and the data.
    let net = load_model::<f32>(out.join("model.safetensors")).unwrap();
    let names = net.info().class_names.clone().unwrap();
    assert_eq!(
        names,
        [
            "T-shirt/top",
            "Trouser",
            "Pullover",
            "Dress",
            "Coat",
            "Sandal",
            "Shirt",
            "Sneaker",
            "Bag",
            "Ankle boot"
        ]
    );
    assert_eq!(net.info().metadata["dataset"], "Fashion-MNIST");
    let _ = std::fs::remove_dir_all(&dir);
}
