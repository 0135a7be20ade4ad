//! [`Config`]: a layer's settings as plain data (numbers, text, lists and
//! nested maps), which `backprop-io` writes as JSON in a model file and
//! reads back. The math crates stay free of serialisation libraries; this is
//! the small data model they share with the one that has one.

use crate::LayerError;
use std::collections::BTreeMap;

/// One value of a configuration: the JSON data model.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Value {
    /// `true` / `false`.
    Bool(bool),
    /// A non-negative integer (sizes, counts).
    UInt(u64),
    /// A negative integer.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// Text.
    Str(String),
    /// A list.
    List(Vec<Value>),
    /// A nested map (e.g. one layer's configuration inside a container's).
    Map(Config),
}

impl Value {
    /// The value as `f64`, if it is a number.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Value::Float(v) => Some(v),
            Value::UInt(v) => Some(v as f64),
            Value::Int(v) => Some(v as f64),
            _ => None,
        }
    }
    /// What kind of value this is, for messages (`"text"`, `"a number"`).
    pub fn describe(&self) -> String {
        match self {
            Value::Bool(b) => format!("the boolean {b}"),
            Value::UInt(v) => format!("the integer {v}"),
            Value::Int(v) => format!("the integer {v}"),
            Value::Float(v) => format!("the number {v}"),
            Value::Str(s) => format!("the text {s:?}"),
            Value::List(l) => format!("a list of {}", l.len()),
            Value::Map(_) => "a map".to_string(),
        }
    }
}

macro_rules! value_from {
    ($($t:ty => $v:ident as $as:ty),* $(,)?) => {$(
        impl From<$t> for Value {
            fn from(x: $t) -> Self { Value::$v(x as $as) }
        }
    )*};
}
value_from!(usize => UInt as u64, u64 => UInt as u64, u32 => UInt as u64, f64 => Float as f64, f32 => Float as f64);

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}
impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Str(s.to_string())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Str(s)
    }
}
impl From<Config> for Value {
    fn from(c: Config) -> Self {
        Value::Map(c)
    }
}
impl<V: Into<Value>> From<Vec<V>> for Value {
    fn from(v: Vec<V>) -> Self {
        Value::List(v.into_iter().map(Into::into).collect())
    }
}

/// A layer's configuration: named [`Value`]s, enough to rebuild the layer
/// (without its weights, which are tensors).
///
/// The typed getters return [`LayerError::InvalidConfig`] naming the layer,
/// the key and what was found, so a hand-edited model file is explained.
///
/// ```
/// use backprop_layers::Config;
/// let c = Config::new().with("outputs", 10usize).with("p", 0.5);
/// assert_eq!(c.usize("dense", "outputs")?, 10);
/// assert_eq!(c.f64("dropout", "p")?, 0.5);
/// let err = c.usize("dense", "inputs").unwrap_err();
/// assert_eq!(err.to_string(), "dense: configuration has no \"inputs\" (expected a non-negative integer)");
/// # Ok::<(), backprop_layers::LayerError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Config {
    entries: BTreeMap<String, Value>,
}

impl Config {
    /// An empty configuration.
    pub fn new() -> Self {
        Self::default()
    }
    /// Adds (or replaces) `key`.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.insert(key, value);
        self
    }
    /// Sets `key`.
    pub fn insert(&mut self, key: &str, value: impl Into<Value>) {
        self.entries.insert(key.to_string(), value.into());
    }
    /// Removes and returns `key`.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        self.entries.remove(key)
    }
    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries.get(key)
    }
    /// Every entry, sorted by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }
    /// Whether there is no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn required(&self, layer: &str, key: &str, expected: &str) -> Result<&Value, LayerError> {
        self.get(key).ok_or_else(|| LayerError::InvalidConfig {
            layer: layer.to_string(),
            message: format!("configuration has no {key:?} (expected {expected})"),
        })
    }

    fn wrong(layer: &str, key: &str, expected: &str, found: &Value) -> LayerError {
        LayerError::InvalidConfig {
            layer: layer.to_string(),
            message: format!("{key:?} must be {expected}, found {}", found.describe()),
        }
    }

    /// A non-negative integer.
    pub fn usize(&self, layer: &str, key: &str) -> Result<usize, LayerError> {
        const WHAT: &str = "a non-negative integer";
        match self.required(layer, key, WHAT)? {
            Value::UInt(v) => usize::try_from(*v).map_err(|_| {
                Self::wrong(
                    layer,
                    key,
                    "an integer that fits this machine",
                    &Value::UInt(*v),
                )
            }),
            other => Err(Self::wrong(layer, key, WHAT, other)),
        }
    }
    /// A number.
    pub fn f64(&self, layer: &str, key: &str) -> Result<f64, LayerError> {
        let v = self.required(layer, key, "a number")?;
        v.as_f64()
            .ok_or_else(|| Self::wrong(layer, key, "a number", v))
    }
    /// A number, or `None` if absent.
    pub fn opt_f64(&self, layer: &str, key: &str) -> Result<Option<f64>, LayerError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_f64()
                .map(Some)
                .ok_or_else(|| Self::wrong(layer, key, "a number", v)),
        }
    }
    /// Text.
    pub fn str(&self, layer: &str, key: &str) -> Result<&str, LayerError> {
        match self.required(layer, key, "text")? {
            Value::Str(s) => Ok(s),
            other => Err(Self::wrong(layer, key, "text", other)),
        }
    }
    /// A list.
    pub fn list(&self, layer: &str, key: &str) -> Result<&[Value], LayerError> {
        match self.required(layer, key, "a list")? {
            Value::List(l) => Ok(l),
            other => Err(Self::wrong(layer, key, "a list", other)),
        }
    }
    /// Fails naming the first key not in `known`, so a misspelt setting is
    /// not silently ignored.
    pub fn only(&self, layer: &str, known: &[&str]) -> Result<(), LayerError> {
        match self.entries.keys().find(|k| !known.contains(&k.as_str())) {
            Some(k) => Err(LayerError::InvalidConfig {
                layer: layer.to_string(),
                message: format!("unknown setting {k:?} (known: {})", known.join(", ")),
            }),
            None => Ok(()),
        }
    }
}
