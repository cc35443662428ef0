//! `scaletrace observe`: the AWS observer alone, for traffic sent by
//! anything else (Locust, production). Same run directory, journal and
//! reports as a load run, without load lines.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::SdkConfig;
use tokio::sync::watch;

use crate::clock::RunClock;
use crate::journal::{self, JournalWriter, RunInfo};
use crate::profile::aws::AwsSpec;
use crate::run::{RunEnd, RunError, RunResult};

#[derive(Debug, Clone)]
pub struct ObserveOptions {
    pub endpoint: String,
    pub variant: Option<String>,
    /// `--inference-component`: follow this component's scaling and copies.
    pub inference_component: Option<String>,
    /// Stop after this long (otherwise at the first signal).
    pub duration: Option<Duration>,
    pub interval: Duration,
    pub run_dir: Option<PathBuf>,
    pub reports_root: PathBuf,
    pub aws: AwsSpec,
    pub quiet: bool,
    /// A load file from the tool that sent the traffic (`--load-from`),
    /// imported when observing ends (the tool writes it while it runs).
    pub load_from: Option<PathBuf>,
    /// `--slo-*`: what "back within SLO" means for the chains, judged on
    /// the observed latency; kept in `run.json` for a later `report`.
    pub slo: Option<crate::profile::Slo>,
}

/// Imports a load file into a run directory's journal (`--load-from`), so
/// every later `scaletrace report` reads the same load. A bad file is bad
/// input (exit 2) and leaves the journal as it was.
pub fn import_load(dir: &std::path::Path, file: &std::path::Path) -> Result<(), RunError> {
    let load = crate::load_import::read(file).map_err(|e| RunError::BadInput(e.to_string()))?;
    let data = journal::read_run_dir(dir).map_err(|e| RunError::BadInput(e.to_string()))?;
    let t = data.records.iter().map(|r| r.t()).fold(0.0, f64::max);
    let record = load.record(data.info.started_at, t);
    let mut w = JournalWriter::create(dir).map_err(|e| RunError::Broke(e.to_string()))?;
    w.write(&crate::journal::record::Record::LoadImport(record))
        .and_then(|()| w.flush())
        .map_err(|e| RunError::Broke(e.to_string()))
}

/// Observes until the duration passes or a signal comes, then writes the
/// reports.
pub fn observe(opts: ObserveOptions) -> Result<RunResult, RunError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| RunError::Broke(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async {
        let config = crate::aws::load_config(&opts.aws).await;
        observe_with(opts, config).await
    })
}

/// [`observe`] on a given SDK configuration (tests use static credentials
/// and a local AWS API server).
pub async fn observe_with(opts: ObserveOptions, config: SdkConfig) -> Result<RunResult, RunError> {
    let sagemaker = crate::aws::sagemaker_client(&config);
    let variants = crate::target::sagemaker::check_endpoint(
        &sagemaker,
        &config,
        &opts.endpoint,
        crate::target::sagemaker::NamedBy::Flag,
    )
    .await
    .map_err(|m| RunError::Broke(format!("cannot observe: {m}")))?;
    if let Some(v) = &opts.variant
        && !variants.iter().any(|x| x == v)
    {
        return Err(RunError::Broke(format!(
            "cannot observe: endpoint {:?} has no variant {v:?} (it has {})",
            opts.endpoint,
            variants.join(", ")
        )));
    }
    let clock = RunClock::start();
    let name = format!("observe-{}", opts.endpoint);
    let dir = opts.run_dir.clone().unwrap_or_else(|| {
        crate::run::default_run_dir(&opts.reports_root, &name, clock.started_at)
    });
    let info = RunInfo {
        schema: RunInfo::SCHEMA.into(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        started_at: clock.started_at,
        host: gethostname::gethostname().to_string_lossy().into_owned(),
        clock: "wall".into(),
        shard: "0/1".into(),
        profile: serde_json::json!({
            "name": name,
            "observe_only": {
                "endpoint": opts.endpoint,
                "variant": opts.variant,
                "inference_component": opts.inference_component,
                "region": crate::aws::region_of(&config),
                "interval": opts.interval.as_secs_f64(),
            },
            "slo": opts.slo,
        }),
    };
    journal::create_run_dir(&dir, &info).map_err(|e| RunError::Broke(e.to_string()))?;
    let writer = JournalWriter::create(&dir).map_err(|e| RunError::Broke(e.to_string()))?;
    let journal = Arc::new(Mutex::new(writer));
    let observer = crate::deploy::observe_only(
        &config,
        &opts.endpoint,
        opts.variant.as_deref(),
        opts.inference_component.as_deref(),
        opts.interval,
    );
    if !opts.quiet {
        eprintln!(
            "scaletrace: observing {} ({}) every {}{}; run directory {}",
            opts.endpoint,
            crate::aws::region_of(&config),
            humantime::format_duration(opts.interval),
            opts.duration
                .map(|d| format!(" for {}", humantime::format_duration(d)))
                .unwrap_or_else(|| " until Ctrl-C".into()),
            dir.display()
        );
    }
    let (stop_tx, mut stop_rx) = watch::channel(false);
    // Observing sends nothing: a signal has no requests to wait for.
    let signals = tokio::spawn(crate::run::watch_signals(
        stop_tx.clone(),
        journal.clone(),
        clock,
        || "stopping: one last poll, then the reports".to_string(),
    ));
    let observing = async {
        let (finish_tx, finish_rx) = watch::channel(false);
        let seen = Arc::new(Mutex::new(crate::progress::Observed::default()));
        // A journal that cannot be written stops observing like a signal,
        // and the task's error (exit 3) names the file.
        let task = tokio::spawn(crate::run::observe_loop(
            observer,
            clock,
            crate::run::JournalStop::new(journal.clone(), stop_tx),
            finish_rx,
            seen.clone(),
        ));
        // The live line: elapsed/total, instances, alarms, last datapoint.
        let mut progress =
            crate::progress::Progress::new(opts.quiet, opts.duration.unwrap_or_default());
        let start = tokio::time::Instant::now();
        let end = opts.duration.map(|d| start + d);
        // From the first second on: by then the first poll has answered.
        let mut tick =
            tokio::time::interval_at(start + Duration::from_secs(1), Duration::from_secs(1));
        let interrupted = loop {
            tokio::select! {
                biased;
                _ = stop_rx.changed() => break true,
                _ = tokio::time::sleep_until(end.unwrap_or(start)), if end.is_some() => break false,
                _ = tick.tick() => {
                    let words = seen.lock().expect("observed lock").words();
                    progress.update_line(
                        start.elapsed().as_secs_f64(),
                        opts.duration.map(|d| d.as_secs_f64()),
                        &words,
                    );
                }
            }
        };
        progress.finish();
        let _ = finish_tx.send(true);
        task.await
            .map_err(|e| RunError::Broke(format!("observer task failed: {e}")))??;
        Ok(interrupted)
    };
    let interrupted = crate::run::unless_second_signal(signals, &journal, observing).await?;
    {
        let mut j = journal.lock().expect("journal lock");
        crate::run::write_end(&mut j, &clock, interrupted)?;
    }
    if let Some(file) = &opts.load_from {
        import_load(&dir, file)?;
    }
    // Observing alone has no profile: no `[gates]`, and an `[slo]` only
    // from the --slo-* flags.
    let limits = crate::report::Limits {
        slo: opts.slo.clone(),
        gates: None,
    };
    let crate::run::Reported { report, terminal } = crate::run::write_reports(&dir, limits)?;
    Ok(RunResult {
        dir,
        // Without --duration, Ctrl-C is the normal way to stop.
        end: if interrupted && opts.duration.is_some() {
            RunEnd::Interrupted
        } else {
            RunEnd::Completed
        },
        report,
        terminal,
    })
}
