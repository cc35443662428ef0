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
    let sagemaker = aws_sdk_sagemaker::Client::new(&config);
    let variants = crate::target::sagemaker::check_endpoint(&sagemaker, &config, &opts.endpoint)
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
                "region": crate::aws::region_of(&config),
                "interval": opts.interval.as_secs_f64(),
            }
        }),
    };
    journal::create_run_dir(&dir, &info).map_err(|e| RunError::Broke(e.to_string()))?;
    let writer = JournalWriter::create(&dir).map_err(|e| RunError::Broke(e.to_string()))?;
    let journal = Arc::new(Mutex::new(writer));
    let observer = crate::deploy::observe_only(
        &config,
        &opts.endpoint,
        opts.variant.as_deref(),
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
    let signals = tokio::spawn(crate::run::watch_signals(stop_tx, journal.clone(), clock));
    let observing = async {
        let (finish_tx, finish_rx) = watch::channel(false);
        let task = tokio::spawn(crate::run::observe_loop(
            observer,
            clock,
            journal.clone(),
            finish_rx,
        ));
        let interrupted = match opts.duration {
            Some(d) => tokio::select! {
                biased;
                _ = tokio::time::sleep(d) => false,
                _ = stop_rx.changed() => true,
            },
            None => {
                let _ = stop_rx.changed().await;
                true
            }
        };
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
    // Observing alone has no profile, so no `[slo]` or `[gates]`.
    let crate::run::Reported { report, terminal } =
        crate::run::write_reports(&dir, crate::report::Limits::default())?;
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
