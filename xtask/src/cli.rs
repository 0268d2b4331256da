//! The command line of `cargo xtask`, parsed by clap: every command's flags, the `CONFORMANCE_*`
//! variable each stands for (a flag wins over its variable), and their defaults. An unknown flag or
//! a missing value is an error with a suggestion and exit status 2.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Project tooling for the Graph Calls conformance suite.
#[derive(Debug, Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    disable_help_subcommand = true,
    hide_possible_values = false
)]
pub struct Cli {
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// The whole suite with progress, a conformance matrix, target/conformance/junit.xml and report.html; exits 1 on an unexpected failure or pass
    Conform(ConformArgs),
    /// Generated programs judged against the lifecycle model, with a progress line; the first failing one shrunk and printed
    Explore(ExploreArgs),
    /// The embedded double as a standalone server, for developing an implementation or a bot against it
    ServeDouble(ServeArgs),
    /// Records a target's whole normalized exchanges as snapshot set snapshots/NAME/
    Record(RecordArgs),
    /// Imports Graph documentation pages (markdown source with blockType annotations) into fixtures
    ImportDocs(ImportArgs),
    /// Writes the corpus of today's pages: every JSON block of tests/graph-docs/api/ as tests/fixtures/pages/, the pages' slips as rejected/pages/
    ImportPages(ImportPagesArgs),
    /// The data lints: fixtures against schemas, schemas compile, every fixture used, every case backed
    Check,
    /// The whole suite against the double at injected latencies: wall time against the serial floor
    BenchLatency(BenchArgs),
    /// Checks that N cargo-nextest partitions cover every test exactly once
    ShardCheck(ShardArgs),
    /// The whole `cargo test`, N times in a row, idle and beside busy loops: every failing run and test
    Reliability(ReliabilityArgs),
    /// How many generated programs catch each fault the detection matrix holds to them, seed by seed (the margin behind `explore` in the matrix)
    Reach(ReachArgs),
}

/// What a run is aimed at.
#[derive(Debug, Args, Default, Clone)]
pub struct Aim {
    /// Base URL of the implementation, with version segment; conform takes several, each with its --provision-url [default: the embedded double]
    #[arg(long, value_name = "URL", env = "CONFORMANCE_TARGET", hide_env_values = true)]
    pub target: Vec<String>,
    /// The target's provisioning hook (one per --target, in the same order) [default: the double's own]
    #[arg(long, value_name = "URL", env = "CONFORMANCE_PROVISION_URL", hide_env_values = true)]
    pub provision_url: Vec<String>,
    /// Path families: a comma list of communications, app, applications [default: communications]
    #[arg(long, value_name = "LIST", env = "CONFORMANCE_PATH_FAMILIES", hide_env_values = true)]
    pub families: Option<String>,
    /// The edition of the contract: seeds or current [default: seeds]
    #[arg(long, value_name = "EDITION", env = "CONFORMANCE_EDITION", hide_env_values = true)]
    pub edition: Option<String>,
    /// A bot's callback endpoint to replay notifications to [default: the embedded bot double]
    #[arg(long, value_name = "URL", env = "CONFORMANCE_BOT_URL", hide_env_values = true)]
    pub bot_url: Option<String>,
    /// Run the embedded double with a named bug of the fault catalog [default: none]
    #[arg(long, value_name = "NAME", env = "CONFORMANCE_DOUBLE_FAULT", hide_env_values = true)]
    pub fault: Option<String>,
}

/// The generated programs' budget.
#[derive(Debug, Args, Default, Clone)]
pub struct Budget {
    /// How many generated programs run [default: 192]
    #[arg(long, value_name = "N", env = "CONFORMANCE_EXPLORE_CASES", hide_env_values = true)]
    pub cases: Option<String>,
    /// The seed they are generated from [default: 20261202]
    #[arg(long, value_name = "S", env = "CONFORMANCE_EXPLORE_SEED", hide_env_values = true)]
    pub seed: Option<String>,
}

/// `conform`: one target, or several side by side.
#[derive(Debug, Args)]
pub struct ConformArgs {
    /// What it is aimed at.
    #[command(flatten)]
    pub aim: Aim,
    /// A file of known failures (XFAIL/XPASS); one per --target, or one for all [default: none]
    #[arg(long, value_name = "FILE")]
    pub expectations: Vec<String>,
    /// The generated programs of the `explore` row.
    #[command(flatten)]
    pub budget: Budget,
}

/// `explore`.
#[derive(Debug, Args)]
pub struct ExploreArgs {
    /// What it is aimed at.
    #[command(flatten)]
    pub aim: Aim,
    /// How much it explores.
    #[command(flatten)]
    pub budget: Budget,
}

/// `serve-double`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The port to listen on, on 127.0.0.1 [default: a free one]
    #[arg(long, value_name = "N", conflicts_with = "bind")]
    pub port: Option<u16>,
    /// The address to listen on, such as 0.0.0.0:8080 so that a bot in a container or a VM can reach it [default: 127.0.0.1 and a free port]
    #[arg(long, value_name = "ADDR:PORT")]
    pub bind: Option<std::net::SocketAddr>,
    /// Run with a named bug of the fault catalog [default: none]
    #[arg(long, value_name = "NAME", env = "CONFORMANCE_DOUBLE_FAULT", hide_env_values = true)]
    pub fault: Option<String>,
    /// The edition of the contract it answers in: seeds or current [default: seeds]
    #[arg(long, value_name = "EDITION", env = "CONFORMANCE_EDITION", hide_env_values = true)]
    pub edition: Option<String>,
}

/// `record`.
#[derive(Debug, Args)]
pub struct RecordArgs {
    /// The snapshot set to write (not `docs`, the documents' own)
    #[arg(long, value_name = "NAME")]
    pub set: String,
    /// What it records.
    #[command(flatten)]
    pub aim: Aim,
}

/// `import-docs`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The pages to import
    #[arg(required = true, value_name = "PAGE.md")]
    pub pages: Vec<PathBuf>,
    /// Where the fixtures go [default: tests/fixtures/]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// `import-pages`.
#[derive(Debug, Args)]
pub struct ImportPagesArgs {
    /// The pages: a graph-docs folder with PROVENANCE.md, csdl/ and api/ [default: tests/graph-docs/]
    #[arg(long, value_name = "DIR")]
    pub docs: Option<PathBuf>,
    /// Write nothing; exit 1 if the corpus on disk is not what the pages make
    #[arg(long)]
    pub check: bool,
}

/// `bench-latency`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// The latencies to inject, in milliseconds
    #[arg(long, value_name = "MS,MS", value_delimiter = ',', default_value = "0,50,200")]
    pub latencies: Vec<u64>,
    /// Runs per latency (the median is shown)
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub repeat: usize,
}

/// `shard-check`.
#[derive(Debug, Args)]
pub struct ShardArgs {
    /// How many partitions
    #[arg(value_name = "N", default_value_t = 2)]
    pub partitions: usize,
}

/// `reliability`.
#[derive(Debug, Args)]
pub struct ReliabilityArgs {
    /// Consecutive runs of the whole `cargo test` at each load
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub runs: usize,
    /// The loads: how many busy loops run beside the tests (0 is idle)
    #[arg(long, value_name = "N,N", value_delimiter = ',', default_value = "0,2,6")]
    pub loads: Vec<usize>,
}

/// `reach`.
#[derive(Debug, Args)]
pub struct ReachArgs {
    /// Seeds 1 to N besides the default seed
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub seeds: u64,
    /// Programs per seed [default: the default budget's]
    #[arg(long, value_name = "N")]
    pub cases: Option<usize>,
    /// Only these faults [default: every fault whose row names `explore`]
    #[arg(long, value_name = "NAME")]
    pub fault: Vec<String>,
}

/// A variable and the value a flag (or clap's reading of the variable) gave it.
pub type Override = (&'static str, String);

impl Aim {
    /// The variables its flags set, with `target` (a URL and its hook) in place of the target flags'.
    /// More than one --target is for conform alone.
    pub fn overrides(&self, target: Option<(&str, &str)>) -> Result<Vec<Override>, String> {
        let (url, hook) = match target {
            Some((u, h)) => (Some(u.to_string()), Some(h.to_string())),
            None if self.target.len() > 1 || self.provision_url.len() > 1 => {
                return Err("only conform compares several targets: give one --target and one --provision-url".into())
            }
            None => (self.target.first().cloned(), self.provision_url.first().cloned()),
        };
        let pairs = [
            ("CONFORMANCE_TARGET", url),
            ("CONFORMANCE_PROVISION_URL", hook),
            ("CONFORMANCE_PATH_FAMILIES", self.families.clone()),
            ("CONFORMANCE_EDITION", self.edition.clone()),
            ("CONFORMANCE_BOT_URL", self.bot_url.clone()),
            ("CONFORMANCE_DOUBLE_FAULT", self.fault.clone()),
        ];
        Ok(pairs.into_iter().filter_map(|(k, v)| v.map(|v| (k, v))).collect())
    }
}

impl Budget {
    /// The variables its flags set.
    pub fn overrides(&self) -> Vec<Override> {
        let pairs = [("CONFORMANCE_EXPLORE_CASES", &self.cases), ("CONFORMANCE_EXPLORE_SEED", &self.seed)];
        pairs.into_iter().filter_map(|(k, v)| v.clone().map(|v| (k, v))).collect()
    }
}

impl ServeArgs {
    /// The variables its flags set.
    pub fn overrides(&self) -> Vec<Override> {
        let pairs = [("CONFORMANCE_DOUBLE_FAULT", &self.fault), ("CONFORMANCE_EDITION", &self.edition)];
        pairs.into_iter().filter_map(|(k, v)| v.clone().map(|v| (k, v))).collect()
    }
}

#[cfg(test)]
mod tests {
    use clap::error::ErrorKind;
    use clap::{CommandFactory, Parser};
    use conformance::running::config::VARIABLES;

    use super::Cli;

    /// `cargo xtask [COMMAND] --help`, as printed.
    fn help(command: Option<&str>) -> String {
        let args: Vec<&str> = ["cargo xtask"].into_iter().chain(command).chain(["--help"]).collect();
        let shown = Cli::try_parse_from(args).expect_err("--help exits early");
        assert_eq!(shown.kind(), ErrorKind::DisplayHelp);
        shown.to_string()
    }

    fn commands() -> Vec<String> {
        Cli::command().get_subcommands().map(|c| c.get_name().to_string()).collect()
    }

    #[test]
    fn help_of_xtask_and_of_every_command_is_pinned() {
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/../snapshots/xtask"));
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        settings.bind(|| {
            insta::assert_snapshot!("help", help(None));
            for name in commands() {
                insta::assert_snapshot!(format!("help-{name}"), help(Some(&name)));
            }
        });
    }

    #[test]
    fn every_flag_names_a_variable_of_the_suite_and_its_default() {
        for name in commands() {
            let cli = Cli::command();
            let command = cli.find_subcommand(&name).expect("a command");
            for arg in command.get_arguments() {
                let Some(var) = arg.get_env().and_then(|v| v.to_str()) else {
                    continue;
                };
                let (_, _, default) = VARIABLES
                    .iter()
                    .find(|(v, _, _)| *v == var)
                    .unwrap_or_else(|| panic!("{name} --{}: {var} is not a variable of the suite", arg.get_id()));
                let text = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
                assert!(
                    text.contains(&format!("[default: {default}]")),
                    "{name} --{}: the help must give {var}'s default ({default}): {text}",
                    arg.get_id()
                );
            }
        }
    }

    #[test]
    fn a_typo_in_a_flag_is_refused_with_a_suggestion_and_status_2() {
        let err = Cli::try_parse_from(["cargo xtask", "conform", "--tagret", "https://staging.example.com/v1.0"]).expect_err("refused");
        assert_eq!(err.kind(), ErrorKind::UnknownArgument);
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("a similar argument exists: '--target'"), "{err}");
    }

    #[test]
    fn a_flag_without_its_value_is_refused_with_status_2() {
        let err = Cli::try_parse_from(["cargo xtask", "explore", "--seed"]).expect_err("refused");
        assert_eq!(err.kind(), ErrorKind::InvalidValue);
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn an_unknown_command_is_refused_with_a_suggestion() {
        let err = Cli::try_parse_from(["cargo xtask", "conform-all"]).expect_err("refused");
        assert_eq!(err.kind(), ErrorKind::InvalidSubcommand);
        assert!(err.to_string().contains("conform"), "{err}");
        let err = Cli::try_parse_from(["cargo xtask", "serve-dobule"]).expect_err("refused");
        assert!(err.to_string().contains("serve-double"), "{err}");
    }

    #[test]
    fn help_is_help_and_runs_nothing() {
        let err = Cli::try_parse_from(["cargo xtask", "conform", "--help"]).expect_err("help is an early exit");
        assert_eq!(err.kind(), ErrorKind::DisplayHelp);
        assert_eq!(err.exit_code(), 0);
    }
}
