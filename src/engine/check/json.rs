//! Reading a body as JSON: the one parse that also finds a key an object repeats.
//!
//! Used by the checks, by the steps that capture and adopt, and by the reports.

use serde_json::Value;

/// Parses a body as JSON, or says why it is not.
pub fn parse_json(body: &[u8]) -> Result<Value, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err("the body is empty".to_string());
    }
    serde_json::from_slice(body).map_err(|e| format!("the body is not JSON ({e})"))
}

/// `error.code` of an error envelope, if the body has one.
pub fn error_code(body: &Value) -> Option<&str> {
    body.pointer("/error/code").and_then(Value::as_str)
}

/// A JSON body, and the first object in it that repeats a key (pointer, key), if one does.
pub struct CheckedJson {
    pub value: Value,
    pub repeated: Option<(String, String)>,
}

/// Parses a body as JSON in one pass, noting the first object that repeats a key: JSON
/// parsers keep the last of two `id`s silently, so such a body names two records at once.
pub fn parse_json_checked(body: &[u8]) -> Result<CheckedJson, String> {
    use serde::Deserializer as _;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err("the body is empty".to_string());
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let (value, found) = deserializer
        .deserialize_any(Walk)
        .and_then(|walked| deserializer.end().map(|()| walked))
        .map_err(|e| format!("the body is not JSON ({e})"))?;
    let repeated = found.map(|found| {
        let path: String = found.path.iter().rev().map(|s| format!("/{s}")).collect();
        (path, found.key)
    });
    Ok(CheckedJson { value, repeated })
}

/// Parses a body as JSON and refuses one in which an object repeats a key: such a body
/// cannot be trusted to say which record it names.
pub fn parse_json_unique(body: &[u8]) -> Result<Value, String> {
    let checked = parse_json_checked(body)?;
    match checked.repeated {
        Some((pointer, key)) => Err(format!(
            "the body repeats the key {key:?} in the object at {}",
            if pointer.is_empty() { "/" } else { &pointer }
        )),
        None => Ok(checked.value),
    }
}

/// A repeated key found below a node: the path to its object, innermost segment first
/// (built only when something is found), and the key.
struct Repeat {
    path: Vec<String>,
    key: String,
}

/// Builds the JSON value while looking for repeated keys.
struct Walk;

type Walked = (Value, Option<Repeat>);

impl<'de> serde::de::DeserializeSeed<'de> for Walk {
    type Value = Walked;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Walked, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Walk {
    type Value = Walked;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Walked, E> {
        Ok((Value::Bool(v), None))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Walked, E> {
        Ok((Value::from(v), None))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Walked, E> {
        Ok((Value::from(v), None))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Walked, E> {
        Ok((Value::from(v), None))
    }
    fn visit_str<E>(self, v: &str) -> Result<Walked, E> {
        Ok((Value::String(v.to_owned()), None))
    }
    fn visit_string<E>(self, v: String) -> Result<Walked, E> {
        Ok((Value::String(v), None))
    }
    fn visit_unit<E>(self) -> Result<Walked, E> {
        Ok((Value::Null, None))
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Walked, A::Error> {
        let mut items = Vec::new();
        let mut first: Option<Repeat> = None;
        while let Some((item, found)) = seq.next_element_seed(Walk)? {
            if let (None, Some(mut found)) = (&first, found) {
                found.path.push(items.len().to_string());
                first = Some(found);
            }
            items.push(item);
        }
        Ok((Value::Array(items), first))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Walked, A::Error> {
        let mut object = serde_json::Map::new();
        let mut first: Option<Repeat> = None;
        while let Some(key) = map.next_key::<String>()? {
            let (value, found) = map.next_value_seed(Walk)?;
            if first.is_none() {
                if let Some(mut found) = found {
                    found.path.push(key.replace('~', "~0").replace('/', "~1"));
                    first = Some(found);
                } else if object.contains_key(&key) {
                    first = Some(Repeat {
                        path: Vec::new(),
                        key: key.clone(),
                    });
                }
            }
            object.insert(key, value);
        }
        Ok((Value::Object(object), first))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first object (by JSON pointer) that repeats a key, and the key.
    fn repeated_key(body: &[u8]) -> Option<(String, String)> {
        parse_json_checked(body).ok()?.repeated
    }

    #[test]
    fn a_repeated_key_is_found_at_any_depth() {
        assert_eq!(
            repeated_key(br#"{"data":{"id":"a","id":"b"}}"#),
            Some(("/data".into(), "id".into()))
        );
        assert_eq!(
            repeated_key(br#"[1,{"x":[{"a/b":1,"a/b":2}]}]"#),
            Some(("/1/x/0".into(), "a/b".into()))
        );
        assert_eq!(
            repeated_key(br#"{"id":1,"id":2}"#),
            Some((String::new(), "id".into()))
        );
        assert_eq!(repeated_key(br#"{"data":{"id":"a"},"id":"a"}"#), None);
        assert_eq!(repeated_key(b"not json"), None);
        let message = parse_json_unique(br#"{"data":{"id":"a","id":"b"}}"#).unwrap_err();
        assert_eq!(
            message,
            "the body repeats the key \"id\" in the object at /data"
        );
        assert!(parse_json_unique(br#"{"a":1}"#).is_ok());
    }
}
