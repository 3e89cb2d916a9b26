//! The answers the fake builds before they become HTTP: GitHub's error bodies and its
//! `per_page`/`page` pagination with `Link` headers.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::encode;

/// An answer before it becomes HTTP.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Option<Value>,
}

impl Answer {
    pub fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Some(body),
        }
    }

    pub fn empty(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: None,
        }
    }
}

pub(crate) fn not_found() -> Answer {
    Answer::json(
        404,
        json!({"message": "Not Found", "documentation_url": "https://docs.github.com/rest", "status": "404"}),
    )
}

pub(crate) fn unprocessable(message: &str) -> Answer {
    Answer::json(
        422,
        json!({"message": message, "documentation_url": "https://docs.github.com/rest", "status": "422"}),
    )
}

/// How a list endpoint wraps its page.
pub(crate) enum Wrap {
    /// A bare JSON array.
    Array,
    /// `{"total_count": N, "<key>": [...]}`.
    Object(&'static str),
}

/// One page of `items` (GitHub's `per_page`, default 30, at most 100; `page` from 1) with a
/// `Link` header naming the first, previous, next and last pages.
pub(crate) fn paginate(
    items: Vec<Value>,
    query: &HashMap<String, String>,
    base: &str,
    path: &str,
    wrap: Wrap,
) -> Answer {
    let per_page = query
        .get("per_page")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(30)
        .clamp(1, 100);
    let page = query
        .get("page")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let total = items.len();
    let last = total.div_ceil(per_page).max(1);
    let slice: Vec<Value> = items
        .into_iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .collect();
    let mut others: Vec<(&String, &String)> = query
        .iter()
        .filter(|(k, _)| *k != "page" && *k != "per_page")
        .collect();
    others.sort();
    let prefix: String = others
        .iter()
        .map(|(k, v)| format!("{}={}&", encode(k), encode(v)))
        .collect();
    let link_to = |p: usize, rel: &str| {
        format!("<{base}{path}?{prefix}per_page={per_page}&page={p}>; rel=\"{rel}\"")
    };
    let mut links = Vec::new();
    if page > 1 {
        links.push(link_to(page - 1, "prev"));
    }
    if page < last {
        links.push(link_to(page + 1, "next"));
        links.push(link_to(last, "last"));
    }
    if page > 1 {
        links.push(link_to(1, "first"));
    }
    let body = match wrap {
        Wrap::Array => Value::Array(slice),
        Wrap::Object(key) => json!({"total_count": total, key: slice}),
    };
    let mut answer = Answer::json(200, body);
    if !links.is_empty() {
        answer.headers.push(("link".into(), links.join(", ")));
    }
    answer
}
