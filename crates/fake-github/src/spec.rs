//! GitHub's OpenAPI description as the fake's contract: which routes exist, which request bodies
//! GitHub accepts (each compiled to a JSON Schema validator), and the documented answers the fake
//! fills with its own state.

use std::collections::HashMap;
use std::path::Path;

use http::Method;
use serde_json::{Map, Value};

use super::FakeError;

/// One operation of the description.
pub(crate) struct Operation {
    pub method: Method,
    /// The path as the description writes it, e.g. `/repos/{owner}/{repo}/deployments`.
    pub template: String,
    segments: Vec<String>,
    validator: Option<jsonschema::Validator>,
    body_required: bool,
    /// The lowest 2xx status documented.
    success: u16,
    /// The first documented example answer per status code.
    examples: HashMap<u16, Value>,
}

impl Operation {
    /// The documented example answer for `status`, or an empty object.
    pub fn example(&self, status: u16) -> Value {
        self.examples
            .get(&status)
            .cloned()
            .unwrap_or_else(|| Value::Object(Map::new()))
    }

    /// Whether the operation requires a request body.
    pub fn body_required(&self) -> bool {
        self.body_required
    }

    /// The lowest documented 2xx status and its example answer, if any.
    pub fn success(&self) -> (u16, Option<Value>) {
        (self.success, self.examples.get(&self.success).cloned())
    }

    /// The ways `body` breaks the request schema, as GitHub-style error entries; empty when it
    /// is valid or the operation takes no body.
    pub fn validate(&self, body: &Value) -> Vec<Value> {
        let Some(validator) = &self.validator else {
            return Vec::new();
        };
        validator
            .iter_errors(body)
            .map(|e| {
                let field = e.instance_path().to_string();
                serde_json::json!({
                    "resource": "Request",
                    "field": field.trim_start_matches('/'),
                    "code": "invalid",
                    "message": e.to_string(),
                })
            })
            .collect()
    }

    /// Path parameters when `path` matches this operation. With `greedy`, a final parameter
    /// takes the rest of the path (refs such as `heads/main` contain slashes).
    fn matches(
        &self,
        method: &Method,
        path: &[&str],
        greedy: bool,
    ) -> Option<HashMap<String, String>> {
        if *method != self.method {
            return None;
        }
        let n = self.segments.len();
        let fits = path.len() == n
            || (greedy && path.len() > n && n > 0 && is_param(&self.segments[n - 1]));
        if !fits {
            return None;
        }
        let mut params = HashMap::new();
        for (i, seg) in self.segments.iter().enumerate() {
            if is_param(seg) {
                let value = if i == n - 1 {
                    path[i..].join("/")
                } else {
                    path[i].to_owned()
                };
                params.insert(
                    seg.trim_matches(['{', '}']).to_owned(),
                    percent_decode(&value),
                );
            } else if seg != path[i] {
                return None;
            }
        }
        Some(params)
    }
}

fn is_param(segment: &str) -> bool {
    segment.starts_with('{') && segment.ends_with('}')
}

/// All operations of the description.
pub(crate) struct Spec {
    operations: Vec<Operation>,
}

impl std::fmt::Debug for Spec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Spec")
            .field("operations", &self.operations.len())
            .finish()
    }
}

impl Spec {
    /// Loads and compiles the description at `path`.
    pub fn load(path: &Path) -> Result<Self, FakeError> {
        let text = std::fs::read_to_string(path).map_err(|e| FakeError::Spec {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        let doc: Value = serde_json::from_str(&text).map_err(|e| FakeError::Spec {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        let paths = doc
            .get("paths")
            .and_then(Value::as_object)
            .ok_or_else(|| FakeError::Spec {
                path: path.to_path_buf(),
                reason: "no `paths` object".into(),
            })?;
        let mut operations = Vec::new();
        for (template, item) in paths {
            let Some(item) = item.as_object() else {
                continue;
            };
            for (method, op) in item {
                let Ok(method) = method.to_uppercase().parse::<Method>() else {
                    continue;
                };
                operations.push(compile(path, template, method, op)?);
            }
        }
        Ok(Self { operations })
    }

    /// The operation `method path` names, and its path parameters.
    pub fn route(
        &self,
        method: &Method,
        path: &str,
    ) -> Option<(&Operation, HashMap<String, String>)> {
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        for greedy in [false, true] {
            for op in &self.operations {
                if let Some(params) = op.matches(method, &parts, greedy) {
                    return Some((op, params));
                }
            }
        }
        None
    }

    /// The operation with this method and template, if the description has it.
    pub fn operation(&self, method: &Method, template: &str) -> Option<&Operation> {
        self.operations
            .iter()
            .find(|o| o.method == *method && o.template == template)
    }
}

fn compile(
    file: &Path,
    template: &str,
    method: Method,
    op: &Value,
) -> Result<Operation, FakeError> {
    let schema = op.pointer("/requestBody/content/application~1json/schema");
    let validator = match schema {
        Some(schema) => Some(
            jsonschema::options()
                .with_draft(jsonschema::Draft::Draft7)
                .should_validate_formats(false)
                .build(&openapi_to_json_schema(schema))
                .map_err(|e| FakeError::Spec {
                    path: file.to_path_buf(),
                    reason: format!("{} {template}: {e}", method),
                })?,
        ),
        None => None,
    };
    let body_required = op.pointer("/requestBody/required") == Some(&Value::Bool(true));
    let success = op
        .get("responses")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|r| r.keys())
        .filter_map(|code| code.parse::<u16>().ok())
        .filter(|code| (200..300).contains(code))
        .min()
        .unwrap_or(200);
    let mut examples = HashMap::new();
    if let Some(responses) = op.get("responses").and_then(Value::as_object) {
        for (code, response) in responses {
            let Ok(code) = code.parse::<u16>() else {
                continue;
            };
            let example = response
                .pointer("/content/application~1json/examples")
                .and_then(Value::as_object)
                .and_then(|all| all.values().next())
                .and_then(|e| e.get("value"))
                .cloned();
            if let Some(example) = example {
                examples.insert(code, example);
            }
        }
    }
    Ok(Operation {
        segments: template
            .trim_start_matches('/')
            .split('/')
            .map(str::to_owned)
            .collect(),
        template: template.to_owned(),
        method,
        validator,
        body_required,
        success,
        examples,
    })
}

/// Turns OpenAPI 3.0's schema dialect into JSON Schema: `nullable: true` becomes a `null` type
/// (or enum member), and annotation-only keywords are dropped.
pub(crate) fn openapi_to_json_schema(schema: &Value) -> Value {
    match schema {
        Value::Array(items) => Value::Array(items.iter().map(openapi_to_json_schema).collect()),
        Value::Object(map) => {
            let mut out = Map::new();
            for (key, value) in map {
                match key.as_str() {
                    "nullable" | "example" | "examples" | "discriminator" | "xml"
                    | "externalDocs" | "deprecated" => {}
                    // Property names are data, not keywords: keep them, convert their schemas.
                    "properties" | "patternProperties" | "definitions" => {
                        let converted = value
                            .as_object()
                            .map(|m| {
                                m.iter()
                                    .map(|(k, v)| (k.clone(), openapi_to_json_schema(v)))
                                    .collect::<Map<_, _>>()
                            })
                            .map(Value::Object)
                            .unwrap_or_else(|| value.clone());
                        out.insert(key.clone(), converted);
                    }
                    _ => {
                        out.insert(key.clone(), openapi_to_json_schema(value));
                    }
                }
            }
            if map.get("nullable") == Some(&Value::Bool(true)) {
                return make_nullable(out);
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

fn make_nullable(mut schema: Map<String, Value>) -> Value {
    if let Some(Value::Array(values)) = schema.get_mut("enum")
        && !values.contains(&Value::Null)
    {
        values.push(Value::Null);
    }
    match schema.get("type").cloned() {
        Some(Value::String(t)) => {
            schema.insert("type".into(), serde_json::json!([t, "null"]));
            Value::Object(schema)
        }
        Some(Value::Array(mut types)) => {
            if !types.contains(&Value::from("null")) {
                types.push(Value::from("null"));
            }
            schema.insert("type".into(), Value::Array(types));
            Value::Object(schema)
        }
        _ => serde_json::json!({ "anyOf": [Value::Object(schema), { "type": "null" }] }),
    }
}

/// Decodes `%XX` escapes in a path segment.
pub(crate) fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(b) = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nullable_becomes_a_null_type() {
        let s = openapi_to_json_schema(&json!({
            "type": "object",
            "properties": {
                "description": {"type": "string", "nullable": true, "example": "x"},
                "state": {"type": "string", "enum": ["a"], "nullable": true},
                "payload": {"oneOf": [{"type": "object"}], "nullable": true}
            }
        }));
        assert_eq!(
            s["properties"]["description"],
            json!({"type": ["string", "null"]})
        );
        assert_eq!(s["properties"]["state"]["enum"], json!(["a", null]));
        assert_eq!(
            s["properties"]["payload"]["anyOf"][1],
            json!({"type": "null"})
        );
    }

    #[test]
    fn a_property_named_like_a_keyword_is_kept() {
        let s = openapi_to_json_schema(&json!({"properties": {"example": {"type": "string"}}}));
        assert_eq!(s["properties"]["example"], json!({"type": "string"}));
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("prod%20eu%2F1"), "prod eu/1");
        assert_eq!(percent_decode("100%"), "100%");
    }
}
