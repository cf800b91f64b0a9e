//! Command-line arguments (SPEC R17, R18), with clap's derive API.

mod history;

pub use history::{
    HistoryAction, HistoryArgs, HistoryListArgs, HistoryPruneArgs, HistoryShowArgs, OutcomeArg,
    RecordArgs, ResumeArgs,
};

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// The end of `flowtoy --help` and of the man page: examples, the
/// environment, exit codes.
const AFTER_LONG_HELP: &str = "\
Examples:
  flowtoy run examples/quickstart.yaml
  flowtoy run base.yaml prod.yaml -j -o outputs.json
  flowtoy validate examples/diamond.yaml

Environment:
  RUST_LOG             log filter (e.g. debug or flowtoy=debug,warn) unless -v or --log-level
  NO_COLOR             any non-empty value: no colour in log lines (unless --color always)
  FLOWTOY_PLUGIN_PATH  plugin directories, `:`-separated, after --plugin-dir
  RUNNER_STATUS_URL    the runner `flowtoy tui` watches when no CONFIG is given
  FLOWTOY_STATUS_TOKEN the status API token (--status-token): required when serving, sent to --status-url

Exit status:
  0    the run finished (failures covered by skip/continue), or the command did its work
  1    the run halted on a step with on_error: fail
  2    nothing ran: a configuration or usage error, or an address that cannot be used
  3    flowtoy itself failed after it started (e.g. the -o file cannot be written)
  130  interrupted by SIGINT (143: SIGTERM)";

/// Run data flows described in YAML.
#[derive(Debug, Parser)]
#[command(
    name = "flowtoy",
    version,
    about = "Run data flows described in YAML: steps call providers, pass templated inputs, keep outputs, run in parallel.",
    after_help = "Examples:\n  flowtoy run examples/quickstart.yaml\n  flowtoy run base.yaml prod.yaml -j -o outputs.json\n  flowtoy validate examples/diamond.yaml",
    after_long_help = AFTER_LONG_HELP,
    propagate_version = true
)]
pub struct Cli {
    /// Options every command takes.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Options shared by every command.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// More log detail on stderr (-v info, -vv debug, -vvv trace).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Log level: error, warn, info, debug or trace (wins over -v; both win over RUST_LOG).
    #[arg(long, global = true, value_name = "LEVEL")]
    pub log_level: Option<String>,
    /// Colour in log lines: auto (only when stderr is a terminal and NO_COLOR is unset), always or never.
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t)]
    pub color: ColorChoice,
}

/// When log lines on stderr carry colour (ANSI escape codes).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// When stderr is a terminal and `NO_COLOR` is unset or empty.
    #[default]
    Auto,
    /// Always, even into a file or a pipe.
    Always,
    /// Never.
    Never,
}

/// Where plugins come from (SPEC R21).
#[derive(Debug, Args, Clone, Default)]
pub struct PluginArgs {
    /// Load provider plugins from this directory (repeatable; also FLOWTOY_PLUGIN_PATH, `:`-separated).
    #[arg(long = "plugin-dir", value_name = "DIR")]
    pub plugin_dirs: Vec<PathBuf>,
    /// Load plugin directories and libraries that other users can write to (refused by default), with a warning.
    #[arg(long)]
    pub allow_insecure_plugins: bool,
}

/// Who may read the status API (`--status-token`, `--no-auth`).
#[derive(Debug, Args, Clone, Default)]
pub struct AuthArgs {
    /// Require `Authorization: Bearer TOKEN` on every status API route but /healthz (open the web UI as /?token=TOKEN); with --status-url, also sent to that runner.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "FLOWTOY_STATUS_TOKEN",
        hide_env_values = true
    )]
    pub status_token: Option<String>,
    /// Serve a non-loopback address without a token (refused otherwise), with a warning.
    #[arg(long)]
    pub no_auth: bool,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a flow and print its outputs.
    #[command(
        after_help = "Examples:\n  flowtoy run examples/quickstart.yaml\n  flowtoy run flow.yaml -j\n  flowtoy run base.yaml local.yaml --max-workers 8 -o out.json"
    )]
    Run(RunArgs),
    /// Run a flow once and serve its status API until Ctrl-C.
    #[command(after_help = "Example:\n  flowtoy serve examples/diamond.yaml --port 8000")]
    Serve(ServeArgs),
    /// Serve the web UI for a flow run here, or for a remote runner.
    #[command(
        after_help = "Examples:\n  flowtoy webui examples/diamond.yaml --port 8080\n  flowtoy webui --status-url http://127.0.0.1:8000"
    )]
    Webui(WebuiArgs),
    /// Watch a run in a full-screen terminal UI.
    #[command(
        after_help = "Examples:\n  flowtoy tui examples/diamond.yaml --show-logs\n  flowtoy tui --status-url http://127.0.0.1:8000"
    )]
    Tui(TuiArgs),
    /// Check configuration files without running anything.
    #[command(
        after_help = "Examples:\n  flowtoy validate examples/diamond.yaml\n  flowtoy validate base.yaml prod.yaml --json"
    )]
    Validate(ValidateArgs),
    /// Print the dependency graph.
    #[command(
        after_help = "Examples:\n  flowtoy graph examples/diamond.yaml | dot -Tsvg > flow.svg\n  flowtoy graph examples/diamond.yaml --format mermaid"
    )]
    Graph(GraphArgs),
    /// List every provider type and where it comes from.
    #[command(
        after_help = "Examples:\n  flowtoy plugins\n  flowtoy plugins --plugin-dir target/release"
    )]
    Plugins(PluginsArgs),
    /// Print the JSON Schema of flow files (for editors and other tools).
    #[command(
        after_help = "Examples:\n  flowtoy schema > flowtoy.schema.json\n\nThen, first line of a flow file:\n  # yaml-language-server: $schema=./flowtoy.schema.json"
    )]
    Schema,
    /// List, show and prune recorded runs.
    #[command(
        after_help = "Examples:\n  flowtoy history\n  flowtoy history --status halted --json\n  flowtoy history show last\n  flowtoy history prune --keep 100"
    )]
    History(HistoryArgs),
    /// Run a recorded run's files again, reusing the outputs of the steps that succeeded in it.
    #[command(
        after_help = "Examples:\n  flowtoy resume last\n  flowtoy resume 12 --max-workers 8 -j"
    )]
    Resume(ResumeArgs),
    /// Print a shell completion script.
    #[command(
        after_help = "Example:\n  flowtoy completions bash > ~/.local/share/bash-completion/completions/flowtoy"
    )]
    Completions(CompletionsArgs),
    /// Write the man pages (made from these definitions) into DIR, or print flowtoy(1).
    #[command(hide = true, name = "man-page")]
    ManPage(ManPageArgs),
}

/// `flowtoy run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// YAML files, merged left to right (later files win).
    #[arg(required = true, value_name = "CONFIG")]
    pub configs: Vec<PathBuf>,
    /// Print the outputs as JSON.
    #[arg(short, long)]
    pub json: bool,
    /// Also write the outputs as JSON to this file.
    #[arg(short, long, value_name = "PATH")]
    pub output_file: Option<PathBuf>,
    /// Print nothing to stdout.
    #[arg(short, long)]
    pub quiet: bool,
    /// Most steps running at once (wins over runner.max_workers; default 4).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_workers: Option<u64>,
    /// Serve the status API on this port while running, and after until Ctrl-C.
    #[arg(long, value_name = "P")]
    pub status_port: Option<u16>,
    /// Address for the status API.
    #[arg(long, value_name = "H", default_value = "127.0.0.1")]
    pub status_host: String,
    /// Who may read the status API.
    #[command(flatten)]
    pub auth: AuthArgs,
    /// Print secret values in outputs (stdout and -o only).
    #[arg(long)]
    pub show_secrets: bool,
    /// Plugin directories.
    #[command(flatten)]
    pub plugins: PluginArgs,
    /// Recording the run.
    #[command(flatten)]
    pub history: RecordArgs,
}

/// `flowtoy serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// YAML files, merged left to right.
    #[arg(required = true, value_name = "CONFIG")]
    pub configs: Vec<PathBuf>,
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port to bind (0 picks a free one).
    #[arg(long, default_value_t = 8000)]
    pub port: u16,
    /// Who may read the status API.
    #[command(flatten)]
    pub auth: AuthArgs,
    /// Most steps running at once.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_workers: Option<u64>,
    /// Plugin directories.
    #[command(flatten)]
    pub plugins: PluginArgs,
    /// Recording the run.
    #[command(flatten)]
    pub history: RecordArgs,
}

/// `flowtoy webui`.
#[derive(Debug, Args)]
pub struct WebuiArgs {
    /// YAML files to run (all-in-one mode).
    #[arg(value_name = "CONFIG")]
    pub configs: Vec<PathBuf>,
    /// Relay a remote runner's status API instead of running a flow.
    #[arg(long, value_name = "URL")]
    pub status_url: Option<String>,
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port to bind (0 picks a free one).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Who may read the status API.
    #[command(flatten)]
    pub auth: AuthArgs,
    /// Most steps running at once.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_workers: Option<u64>,
    /// Plugin directories.
    #[command(flatten)]
    pub plugins: PluginArgs,
    /// Recording the run.
    #[command(flatten)]
    pub history: RecordArgs,
}

/// `flowtoy tui`.
#[derive(Debug, Args)]
pub struct TuiArgs {
    /// YAML files to run (all-in-one mode).
    #[arg(value_name = "CONFIG")]
    pub configs: Vec<PathBuf>,
    /// Monitor a remote runner (fallback: RUNNER_STATUS_URL).
    #[arg(long, value_name = "URL", env = "RUNNER_STATUS_URL")]
    pub status_url: Option<String>,
    /// The status API token: sent to --status-url, and required by the status API this process serves in all-in-one mode.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "FLOWTOY_STATUS_TOKEN",
        hide_env_values = true
    )]
    pub status_token: Option<String>,
    /// Most steps running at once.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_workers: Option<u64>,
    /// Show a panel with the last 100 log lines.
    #[arg(long)]
    pub show_logs: bool,
    /// Plugin directories.
    #[command(flatten)]
    pub plugins: PluginArgs,
    /// Recording the run.
    #[command(flatten)]
    pub history: RecordArgs,
}

/// `flowtoy validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// YAML files, merged left to right.
    #[arg(required = true, value_name = "CONFIG")]
    pub configs: Vec<PathBuf>,
    /// Print the result as JSON: {valid, files, steps, waves: [[{name, type, on_error, depends_on: [{step, explicit, implicit}]}]], warnings}, or {valid: false, errors: [...]}.
    #[arg(long)]
    pub json: bool,
    /// Plugin directories.
    #[command(flatten)]
    pub plugins: PluginArgs,
}

/// Graph output formats.
#[derive(Debug, Clone, Copy, ValueEnum, Default)]
pub enum GraphFormat {
    /// Graphviz dot.
    #[default]
    Dot,
    /// Mermaid flowchart.
    Mermaid,
    /// SVG, laid out by flowtoy itself (no Graphviz needed).
    Svg,
}

/// `flowtoy graph`.
#[derive(Debug, Args)]
pub struct GraphArgs {
    /// YAML files, merged left to right.
    #[arg(required = true, value_name = "CONFIG")]
    pub configs: Vec<PathBuf>,
    /// Output format; dashed arrows are dependencies that come only from templates (flows.NAME).
    #[arg(long, value_enum, default_value_t)]
    pub format: GraphFormat,
    /// Plugin directories.
    #[command(flatten)]
    pub plugins: PluginArgs,
}

/// `flowtoy plugins`.
#[derive(Debug, Args)]
pub struct PluginsArgs {
    /// Plugin directories.
    #[command(flatten)]
    pub plugins: PluginArgs,
}

/// `flowtoy completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `flowtoy man-page`.
#[derive(Debug, Args)]
pub struct ManPageArgs {
    /// Write flowtoy.1 and a page per command here (else print flowtoy.1).
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
}
