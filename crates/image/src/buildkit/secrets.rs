//! Build secrets (`--secret`, as `docker build` and build-push-action take them): read once
//! before the build, served to `RUN --mount=type=secret` through the session, and never part of
//! the image, its labels, the build key or the log (the progress printer redacts the values).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use bollard_buildkit_proto::moby::buildkit::secrets::v1::secrets_server;
use bollard_buildkit_proto::moby::buildkit::secrets::v1::{GetSecretRequest, GetSecretResponse};
use tonic::{Request, Response, Status};

use crate::ImageError;
use deploy_action_sys::secret::Secret;

/// Where a secret's value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// An environment variable.
    Env(String),
    /// A file.
    File(PathBuf),
}

/// One `--secret` flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretSpec {
    /// The id `RUN --mount=type=secret,id=…` names.
    pub id: String,
    /// Where its value is read from.
    pub source: SecretSource,
}

/// Parses `id=ID,env=VAR`, `id=ID,src=PATH` (`source=` too) or `type=env|file,id=ID[,…]`, as
/// docker buildx does; `type=env` without `env=` reads the variable named like the id.
pub fn parse_spec(text: &str) -> Result<SecretSpec, ImageError> {
    let bad = |why: &str| {
        ImageError::Usage(format!(
            "--secret `{text}`: {why}; write `id=ID,env=VARIABLE` or `id=ID,src=PATH`"
        ))
    };
    let (mut id, mut env, mut src, mut kind) = (None, None, None, None);
    for field in text.split(',').map(str::trim).filter(|f| !f.is_empty()) {
        let (key, value) = field
            .split_once('=')
            .ok_or_else(|| bad(&format!("`{field}` is not KEY=VALUE")))?;
        let slot = match key.trim().to_ascii_lowercase().as_str() {
            "id" => &mut id,
            "env" => &mut env,
            "src" | "source" => &mut src,
            "type" => &mut kind,
            other => return Err(bad(&format!("unknown key `{other}`"))),
        };
        *slot = Some(value.trim().to_owned());
    }
    let id = id.filter(|i| !i.is_empty()).ok_or_else(|| bad("no id"))?;
    let source = match (kind.as_deref(), env, src) {
        (Some(t), _, _) if t != "env" && t != "file" => {
            return Err(bad(&format!("type `{t}` is neither env nor file")));
        }
        (_, Some(_), Some(_)) => return Err(bad("give env= or src=, not both")),
        (Some("file"), Some(_), None) => return Err(bad("type=file takes src=, not env=")),
        (Some("env"), None, Some(_)) => return Err(bad("type=env takes env=, not src=")),
        (_, Some(var), None) if !var.is_empty() => SecretSource::Env(var),
        (_, None, Some(path)) if !path.is_empty() => SecretSource::File(PathBuf::from(path)),
        (Some("env"), None, None) => SecretSource::Env(id.clone()),
        _ => return Err(bad("say where the value comes from")),
    };
    Ok(SecretSpec { id, source })
}

/// The secrets of one build, values loaded.
#[derive(Clone, Default)]
pub struct Secrets {
    values: Arc<HashMap<String, Secret<Vec<u8>>>>,
}

impl Secrets {
    /// Reads every value now, so a missing file or variable stops the build before it starts.
    /// `env` is the process environment.
    pub fn load(
        specs: &[SecretSpec],
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ImageError> {
        let mut values = HashMap::new();
        for spec in specs {
            let value = match &spec.source {
                SecretSource::Env(var) => env(var).ok_or_else(|| {
                    ImageError::Usage(format!(
                        "--secret id={}: environment variable {var} is not set; export it or \
                         use src=PATH",
                        spec.id
                    ))
                })?,
                SecretSource::File(path) => {
                    let bytes = std::fs::read(path).map_err(|e| {
                        ImageError::Usage(format!(
                            "--secret id={}: cannot read {} ({e}); check the path",
                            spec.id,
                            path.display()
                        ))
                    })?;
                    values.insert(spec.id.clone(), Secret::new(bytes));
                    continue;
                }
            };
            values.insert(spec.id.clone(), Secret::new(value.into_bytes()));
        }
        Ok(Self {
            values: Arc::new(values),
        })
    }

    /// The values as text, longest first, to redact from logs (values under 4 bytes are left
    /// alone: redacting them would garble ordinary output).
    pub fn redactions(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .values
            .values()
            .filter_map(|v| std::str::from_utf8(v.expose()).ok())
            .flat_map(|v| {
                let lines = v.lines().map(|l| l.trim().to_owned());
                [v.to_owned(), v.trim().to_owned()].into_iter().chain(lines)
            })
            .filter(|v| v.len() >= 4)
            .collect();
        out.sort_by_key(|v| std::cmp::Reverse(v.len()));
        out.dedup();
        out
    }

    /// The ids, for the build key (values never enter it).
    pub fn ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.values.keys().cloned().collect();
        ids.sort();
        ids
    }
}

#[tonic::async_trait]
impl secrets_server::Secrets for Secrets {
    async fn get_secret(
        &self,
        request: Request<GetSecretRequest>,
    ) -> Result<Response<GetSecretResponse>, Status> {
        let id = request.into_inner().id;
        match self.values.get(&id) {
            Some(value) => Ok(Response::new(GetSecretResponse {
                data: value.expose().clone(),
            })),
            // BuildKit's own wording, which its error message repeats.
            None => Err(Status::not_found(format!("secret {id} not found"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_take_buildx_syntax() {
        let ok = |t: &str| parse_spec(t).expect(t);
        assert_eq!(
            ok("id=npm,env=NPM_TOKEN").source,
            SecretSource::Env("NPM_TOKEN".into())
        );
        assert_eq!(
            ok("id=aws,src=/home/u/.aws/credentials").source,
            SecretSource::File("/home/u/.aws/credentials".into())
        );
        assert_eq!(
            ok("type=file,id=k,source=./k").source,
            SecretSource::File("./k".into())
        );
        assert_eq!(
            ok("type=env,id=TOKEN").source,
            SecretSource::Env("TOKEN".into())
        );
        for bad in [
            "",
            "id=x",
            "env=X",
            "id=x,env=A,src=b",
            "id=x,type=ssh,env=A",
            "id=x,colour=red,env=A",
            "idx",
        ] {
            let err = parse_spec(bad).expect_err(bad).to_string();
            assert!(err.contains("--secret"), "{err}");
        }
    }

    #[test]
    fn values_load_up_front_and_say_what_is_missing() {
        let env = |k: &str| (k == "SET").then(|| "s3cr3t-value".to_owned());
        let specs = [parse_spec("id=a,env=SET").expect("spec")];
        let secrets = Secrets::load(&specs, &env).expect("loads");
        assert_eq!(secrets.ids(), vec!["a"]);
        assert_eq!(secrets.redactions(), vec!["s3cr3t-value"]);
        let missing = [parse_spec("id=b,env=UNSET").expect("spec")];
        let err = Secrets::load(&missing, &env).err().map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("UNSET is not set")));
        let file = [parse_spec("id=c,src=/nonexistent/file").expect("spec")];
        let err = Secrets::load(&file, &env).err().map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("cannot read /nonexistent/file")));
    }
}
