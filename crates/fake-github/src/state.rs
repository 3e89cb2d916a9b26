//! What the fake remembers (deployments, statuses, commit statuses, check runs, refs, scripted
//! faults, the requests it saw) and how each modelled endpoint reads and changes it. Answers are
//! GitHub's documented examples with the fields that carry state replaced.

use std::collections::{BTreeMap, HashMap};

use http::Method;
use serde_json::{Value, json};

use super::Fault;
use super::answer::{Answer, Wrap, not_found, paginate, unprocessable};
use super::spec::{Operation, Spec};
use crate::encode;

/// A request the fake served.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The raw query string.
    pub query: String,
    /// The body, when it was JSON.
    pub body: Option<Value>,
    /// Whether it carried the expected token.
    pub authorized: bool,
    /// The status answered; 0 when the fault was a hang or a reset.
    pub status: u16,
}

/// A scripted fault and how many more requests it applies to.
#[derive(Debug)]
pub(crate) struct Script {
    pub method: Method,
    pub template: String,
    pub remaining: u32,
    pub fault: Fault,
}

/// A deployment and its statuses (oldest first), as served.
#[derive(Debug)]
pub(crate) struct FakeDeployment {
    pub id: u64,
    pub json: Value,
    pub statuses: Vec<Value>,
}

impl FakeDeployment {
    fn field(&self, name: &str) -> &str {
        self.json.get(name).and_then(Value::as_str).unwrap_or("")
    }

    fn latest_state(&self) -> Option<&str> {
        self.statuses.last()?.get("state")?.as_str()
    }
}

/// Example answers from the description, used as shapes.
#[derive(Debug, Default)]
struct Templates {
    deployment: Value,
    status: Value,
    commit_status: Value,
    combined: Value,
    check_run: Value,
    environment: Value,
    git_ref: Value,
    commit: Value,
}

impl Templates {
    fn from_spec(spec: &Spec) -> Self {
        let get = |method: Method, template: &str, code: u16| {
            spec.operation(&method, template)
                .map(|op| op.example(code))
                .unwrap_or_else(|| json!({}))
        };
        let repo = "/repos/{owner}/{repo}";
        Self {
            deployment: get(
                Method::GET,
                &format!("{repo}/deployments/{{deployment_id}}"),
                200,
            ),
            status: get(
                Method::POST,
                &format!("{repo}/deployments/{{deployment_id}}/statuses"),
                201,
            ),
            commit_status: get(Method::POST, &format!("{repo}/statuses/{{sha}}"), 201),
            combined: get(Method::GET, &format!("{repo}/commits/{{ref}}/status"), 200),
            check_run: get(
                Method::GET,
                &format!("{repo}/commits/{{ref}}/check-runs"),
                200,
            )
            .pointer("/check_runs/0")
            .cloned()
            .unwrap_or_else(|| json!({})),
            environment: get(
                Method::GET,
                &format!("{repo}/environments/{{environment_name}}"),
                200,
            ),
            git_ref: get(Method::GET, &format!("{repo}/git/ref/{{ref}}"), 200),
            commit: get(Method::GET, &format!("{repo}/commits/{{ref}}"), 200),
        }
    }
}

/// Everything the fake holds.
#[derive(Debug)]
pub(crate) struct State {
    owner: String,
    repo: String,
    token: String,
    templates: Templates,
    pub requests: Vec<RecordedRequest>,
    pub faults: Vec<Script>,
    pub deployments: Vec<FakeDeployment>,
    /// `heads/main` or `tags/v1` → SHA.
    refs: HashMap<String, String>,
    /// `(sha, status)`, oldest first.
    commit_statuses: Vec<(String, Value)>,
    /// `(sha, check run)`, oldest first.
    check_runs: Vec<(String, Value)>,
    /// Environments by name.
    environments: BTreeMap<String, Value>,
    next_id: u64,
}

fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn is_hex_sha(text: &str) -> bool {
    (7..=40).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// GitHub's state of a check run as a status context state.
fn check_state(run: &Value) -> &str {
    if run.get("status").and_then(Value::as_str) != Some("completed") {
        return "pending";
    }
    match run.get("conclusion").and_then(Value::as_str) {
        Some("success" | "neutral" | "skipped") => "success",
        _ => "failure",
    }
}

impl State {
    pub fn new(spec: &Spec, owner: &str, repo: &str, token: &str) -> Self {
        Self {
            owner: owner.to_owned(),
            repo: repo.to_owned(),
            token: token.to_owned(),
            templates: Templates::from_spec(spec),
            requests: Vec::new(),
            faults: Vec::new(),
            deployments: Vec::new(),
            refs: HashMap::new(),
            commit_statuses: Vec::new(),
            check_runs: Vec::new(),
            environments: BTreeMap::new(),
            next_id: 1,
        }
    }

    fn take_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Whether an `Authorization` header value carries the token.
    pub fn authorizes(&self, header: &str) -> bool {
        let given = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("token "))
            .unwrap_or("");
        !given.is_empty() && given == self.token
    }

    /// Whether `owner/repo` is the hosted repository (GitHub compares without case).
    pub fn hosts(&self, owner: &str, repo: &str) -> bool {
        owner.eq_ignore_ascii_case(&self.owner) && repo.eq_ignore_ascii_case(&self.repo)
    }

    /// The next scripted fault for a route, used up by one.
    pub fn take_fault(&mut self, method: &Method, template: &str) -> Option<Fault> {
        let script = self
            .faults
            .iter_mut()
            .find(|s| s.remaining > 0 && s.method == *method && s.template == template)?;
        script.remaining -= 1;
        Some(script.fault.clone())
    }

    pub fn seed_ref(&mut self, git_ref: &str, sha: &str) {
        let name = git_ref.trim_start_matches("refs/");
        let key = if name.starts_with("heads/") || name.starts_with("tags/") {
            name.to_owned()
        } else {
            format!("heads/{name}")
        };
        self.refs.insert(key, sha.to_owned());
    }

    fn resolve(&self, git_ref: &str) -> Option<String> {
        let name = git_ref.trim_start_matches("refs/");
        [
            name.to_owned(),
            format!("heads/{name}"),
            format!("tags/{name}"),
        ]
        .iter()
        .find_map(|k| self.refs.get(k).cloned())
        .or_else(|| is_hex_sha(name).then(|| name.to_owned()))
    }

    pub fn seed_commit_status(&mut self, sha: &str, context: &str, state: &str) {
        let body = json!({"state": state, "context": context});
        self.add_commit_status("", sha, &body);
    }

    pub fn seed_check_run(
        &mut self,
        sha: &str,
        name: &str,
        status: &str,
        conclusion: Option<&str>,
    ) {
        let id = self.take_id();
        let mut run = self.templates.check_run.clone();
        run["id"] = json!(id);
        run["head_sha"] = json!(sha);
        run["name"] = json!(name);
        run["status"] = json!(status);
        run["conclusion"] = json!(conclusion);
        self.check_runs.push((sha.to_owned(), run));
    }

    pub fn seed_deployment(
        &mut self,
        base: &str,
        environment: &str,
        sha: &str,
        payload: Value,
        state: Option<&str>,
    ) -> u64 {
        let body = json!({"ref": sha, "environment": environment, "payload": payload});
        let id = self.add_deployment(base, &body, sha);
        if let Some(state) = state {
            let body = json!({"state": state});
            self.add_status(base, id, &body);
        }
        id
    }

    fn repo_url(&self, base: &str) -> String {
        format!("{base}/repos/{}/{}", self.owner, self.repo)
    }

    /// Serves one routed, authorised, validated request.
    pub fn dispatch(
        &mut self,
        op: &Operation,
        params: &HashMap<String, String>,
        query: &HashMap<String, String>,
        body: Option<Value>,
        base: &str,
    ) -> Answer {
        let call = Call {
            params,
            query,
            body: body.unwrap_or(Value::Null),
            base,
            path: op
                .template
                .replace("{owner}", &self.owner)
                .replace("{repo}", &self.repo),
        };
        let method = op.method.as_str();
        let route = op.template.trim_start_matches("/repos/{owner}/{repo}");
        let answer = if route.starts_with("/deployments") {
            self.deployment_routes(method, route, &call)
        } else if route.starts_with("/environments") || route.starts_with("/git/") {
            self.repository_routes(method, route, &call)
        } else {
            self.commit_routes(method, route, &call)
        };
        answer.unwrap_or_else(|| {
            let (status, example) = op.success();
            match example {
                Some(body) => Answer::json(status, body),
                None => Answer::empty(status),
            }
        })
    }

    /// Deployments and their statuses. `None`: the route's documented example answers.
    fn deployment_routes(&mut self, method: &str, route: &str, c: &Call) -> Option<Answer> {
        let answer = match (method, route) {
            ("GET", "/deployments") => {
                let items: Vec<Value> = self
                    .deployments
                    .iter()
                    .rev()
                    .filter(|d| {
                        ["sha", "ref", "task", "environment"].iter().all(|f| {
                            c.query
                                .get(*f)
                                .is_none_or(|want| want.is_empty() || d.field(f) == want)
                        })
                    })
                    .map(|d| d.json.clone())
                    .collect();
                paginate(items, c.query, c.base, &c.path, Wrap::Array)
            }
            ("POST", "/deployments") => self.create_deployment(c.base, &c.body),
            ("GET", "/deployments/{deployment_id}") => {
                match self
                    .deployments
                    .iter()
                    .find(|d| Some(d.id) == c.id("deployment_id"))
                {
                    Some(d) => Answer::json(200, d.json.clone()),
                    None => not_found(),
                }
            }
            ("DELETE", "/deployments/{deployment_id}") => {
                self.delete_deployment(c.id("deployment_id"))
            }
            ("GET", "/deployments/{deployment_id}/statuses") => {
                match self
                    .deployments
                    .iter()
                    .find(|d| Some(d.id) == c.id("deployment_id"))
                {
                    Some(d) => {
                        let items = d.statuses.iter().rev().cloned().collect();
                        paginate(items, c.query, c.base, &c.list_path(), Wrap::Array)
                    }
                    None => not_found(),
                }
            }
            ("POST", "/deployments/{deployment_id}/statuses") => {
                let Some(deployment_id) = c.id("deployment_id") else {
                    return Some(not_found());
                };
                if !self.deployments.iter().any(|d| d.id == deployment_id) {
                    return Some(not_found());
                }
                let description = c
                    .body
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                if description.chars().count() > 140 {
                    return Some(unprocessable(
                        "description is too long (maximum is 140 characters)",
                    ));
                }
                let status = self.add_status(c.base, deployment_id, &c.body);
                Answer::json(201, status)
            }
            ("GET", "/deployments/{deployment_id}/statuses/{status_id}") => self
                .deployments
                .iter()
                .find(|d| Some(d.id) == c.id("deployment_id"))
                .and_then(|d| {
                    d.statuses
                        .iter()
                        .find(|s| s.get("id").and_then(Value::as_u64) == c.id("status_id"))
                })
                .map(|s| Answer::json(200, s.clone()))
                .unwrap_or_else(not_found),
            _ => return None,
        };
        Some(answer)
    }

    /// Commit statuses, combined status, check runs and commits. `None`: the route's documented example answers.
    fn commit_routes(&mut self, method: &str, route: &str, c: &Call) -> Option<Answer> {
        let answer = match (method, route) {
            ("POST", "/statuses/{sha}") => {
                let status = self.add_commit_status(c.base, c.param("sha"), &c.body);
                Answer::json(201, status)
            }
            ("GET", "/commits/{ref}/statuses") => match self.resolve(c.param("ref")) {
                Some(sha) => {
                    let items = self.statuses_of(&sha).into_iter().rev().collect();
                    paginate(items, c.query, c.base, &c.list_path(), Wrap::Array)
                }
                None => not_found(),
            },
            ("GET", "/commits/{ref}/status") => match self.resolve(c.param("ref")) {
                Some(sha) => Answer::json(200, self.combined(c.base, &sha)),
                None => not_found(),
            },
            ("GET", "/commits/{ref}/check-runs") => {
                let sha = self.resolve(c.param("ref")).unwrap_or_default();
                let items: Vec<Value> = self
                    .check_runs
                    .iter()
                    .filter(|(s, run)| {
                        *s == sha
                            && c.query
                                .get("check_name")
                                .is_none_or(|n| run.get("name").and_then(Value::as_str) == Some(n))
                            && c.query.get("status").is_none_or(|n| {
                                run.get("status").and_then(Value::as_str) == Some(n)
                            })
                    })
                    .map(|(_, run)| run.clone())
                    .rev()
                    .collect();
                paginate(
                    items,
                    c.query,
                    c.base,
                    &c.list_path(),
                    Wrap::Object("check_runs"),
                )
            }
            ("GET", "/commits/{ref}") => match self.resolve(c.param("ref")) {
                Some(sha) => {
                    let mut commit = self.templates.commit.clone();
                    commit["sha"] = json!(sha);
                    commit["url"] = json!(format!("{}/commits/{sha}", self.repo_url(c.base)));
                    Answer::json(200, commit)
                }
                None => unprocessable(&format!("No commit found for SHA: {}", c.param("ref"))),
            },
            _ => return None,
        };
        Some(answer)
    }

    /// Environments and git refs. `None`: the route's documented example answers.
    fn repository_routes(&mut self, method: &str, route: &str, c: &Call) -> Option<Answer> {
        let answer = match (method, route) {
            ("GET", "/environments") => {
                let items = self.environments.values().cloned().collect();
                paginate(
                    items,
                    c.query,
                    c.base,
                    &c.path,
                    Wrap::Object("environments"),
                )
            }
            ("GET", "/environments/{environment_name}") => {
                match self.environments.get(c.param("environment_name")) {
                    Some(env) => Answer::json(200, env.clone()),
                    None => not_found(),
                }
            }
            ("PUT", "/environments/{environment_name}") => {
                let env = self.ensure_environment(c.base, c.param("environment_name"));
                Answer::json(200, env)
            }
            ("DELETE", "/environments/{environment_name}") => {
                self.environments.remove(c.param("environment_name"));
                Answer::empty(204)
            }
            ("GET", "/git/ref/{ref}") => {
                let name = c.param("ref").trim_start_matches("refs/").to_owned();
                match self.refs.get(&name) {
                    Some(sha) => {
                        let mut r = self.templates.git_ref.clone();
                        r["ref"] = json!(format!("refs/{name}"));
                        r["url"] = json!(format!("{}/git/refs/{name}", self.repo_url(c.base)));
                        r["object"]["sha"] = json!(sha);
                        Answer::json(200, r)
                    }
                    None => not_found(),
                }
            }
            _ => return None,
        };
        Some(answer)
    }

    fn create_deployment(&mut self, base: &str, body: &Value) -> Answer {
        let git_ref = body.get("ref").and_then(Value::as_str).unwrap_or("");
        let Some(sha) = self.resolve(git_ref) else {
            return unprocessable(&format!("No ref found for: {git_ref}"));
        };
        let required: Vec<String> = match body.get("required_contexts").and_then(Value::as_array) {
            Some(list) => list
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            None => self.contexts_of(&sha),
        };
        let states: Vec<(String, String)> = required
            .iter()
            .map(|c| (c.clone(), self.context_state(&sha, c)))
            .collect();
        if states.iter().any(|(_, s)| s != "success") {
            let contexts: Vec<Value> = states
                .iter()
                .map(|(c, s)| json!({"context": c, "state": s}))
                .collect();
            return Answer::json(
                409,
                json!({
                    "message": format!("Conflict: Commit status checks failed for {git_ref}."),
                    "errors": [{"contexts": contexts, "resource": "Deployment", "field": "required_contexts", "code": "invalid"}],
                    "documentation_url": "https://docs.github.com/rest/deployments/deployments#create-a-deployment",
                    "status": "409"
                }),
            );
        }
        let id = self.add_deployment(base, body, &sha);
        let json = self
            .deployments
            .iter()
            .find(|d| d.id == id)
            .map(|d| d.json.clone())
            .unwrap_or(Value::Null);
        Answer::json(201, json)
    }

    fn add_deployment(&mut self, base: &str, body: &Value, sha: &str) -> u64 {
        let id = self.take_id();
        let environment = body
            .get("environment")
            .and_then(Value::as_str)
            .unwrap_or("production")
            .to_owned();
        let payload = match body.get("payload") {
            Some(Value::String(text)) => serde_json::from_str(text).unwrap_or_else(|_| json!(text)),
            Some(other) => other.clone(),
            None => json!({}),
        };
        let repo_url = self.repo_url(base);
        let time = now();
        let mut d = self.templates.deployment.clone();
        d["url"] = json!(format!("{repo_url}/deployments/{id}"));
        d["id"] = json!(id);
        d["node_id"] = json!(format!("DE_fake{id}"));
        d["sha"] = json!(sha);
        d["ref"] = body.get("ref").cloned().unwrap_or_else(|| json!(sha));
        d["task"] = body.get("task").cloned().unwrap_or_else(|| json!("deploy"));
        d["payload"] = payload;
        d["original_environment"] = json!(environment);
        d["environment"] = json!(environment);
        d["description"] = body.get("description").cloned().unwrap_or(Value::Null);
        d["created_at"] = json!(time);
        d["updated_at"] = json!(time);
        d["statuses_url"] = json!(format!("{repo_url}/deployments/{id}/statuses"));
        d["repository_url"] = json!(repo_url);
        d["transient_environment"] = json!(
            body.get("transient_environment")
                .and_then(Value::as_bool)
                .unwrap_or(false)
        );
        d["production_environment"] = json!(
            body.get("production_environment")
                .and_then(Value::as_bool)
                .unwrap_or(environment == "production")
        );
        self.deployments.push(FakeDeployment {
            id,
            json: d,
            statuses: Vec::new(),
        });
        self.ensure_environment(base, &environment);
        id
    }

    fn delete_deployment(&mut self, id: Option<u64>) -> Answer {
        let Some(index) = self.deployments.iter().position(|d| Some(d.id) == id) else {
            return not_found();
        };
        let d = &self.deployments[index];
        let env = d.field("environment").to_owned();
        let others = self
            .deployments
            .iter()
            .filter(|o| o.field("environment") == env)
            .count();
        if d.latest_state() == Some("success") && others > 1 {
            return unprocessable(
                "We cannot delete an active deployment unless it is the only deployment in a given environment.",
            );
        }
        self.deployments.remove(index);
        Answer::empty(204)
    }

    /// Adds a deployment status and, like GitHub's `auto_inactive`, marks earlier successful
    /// non-production, non-transient deployments of the environment inactive.
    fn add_status(&mut self, base: &str, deployment_id: u64, body: &Value) -> Value {
        let id = self.take_id();
        let repo_url = self.repo_url(base);
        let Some(index) = self.deployments.iter().position(|d| d.id == deployment_id) else {
            return Value::Null;
        };
        let str_of = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_owned);
        let environment = str_of("environment")
            .unwrap_or_else(|| self.deployments[index].field("environment").to_owned());
        let log_url = str_of("log_url")
            .or_else(|| str_of("target_url"))
            .unwrap_or_default();
        let state = str_of("state").unwrap_or_default();
        let time = now();
        let mut s = self.templates.status.clone();
        s["url"] = json!(format!(
            "{repo_url}/deployments/{deployment_id}/statuses/{id}"
        ));
        s["id"] = json!(id);
        s["node_id"] = json!(format!("DES_fake{id}"));
        s["state"] = json!(state);
        s["description"] = json!(str_of("description").unwrap_or_default());
        s["environment"] = json!(environment);
        s["target_url"] = json!(log_url);
        s["log_url"] = json!(log_url);
        s["environment_url"] = json!(str_of("environment_url").unwrap_or_default());
        s["created_at"] = json!(time);
        s["updated_at"] = json!(time);
        s["deployment_url"] = json!(format!("{repo_url}/deployments/{deployment_id}"));
        s["repository_url"] = json!(repo_url);
        self.deployments[index].statuses.push(s.clone());
        let auto_inactive = body
            .get("auto_inactive")
            .and_then(Value::as_bool)
            .unwrap_or(true);
        if state == "success" && auto_inactive {
            let earlier: Vec<u64> = self
                .deployments
                .iter()
                .filter(|d| {
                    d.id < deployment_id
                        && d.field("environment") == environment
                        && d.json.get("production_environment") != Some(&json!(true))
                        && d.json.get("transient_environment") != Some(&json!(true))
                        && d.latest_state() == Some("success")
                })
                .map(|d| d.id)
                .collect();
            for other in earlier {
                self.add_status(base, other, &json!({"state": "inactive"}));
            }
        }
        s
    }

    fn add_commit_status(&mut self, base: &str, sha: &str, body: &Value) -> Value {
        let id = self.take_id();
        let time = now();
        let mut s = self.templates.commit_status.clone();
        s["url"] = json!(format!("{}/statuses/{sha}", self.repo_url(base)));
        s["id"] = json!(id);
        s["node_id"] = json!(format!("SC_fake{id}"));
        s["state"] = body
            .get("state")
            .cloned()
            .unwrap_or_else(|| json!("pending"));
        s["description"] = body.get("description").cloned().unwrap_or(Value::Null);
        s["target_url"] = body.get("target_url").cloned().unwrap_or(Value::Null);
        s["context"] = body
            .get("context")
            .cloned()
            .unwrap_or_else(|| json!("default"));
        s["created_at"] = json!(time);
        s["updated_at"] = json!(time);
        self.commit_statuses.push((sha.to_owned(), s.clone()));
        s
    }

    fn statuses_of(&self, sha: &str) -> Vec<Value> {
        self.commit_statuses
            .iter()
            .filter(|(s, _)| s == sha)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Every status context and check name seen for `sha`.
    fn contexts_of(&self, sha: &str) -> Vec<String> {
        let mut names: Vec<String> = self
            .statuses_of(sha)
            .iter()
            .filter_map(|s| s.get("context").and_then(Value::as_str).map(str::to_owned))
            .chain(
                self.check_runs
                    .iter()
                    .filter(|(s, _)| s == sha)
                    .filter_map(|(_, r)| r.get("name").and_then(Value::as_str).map(str::to_owned)),
            )
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// The newest state of a context: a commit status, else a check run, else `missing`.
    fn context_state(&self, sha: &str, context: &str) -> String {
        let status = self
            .commit_statuses
            .iter()
            .rev()
            .find(|(s, v)| s == sha && v.get("context").and_then(Value::as_str) == Some(context))
            .and_then(|(_, v)| v.get("state").and_then(Value::as_str));
        let check = self
            .check_runs
            .iter()
            .rev()
            .find(|(s, r)| s == sha && r.get("name").and_then(Value::as_str) == Some(context))
            .map(|(_, r)| check_state(r));
        status.or(check).unwrap_or("missing").to_owned()
    }

    fn combined(&self, base: &str, sha: &str) -> Value {
        let mut latest: BTreeMap<String, Value> = BTreeMap::new();
        for status in self.statuses_of(sha) {
            let context = status
                .get("context")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            latest.insert(context, status);
        }
        let states: Vec<&str> = latest
            .values()
            .filter_map(|s| s.get("state").and_then(Value::as_str))
            .collect();
        let state = if states.iter().any(|s| matches!(*s, "error" | "failure")) {
            "failure"
        } else if states.is_empty() || states.contains(&"pending") {
            "pending"
        } else {
            "success"
        };
        let mut c = self.templates.combined.clone();
        c["state"] = json!(state);
        c["sha"] = json!(sha);
        c["total_count"] = json!(latest.len());
        c["statuses"] = Value::Array(latest.into_values().collect());
        c["commit_url"] = json!(format!("{}/commits/{sha}", self.repo_url(base)));
        c["url"] = json!(format!("{}/commits/{sha}/status", self.repo_url(base)));
        c
    }

    fn ensure_environment(&mut self, base: &str, name: &str) -> Value {
        if let Some(env) = self.environments.get(name) {
            return env.clone();
        }
        let id = self.take_id();
        let time = now();
        let mut e = self.templates.environment.clone();
        e["id"] = json!(id);
        e["node_id"] = json!(format!("EN_fake{id}"));
        e["name"] = json!(name);
        e["url"] = json!(format!(
            "{}/environments/{}",
            self.repo_url(base),
            encode(name)
        ));
        e["created_at"] = json!(time);
        e["updated_at"] = json!(time);
        self.environments.insert(name.to_owned(), e.clone());
        e
    }
}

/// One request's parts, as the route handlers read them.
struct Call<'a> {
    params: &'a HashMap<String, String>,
    query: &'a HashMap<String, String>,
    body: Value,
    base: &'a str,
    /// The operation's path with owner and repository filled in.
    path: String,
}

impl Call<'_> {
    /// A numeric path parameter.
    fn id(&self, name: &str) -> Option<u64> {
        self.params.get(name).and_then(|v| v.parse::<u64>().ok())
    }

    /// A path parameter, empty when absent.
    fn param(&self, name: &str) -> &str {
        self.params.get(name).map(String::as_str).unwrap_or("")
    }

    /// The path with every parameter filled in (pagination links).
    fn list_path(&self) -> String {
        self.params.iter().fold(self.path.clone(), |acc, (k, v)| {
            acc.replace(&format!("{{{k}}}"), &encode(v))
        })
    }
}
