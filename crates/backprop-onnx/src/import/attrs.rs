//! A node's attributes, read with their types checked and unknown names
//! refused (an attribute this importer does not interpret could change what
//! the node computes).

use super::constants::attr_type_name;
use crate::OnnxError;
use crate::schema::{AttributeProto, NodeProto, attribute_proto::AttributeType};

/// The attributes of one node, with the node's label for messages.
pub(crate) struct Attrs<'a> {
    pub node: &'a NodeProto,
    pub label: String,
}

impl<'a> Attrs<'a> {
    /// The attributes of `node`, refusing any name outside `known`.
    pub fn new(node: &'a NodeProto, label: String, known: &[&str]) -> Result<Self, OnnxError> {
        let a = Self { node, label };
        if let Some(x) = node
            .attribute
            .iter()
            .find(|x| !known.contains(&x.name.as_str()))
        {
            let expected = if known.is_empty() {
                "no attribute".to_string()
            } else {
                format!("only {}", known.join(", "))
            };
            return Err(a.err(
                &x.name,
                &expected,
                "an attribute this importer does not interpret".into(),
            ));
        }
        Ok(a)
    }

    /// An [`OnnxError::Attribute`] about `name`.
    pub fn err(&self, name: &str, expected: &str, found: String) -> OnnxError {
        OnnxError::Attribute {
            node: self.label.clone(),
            op_type: self.node.op_type.clone(),
            attribute: name.to_string(),
            expected: expected.to_string(),
            found,
        }
    }

    fn get(&self, name: &str, t: AttributeType) -> Result<Option<&'a AttributeProto>, OnnxError> {
        match self.node.attribute.iter().find(|a| a.name == name) {
            None => Ok(None),
            Some(a) if a.r#type == t as i32 => Ok(Some(a)),
            Some(a) => Err(self.err(
                name,
                &format!("an attribute of type {}", t.as_str_name()),
                format!("type {}", attr_type_name(a.r#type)),
            )),
        }
    }

    /// An `INT` attribute, or `default`.
    pub fn int(&self, name: &str, default: i64) -> Result<i64, OnnxError> {
        Ok(self.get(name, AttributeType::Int)?.map_or(default, |a| a.i))
    }
    /// A `FLOAT` attribute, or `default`.
    pub fn float(&self, name: &str, default: f32) -> Result<f32, OnnxError> {
        let v = self
            .get(name, AttributeType::Float)?
            .map_or(default, |a| a.f);
        if !v.is_finite() {
            return Err(self.err(name, "a finite number", v.to_string()));
        }
        Ok(v)
    }
    /// A `STRING` attribute, or `default`.
    pub fn string(&self, name: &str, default: &str) -> Result<String, OnnxError> {
        Ok(self.get(name, AttributeType::String)?.map_or_else(
            || default.to_string(),
            |a| String::from_utf8_lossy(&a.s).into_owned(),
        ))
    }
    /// An `INTS` attribute, if present.
    pub fn ints(&self, name: &str) -> Result<Option<&'a [i64]>, OnnxError> {
        Ok(self
            .get(name, AttributeType::Ints)?
            .map(|a| a.ints.as_slice()))
    }
    /// An `INT` that must equal `required` (if present).
    pub fn require(
        &self,
        name: &str,
        default: i64,
        required: i64,
        why: &str,
    ) -> Result<(), OnnxError> {
        let v = self.int(name, default)?;
        if v != required {
            return Err(self.err(name, &format!("{required} ({why})"), v.to_string()));
        }
        Ok(())
    }
    /// A pair of positive sizes `[h, w]` from `INTS` `name`, or `default`.
    pub fn pair(
        &self,
        name: &str,
        default: Option<[usize; 2]>,
        min: usize,
    ) -> Result<[usize; 2], OnnxError> {
        let expected = format!("two integers ≥ {min} (height, width)");
        match self.ints(name)? {
            None => default.ok_or_else(|| self.err(name, &expected, "nothing".into())),
            Some(&[h, w]) => match (usize::try_from(h), usize::try_from(w)) {
                (Ok(h), Ok(w)) if h >= min && w >= min => Ok([h, w]),
                _ => Err(self.err(name, &expected, format!("[{h}, {w}]"))),
            },
            Some(v) => Err(self.err(name, &expected, format!("{v:?}"))),
        }
    }
    /// ONNX `pads` `[top, left, bottom, right]` as backprop's symmetric
    /// `[h, w]` (default zeros), checking `auto_pad` too.
    pub fn pads(&self) -> Result<[usize; 2], OnnxError> {
        let auto = self.string("auto_pad", "NOTSET")?;
        if auto != "NOTSET" && auto != "VALID" {
            return Err(self.err(
                "auto_pad",
                "NOTSET or VALID (explicit pads; SAME_* padding is not read)",
                format!("{auto:?}"),
            ));
        }
        const WHAT: &str = "four non-negative integers [top, left, bottom, right] with top = bottom and left = right (backprop pads both sides alike)";
        match self.ints("pads")? {
            None => Ok([0, 0]),
            Some(&[t, l, b, r]) if t == b && l == r && t >= 0 && l >= 0 => {
                let conv =
                    |v: i64| usize::try_from(v).map_err(|_| self.err("pads", WHAT, format!("{v}")));
                if auto == "VALID" && (t, l) != (0, 0) {
                    return Err(self.err(
                        "pads",
                        "zeros with auto_pad VALID",
                        format!("[{t}, {l}, {b}, {r}]"),
                    ));
                }
                Ok([conv(t)?, conv(l)?])
            }
            Some(v) => Err(self.err("pads", WHAT, format!("{v:?}"))),
        }
    }
}
