//! A small JSON Schema checker for the subset ttai's tool schemas use (type, properties,
//! required, additionalProperties false, items, enum, const, minimum/maximum, minItems/maxItems,
//! minLength/maxLength, and the anyOf / oneOf / allOf that schemas derived with `schemars` use for
//! nullable objects), so tests can prove every result matches its declared output schema.

use serde_json::Value;

fn type_matches(expected: &str, value: &Value) -> bool {
    match expected {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "number" => value.is_number(),
        "integer" => value.as_i64().is_some() || value.as_u64().is_some(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        _ => false,
    }
}

/// Problems found validating `value` against `schema`, each with its JSON path; empty when valid.
pub fn validate(schema: &Value, value: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    check(schema, value, "$", &mut problems);
    problems
}

fn check(schema: &Value, value: &Value, path: &str, problems: &mut Vec<String>) {
    let Some(schema) = schema.as_object() else { return };
    let passes = |branch: &Value| validate(branch, value).is_empty();
    if let Some(Value::Array(branches)) = schema.get("anyOf")
        && !branches.iter().any(passes)
    {
        problems.push(format!("{path}: {value} matches none of anyOf"));
    }
    if let Some(Value::Array(branches)) = schema.get("oneOf")
        && branches.iter().filter(|b| passes(b)).count() != 1
    {
        problems.push(format!("{path}: {value} does not match exactly one of oneOf"));
    }
    if let Some(Value::Array(branches)) = schema.get("allOf") {
        for branch in branches {
            check(branch, value, path, problems);
        }
    }
    if let Some(t) = schema.get("type") {
        let ok = match t {
            Value::String(t) => type_matches(t, value),
            Value::Array(ts) => ts
                .iter()
                .filter_map(Value::as_str)
                .any(|t| type_matches(t, value)),
            _ => true,
        };
        if !ok {
            problems.push(format!("{path}: expected type {t}, got {value}"));
            return;
        }
    }
    if let Some(expected) = schema.get("const")
        && expected != value
    {
        problems.push(format!("{path}: {value} is not {expected}"));
    }
    if let Some(Value::Array(options)) = schema.get("enum")
        && !options.contains(value)
    {
        problems.push(format!("{path}: {value} is not one of {options:?}"));
    }
    if let Some(n) = value.as_f64() {
        if let Some(min) = schema.get("minimum").and_then(Value::as_f64)
            && n < min
        {
            problems.push(format!("{path}: {n} < minimum {min}"));
        }
        if let Some(max) = schema.get("maximum").and_then(Value::as_f64)
            && n > max
        {
            problems.push(format!("{path}: {n} > maximum {max}"));
        }
    }
    if let Some(s) = value.as_str() {
        let len = s.chars().count() as u64;
        if schema
            .get("minLength")
            .and_then(Value::as_u64)
            .is_some_and(|m| len < m)
        {
            problems.push(format!("{path}: string shorter than minLength"));
        }
        if schema
            .get("maxLength")
            .and_then(Value::as_u64)
            .is_some_and(|m| len > m)
        {
            problems.push(format!("{path}: string longer than maxLength"));
        }
    }
    if let Some(map) = value.as_object() {
        if let Some(Value::Array(required)) = schema.get("required") {
            for key in required.iter().filter_map(Value::as_str) {
                if !map.contains_key(key) {
                    problems.push(format!("{path}: missing required property {key}"));
                }
            }
        }
        let properties = schema.get("properties").and_then(Value::as_object);
        for (key, item) in map {
            match properties.and_then(|p| p.get(key)) {
                Some(sub) => check(sub, item, &format!("{path}.{key}"), problems),
                None => {
                    if schema.get("additionalProperties") == Some(&Value::Bool(false)) {
                        problems.push(format!("{path}: unexpected property {key}"));
                    } else if let Some(extra) = schema.get("additionalProperties").filter(|v| v.is_object()) {
                        check(extra, item, &format!("{path}.{key}"), problems);
                    }
                }
            }
        }
    }
    if let Some(items) = value.as_array() {
        if schema
            .get("minItems")
            .and_then(Value::as_u64)
            .is_some_and(|m| (items.len() as u64) < m)
        {
            problems.push(format!("{path}: fewer than minItems"));
        }
        if schema
            .get("maxItems")
            .and_then(Value::as_u64)
            .is_some_and(|m| (items.len() as u64) > m)
        {
            problems.push(format!("{path}: more than maxItems"));
        }
        if let Some(item_schema) = schema.get("items") {
            for (i, item) in items.iter().enumerate() {
                check(item_schema, item, &format!("{path}[{i}]"), problems);
            }
        }
    }
}
