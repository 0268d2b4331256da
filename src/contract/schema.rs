//! The JSON Schemas of `schemas/`, compiled once per process and looked up by file stem.
//!
//! All documents are registered up front in one offline registry, so `$ref` never reaches the
//! network; a reference to anything not in `schemas/` is an error at load time.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use jsonschema::{Registry, Validator};
use serde_json::Value;

use super::fixture::{read_json, FixtureError};

/// One way an instance fails a schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaError {
    /// The schema's file stem (`call`, `commsNotifications`).
    pub schema: String,
    /// Where in the instance (`/value/0/resourceData/state`).
    pub instance_path: String,
    /// Where in the schema, following `$ref`s from the root (`/allOf/0/$ref/properties/status/enum`).
    pub schema_path: String,
    /// The keyword that failed, in the file that holds it (`commsOperation.json#/properties/status/enum`).
    pub keyword: String,
    /// What is wrong, in jsonschema's words.
    pub message: String,
}

impl fmt::Display for SchemaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.instance_path.is_empty() {
            "(root)"
        } else {
            &self.instance_path
        };
        write!(
            f,
            "{} at {}: {} [{} via {}]",
            self.schema, at, self.message, self.keyword, self.schema_path
        )
    }
}

/// Every schema, compiled.
pub struct Schemas {
    dir: PathBuf,
    raw: BTreeMap<String, Value>,
    validators: BTreeMap<String, Validator>,
}

impl fmt::Debug for Schemas {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Schemas")
            .field("dir", &self.dir)
            .field("names", &self.raw.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// The schema directory of this checkout.
pub fn default_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas")
}

impl Schemas {
    /// Loads and compiles every `*.json` under `dir` as draft 2020-12.
    pub fn load(dir: &Path) -> Result<Schemas, FixtureError> {
        let err = |path: &Path, message: String| FixtureError {
            path: path.to_path_buf(),
            message,
        };
        let mut raw = BTreeMap::new();
        let entries = std::fs::read_dir(dir).map_err(|e| err(dir, format!("cannot list: {e}")))?;
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.retain(|p| p.extension().is_some_and(|x| x == "json"));
        paths.sort();
        for p in &paths {
            let stem = p.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_string();
            raw.insert(stem, read_json(p)?);
        }
        let mut registry = Registry::new();
        for (name, schema) in &raw {
            let id = schema
                .get("$id")
                .and_then(Value::as_str)
                .ok_or_else(|| err(&dir.join(format!("{name}.json")), "no $id".into()))?;
            registry = registry
                .add(id, schema.clone())
                .map_err(|e| err(&dir.join(format!("{name}.json")), e.to_string()))?;
        }
        let registry = registry.prepare().map_err(|e| err(dir, format!("schema registry: {e}")))?;
        let mut validators = BTreeMap::new();
        for (name, schema) in &raw {
            let v = jsonschema::options()
                .with_draft(jsonschema::Draft::Draft202012)
                .with_registry(&registry)
                .build(schema)
                .map_err(|e| err(&dir.join(format!("{name}.json")), format!("does not compile: {e}")))?;
            validators.insert(name.clone(), v);
        }
        Ok(Schemas {
            dir: dir.to_path_buf(),
            raw,
            validators,
        })
    }

    /// The schema document `name` as written (for generating from it).
    pub fn raw(&self, name: &str) -> Option<&Value> {
        self.raw.get(name)
    }

    /// The schema names (file stems).
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.raw.keys().map(String::as_str)
    }

    /// The file a schema lives in.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.json"))
    }

    /// Every way `instance` fails schema `name`; empty when it is valid.
    /// An unknown schema name is itself reported as an error, so a typo cannot pass silently.
    pub fn validate(&self, name: &str, instance: &Value) -> Vec<SchemaError> {
        let Some(v) = self.validators.get(name) else {
            return vec![SchemaError {
                schema: name.into(),
                instance_path: String::new(),
                schema_path: String::new(),
                keyword: String::new(),
                message: format!("no schema named {name:?} in {}", self.dir.display()),
            }];
        };
        v.iter_errors(instance)
            .map(|e| SchemaError {
                schema: name.into(),
                instance_path: e.instance_path().to_string(),
                schema_path: e.evaluation_path().to_string(),
                keyword: keyword_location(
                    e.absolute_keyword_location().map(|u| u.as_str()),
                    name,
                    &e.schema_path().to_string(),
                ),
                message: e.to_string(),
            })
            .collect()
    }
}

/// `commsOperation.json#/properties/status/enum` from the keyword's absolute URI.
fn keyword_location(absolute: Option<&str>, schema: &str, fallback: &str) -> String {
    let Some(uri) = absolute else {
        return format!("{schema}.json#{fallback}");
    };
    let (base, fragment) = uri.split_once('#').unwrap_or((uri, ""));
    let file = base.rsplit('/').next().unwrap_or(base);
    format!("{file}#{fragment}")
}
