//! The interface of a reusable workflow as its callers see it: the inputs, secrets and outputs
//! declared under `on.workflow_call`.

use crate::expr::Type;
use crate::workflow::yaml::{self, Kind, Node};

/// One declared input.
#[derive(Debug, Clone, PartialEq)]
pub struct CalleeInput {
    /// The name as declared (callers may use any case).
    pub name: String,
    /// Required and without a default.
    pub required: bool,
    /// `string`, `number` or `boolean` as a type; `any` when the type is missing or unknown.
    pub ty: Type,
}

/// One declared secret.
#[derive(Debug, Clone, PartialEq)]
pub struct CalleeSecret {
    /// The name as declared.
    pub name: String,
    /// Whether callers must pass it.
    pub required: bool,
}

/// The `workflow_call` interface of a reusable workflow.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Callee {
    /// Declared inputs, in source order.
    pub inputs: Vec<CalleeInput>,
    /// Declared secrets, in source order; `None` when there is no `secrets:` section.
    pub secrets: Option<Vec<CalleeSecret>>,
    /// Declared output names, in source order.
    pub outputs: Vec<String>,
}

impl Callee {
    /// Reads the interface from a workflow's text; `Err` says why the file is not a usable
    /// reusable workflow.
    pub fn parse(text: &str) -> Result<Callee, String> {
        Callee::of_doc(&yaml::parse(text))
    }

    /// [`Callee::parse`] of a workflow already parsed.
    pub fn of_doc(doc: &yaml::Document) -> Result<Callee, String> {
        if let Some(e) = &doc.error {
            return Err(format!("yaml: line {}: {}", e.pos.line, e.message));
        }
        let root = doc
            .root
            .as_ref()
            .ok_or_else(|| "\"on:\" is not found".to_string())?;
        let on = root
            .get("on")
            .ok_or_else(|| "\"on:\" is not found".to_string())?;
        let not_found = || {
            format!(
                "\"workflow_call\" event trigger is not found in \"on:\" at line:{}, column:{}",
                on.span.start.line, on.span.start.col
            )
        };
        let call = match &on.kind {
            Kind::Scalar { value, .. } if value.eq_ignore_ascii_case("workflow_call") => {
                return Ok(Callee::default());
            }
            Kind::Seq(items) => {
                return if items.iter().any(|i| {
                    i.as_str()
                        .is_some_and(|s| s.eq_ignore_ascii_case("workflow_call"))
                }) {
                    Ok(Callee::default())
                } else {
                    Err(not_found())
                };
            }
            Kind::Map(entries) => entries
                .iter()
                .find(|(k, _)| {
                    k.as_str()
                        .is_some_and(|s| s.eq_ignore_ascii_case("workflow_call"))
                })
                .map(|(_, v)| v)
                .ok_or_else(not_found)?,
            Kind::Scalar { .. } => return Err(not_found()),
        };
        let mut out = Callee::default();
        if let Some(inputs) = section(call, "inputs")? {
            for (k, v) in inputs {
                let required = flag(v.get("required")) && v.get("default").is_none();
                let ty = match v.get("type").and_then(Node::as_str) {
                    Some("string") => Type::String,
                    Some("number") => Type::Number,
                    Some("boolean") => Type::Bool,
                    _ => Type::Any,
                };
                out.inputs.push(CalleeInput {
                    name: k.as_str().unwrap_or_default().to_string(),
                    required,
                    ty,
                });
            }
        }
        if call.get("secrets").is_some() {
            let mut secrets = Vec::new();
            for (k, v) in section(call, "secrets")?.unwrap_or_default() {
                secrets.push(CalleeSecret {
                    name: k.as_str().unwrap_or_default().to_string(),
                    required: flag(v.get("required")),
                });
            }
            out.secrets = Some(secrets);
        }
        if let Some(outputs) = section(call, "outputs")? {
            out.outputs = outputs
                .iter()
                .filter_map(|(k, _)| k.as_str().map(str::to_string))
                .collect();
        }
        Ok(out)
    }

    /// The input named `name`, compared case-insensitively as GitHub does.
    pub fn input(&self, name: &str) -> Option<&CalleeInput> {
        self.inputs
            .iter()
            .find(|i| i.name.eq_ignore_ascii_case(name))
    }

    /// The secret named `name`, compared case-insensitively.
    pub fn secret(&self, name: &str) -> Option<&CalleeSecret> {
        self.secrets
            .as_deref()
            .unwrap_or_default()
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case(name))
    }
}

/// `true` for a YAML true (`true`, `True`, `TRUE`).
fn flag(n: Option<&Node>) -> bool {
    n.and_then(Node::as_bool).unwrap_or(false)
}

/// The entries of mapping `key` of `call`: `None` when absent or null, an error when it is
/// not a mapping.
fn section<'a>(call: &'a Node, key: &str) -> Result<Option<&'a [(Node, Node)]>, String> {
    let Some(n) = call.get(key) else {
        return Ok(None);
    };
    if n.is_null() {
        return Ok(None);
    }
    n.as_map().map(Some).ok_or_else(|| {
        format!(
            "yaml: on.workflow_call.{key} must be mapping node but {} node was found at line:{}, \
             col:{}",
            n.kind_name(),
            n.span.start.line,
            n.span.start.col
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_interface() {
        let c = Callee::parse(
            "on:\n  workflow_call:\n    inputs:\n      a: {type: number, required: true}\n      \
             b: {type: string, required: true, default: x}\n    secrets:\n      s: {required: true}\n    \
             outputs:\n      o: {value: x}\n",
        )
        .expect("callee");
        assert_eq!(c.inputs[0].ty, Type::Number);
        assert!(c.inputs[0].required && !c.inputs[1].required);
        assert!(c.secret("S").is_some_and(|s| s.required));
        assert_eq!(c.outputs, ["o"]);
    }

    #[test]
    fn rejects_non_callable() {
        let e = Callee::parse("on: [push]\njobs: {}\n").expect_err("no hook");
        assert!(e.contains("\"workflow_call\" event trigger is not found"));
        assert_eq!(
            Callee::parse("jobs: {}\n").expect_err("no on"),
            "\"on:\" is not found"
        );
        assert!(
            Callee::parse("on:\n  workflow_call:\n    secrets: x\n")
                .expect_err("bad secrets")
                .contains("on.workflow_call.secrets must be mapping")
        );
        assert_eq!(Callee::parse("on: workflow_call\n"), Ok(Callee::default()));
    }
}
