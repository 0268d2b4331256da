//! Running a case: one shared runtime, the environment a run is aimed at, and the case pipeline
//! fixture -> request -> target -> response -> checks -> verdict.
//!
//! Every case runs on one process-wide multi-thread runtime, whatever test thread asked for it:
//! the listener, the double's dispatcher and the HTTP client's connection pool live there, so
//! they outlive any single test.

use std::future::Future;
use std::sync::{Arc, OnceLock};

use serde_json::{json, Value};

use crate::case::Case;
use crate::check::{all_heard, check_notifications, check_response, Aspect, ExpectedNotification, Facts, Verdict};
use crate::config::{Config, Family};
use crate::double::{Double, DoubleOptions};
use crate::fixture::{default_root, Corpus};
use crate::listener::{Heard, Listener};
use crate::schema::{default_dir, Schemas};
use crate::target::{Observed, SentRequest, Target};

/// The process-wide runtime every case runs on.
pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("conformance")
            .enable_all()
            .build()
            .expect("cannot start the tokio runtime")
    })
}

/// Runs `fut` on the shared runtime and waits for it.
pub fn block_on<F: Future + Send + 'static>(fut: F) -> F::Output
where
    F::Output: Send + 'static,
{
    let rt = runtime();
    match rt.block_on(rt.spawn(fut)) {
        Ok(out) => out,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => panic!("a case's task was cancelled: {e}"),
    }
}

/// The fixtures of this checkout, loaded once.
pub fn corpus() -> &'static Corpus {
    static C: OnceLock<Corpus> = OnceLock::new();
    C.get_or_init(|| Corpus::load(&default_root()).unwrap_or_else(|e| panic!("cannot load the fixtures: {e}")))
}

/// The schemas of this checkout, compiled once.
pub fn schemas() -> &'static Schemas {
    static S: OnceLock<Schemas> = OnceLock::new();
    S.get_or_init(|| Schemas::load(&default_dir()).unwrap_or_else(|e| panic!("cannot load the schemas: {e}")))
}

/// What a run is aimed at: a target, the listener that hears its notifications, and the double
/// when the target is the embedded one.
#[derive(Debug)]
pub struct Env {
    /// The configuration it was built from.
    pub config: Config,
    /// Where requests go.
    pub target: Target,
    /// Where notifications arrive.
    pub listener: Arc<Listener>,
    /// The embedded double, when `CONFORMANCE_TARGET` is unset.
    pub double: Option<Double>,
}

impl Env {
    /// Starts what `config` asks for: the double when no target is set, and a listener.
    /// Must be awaited on the shared runtime (see [`block_on`]).
    pub async fn start(config: Config) -> Result<Env, String> {
        let listener = Arc::new(Listener::start(config.callback_bind, config.callback_url.as_deref()).await?);
        let (double, base, provision) = match &config.target {
            Some(t) => (None, t.clone(), config.provision_url.clone()),
            None => {
                let d = Double::start(DoubleOptions { edition: config.edition }).await;
                let (b, p) = (
                    d.base.clone(),
                    config.provision_url.clone().unwrap_or_else(|| d.provision_url.clone()),
                );
                (Some(d), b, Some(p))
            }
        };
        let target = Target::new(&base, provision, config.token.clone(), &config.app_id, config.timeout)?;
        Ok(Env {
            config,
            target,
            listener,
            double,
        })
    }

    /// A one-line description for messages: `target http://… (seeds edition)`.
    pub fn describe(&self) -> String {
        let what = if self.double.is_some() {
            "the embedded double at"
        } else {
            "target"
        };
        format!("{what} {} ({} edition)", self.target.base, self.config.edition.name())
    }
}

/// The environment of `CONFORMANCE_*` variables, started once per process.
pub fn env() -> &'static Env {
    static E: OnceLock<Result<Env, String>> = OnceLock::new();
    let started = E.get_or_init(|| {
        let config = Config::from_env().map_err(|e| e.to_string())?;
        block_on(Env::start(config))
    });
    match started {
        Ok(env) => env,
        Err(e) => panic!("the suite cannot start: {e}"),
    }
}

/// One case run on one family: what was sent, what came back, and the verdict.
#[derive(Debug, Clone)]
pub struct CaseRun {
    /// The case id.
    pub case_id: String,
    /// The family it ran on.
    pub family: Family,
    /// The provisioned call.
    pub call_id: Option<String>,
    /// The request sent (when it got that far).
    pub request: Option<SentRequest>,
    /// The answer (when there was one).
    pub response: Option<Observed>,
    /// Every POST the case's callback heard.
    pub heard: Vec<Heard>,
    /// The checks' conclusion.
    pub verdict: Verdict,
    /// What the snapshot pins (`null` when the case could not run).
    pub projection: Value,
}

/// Hosts where destructive cases are refused unless `CONFORMANCE_ALLOW_PRODUCTION=1`.
pub const PRODUCTION_HOSTS: [&str; 4] = [
    "graph.microsoft.com",
    "graph.microsoft.us",
    "dod-graph.microsoft.us",
    "microsoftgraph.chinacloudapi.cn",
];

fn production_refusal(env: &Env, case: &Case) -> Option<String> {
    let host = reqwest::Url::parse(&env.target.base).ok()?.host_str()?.to_ascii_lowercase();
    let destructive = matches!(case.operation, "delete" | "reject");
    (destructive && !env.config.allow_production && PRODUCTION_HOSTS.contains(&host.as_str())).then(|| {
        format!(
            "refused: {} ends a call on the Microsoft production host {host}; set CONFORMANCE_ALLOW_PRODUCTION=1 if that is really meant",
            case.operation
        )
    })
}

/// Runs `case` on `family` against `env`: provision a call, send the documented request, check
/// the answer and the notifications it causes.
pub async fn run_case(env: &Env, case: &Case<'_>, family: Family) -> CaseRun {
    let mut run = CaseRun {
        case_id: case.id().to_string(),
        family,
        call_id: None,
        request: None,
        response: None,
        heard: Vec::new(),
        verdict: Verdict::default(),
        projection: Value::Null,
    };
    let setup = |run: &mut CaseRun, expected: &str, actual: String| {
        run.verdict.findings.push(crate::check::Finding {
            aspect: Aspect::Setup,
            subject: "setup".into(),
            expected: expected.into(),
            actual,
            schema: None,
        });
    };
    if let Some(why) = production_refusal(env, case) {
        setup(&mut run, "a non-production target", why);
        return run;
    }
    let expected: Vec<ExpectedNotification> = match case.notifications.iter().map(|n| ExpectedNotification::from_fixture(n)).collect() {
        Ok(e) => e,
        Err(e) => {
            setup(&mut run, "valid notification fixtures", e);
            return run;
        }
    };
    let (callback, inbox) = env.listener.open(case.id());
    let call_id = match env.target.provision(&case.fixture.call, &callback).await {
        Ok(id) => id,
        Err(e) => {
            setup(&mut run, &format!("a provisioned {} call", case.fixture.call), e);
            return run;
        }
    };
    run.call_id = Some(call_id.clone());
    let req = env.target.request(
        &case.op.method,
        &case.path_for(family, &env.target.app_id, &call_id),
        case.body.clone(),
    );
    run.request = Some(req.clone());
    let obs = match env.target.send(&req).await {
        Ok(o) => o,
        Err(e) => {
            setup(&mut run, "an answer", e.to_string());
            return run;
        }
    };
    run.response = Some(obs.clone());
    let heard = if expected.is_empty() {
        inbox.snapshot()
    } else {
        inbox
            .wait_until(env.config.notify_timeout, |h| all_heard(&expected, h, &call_id))
            .await
    };
    let (verdict, projection) = judge(case, &call_id, &req, &obs, &heard, env.config.notify_timeout.as_millis());
    run.verdict.findings.extend(verdict.findings);
    run.verdict.infos.extend(verdict.infos);
    run.heard = heard;
    run.projection = projection;
    run
}

/// Checks one observed exchange of `case` on call `call_id` and projects it for the snapshot.
/// `waited_ms` is how long notifications were awaited, for messages.
/// Pure: the same function judges a live target and the documents' own examples.
pub fn judge(case: &Case, call_id: &str, req: &SentRequest, obs: &Observed, heard: &[Heard], waited_ms: u128) -> (Verdict, Value) {
    let mut verdict = Verdict::default();
    let expected: Vec<ExpectedNotification> = match case.notifications.iter().map(|n| ExpectedNotification::from_fixture(n)).collect() {
        Ok(e) => e,
        Err(e) => {
            verdict.findings.push(crate::check::Finding {
                aspect: Aspect::Setup,
                subject: "fixtures".into(),
                expected: "valid notification fixtures".into(),
                actual: e,
                schema: None,
            });
            return (verdict, Value::Null);
        }
    };
    let mut facts = Facts {
        call_id,
        operation_id: None,
        request_body: req.body.as_ref(),
        corpus: corpus(),
    };
    let response = check_response(case, schemas(), &mut facts, obs, &mut verdict);
    let notifications = check_notifications(&expected, schemas(), &facts, heard, waited_ms, &mut verdict);
    (verdict, projection(case, req, response, notifications))
}

/// The whole exchange as the snapshot pins it: family, ids and hosts replaced by placeholders.
fn projection(case: &Case, req: &SentRequest, response: Value, notifications: Vec<Value>) -> Value {
    let action = case.op.action.as_deref().map(|a| format!("/{a}")).unwrap_or_default();
    let mut headers = serde_json::Map::new();
    for (k, v) in &req.headers {
        headers.insert(k.clone(), json!(crate::secret::redact_header(k, v)));
    }
    json!({
        "request": {"method": req.method, "path": format!("[family]/calls/[call-id]{action}"), "headers": headers, "body": req.body},
        "response": response,
        "notifications": notifications,
    })
}
