//! Command-line interface: clap commands mapping onto the library. Nothing
//! here measures or reports; it parses, calls, and picks the exit code.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::profile::{Overrides, Profile};
use crate::run::{RunEnd, RunError, RunOptions};
use crate::schedule::Shard;
use crate::schedule::start::StartAt;

mod aws_commands;
pub mod examples;

pub use aws_commands::{ApplyArgs, AwsFlags, InspectArgs, ObserveArgs};
use aws_commands::{cmd_apply, cmd_inspect, cmd_observe};

/// Exit codes, as the README documents them.
/// Exit codes (defined in [`crate::exit`], where the library can use them).
pub use crate::exit;

/// The profile `scaletrace run` uses when given none: the built-in copy of
/// this file ([`examples::demo`]), so it needs no checkout.
pub const DEFAULT_PROFILE: &str = "profiles/demo.toml";

#[derive(Debug, Parser)]
#[command(
    name = "scaletrace",
    version,
    about = "Load-test Amazon SageMaker endpoints and see when and why autoscaling reacted"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a load test (with no profile and no --url: the built-in demo
    /// profile on the simulated endpoint).
    Run(RunArgs),
    /// Write the example profiles (the demo and the others) into a folder
    /// to edit and run.
    Init {
        /// The folder to write them in.
        #[arg(default_value = "profiles")]
        dir: PathBuf,
        /// Overwrite files that exist.
        #[arg(long)]
        force: bool,
    },
    /// Check a profile and print the resolved plan.
    Validate {
        /// The profile (TOML).
        profile: PathBuf,
    },
    /// Measure one instance's capacity (MAX_RPS) with stairs of rising
    /// rate, and recommend SCALING_VALUE with the commands to apply it.
    Capacity(CapacityArgs),
    /// What-if: replay traffic against the profile's simulated endpoint for
    /// each candidate target value (and cooldowns), compare cost and
    /// service, and recommend the cheapest value that meets the SLO.
    Simulate(SimulateArgs),
    /// Observe a SageMaker endpoint's scaling without sending load (for
    /// traffic from any other tool); same journal and reports.
    Observe(ObserveArgs),
    /// Show a SageMaker endpoint's scaling setup: scalable target, policies
    /// with their alarms, warnings, and the last scaling activities.
    Inspect(InspectArgs),
    /// Set the target-tracking policy (under the built-in name by default)
    /// and, if asked, the scalable target; shows before and after and asks
    /// first.
    Apply(ApplyArgs),
    /// Combine the run directories of one plan's shards (`run --shard
    /// I/N`) into one, and build its reports (exit 1 when a gate fails).
    Merge {
        /// Every shard's run directory, in any order.
        #[arg(required = true, num_args = 2..)]
        run_dirs: Vec<PathBuf>,
        /// Write the merged run here (default:
        /// reports/<UTC start>-<name>-merged).
        #[arg(long)]
        run_dir: Option<PathBuf>,
    },
    /// Rebuild every report from a run directory (exit 1 when a gate fails).
    Report {
        /// A run directory (holds run.json and journal.jsonl).
        run_dir: PathBuf,
        /// Import the load from the tool that sent it first (a Locust
        /// `PREFIX_stats_history.csv`, k6 `--out json=FILE`, or a
        /// `timestamp,requests_per_s` CSV); the journal keeps it.
        #[arg(long, value_name = "FILE")]
        load_from: Option<PathBuf>,
    },
    /// Compare a run with a baseline: what moved, and exit 1 when a
    /// tolerance is exceeded.
    Compare(CompareArgs),
}

#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// The baseline: a run directory or a summary.json.
    pub baseline: PathBuf,
    /// The run to judge: a run directory or a summary.json.
    pub current: PathBuf,
    /// Tolerances; without any flag, the current run's `[gates]` tolerances
    /// apply, else p99 may rise at most 10 %.
    #[arg(long)]
    pub p50_increase_pct: Option<f64>,
    #[arg(long)]
    pub p99_increase_pct: Option<f64>,
    /// Absolute: 0.001 lets the error rate rise by 0.1 percentage points.
    #[arg(long)]
    pub error_rate_increase: Option<f64>,
    #[arg(long)]
    pub achieved_decrease_pct: Option<f64>,
    #[arg(long)]
    pub scale_out_lag_increase_pct: Option<f64>,
    #[arg(long)]
    pub scale_in_lag_increase_pct: Option<f64>,
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The profile (TOML).
    pub profile: Option<PathBuf>,
    /// Target URL (kind = "http"); overrides the profile's, or runs without
    /// a profile.
    #[arg(long)]
    pub url: Option<String>,
    /// Constant rate, requests per second, replacing the profile's phases.
    #[arg(long)]
    pub rate: Option<f64>,
    /// Load duration ("30s", "5m"): with --rate, how long; alone, cuts or
    /// extends the profile's phases.
    #[arg(long, value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// Keep observing this long after the load ends ("0s", "2m"),
    /// replacing the profile's `[observe] tail`.
    #[arg(long, value_parser = parse_tail)]
    pub tail: Option<Duration>,
    /// Write the run here instead of reports/<UTC time>-<name>/.
    #[arg(long)]
    pub run_dir: Option<PathBuf>,
    /// Send only shard I of N of the schedule (0-based), e.g. 0/4.
    #[arg(long, value_parser = Shard::parse, default_value = "0/1")]
    pub shard: Shard,
    /// Begin the schedule at this instant, the same for every shard: RFC
    /// 3339 (2026-12-03T18:00:00Z), or +DURATION after the RFC 3339 time in
    /// SCALETRACE_START_REF. Waits until then; a late start begins
    /// mid-plan.
    #[arg(long, value_name = "TIME", value_parser = StartAt::parse)]
    pub start_at: Option<StartAt>,
    /// Skip `GET /ping` before an HTTP run (`ping = false` in [target]
    /// does the same; with a bare --url there is no profile to set it in).
    #[arg(long)]
    pub no_ping: bool,
    /// No progress output.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, clap::Args)]
pub struct CapacityArgs {
    /// The profile (TOML); `[capacity]` sets the stairs and the SLO.
    pub profile: PathBuf,
    /// Target URL (kind = "http"), overriding the profile's.
    #[arg(long)]
    pub url: Option<String>,
    /// Skip `GET /ping` before the steps (as `ping = false` in [target]).
    #[arg(long)]
    pub no_ping: bool,
    /// Write the steps here instead of reports/<UTC time>-<name>-capacity/.
    #[arg(long)]
    pub run_dir: Option<PathBuf>,
    /// The endpoint the printed commands are for.
    #[arg(long, default_value = "<endpoint-name>")]
    pub endpoint: String,
    /// The production variant the printed commands are for.
    #[arg(long, default_value = "AllTraffic")]
    pub variant: String,
    /// Recommend for an async endpoint (scale on the backlog).
    #[arg(long = "async")]
    pub asynchronous: bool,
    /// A step holds while its p99 latency is at most this (ms); default
    /// `[slo] p99_ms`, else `[capacity] p99_ms`.
    #[arg(long, value_name = "MS", value_parser = crate::capacity::cli::parse_ms)]
    pub p99_ms: Option<f64>,
    /// A step holds while its p99 time to first token is at most this
    /// (ms; streamed responses); default `[capacity] ttft_p99_ms`.
    #[arg(long, value_name = "MS", value_parser = crate::capacity::cli::parse_ms, requires = "concurrency")]
    pub ttft_p99_ms: Option<f64>,
    /// Find the most requests in flight one instance (one copy) holds the
    /// SLO at, with stairs in concurrency (`[capacity]
    /// start_concurrency`…), and recommend the ConcurrentRequestsPerCopy
    /// (PerModel for a variant) target value.
    #[arg(long)]
    pub concurrency: bool,
    /// With --concurrency: the inference component the printed commands
    /// are for (default: the SageMaker target's `inference_component`).
    #[arg(long, value_name = "NAME", requires = "concurrency")]
    pub inference_component: Option<String>,
    /// No per-step lines.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// The profile (TOML) with [target] kind = "sim".
    pub profile: PathBuf,
    /// Candidate TargetValues (invocations per instance per minute), e.g.
    /// 300,600,900.
    #[arg(long, value_delimiter = ',', required = true, value_parser = parse_target_value)]
    pub target_values: Vec<f64>,
    /// Candidate ScaleInCooldowns, seconds (default: the policy's).
    #[arg(long, value_delimiter = ',', value_parser = parse_cooldown)]
    pub scale_in_cooldowns: Vec<f64>,
    /// Candidate ScaleOutCooldowns, seconds (default: the policy's).
    #[arg(long, value_delimiter = ',', value_parser = parse_cooldown)]
    pub scale_out_cooldowns: Vec<f64>,
    /// Replay this CSV of per-minute invocation counts (CloudWatch
    /// Invocations, Sum, 1 minute) instead of the profile's [load].
    #[arg(long)]
    pub traffic: Option<PathBuf>,
    /// Give the simulated instances the capacity `scaletrace capacity`
    /// measured (its capacity.json, or the directory holding it).
    #[arg(long)]
    pub capacity_json: Option<PathBuf>,
    /// Write the runs here instead of reports/<UTC time>-<name>-simulate/.
    #[arg(long)]
    pub run_dir: Option<PathBuf>,
    /// No per-candidate lines.
    #[arg(long, short)]
    pub quiet: bool,
}

// A clap value parser: a String error is clap's convention (it prints it
// after naming the flag).
fn parse_target_value(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!(
            "{s:?} is not a target value (invocations per instance per minute, > 0)"
        )),
    }
}

// A clap value parser: a String error is clap's convention.
fn parse_cooldown(s: &str) -> Result<f64, String> {
    match s.trim().parse::<u32>() {
        Ok(v) => Ok(v as f64),
        _ => Err(format!("{s:?} is not a cooldown (whole seconds ≥ 0)")),
    }
}

// A clap value parser: a String error is clap's convention.
fn parse_duration(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s).map_err(|e| format!("invalid duration {s:?}: {e}"))?;
    if d.is_zero() {
        return Err("must be longer than zero".into());
    }
    Ok(d)
}

// A clap value parser: `--tail 0s` (no tail) is allowed.
fn parse_tail(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s).map_err(|e| format!("invalid duration {s:?}: {e}"))
}

/// Runs a parsed command; returns the process exit code.
pub fn main_with(cli: Cli) -> ExitCode {
    let code = match cli.command {
        Command::Run(args) => cmd_run(args),
        Command::Init { dir, force } => cmd_init(&dir, force),
        Command::Validate { profile } => cmd_validate(&profile),
        Command::Capacity(args) => cmd_capacity(args),
        Command::Simulate(args) => cmd_simulate(args),
        Command::Observe(args) => cmd_observe(args),
        Command::Inspect(args) => cmd_inspect(args),
        Command::Apply(args) => cmd_apply(args),
        Command::Merge { run_dirs, run_dir } => cmd_merge(&run_dirs, run_dir.as_deref()),
        Command::Report { run_dir, load_from } => match load_from
            .map(|f| crate::observe_run::import_load(&run_dir, &f))
            .transpose()
        {
            Ok(_) => cmd_report(&run_dir),
            Err(e) => run_error(e),
        },
        Command::Compare(args) => cmd_compare(&args),
    };
    ExitCode::from(code)
}

fn fail(code: u8, message: impl std::fmt::Display) -> u8 {
    // Messages quote profile values: no raw ESC or NUL to the terminal.
    eprintln!(
        "error: {}",
        crate::report::escape::terminal(&message.to_string())
    );
    code
}

fn run_error(e: RunError) -> u8 {
    match e {
        // Its line was printed as the signal came, as the first one's was.
        RunError::Aborted { .. } => e.exit_code(),
        e => fail(e.exit_code(), e),
    }
}

/// The profile a command runs: the file given, an ad-hoc one for a bare
/// `--url`, or the demo; then the command line's overrides. Either kind of
/// error is bad input (exit 2), so the command edge needs only its message:
/// anyhow, without `.context()`, because `fail` prints the outermost
/// message and each error's own already names the file or the flag.
fn resolve_profile(path: Option<&Path>, overrides: Overrides) -> anyhow::Result<Profile> {
    let mut profile = match (path, &overrides.url) {
        (Some(path), _) => Profile::load(path)?,
        (None, Some(url)) => Profile::for_url(url)?,
        (None, None) => examples::demo()?,
    };
    profile.apply(&Overrides {
        // A bare --url already made the profile.
        url: path.and(overrides.url),
        ..overrides
    })?;
    Ok(profile)
}

fn cmd_run(args: RunArgs) -> u8 {
    let overrides = Overrides {
        url: args.url.clone(),
        rate: args.rate,
        duration: args.duration,
    };
    let mut profile = match resolve_profile(args.profile.as_deref(), overrides) {
        Ok(p) => p,
        Err(m) => return fail(exit::BAD_INPUT, m),
    };
    if let Some(tail) = args.tail {
        profile.observe.tail = tail;
    }
    if let (true, crate::profile::TargetSpec::Http(h)) = (args.no_ping, &mut profile.target) {
        h.ping_url = None;
    }
    let opts = RunOptions {
        run_dir: args.run_dir.clone(),
        reports_root: PathBuf::from("reports"),
        quiet: args.quiet,
        shard: args.shard,
        started_at: None,
    };
    match crate::run::run_at(profile, opts, args.start_at) {
        Ok(result) => {
            out!("{}", result.terminal);
            outln!("\nrun directory: {}", result.dir.display());
            match result.end {
                RunEnd::Completed => gate_verdict(&result.report),
                RunEnd::Interrupted => exit::INTERRUPTED,
            }
        }
        Err(e) => run_error(e),
    }
}

fn cmd_capacity(args: CapacityArgs) -> u8 {
    let overrides = Overrides {
        url: args.url.clone(),
        ..Overrides::default()
    };
    let mut profile = match resolve_profile(Some(&args.profile), overrides) {
        Ok(p) => p,
        Err(m) => return fail(exit::BAD_INPUT, m),
    };
    if let (true, crate::profile::TargetSpec::Http(h)) = (args.no_ping, &mut profile.target) {
        h.ping_url = None;
    }
    let dir = args.run_dir.clone().unwrap_or_else(|| {
        crate::run::default_run_dir(
            Path::new("reports"),
            &format!("{}-capacity", profile.name),
            chrono::Utc::now(),
        )
    });
    let slo = crate::capacity::slo::SloFlags {
        p99_ms: args.p99_ms,
        ttft_p99_ms: args.ttft_p99_ms,
    };
    if !args.quiet {
        eprintln!(
            "scaletrace capacity: {} — {}, SLO {}; steps in {}",
            profile.name,
            crate::capacity::cli::stairs(&profile, args.concurrency),
            crate::capacity::slo::StepSlo::resolve(&profile, slo).describe(),
            dir.display()
        );
    }
    if args.concurrency {
        let resource = crate::capacity::concurrency_recommend::resource_for(
            &profile,
            &args.endpoint,
            &args.variant,
            args.inference_component.as_deref(),
        );
        return crate::capacity::cli::concurrency(&profile, &dir, args.quiet, slo, &resource)
            .unwrap_or_else(run_error);
    }
    let report = match crate::capacity::runner::run_capacity(&profile, &dir, args.quiet, slo) {
        Ok(r) => r,
        Err(e) => return run_error(e),
    };
    let target = crate::capacity::recommend::EndpointRef {
        endpoint: args.endpoint.clone(),
        variant: args.variant.clone(),
        asynchronous: args.asynchronous,
    };
    let text = crate::capacity::recommend::render(&report, &target);
    let _ = std::fs::write(dir.join("recommendation.txt"), &text);
    if let Some(value) = report.scaling_value {
        let policy = crate::capacity::recommend::policy_json(value, args.asynchronous);
        let json = serde_json::to_string_pretty(&policy)
            .expect("json")
            .replace("<endpoint>", &args.endpoint);
        let _ = std::fs::write(dir.join("scaling-policy.json"), json + "\n");
    }
    out!("{text}");
    outln!("\ncapacity directory: {}", dir.display());
    if report.max_rps.is_none() {
        exit::GATE_FAILED
    } else {
        exit::DONE
    }
}

fn cmd_simulate(args: SimulateArgs) -> u8 {
    let profile = match Profile::load(&args.profile) {
        Ok(p) => p,
        Err(e) => return fail(exit::BAD_INPUT, e),
    };
    let dir = args.run_dir.clone().unwrap_or_else(|| {
        crate::run::default_run_dir(
            Path::new("reports"),
            &format!("{}-simulate", profile.name),
            chrono::Utc::now(),
        )
    });
    let opts = crate::simulate::SimulateOptions {
        target_values: args.target_values,
        scale_in_cooldowns: args.scale_in_cooldowns,
        scale_out_cooldowns: args.scale_out_cooldowns,
        traffic: args.traffic,
        capacity_json: args.capacity_json,
        dir: dir.clone(),
        quiet: args.quiet,
    };
    if !args.quiet {
        eprintln!(
            "scaletrace simulate: {} — {} candidate target value(s); runs in {}",
            profile.name,
            opts.target_values.len(),
            dir.display()
        );
    }
    match crate::simulate::run_simulate(&profile, &opts) {
        Ok(report) => {
            out!("{}", crate::simulate::render::text(&report));
            outln!("\nsimulate directory: {}", dir.display());
            if report.recommended.is_some() {
                exit::DONE
            } else {
                exit::GATE_FAILED
            }
        }
        Err(e) => run_error(e),
    }
}

fn cmd_init(dir: &Path, force: bool) -> u8 {
    match examples::write_examples(dir, force) {
        Ok(paths) => {
            for p in &paths {
                outln!("wrote {}", p.display());
            }
            outln!(
                "\nrun one with: scaletrace run {}",
                dir.join(examples::EXAMPLES[0].file).display()
            );
            exit::DONE
        }
        Err(e @ examples::InitError::Exists(_)) => fail(exit::BAD_INPUT, e),
        Err(e) => fail(exit::BROKE, e),
    }
}

fn cmd_validate(path: &Path) -> u8 {
    let profile = match Profile::load(path) {
        Ok(p) => p,
        Err(e) => return fail(exit::BAD_INPUT, e),
    };
    out!(
        "{}",
        crate::report::escape::terminal(&crate::plan::describe(&profile))
    );
    exit::DONE
}

fn cmd_merge(dirs: &[PathBuf], out: Option<&Path>) -> u8 {
    match crate::merge::merge_dirs(dirs, out, Path::new("reports")) {
        Ok(crate::merge::Merged { dir, starts }) => {
            // Every shard or none ran with --start-at (merge checks).
            if starts.iter().any(|s| s.start.is_some()) {
                for s in &starts {
                    eprintln!("{s}");
                }
            }
            let code = cmd_report(&dir);
            outln!("\nrun directory: {}", dir.display());
            code
        }
        Err(m) => fail(exit::BAD_INPUT, m),
    }
}

fn cmd_report(dir: &Path) -> u8 {
    match crate::run::build_reports(dir) {
        Ok(reported) => {
            out!("{}", reported.terminal);
            gate_verdict(&reported.report)
        }
        Err(e) => run_error(e),
    }
}

/// After every report is written: one line per failed gate, exit 1.
fn gate_verdict(report: &crate::report::Report) -> u8 {
    let failed: Vec<_> = report.summary.failed_gates().collect();
    for g in &failed {
        eprintln!("{}", g.line());
    }
    if failed.is_empty() {
        exit::DONE
    } else {
        eprintln!(
            "scaletrace: {} of {} gates failed",
            failed.len(),
            report.summary.gates.len()
        );
        exit::GATE_FAILED
    }
}

fn cmd_compare(args: &CompareArgs) -> u8 {
    use crate::profile::Tolerances;
    let load = |p: &Path| crate::compare::load_summary(p);
    let (base, cur) = match (load(&args.baseline), load(&args.current)) {
        (Ok(b), Ok(c)) => (b, c),
        (Err(e), _) | (_, Err(e)) => return fail(exit::BAD_INPUT, e),
    };
    let flags = Tolerances {
        p50_increase_pct: args.p50_increase_pct,
        p99_increase_pct: args.p99_increase_pct,
        error_rate_increase: args.error_rate_increase,
        achieved_decrease_pct: args.achieved_decrease_pct,
        scale_out_lag_increase_pct: args.scale_out_lag_increase_pct,
        scale_in_lag_increase_pct: args.scale_in_lag_increase_pct,
    };
    let from_profile = || {
        let data = crate::journal::read_run_dir(&args.current).ok()?;
        let gates = crate::report::Limits::from_run_json(&data).ok()?.gates;
        gates.map(|g| g.tolerances).filter(|t| !t.is_empty())
    };
    let tol = if !flags.is_empty() {
        flags
    } else {
        from_profile().unwrap_or(Tolerances {
            p99_increase_pct: Some(10.0),
            ..Tolerances::default()
        })
    };
    let rows = crate::compare::compare(&base, &cur, &tol);
    if let Some(warning) = crate::compare::profile_mismatch(&base, &cur) {
        eprintln!("{warning}");
    }
    outln!("{} → {}", base.name, cur.name);
    out!(
        "{}",
        crate::report::compare::comparison_table(&rows).to_text("  ")
    );
    let exceeded: Vec<_> = rows.iter().filter(|r| r.exceeded).collect();
    for r in &exceeded {
        if let Some(g) = r.gate() {
            eprintln!("{}", g.line());
        }
    }
    if exceeded.is_empty() {
        exit::DONE
    } else {
        exit::GATE_FAILED
    }
}
