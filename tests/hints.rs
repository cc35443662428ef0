//! Hints name only what the user gave (issue 15, item 13): `--no-ping` for
//! a bare `--url`, `ping = false` in the profile they ran; `--endpoint`
//! for `observe`/`inspect`, `endpoint_name` for a profile's endpoint;
//! `capacity --no-ping`. Through the binary, exact text; servers on
//! 127.0.0.1 (a closed port, a one-line 503 server) and moto.

mod support;

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use support::moto::Moto;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_scaletrace"))
}

/// The one `error:` line (the run stops before sending anything).
fn error_line(o: &Output) -> String {
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{err}");
    lines[0].to_string()
}

fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A server answering every request with 503 and closing.
fn unavailable_server() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut s in l.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = s.write_all(
                b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            );
        }
    });
    port
}

fn http_profile(dir: &Path, port: u16) -> std::path::PathBuf {
    let p = dir.join("http.toml");
    std::fs::write(
        &p,
        format!(
            "name = \"hints\"\n[target]\nkind = \"http\"\nurl = \"http://127.0.0.1:{port}\"\n\
             [load]\nphases = [{{ duration = \"1s\", rate = 1 }}]\n\
             [capacity]\nstart_rate = 1\nmax_rate = 1\nsettle = \"0s\"\nstep = \"1s\"\n"
        ),
    )
    .unwrap();
    p
}

#[test]
fn the_ping_hint_names_no_ping_for_a_bare_url_and_the_field_for_a_profile() {
    let tmp = tempfile::tempdir().unwrap();
    let port = closed_port();
    let url = format!("http://127.0.0.1:{port}");
    let run = |args: &[&str], dir: &str| {
        bin()
            .arg("run")
            .args(args)
            .args(["-q", "--run-dir"])
            .arg(tmp.path().join(dir))
            .output()
            .unwrap()
    };
    // A bare --url: no profile to set `ping = false` in.
    let out = run(&["--url", &url], "bare");
    assert_eq!(out.status.code(), Some(3));
    let line = error_line(&out);
    assert!(
        line.starts_with(&format!(
            "error: http POST {url}/invocations is not ready: GET {url}/ping failed: "
        )),
        "{line}"
    );
    assert!(
        line.ends_with(" (is the endpoint at --url running? to skip this check, pass --no-ping)"),
        "{line}"
    );
    // A profile: its field, and no flag the user did not use.
    let profile = http_profile(tmp.path(), port);
    let p = profile.to_str().unwrap();
    for (args, dir) in [(vec![p], "profile"), (vec![p, "--url", &url], "override")] {
        let out = run(&args, dir);
        assert_eq!(out.status.code(), Some(3));
        let line = error_line(&out);
        assert!(
            line.ends_with(&format!(
                " (is the endpoint running? to skip this check, set `ping = false` in [target] of {p})"
            )),
            "{args:?}: {line}"
        );
        assert!(!line.contains("--no-ping"), "{line}");
    }
    // A /ping that answers, but not 200.
    let up = format!("http://127.0.0.1:{}", unavailable_server());
    let out = run(&["--url", &up], "503");
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        error_line(&out),
        format!(
            "error: http POST {up}/invocations is not ready: GET {up}/ping answered 503 Service Unavailable (the SageMaker container contract expects 200; to skip this check, pass --no-ping)"
        )
    );
}

#[test]
fn capacity_takes_no_ping_too() {
    let tmp = tempfile::tempdir().unwrap();
    let port = closed_port();
    let profile = http_profile(tmp.path(), port);
    let p = profile.to_str().unwrap();
    let capacity = |extra: &[&str], dir: &str| {
        bin()
            .args(["capacity", p, "-q"])
            .args(extra)
            .arg("--run-dir")
            .arg(tmp.path().join(dir))
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let out = capacity(&[], "pinged");
    assert_eq!(out.status.code(), Some(3));
    assert!(
        error_line(&out).ends_with(&format!(
            " (is the endpoint running? to skip this check, set `ping = false` in [target] of {p})"
        )),
        "{}",
        error_line(&out)
    );
    // --no-ping: the step runs (and breaks: nothing listens), exit 1.
    let out = capacity(&["--no-ping"], "unpinged");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(!err.contains("/ping"), "{err}");
}

#[test]
fn the_endpoint_hint_names_the_flag_or_the_field_that_named_it() {
    let moto = Moto::start();
    let tmp = tempfile::tempdir().unwrap();
    let with_moto = |cmd: &mut Command| -> Output {
        cmd.env_clear()
            .envs(moto.env(tmp.path()))
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let flag = "(check --endpoint and the region)";
    for args in [
        vec!["inspect", "--endpoint", "no-such-endpoint"],
        vec![
            "observe",
            "--endpoint",
            "no-such-endpoint",
            "--duration",
            "1s",
        ],
    ] {
        let out = with_moto(bin().args(&args).args(["--endpoint-url", &moto.url]));
        assert_eq!(out.status.code(), Some(3), "{args:?}");
        let line = error_line(&out);
        assert!(
            line.ends_with(&format!(
                "endpoint \"no-such-endpoint\" not found in us-east-1 {flag}"
            )),
            "{args:?}: {line}"
        );
    }
    let p = tmp.path().join("sm.toml");
    std::fs::write(
        &p,
        format!(
            "[target]\nkind = \"sagemaker\"\nendpoint_name = \"no-such-endpoint\"\nregion = \"us-east-1\"\nendpoint_url = \"{}\"\n[load]\nphases = [{{ duration = \"1s\", rate = 1 }}]\n",
            moto.url
        ),
    )
    .unwrap();
    let out = with_moto(
        bin()
            .arg("run")
            .arg(&p)
            .arg("-q")
            .arg("--run-dir")
            .arg(tmp.path().join("r")),
    );
    assert_eq!(out.status.code(), Some(3));
    let line = error_line(&out);
    assert!(
        line.ends_with(
            "endpoint \"no-such-endpoint\" not found in us-east-1 (check endpoint_name in the profile's [target] and the region)"
        ),
        "{line}"
    );
    assert!(!line.contains("--endpoint"), "{line}");
}
