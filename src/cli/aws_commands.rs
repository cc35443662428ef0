//! The AWS commands' arguments and handlers: `observe`, `inspect` and
//! `apply`, with the shared AWS flags (region, profile, endpoint URL).

use std::path::PathBuf;
use std::time::Duration;

use super::{exit, fail, parse_duration, run_error};
use crate::run::RunEnd;

#[derive(Debug, clap::Args)]
pub struct ObserveArgs {
    /// The endpoint's name.
    #[arg(long)]
    pub endpoint: String,
    /// The production variant (default: the endpoint's first).
    #[arg(long)]
    pub variant: Option<String>,
    /// Follow this inference component on the endpoint: its scalable
    /// target, policies, alarms, copy counts and per-copy metrics.
    #[arg(long, value_name = "NAME")]
    pub inference_component: Option<String>,
    /// Stop after this long ("30m"); otherwise at Ctrl-C.
    #[arg(long, value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// Time between polls.
    #[arg(long, value_parser = parse_duration, default_value = "10s")]
    pub interval: Duration,
    /// Write the run here instead of reports/<UTC time>-observe-<endpoint>/.
    #[arg(long)]
    pub run_dir: Option<PathBuf>,
    #[command(flatten)]
    pub aws: AwsFlags,
    /// No progress output.
    #[arg(long, short)]
    pub quiet: bool,
    /// The load from the tool that sent it (a Locust
    /// `PREFIX_stats_history.csv`, k6 `--out json=FILE`, or a
    /// `timestamp,requests_per_s` CSV), read when observing ends.
    #[arg(long, value_name = "FILE")]
    pub load_from: Option<PathBuf>,
    /// The `[slo]` p99 the lag chains' last link ("back within SLO") is
    /// judged by, in ms, on the observed latency (the --load-from file's,
    /// else CloudWatch ModelLatency + OverheadLatency).
    #[arg(long, value_name = "MS", value_parser = parse_slo_ms)]
    pub slo_p99_ms: Option<f64>,
    /// The `[slo]` p50, in ms (as --slo-p99-ms).
    #[arg(long, value_name = "MS", value_parser = parse_slo_ms)]
    pub slo_p50_ms: Option<f64>,
    /// The `[slo]` error rate, a fraction 0..=1 (the file's failures, else
    /// CloudWatch Invocation4XX/5XXErrors ÷ Invocations).
    #[arg(long, value_name = "FRACTION", value_parser = parse_slo_fraction)]
    pub slo_error_rate: Option<f64>,
}

// Clap value parsers for `observe --slo-*` (the `[slo]` rules: ms ≥ 0,
// a fraction in 0..=1).
fn parse_slo_ms(s: &str) -> Result<f64, String> {
    s.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
        .ok_or_else(|| format!("must be a number of ms ≥ 0 (got {s:?})"))
}

fn parse_slo_fraction(s: &str) -> Result<f64, String> {
    s.parse::<f64>()
        .ok()
        .filter(|v| (0.0..=1.0).contains(v))
        .ok_or_else(|| format!("must be a fraction from 0 to 1 (got {s:?})"))
}

/// Where the AWS calls of `inspect` and `apply` go.
#[derive(Debug, clap::Args)]
pub struct AwsFlags {
    /// AWS region (default: the standard chain's).
    #[arg(long)]
    pub region: Option<String>,
    /// A named AWS profile.
    #[arg(long)]
    pub profile: Option<String>,
    /// Send every AWS call here (a local AWS API server, a VPC endpoint).
    #[arg(long)]
    pub endpoint_url: Option<String>,
}

impl AwsFlags {
    fn spec(self) -> crate::profile::aws::AwsSpec {
        crate::profile::aws::AwsSpec {
            region: self.region,
            profile: self.profile,
            endpoint_url: self.endpoint_url,
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// The endpoint's name.
    #[arg(long)]
    pub endpoint: String,
    /// The production variant (default: the endpoint's first).
    #[arg(long)]
    pub variant: Option<String>,
    /// Show this inference component's scaling setup and copy counts
    /// instead of the variant's.
    #[arg(long, value_name = "NAME")]
    pub inference_component: Option<String>,
    /// How many of the last scaling activities to show.
    #[arg(long, default_value_t = crate::policy_cli::inspect::DEFAULT_ACTIVITIES)]
    pub activities: usize,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Exit 0 with a partial view when some call (alarms, activities)
    /// failed; without it such a view exits 3.
    #[arg(long)]
    pub best_effort: bool,
    #[command(flatten)]
    pub aws: AwsFlags,
}

#[derive(Debug, clap::Args)]
pub struct ApplyArgs {
    /// The endpoint's name.
    #[arg(long)]
    pub endpoint: String,
    /// The production variant (default: the endpoint's first).
    #[arg(long)]
    pub variant: Option<String>,
    /// Set this inference component's policy (copies) instead of the
    /// variant's; with --min-capacity 0 also the scale-from-zero step
    /// policy and alarm.
    #[arg(long, value_name = "NAME", conflicts_with = "variant")]
    pub inference_component: Option<String>,
    /// The target value (invocations per instance per minute; with
    /// --metric backlog, queued requests per instance; for an inference
    /// component, concurrent requests or invocations per copy).
    #[arg(long)]
    pub target_value: f64,
    /// Seconds (default: the policy's current value, else 300).
    #[arg(long)]
    pub scale_in_cooldown: Option<u32>,
    /// Seconds (default: the policy's current value, else 300).
    #[arg(long)]
    pub scale_out_cooldown: Option<u32>,
    /// Register or update the scalable target (with --max-capacity).
    #[arg(long)]
    pub min_capacity: Option<u32>,
    /// Register or update the scalable target (with --min-capacity).
    #[arg(long)]
    pub max_capacity: Option<u32>,
    /// Policy name (default: SageMakerEndpointInvocationScalingPolicy, the
    /// one the console shows as built-in; for an inference component
    /// NAME-ConcurrentRequestsPerCopy or NAME-InvocationsPerCopy).
    #[arg(long)]
    pub policy_name: Option<String>,
    /// The tracked metric (default: invocations for a variant,
    /// concurrency-per-copy for an inference component); async endpoints
    /// need `backlog`.
    #[arg(long, value_enum)]
    pub metric: Option<crate::policy_cli::component_apply::MetricFlag>,
    /// Apply without asking (required when stdin is not a terminal).
    #[arg(long, short)]
    pub yes: bool,
    #[command(flatten)]
    pub aws: AwsFlags,
}

pub(super) fn cmd_observe(args: ObserveArgs) -> u8 {
    let opts = crate::observe_run::ObserveOptions {
        endpoint: args.endpoint,
        variant: args.variant,
        inference_component: args.inference_component,
        duration: args.duration,
        interval: args.interval,
        run_dir: args.run_dir,
        reports_root: PathBuf::from("reports"),
        aws: args.aws.spec(),
        quiet: args.quiet,
        load_from: args.load_from,
        slo: (args.slo_p50_ms.is_some()
            || args.slo_p99_ms.is_some()
            || args.slo_error_rate.is_some())
        .then_some(crate::profile::Slo {
            p50_ms: args.slo_p50_ms,
            p99_ms: args.slo_p99_ms,
            error_rate: args.slo_error_rate,
        }),
    };
    match crate::observe_run::observe(opts) {
        Ok(result) => {
            out!("{}", result.terminal);
            outln!("\nrun directory: {}", result.dir.display());
            match result.end {
                RunEnd::Completed => exit::DONE,
                RunEnd::Interrupted => exit::INTERRUPTED,
            }
        }
        Err(e) => run_error(e),
    }
}

pub(super) fn cmd_inspect(args: InspectArgs) -> u8 {
    let opts = crate::policy_cli::inspect::InspectOptions {
        endpoint: args.endpoint,
        variant: args.variant,
        aws: args.aws.spec(),
        activities: args.activities,
        json: args.json,
        best_effort: args.best_effort,
    };
    let inspected = match &args.inference_component {
        Some(name) => crate::policy_cli::component::inspect(&opts, name),
        None => crate::policy_cli::inspect::inspect(&opts),
    };
    match inspected {
        Ok(inspected) => {
            out!("{}", inspected.output);
            match inspected.partial {
                Some(e) => fail(e.exit_code(), e),
                None => exit::DONE,
            }
        }
        Err(e) => fail(e.exit_code(), e),
    }
}

pub(super) fn cmd_apply(args: ApplyArgs) -> u8 {
    use crate::policy_cli::apply::{ApplyOptions, ApplyRequest, RawApply};
    use crate::policy_cli::component_apply::{self as ic, MetricFlag};
    if let Some(component) = args.inference_component {
        let request = MetricFlag::for_component(args.metric).and_then(|metric| {
            ic::ComponentApplyRequest::validate(ic::RawComponentApply {
                endpoint: args.endpoint,
                component,
                target_value: args.target_value,
                scale_in_cooldown: args.scale_in_cooldown,
                scale_out_cooldown: args.scale_out_cooldown,
                min_capacity: args.min_capacity,
                max_capacity: args.max_capacity,
                policy_name: args.policy_name,
                metric,
            })
        });
        return match request.and_then(|r| ic::apply(&r, &args.aws.spec(), args.yes)) {
            Ok(()) => exit::DONE,
            Err(e) => fail(e.exit_code(), e),
        };
    }
    let metric = match MetricFlag::for_variant(args.metric) {
        Ok(m) => m,
        Err(e) => return fail(e.exit_code(), e),
    };
    let request = ApplyRequest::validate(RawApply {
        endpoint: args.endpoint,
        variant: args.variant,
        target_value: args.target_value,
        scale_in_cooldown: args.scale_in_cooldown,
        scale_out_cooldown: args.scale_out_cooldown,
        min_capacity: args.min_capacity,
        max_capacity: args.max_capacity,
        policy_name: args.policy_name,
        metric,
    });
    let opts = match request {
        Ok(request) => ApplyOptions {
            request,
            aws: args.aws.spec(),
            yes: args.yes,
        },
        Err(e) => return fail(e.exit_code(), e),
    };
    match crate::policy_cli::apply::apply(&opts) {
        Ok(()) => exit::DONE,
        Err(e) => fail(e.exit_code(), e),
    }
}
