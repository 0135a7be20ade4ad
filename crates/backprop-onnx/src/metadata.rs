//! A model's [`ModelInfo`] as ONNX `metadata_props` and back.
//!
//! | key | value |
//! |---|---|
//! | `preprocess` | JSON: `{"kind":"none"}`, `{"kind":"pixels","mean":m,"std":s}` (`x = (p/255 − mean)/std`), `{"kind":"standardize","offset":[…],"scale":[…]}` (`xᵢ = (xᵢ − offsetᵢ)/scaleᵢ`) |
//! | `output_kind` | `logits`, `probabilities` or `values` |
//! | `class_names` | JSON list of strings (absent when unknown) |
//! | `metadata` | JSON object of the model's free-form metadata (absent when empty) |
//!
//! Other keys are ignored on import; a file without these keys imports with
//! the defaults (no preprocessing, logits).

use crate::OnnxError;
use crate::schema::StringStringEntryProto;
use backprop_layers::{ModelInfo, OutputKind, Preprocess};
use serde_json::{Value, json};

/// The key of the preprocessing.
pub const PREPROCESS_KEY: &str = "preprocess";
/// The key of the output kind.
pub const OUTPUT_KIND_KEY: &str = "output_kind";
/// The key of the class names.
pub const CLASS_NAMES_KEY: &str = "class_names";
/// The key of the free-form metadata.
pub const METADATA_KEY: &str = "metadata";

fn entry(key: &str, value: String) -> StringStringEntryProto {
    StringStringEntryProto {
        key: key.to_string(),
        value,
    }
}

/// The `metadata_props` entries describing `info`.
pub(crate) fn to_props(info: &ModelInfo) -> Vec<StringStringEntryProto> {
    let pre = match &info.preprocess {
        Preprocess::Pixels { mean, std } => json!({"kind": "pixels", "mean": mean, "std": std}),
        Preprocess::Standardize { offset, scale } => {
            json!({"kind": "standardize", "offset": offset, "scale": scale})
        }
        _ => json!({"kind": "none"}),
    };
    let mut props = vec![
        entry(PREPROCESS_KEY, pre.to_string()),
        entry(OUTPUT_KIND_KEY, info.output.name().to_string()),
    ];
    if let Some(names) = &info.class_names {
        props.push(entry(CLASS_NAMES_KEY, json!(names).to_string()));
    }
    if !info.metadata.is_empty() {
        props.push(entry(METADATA_KEY, json!(info.metadata).to_string()));
    }
    props
}

fn bad(key: &str, expected: &str, found: &str) -> OnnxError {
    OnnxError::Metadata {
        key: key.to_string(),
        expected: expected.to_string(),
        found: found.to_string(),
    }
}

/// The [`ModelInfo`] that `props` describe, checked against a model taking
/// `features` inputs and giving `outputs` outputs.
pub(crate) fn from_props(
    props: &[StringStringEntryProto],
    features: usize,
    outputs: usize,
    default_output: OutputKind,
) -> Result<ModelInfo, OnnxError> {
    let mut info = ModelInfo {
        output: default_output,
        ..ModelInfo::default()
    };
    for p in props {
        match p.key.as_str() {
            PREPROCESS_KEY => info.preprocess = preprocess(&p.value, features)?,
            OUTPUT_KIND_KEY => {
                info.output = OutputKind::from_name(&p.value).ok_or_else(|| {
                    bad(OUTPUT_KIND_KEY, "logits, probabilities or values", &p.value)
                })?;
            }
            CLASS_NAMES_KEY => {
                const WHAT: &str = "a JSON list of strings, one per output";
                let names: Vec<String> = match serde_json::from_str::<Value>(&p.value) {
                    Ok(Value::Array(items)) => items
                        .into_iter()
                        .map(|v| match v {
                            Value::String(s) => Ok(s),
                            _ => Err(bad(CLASS_NAMES_KEY, WHAT, &p.value)),
                        })
                        .collect::<Result<_, _>>()?,
                    _ => return Err(bad(CLASS_NAMES_KEY, WHAT, &p.value)),
                };
                let classes = if outputs == 1 { 2 } else { outputs };
                if names.len() != classes {
                    return Err(bad(
                        CLASS_NAMES_KEY,
                        &format!("{classes} class names (the model's classes)"),
                        &p.value,
                    ));
                }
                info.class_names = Some(names);
            }
            METADATA_KEY => {
                const WHAT: &str = "a JSON object of strings";
                let Ok(Value::Object(map)) = serde_json::from_str::<Value>(&p.value) else {
                    return Err(bad(METADATA_KEY, WHAT, &p.value));
                };
                for (k, v) in map {
                    let Value::String(v) = v else {
                        return Err(bad(METADATA_KEY, WHAT, &p.value));
                    };
                    info.metadata.insert(k, v);
                }
            }
            _ => {}
        }
    }
    Ok(info)
}

fn preprocess(text: &str, features: usize) -> Result<Preprocess, OnnxError> {
    const WHAT: &str = r#"{"kind":"none"}, {"kind":"pixels","mean":m,"std":s} or {"kind":"standardize","offset":[…],"scale":[…]}"#;
    let err = || bad(PREPROCESS_KEY, WHAT, text);
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(text) else {
        return Err(err());
    };
    let num = |k: &str| map.get(k).and_then(Value::as_f64).ok_or_else(err);
    let list = |k: &str| -> Result<Vec<f64>, OnnxError> {
        map.get(k)
            .and_then(Value::as_array)
            .ok_or_else(err)?
            .iter()
            .map(|v| v.as_f64().ok_or_else(err))
            .collect()
    };
    let pre = match map.get("kind").and_then(Value::as_str) {
        Some("none") => Preprocess::None,
        Some("pixels") => Preprocess::Pixels {
            mean: num("mean")?,
            std: num("std")?,
        },
        Some("standardize") => Preprocess::Standardize {
            offset: list("offset")?,
            scale: list("scale")?,
        },
        _ => return Err(err()),
    };
    pre.validate(features)
        .map_err(|message| bad(PREPROCESS_KEY, &message, text))?;
    Ok(pre)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_round_trips_exactly() {
        let mut info = ModelInfo {
            preprocess: Preprocess::Standardize {
                offset: vec![0.1, -2.5e-7],
                scale: vec![1.0 / 3.0, 7.0],
            },
            output: OutputKind::Probabilities,
            class_names: Some(vec!["cat".into(), "dög \"quoted\"".into(), "x".into()]),
            ..ModelInfo::default()
        };
        info.metadata.insert("dataset".into(), "mnist".into());
        let back = from_props(&to_props(&info), 2, 3, OutputKind::Logits).unwrap();
        assert_eq!(back, info);
        let pixels = ModelInfo {
            preprocess: Preprocess::Pixels {
                mean: 0.1307,
                std: 0.3081,
            },
            ..ModelInfo::default()
        };
        assert_eq!(
            from_props(&to_props(&pixels), 784, 10, OutputKind::Values).unwrap(),
            pixels
        );
    }

    #[test]
    fn bad_values_are_named() {
        let props = |k: &str, v: &str| vec![entry(k, v.into())];
        let e =
            from_props(&props(OUTPUT_KIND_KEY, "scores"), 2, 3, OutputKind::Logits).unwrap_err();
        assert!(
            matches!(&e, OnnxError::Metadata { key, found, .. } if key == "output_kind" && found == "scores"),
            "{e}"
        );
        let e = from_props(
            &props(CLASS_NAMES_KEY, r#"["a","b"]"#),
            2,
            3,
            OutputKind::Logits,
        )
        .unwrap_err();
        assert!(e.to_string().contains("3 class names"), "{e}");
        let e = from_props(
            &props(PREPROCESS_KEY, r#"{"kind":"pixels","mean":0,"std":0}"#),
            2,
            3,
            OutputKind::Logits,
        )
        .unwrap_err();
        assert!(e.to_string().contains("positive std"), "{e}");
        let e = from_props(
            &props(
                PREPROCESS_KEY,
                r#"{"kind":"standardize","offset":[0],"scale":[1]}"#,
            ),
            2,
            3,
            OutputKind::Logits,
        )
        .unwrap_err();
        assert!(e.to_string().contains("1 offsets"), "{e}");
        let e = from_props(&props(METADATA_KEY, "[1]"), 2, 3, OutputKind::Logits).unwrap_err();
        assert!(
            matches!(&e, OnnxError::Metadata { key, .. } if key == "metadata"),
            "{e}"
        );
        // Keys of other producers are not ours to judge.
        assert!(from_props(&props("author", "{"), 2, 3, OutputKind::Logits).is_ok());
    }
}
