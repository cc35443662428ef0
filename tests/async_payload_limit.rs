//! Issue #13, item 8: a payload file past SageMaker's asynchronous
//! inference limit (1 GB) is refused by `validate` with exit 2, naming the
//! file, line and field; one of 7 MB (past the real-time limit) passes.
//! (The real-time 6 MB limit is tested in tests/hardening_input.rs.) Limit:
//! https://docs.aws.amazon.com/sagemaker/latest/dg/async-inference ("large
//! payload sizes (up to 1GB)")

use std::process::Command;

fn validate_with_payload_of(len: u64) -> std::process::Output {
    let tmp = tempfile::tempdir().unwrap();
    // Sparse: the size on the file system's books, nothing on disk.
    std::fs::File::create(tmp.path().join("big.bin"))
        .unwrap()
        .set_len(len)
        .unwrap();
    let p = tmp.path().join("p.toml");
    std::fs::write(
        &p,
        "[target]\nkind = \"sagemaker-async\"\nendpoint_name = \"ep\"\nregion = \"eu-west-1\"\n\
         input_s3_uri = \"s3://bucket/in/\"\n[payload]\nfile = \"big.bin\"\n\
         [load]\nphases = [{ duration = \"1m\", rate = 1 }]\n",
    )
    .unwrap();
    Command::new(env!("CARGO_BIN_EXE_scaletrace"))
        .arg("validate")
        .arg(&p)
        .output()
        .unwrap()
}

#[test]
fn an_async_payload_past_1_gb_exits_2_naming_the_field() {
    let o = validate_with_payload_of(1024 * 1024 * 1024 + 1);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("p.toml:7:"), "{err}");
    assert!(err.contains("payload.file"), "{err}");
    assert!(err.contains("1 GB"), "{err}");
}

#[test]
fn an_async_payload_of_7_mb_passes() {
    // Past the real-time limit, well within the asynchronous one.
    let o = validate_with_payload_of(7 * 1024 * 1024);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}
