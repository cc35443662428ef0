//! A new user's first hour with the binary: `run` outside the checkout,
//! `init`, `--tail`, credential errors, exit codes from a real terminal.

use std::path::Path;
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_scaletrace"))
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The journal's `end` line's time, seconds.
fn end_t(dir: &Path) -> f64 {
    let text = std::fs::read_to_string(dir.join("journal.jsonl")).unwrap();
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["type"] == "end")
        .and_then(|v| v["t"].as_f64())
        .expect("an end line")
}

#[test]
fn run_without_a_profile_works_outside_the_checkout() {
    // As after `cargo install`: no profiles/ folder in the working directory.
    let tmp = tempfile::tempdir().unwrap();
    let out = bin()
        .current_dir(tmp.path())
        .args(["run", "--duration", "1m", "--tail", "0s", "-q"])
        .args(["--run-dir", "run"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("— demo"), "{}", stdout(&out));
    assert!(tmp.path().join("run/report.html").exists());
}

#[test]
fn init_writes_the_examples_and_never_overwrites_them() {
    let tmp = tempfile::tempdir().unwrap();
    let out = bin().current_dir(tmp.path()).arg("init").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("wrote profiles/demo.toml"));
    for f in ["demo.toml", "step-scaling.toml", "sagemaker.toml"] {
        let p = tmp.path().join("profiles").join(f);
        let v = bin().arg("validate").arg(&p).output().unwrap();
        assert_eq!(v.status.code(), Some(0), "{f}: {}", stderr(&v));
    }
    let again = bin().current_dir(tmp.path()).arg("init").output().unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(
        stderr(&again).contains("already exists (pass --force"),
        "{}",
        stderr(&again)
    );
    let forced = bin()
        .current_dir(tmp.path())
        .args(["init", "--force"])
        .output()
        .unwrap();
    assert_eq!(forced.status.code(), Some(0), "{}", stderr(&forced));
}

#[test]
fn the_tail_shows_in_the_banner_and_progress_and_tail_flag_limits_it() {
    let tmp = tempfile::tempdir().unwrap();
    // The demo's tail is 2m: the banner and the progress count it.
    let out = bin()
        .current_dir(tmp.path())
        .args(["run", "--duration", "1m", "--run-dir", "with-tail"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("for 1m + 2m observing after the load (--tail)"),
        "{err}"
    );
    assert!(err.contains("/180 s]"), "{err}");
    // With an observer the progress shows instances and the alarms.
    assert!(err.contains("instances "), "{err}");
    assert!((end_t(&tmp.path().join("with-tail")) - 180.0).abs() < 1.5);

    // --tail replaces it: the run ends with the load.
    let out = bin()
        .current_dir(tmp.path())
        .args(["run", "--duration", "1m", "--tail", "0s"])
        .args(["--run-dir", "no-tail"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(!err.contains("observing after the load"), "{err}");
    assert!(err.contains("/60 s]"), "{err}");
    assert!(end_t(&tmp.path().join("no-tail")) < 61.5);

    let bad = bin().args(["run", "--tail", "soon"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("--tail"), "{}", stderr(&bad));
}

/// The binary with an empty AWS setup: no credentials in the environment,
/// empty shared files, no instance metadata.
fn no_aws(home: &Path) -> Command {
    let config = home.join("config");
    let creds = home.join("credentials");
    if !config.exists() {
        std::fs::write(&config, "").unwrap();
    }
    std::fs::write(&creds, "").unwrap();
    let mut cmd = bin();
    for k in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ] {
        cmd.env_remove(k);
    }
    cmd.env("HOME", home)
        .env("AWS_CONFIG_FILE", &config)
        .env("AWS_SHARED_CREDENTIALS_FILE", &creds)
        .env("AWS_EC2_METADATA_DISABLED", "true");
    cmd
}

/// One `error:` line, no SDK debug output.
fn one_sentence(o: &Output) -> String {
    let err = stderr(o);
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{err}");
    for dump in ["CredentialsNotLoaded", "ProviderError", "{ ", "Headers"] {
        assert!(!err.contains(dump), "debug output in: {err}");
    }
    lines[0].to_string()
}

#[test]
fn no_credentials_say_what_is_missing_and_how_to_provide_them() {
    let tmp = tempfile::tempdir().unwrap();
    for args in [
        &["inspect", "--endpoint", "e", "--region", "us-east-1"][..],
        &["observe", "--endpoint", "e", "--region", "us-east-1", "-q"][..],
    ] {
        let out = no_aws(tmp.path()).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(3), "{args:?}: {}", stderr(&out));
        let line = one_sentence(&out);
        assert!(
            line.contains("Unable to locate AWS credentials"),
            "{args:?}: {line}"
        );
        assert!(line.contains("AWS_ACCESS_KEY_ID"), "{line}");
        assert!(line.contains("aws configure"), "{line}");
    }
}

#[test]
fn a_missing_profile_is_named_not_reported_as_no_region() {
    let tmp = tempfile::tempdir().unwrap();
    let out = no_aws(tmp.path())
        .args(["inspect", "--endpoint", "e", "--profile", "nosuch"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let line = one_sentence(&out);
    assert!(
        line.contains("the AWS profile \"nosuch\" could not be found in"),
        "{line}"
    );
    assert!(!line.contains("region"), "{line}");

    // AWS_PROFILE too, and with other profiles defined.
    std::fs::write(
        tmp.path().join("config"),
        "[profile dev]\nregion = us-east-1\n",
    )
    .unwrap();
    let out = no_aws(tmp.path())
        .env("AWS_PROFILE", "nosuch")
        .args(["observe", "--endpoint", "e", "-q"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        one_sentence(&out).contains("the AWS profile \"nosuch\" could not be found"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn credentials_without_a_region_say_how_to_set_one() {
    let tmp = tempfile::tempdir().unwrap();
    let out = no_aws(tmp.path())
        .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .args(["inspect", "--endpoint", "e"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let line = one_sentence(&out);
    assert!(line.contains("no AWS region: pass --region"), "{line}");
}

#[test]
fn abort_on_fail_stops_the_run_and_still_writes_every_report() {
    let tmp = tempfile::tempdir().unwrap();
    // The demo scales out to 3 instances (in service at ~710 s).
    let demo = include_str!("../profiles/demo.toml");
    let profile = tmp.path().join("p.toml");
    std::fs::write(
        &profile,
        format!("{demo}\n[gates]\nmax_instances = 1\nabort_on_fail = [\"max_instances\"]\n"),
    )
    .unwrap();
    let dir = tmp.path().join("run");
    let out = bin()
        .arg("run")
        .arg(&profile)
        .arg("--run-dir")
        .arg(&dir)
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(
            "gate max_instances failed: 3 instances in service > 1: stopping (abort_on_fail)"
        ),
        "{err}"
    );
    assert!(err.contains("gate failed: max_instances"), "{err}");
    let t = end_t(&dir);
    assert!(
        (700.0..760.0).contains(&t),
        "stopped at {t} s, not at the scale-out"
    );
    let journal = std::fs::read_to_string(dir.join("journal.jsonl")).unwrap();
    assert!(journal.contains("abort_on_fail: gate max_instances failed"));
    for f in ["report.html", "summary.json", "junit.xml", "report.md"] {
        assert!(dir.join(f).exists(), "{f} missing");
    }
}

#[test]
fn capacity_shows_each_step_of_at_most_m_with_its_rate_p99_and_an_eta() {
    let tmp = tempfile::tempdir().unwrap();
    // Without the demo's tail: a step's tail is measured as part of it (a
    // capacity bug left to its owner), and this test is about progress.
    let demo = include_str!("../profiles/demo.toml").replace("tail = \"2m\"", "tail = \"0s\"");
    let profile = tmp.path().join("p.toml");
    std::fs::write(
        &profile,
        format!(
            "{demo}\n[capacity]\nstart_rate = 10\nmax_rate = 40\ngrowth = 2\nfine_steps = 1\nsettle = \"2s\"\nstep = \"5s\"\n"
        ),
    )
    .unwrap();
    let out = bin()
        .arg("capacity")
        .arg(&profile)
        .arg("--run-dir")
        .arg(tmp.path().join("cap"))
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(out.status.code().is_some_and(|c| c <= 1), "{err}");
    // 10, 20, 40 coarse, then one bisection: at most 4 steps of 7 s.
    assert!(
        err.contains("step 1 of at most 4: 10.00/s for 7s (2s settle + 5s measured); ETA ≤ 28s"),
        "{err}"
    );
    assert!(err.contains("step 2 of at most 4: 20.00/s"), "{err}");
    assert!(err.contains("(so far "), "no p99 so far in:\n{err}");
}

/// `capacity` on a simulated endpoint whose profile observes a 2-minute
/// tail: each step measures its own load only. Before, the tail's empty
/// intervals counted in the step's duration: 1/s achieved 0.17/s, and the
/// demo's first step "broke".
#[test]
fn capacity_steps_measure_their_load_not_the_observers_tail() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("cap.toml");
    std::fs::write(
        &p,
        "name = \"cap\"\n[target]\nkind = \"sim\"\n[load]\narrivals = \"uniform\"\n\
         phases = [{ duration = \"1m\", rate = 1 }]\n[observe]\ntail = \"2m\"\n\
         [capacity]\nstart_rate = 2\nmax_rate = 2\nsettle = \"2s\"\nstep = \"10s\"\n",
    )
    .unwrap();
    let out = bin()
        .args(["capacity", p.to_str().unwrap(), "-q", "--run-dir"])
        .arg(tmp.path().join("c"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tmp.path().join("c/capacity.json")).unwrap())
            .unwrap();
    let step = &json["steps"][0];
    assert_eq!(step["passed"], true, "{json}");
    let result = &step["result"];
    assert_eq!(result["rate"], 2.0, "{json}");
    // 2/s for the 10 measured seconds: 20 completions in 10 s (the sends
    // counted are those of the measured seconds' intervals: 19 or 20).
    assert_eq!(result["requests"], 20, "{json}");
    let achieved = result["achieved_per_s"].as_f64().unwrap();
    assert!((1.9..=2.0).contains(&achieved), "{json}");
    // The step's run ended with its load.
    assert!(end_t(&tmp.path().join("c/step-01-2.00rps")) <= 13.0);
}
