//! One training step of a fresh playground, natively: prints its loss and
//! every dense layer's `Z`, `dW` and `db` as one JSON line, for the browser
//! test to compare with what the wasm build's `inspect()` gives.
//!
//! ```text
//! cargo run -p backprop-web --example step_dw -- '{"playground": {"layers": [2, 4, 3], "seed": 7}, "dataset": {"n": 40, "seed": 3}}'
//! ```
//!
//! Both objects are optional (their defaults are API.md's); the page builds
//! the same playground with `make_dataset(dataset)` and `set_data`, and
//! calls `step()` once.

use backprop_web::dataset::{DatasetConfig, make_dataset};
use backprop_web::{Engine, PlaygroundConfig};
use serde::Deserialize;
use serde_json::{Value, json};
use std::process::ExitCode;

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct Args {
    playground: Option<Value>,
    dataset: Option<Value>,
}

fn matrix(m: &backprop_tensor::DMatrix<f32>) -> Value {
    json!({"rows": m.nrows(), "cols": m.ncols(), "data": m.as_slice()})
}

fn run(arg: &str) -> Result<Value, String> {
    let args: Args = serde_json::from_str(arg).map_err(|e| format!("arguments: {e}"))?;
    let pg = args.playground.unwrap_or_else(|| json!({}));
    let ds = args.dataset.unwrap_or_else(|| json!({}));
    let config = PlaygroundConfig::from_json(&pg.to_string()).map_err(|e| e.to_string())?;
    let dconfig = DatasetConfig::from_json(&ds.to_string()).map_err(|e| e.to_string())?;
    let d = make_dataset(&dconfig).map_err(|e| e.to_string())?;
    let mut engine = Engine::new(config.clone()).map_err(|e| e.to_string())?;
    engine
        .set_data(&d.train_x, &d.train_y, &d.test_x, &d.test_y, 2)
        .map_err(|e| e.to_string())?;
    let loss = engine.step().map_err(|e| e.to_string())?;
    let mut layers = Vec::new();
    for l in 1..=engine.layer_count() {
        let v = engine.inspect(l).map_err(|e| e.to_string())?;
        layers.push(json!({"l": l, "Z": matrix(&v.z), "dW": matrix(&v.dw), "db": matrix(&v.db)}));
    }
    Ok(json!({
        "config": serde_json::from_str::<Value>(&config.to_json()).unwrap_or(Value::Null),
        "dataset": ds,
        "loss": loss,
        "layers": layers,
    }))
}

fn main() -> ExitCode {
    let arg = std::env::args().nth(1).unwrap_or_else(|| "{}".into());
    if arg == "--help" || arg == "-h" {
        println!("usage: step_dw ['{{\"playground\": {{...}}, \"dataset\": {{...}}}}']");
        return ExitCode::SUCCESS;
    }
    match run(&arg) {
        Ok(v) => {
            println!("{v}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("step_dw: {e}");
            ExitCode::from(2)
        }
    }
}
