//! Small builders for the JSON Schemas of tool inputs, so each tool file reads as its contract,
//! and [`derived`]: every output schema, derived from the type the tool answers with.

use serde_json::{Map, Value, json};

/// A number (nullable when `nullable`).
pub(crate) fn number(description: &str, nullable: bool) -> Value {
    if nullable {
        json!({ "type": ["number", "null"], "description": description })
    } else {
        json!({ "type": "number", "description": description })
    }
}

/// A string (nullable when `nullable`).
pub(crate) fn string(description: &str, nullable: bool) -> Value {
    if nullable {
        json!({ "type": ["string", "null"], "description": description })
    } else {
        json!({ "type": "string", "description": description })
    }
}

/// A boolean.
pub(crate) fn boolean(description: &str) -> Value {
    json!({ "type": "boolean", "description": description })
}

/// A string from a fixed set.
pub(crate) fn enumeration(description: &str, values: &[&str]) -> Value {
    json!({ "type": "string", "enum": values, "description": description })
}

/// An object with the given properties; `required` lists the mandatory ones. Unknown
/// properties are refused in inputs and allowed in outputs (`strict`).
pub(crate) fn object(properties: &[(&str, Value)], required: &[&str], strict: bool) -> Value {
    let mut props = Map::new();
    for (name, schema) in properties {
        props.insert((*name).to_owned(), schema.clone());
    }
    let mut schema = Map::new();
    schema.insert("type".into(), "object".into());
    schema.insert("properties".into(), Value::Object(props));
    schema.insert("required".into(), json!(required));
    if strict {
        schema.insert("additionalProperties".into(), false.into());
    }
    Value::Object(schema)
}

/// `account` as every account-scoped tool describes it.
pub(crate) fn account_argument() -> (&'static str, Value) {
    (
        "account",
        string("account number; default: the configured or first account", false),
    )
}

/// Joins property lists.
pub(crate) fn props<'a>(parts: &[&[(&'a str, Value)]]) -> Vec<(&'a str, Value)> {
    parts.iter().flat_map(|p| p.iter().cloned()).collect()
}

/// The JSON Schema of `T` as it serializes (what `structuredContent` carries), derived by
/// `schemars` from the type itself: doc comments become descriptions, every field serde always
/// writes is required, `Option` fields are nullable, nested types are inlined (no `$ref`, so a
/// client needs no reference resolution) and the `$schema` keyword is left out.
pub(crate) fn derived<T: schemars::JsonSchema + ?Sized>() -> Value {
    let mut settings = schemars::generate::SchemaSettings::draft2020_12().for_serialize();
    settings.inline_subschemas = true;
    let mut schema = settings.into_generator().into_root_schema_for::<T>().to_value();
    if let Some(map) = schema.as_object_mut() {
        map.remove("$schema");
    }
    schema
}
