//! Hostile and absurd input (issue #13, items 1, 3, 4, 7, 8), through the
//! binary: every bad value exits 2 naming file, line and field; secrets in
//! `[target] headers` reach no file and no output; control characters in
//! names reach no report and no terminal; a run killed at once still reads
//! as a load run.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_scaletrace"))
}

fn write_profile(dir: &Path, text: &str) -> PathBuf {
    let p = dir.join("p.toml");
    std::fs::write(&p, text).unwrap();
    p
}

fn validate(text: &str) -> Output {
    let tmp = tempfile::tempdir().unwrap();
    let p = write_profile(tmp.path(), text);
    bin().arg("validate").arg(&p).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Exit 2, and the message names `p.toml:LINE:` and the field.
fn assert_bad_input(o: &Output, line: usize, field: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains(&format!("p.toml:{line}:")), "{err}");
    assert!(err.contains(field), "wants {field}: {err}");
}

const SIM: &str = "[target]\nkind = \"sim\"\n";

// ---- item 1: durations and other numbers out of range ----------------------

#[test]
fn a_huge_numeric_duration_exits_2_naming_the_field() {
    let o = validate(&format!(
        "{SIM}[load]\n[[load.phases]]\nduration = 1e300\nrate = 1\n"
    ));
    assert_bad_input(&o, 5, "load.phases[0].duration");
    // The value as written, not its 301 digits.
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("(got 1e300 s)"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn every_duration_field_is_bounded() {
    let load = "[load]\nphases = [{ duration = \"1m\", rate = 1 }]\n";
    for (text, line, field) in [
        (
            format!("{SIM}[load]\ntimeout = 1e300\nphases = [{{ duration = \"1m\", rate = 1 }}]\n"),
            4,
            "load.timeout",
        ),
        (
            format!("{SIM}{load}[observe]\ninterval = 1e300\n"),
            6,
            "observe.interval",
        ),
        (
            format!("{SIM}{load}[observe]\ntail = 1e300\n"),
            6,
            "observe.tail",
        ),
        (
            format!("{SIM}{load}[sim.instance]\nlaunch_time = 1e300\n"),
            6,
            "sim.instance.launch_time",
        ),
        (
            format!("{SIM}{load}[sim.endpoint]\ninvocation_timeout = 1e300\n"),
            6,
            "sim.endpoint.invocation_timeout",
        ),
        (
            format!("{SIM}{load}[sim.async]\nrequest_ttl = 1e300\n"),
            6,
            "sim.async.request_ttl",
        ),
        (
            format!("{SIM}{load}[sim.cloudwatch]\npublishing_delay = 1e300\n"),
            6,
            "sim.cloudwatch.publishing_delay",
        ),
    ] {
        let o = validate(&text);
        assert_bad_input(&o, line, field);
    }
}

#[test]
fn phases_whose_sum_overflows_exit_2() {
    let o = validate(&format!(
        "{SIM}[load]\nphases = [\n  {{ duration = 18446744073709551615, rate = 1 }},\n  {{ duration = 18446744073709551615, rate = 1 }},\n]\n"
    ));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("p.toml:"), "{}", stderr(&o));
}

#[test]
fn a_sine_shorthand_has_a_cap_on_its_phases() {
    // 100 s of 10 ms periods, 12 segments each: 120 000 phases.
    let o = validate(&format!(
        "{SIM}[load]\n[[load.phases]]\nsine = {{ mean = 10, amplitude = 5, period = \"10ms\", duration = \"100s\" }}\n"
    ));
    assert_bad_input(&o, 5, "load.phases[0].sine");
}

#[test]
fn a_huge_max_in_flight_exits_2() {
    let o = validate(&format!(
        "{SIM}[load]\nmax_in_flight = 9223372036854775807\nphases = [{{ duration = \"1m\", rate = 1 }}]\n"
    ));
    assert_bad_input(&o, 4, "load.max_in_flight");
}

// ---- item 8: absurd but accepted values ------------------------------------

#[test]
fn an_absurd_simulated_rate_is_refused_up_front() {
    let tmp = tempfile::tempdir().unwrap();
    let p = write_profile(
        tmp.path(),
        &format!("{SIM}[load]\nphases = [{{ duration = \"10m\", rate = 1e6 }}]\n"),
    );
    let mut child = bin()
        .arg("run")
        .arg(&p)
        .arg("-q")
        .arg("--run-dir")
        .arg(tmp.path().join("run"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("rate = 1e9 on the simulator was still running after 30 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let o = child.wait_with_output().unwrap();
    assert_bad_input(&o, 4, "load.phases");
    assert!(stderr(&o).contains("simulat"), "{}", stderr(&o));
}

#[test]
fn a_payload_file_must_be_a_regular_file() {
    let o = validate(&format!(
        "{SIM}[payload]\nfile = \"/dev/zero\"\n[load]\nphases = [{{ duration = \"1m\", rate = 1 }}]\n"
    ));
    assert_bad_input(&o, 4, "payload.file");
    assert!(stderr(&o).contains("regular file"), "{}", stderr(&o));
}

#[test]
fn a_payload_over_sagemakers_real_time_limit_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    // Sparse: 7 MB on the file system's books, nothing on disk.
    let big = tmp.path().join("big.json");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(7 * 1024 * 1024)
        .unwrap();
    let p = write_profile(
        tmp.path(),
        "[target]\nkind = \"sagemaker\"\nendpoint_name = \"ep\"\nregion = \"eu-west-1\"\n\
         [payload]\nfile = \"big.json\"\n[load]\nphases = [{ duration = \"1m\", rate = 1 }]\n",
    );
    let o = bin().arg("validate").arg(&p).output().unwrap();
    assert_bad_input(&o, 6, "payload.file");
    assert!(stderr(&o).contains("6 MB"), "{}", stderr(&o));
}

#[test]
fn a_non_utf8_profile_names_line_and_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("p.toml");
    std::fs::write(&p, b"[target]\nkind = \"s\xffim\"\n").unwrap();
    let o = bin().arg("validate").arg(&p).output().unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("p.toml:2:"), "{err}");
    assert!(err.contains("byte offset 18"), "{err}");
}

// ---- item 4: control characters in names ----------------------------------

/// Bytes a terminal or an XML parser must never get raw.
fn control_bytes(bytes: &[u8]) -> Vec<u8> {
    bytes
        .iter()
        .copied()
        .filter(|b| (*b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || *b == 0x7f)
        .collect()
}

#[test]
fn hostile_names_reach_no_report_and_no_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let run_dir = tmp.path().join("run");
    let name = r#"evil\u001b[2J\u0000\u000c<b>&"#;
    let p = write_profile(
        tmp.path(),
        &format!(
            "name = \"{name}\"\ndescription = \"{name}\"\n{SIM}[load]\n\
             phases = [{{ name = \"{name}\", duration = \"2m\", rate = 2 }}]\n\
             [gates]\np99_ms = 100000\n"
        ),
    );
    let v = bin().arg("validate").arg(&p).output().unwrap();
    assert!(v.status.success(), "{}", stderr(&v));
    assert_eq!(control_bytes(&v.stdout), b"", "validate's stdout");
    assert_eq!(control_bytes(&v.stderr), b"", "validate's stderr");

    let r = bin()
        .arg("run")
        .arg(&p)
        .arg("--run-dir")
        .arg(&run_dir)
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", stderr(&r));
    assert_eq!(control_bytes(&r.stdout), b"", "run's stdout");
    assert_eq!(control_bytes(&r.stderr), b"", "run's stderr");

    let junit = std::fs::read_to_string(run_dir.join("junit.xml")).unwrap();
    roxmltree::Document::parse(&junit).expect("junit.xml is well-formed");
    for f in ["summary.txt", "report.md", "report.html", "junit.xml"] {
        let bytes = std::fs::read(run_dir.join(f)).unwrap();
        assert_eq!(control_bytes(&bytes), b"", "{f}");
    }
    let html = std::fs::read_to_string(run_dir.join("report.html")).unwrap();
    assert!(!html.contains("<b>&"), "report.html escapes markup");
    let md = std::fs::read_to_string(run_dir.join("report.md")).unwrap();
    assert!(!md.contains("<b>"), "report.md escapes markup");
    // A report rebuilt from the journal is as clean.
    let again = bin().arg("report").arg(&run_dir).output().unwrap();
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(control_bytes(&again.stdout), b"", "report's stdout");
}

// ---- a tiny HTTP server that hands each request to the test ---------------

/// Answers `/ping` with 200; hands every other request's head to `tx`, and
/// answers it with 200 unless `hold` (then never).
fn start_server(hold: bool) -> (String, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let tx = tx.clone();
            std::thread::spawn(move || serve(stream, tx, hold));
        }
    });
    (format!("http://{addr}"), rx)
}

fn serve(stream: std::net::TcpStream, tx: mpsc::Sender<String>, hold: bool) {
    let mut out = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    loop {
        let mut head = String::new();
        loop {
            let mut line = String::new();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let end = line == "\r\n";
            head.push_str(&line);
            if end {
                break;
            }
        }
        let len = head
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse::<usize>().ok())?
            })
            .unwrap_or(0);
        let mut body = vec![0; len];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let ping = head.starts_with("GET /ping");
        if !ping {
            let _ = tx.send(head);
            if hold {
                std::thread::sleep(Duration::from_secs(60));
                return;
            }
        }
        let _ = out.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}");
    }
}

// ---- item 3: secrets in headers --------------------------------------------

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn assert_secret_nowhere(token: &str, headers: &str, env: Option<(&str, &str)>) {
    let (url, rx) = start_server(false);
    let tmp = tempfile::tempdir().unwrap();
    let run_dir = tmp.path().join("run");
    let p = write_profile(
        tmp.path(),
        &format!(
            "[target]\nkind = \"http\"\nurl = \"{url}\"\nheaders = {headers}\n\
             [load]\ntimeout = \"2s\"\nphases = [{{ duration = \"2s\", rate = 5 }}]\n"
        ),
    );
    let mut validate = bin();
    let mut run = bin();
    run.arg("run").arg(&p).arg("--run-dir").arg(&run_dir);
    validate.arg("validate").arg(&p);
    if let Some((k, v)) = env {
        run.env(k, v);
        validate.env(k, v);
    }
    let v = validate.output().unwrap();
    assert!(v.status.success(), "{}", stderr(&v));
    let r = run.output().unwrap();
    assert!(r.status.success(), "{}", stderr(&r));
    let again = bin().arg("report").arg(&run_dir).output().unwrap();
    assert!(again.status.success(), "{}", stderr(&again));

    // Sent, with its value…
    let head = rx.recv_timeout(Duration::from_secs(5)).expect("a request");
    assert!(
        head.contains(token),
        "the header reaches the endpoint: {head}"
    );
    // …and written nowhere.
    for o in [&v, &r, &again] {
        for stream in [&o.stdout, &o.stderr] {
            let text = String::from_utf8_lossy(stream);
            assert!(!text.contains(token), "output holds the token: {text}");
        }
    }
    for f in files_under(&run_dir) {
        let text = String::from_utf8_lossy(&std::fs::read(&f).unwrap()).into_owned();
        assert!(!text.contains(token), "{} holds the token", f.display());
    }
    // The header's name is kept.
    let info = std::fs::read_to_string(run_dir.join("run.json")).unwrap();
    assert!(info.contains("Authorization"), "{info}");
    assert!(info.contains("<redacted>"), "{info}");
}

#[test]
fn a_header_token_given_in_the_profile_is_written_nowhere() {
    assert_secret_nowhere(
        "Bearer sk-live-7f3a9c",
        "{ Authorization = \"Bearer sk-live-7f3a9c\", X-Api-Key = \"sk-live-7f3a9c\" }",
        None,
    );
}

#[test]
fn a_header_token_from_the_environment_is_written_nowhere() {
    assert_secret_nowhere(
        "Bearer env-9d2e41",
        "{ Authorization = { env = \"SCALETRACE_TEST_TOKEN\" } }",
        Some(("SCALETRACE_TEST_TOKEN", "Bearer env-9d2e41")),
    );
}

#[test]
fn a_header_from_an_unset_variable_exits_2() {
    let o = bin()
        .arg("validate")
        .arg(write_profile(
            tempfile::tempdir().unwrap().keep().as_path(),
            "[target]\nkind = \"http\"\nurl = \"http://127.0.0.1:9\"\n\
             headers = { Authorization = { env = \"SCALETRACE_TEST_UNSET\" } }\n\
             [load]\nphases = [{ duration = \"1s\", rate = 1 }]\n",
        ))
        .env_remove("SCALETRACE_TEST_UNSET")
        .output()
        .unwrap();
    assert_bad_input(&o, 4, "target.headers.Authorization");
    assert!(
        stderr(&o).contains("SCALETRACE_TEST_UNSET"),
        "{}",
        stderr(&o)
    );
}

// ---- item 7: a run killed before its first interval ------------------------

#[test]
fn a_run_killed_at_its_first_request_still_reads_as_a_load_run() {
    let (url, rx) = start_server(true);
    let tmp = tempfile::tempdir().unwrap();
    let run_dir = tmp.path().join("run");
    let p = write_profile(
        tmp.path(),
        &format!(
            "name = \"early\"\n[target]\nkind = \"http\"\nurl = \"{url}\"\n\
             [load]\nphases = [{{ name = \"first\", duration = \"30s\", rate = 1 }}]\n"
        ),
    );
    let mut child = bin()
        .arg("run")
        .arg(&p)
        .arg("-q")
        .arg("--run-dir")
        .arg(&run_dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let first = rx.recv_timeout(Duration::from_secs(20));
    child.kill().unwrap(); // SIGKILL, at the first request
    child.wait().unwrap();
    first.expect("the run sent a request");

    assert!(run_dir.join("run.json").exists());
    let journal = std::fs::read_to_string(run_dir.join("journal.jsonl")).unwrap();
    let phase: serde_json::Value = journal
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["type"] == "phase")
        .unwrap_or_else(|| panic!("no phase line in the journal: {journal:?}"));
    assert_eq!(phase["name"], "first");
    assert_eq!(phase["event"], "start");
    let out = bin().arg("report").arg(&run_dir).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("observer only"), "{text}\n{}", stderr(&out));
}

#[test]
fn a_run_json_from_before_redaction_is_redacted_in_the_html_report() {
    let tmp = tempfile::tempdir().unwrap();
    let run_dir = tmp.path().join("run");
    let p = write_profile(
        tmp.path(),
        &format!("{SIM}[load]\nphases = [{{ duration = \"1m\", rate = 1 }}]\n"),
    );
    let r = bin()
        .arg("run")
        .arg(&p)
        .arg("-q")
        .arg("--run-dir")
        .arg(&run_dir)
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", stderr(&r));
    // As an older scaletrace wrote it: the value in plain text.
    let path = run_dir.join("run.json");
    let mut info: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    info["profile"]["target"]["headers"] = serde_json::json!({ "Authorization": "old-4b1d" });
    std::fs::write(&path, serde_json::to_vec_pretty(&info).unwrap()).unwrap();

    let again = bin().arg("report").arg(&run_dir).output().unwrap();
    assert!(again.status.success(), "{}", stderr(&again));
    let html = std::fs::read_to_string(run_dir.join("report.html")).unwrap();
    assert!(
        !html.contains("old-4b1d"),
        "report.html shows the old value"
    );
    assert!(html.contains("Authorization"));
}
