//! `scaletrace capacity` against a local server of known capacity.

mod support;

use std::time::Duration;

use support::Behaviour;

#[test]
fn finds_max_rps_within_10_percent_of_workers_over_service_time() {
    // 4 workers × 50 ms: 80 requests/s, queueing beyond.
    let addr = support::start_in_thread(Behaviour::Workers {
        workers: 4,
        service: Duration::from_millis(50),
    });
    let tmp = tempfile::tempdir().unwrap();
    let profile = tmp.path().join("cap.toml");
    std::fs::write(
        &profile,
        format!(
            "name = \"cap\"\n[target]\nkind = \"http\"\nurl = \"http://{addr}\"\n\
             [load]\nphases = [{{ duration = \"1s\", rate = 1 }}]\n\
             [capacity]\nstart_rate = 20\nmax_rate = 1000\ngrowth = 2\nfine_steps = 3\n\
             settle = \"1s\"\nstep = \"2s\"\np99_ms = 150\nmin_success_ratio = 0.999\nsafety_factor = 0.5\n"
        ),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_scaletrace"))
        .args(["capacity", "-q", "--endpoint", "my-ep"])
        .arg(&profile)
        .arg("--run-dir")
        .arg(tmp.path().join("cap"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tmp.path().join("cap/capacity.json")).unwrap())
            .unwrap();
    let max = report["max_rps"].as_f64().unwrap();
    assert!((72.0..=88.0).contains(&max), "MAX_RPS {max}\n{stdout}");
    let value = report["scaling_value"].as_u64().unwrap();
    assert_eq!(value, (max * 0.5 * 60.0).floor() as u64);
    assert!(stdout.contains("--policy-name SageMakerEndpointInvocationScalingPolicy"));
    assert!(stdout.contains("endpoint/my-ep/variant/AllTraffic"));
    let policy: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tmp.path().join("cap/scaling-policy.json")).unwrap())
            .unwrap();
    assert_eq!(policy["TargetValue"].as_f64().unwrap(), value as f64);
}

#[test]
fn on_the_simulator_finds_max_rps_of_one_instance() {
    // 4 workers × 50 ms fixed: 80 requests/s per instance. The profile
    // starts at 3 instances with a scaling policy; the search must hold it
    // at one, or it would find three times that.
    let tmp = tempfile::tempdir().unwrap();
    let profile = tmp.path().join("cap-sim.toml");
    std::fs::write(
        &profile,
        "name = \"cap-sim\"\n[target]\nkind = \"sim\"\n\
         [load]\nseed = 7\nphases = [{ duration = \"1s\", rate = 1 }]\n\
         [sim.endpoint]\ninitial_instances = 3\n\
         [sim.instance]\nworker_slots = 4\nservice_time = \"50ms\"\nqueue_bound = 100\n\
         [sim.scalable_target]\nMinCapacity = 1\nMaxCapacity = 4\n\
         [[sim.policies]]\n[sim.policies.TargetTrackingScalingPolicyConfiguration]\nTargetValue = 600.0\n\
         PredefinedMetricSpecification = { PredefinedMetricType = \"SageMakerVariantInvocationsPerInstance\" }\n\
         [capacity]\nstart_rate = 20\nmax_rate = 1000\ngrowth = 2\nfine_steps = 3\n\
         settle = \"2s\"\nstep = \"5s\"\np99_ms = 300\nmin_success_ratio = 0.999\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_scaletrace"))
        .args(["capacity", "-q"])
        .arg(&profile)
        .arg("--run-dir")
        .arg(tmp.path().join("cap"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("held at 1 instance without autoscaling"),
        "{stdout}"
    );
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tmp.path().join("cap/capacity.json")).unwrap())
            .unwrap();
    let max = report["max_rps"].as_f64().unwrap();
    // The coarse steps 20, 40 and 80 hold and 160 breaks; the fine steps
    // 120, 100 and 90 break too (the queue grows past the p99 limit), so
    // MAX_RPS is exactly the one instance's 4 slots / 50 ms.
    assert_eq!(max, 80.0, "MAX_RPS\n{stdout}");
    assert!(report["notes"][0].as_str().unwrap().contains("1 instance"));
}

/// A simulated LLM instance: 8 concurrent sequences, 200 ms prefill, 20 ms
/// per token (64 to 128 tokens), 3 ms SageMaker overhead.
fn llm_profile(dir: &std::path::Path) -> std::path::PathBuf {
    let profile = dir.join("llm.toml");
    std::fs::write(
        &profile,
        "name = \"llm\"\n[target]\nkind = \"sim\"\n\
         [load]\nseed = 7\nphases = [{ duration = \"1s\", rate = 1 }]\n\
         [observe]\ntail = \"10m\"\n\
         [sim.instance]\nworker_slots = 8\n\
         [sim.instance.stream]\nprefill = \"200ms\"\nper_token = \"20ms\"\nmin_tokens = 64\nmax_tokens = 128\n\
         [capacity]\nstart_concurrency = 1\nmax_concurrency = 64\nfine_steps = 4\n\
         settle = \"5s\"\nstep = \"20s\"\np99_ms = 10000\nttft_p99_ms = 1000\nsafety_factor = 0.5\n",
    )
    .unwrap();
    profile
}

fn capacity(args: &[&str], profile: &std::path::Path, dir: &std::path::Path) -> (String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_scaletrace"))
        .arg("capacity")
        .args(args)
        .arg(profile)
        .arg("--run-dir")
        .arg(dir)
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(out.status.success(), "{stdout}\n{stderr}");
    (stdout, stderr)
}

#[test]
fn concurrency_on_the_simulator_holds_the_ttft_slo_up_to_the_sequences() {
    // Up to 8 in flight every request gets a sequence at once: TTFT 203
    // ms (prefill + overhead). From 9 on, requests queue for a sequence
    // and TTFT p99 passes 1000 ms. The search climbs 1, 2, 4, 8, 16
    // (broke) and bisects 12, 10, 9 (all broke): 8 in flight per instance.
    let tmp = tempfile::tempdir().unwrap();
    let profile = llm_profile(tmp.path());
    let dir = tmp.path().join("cap");
    let (stdout, stderr) = capacity(&["--concurrency"], &profile, &dir);
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("capacity.json")).unwrap()).unwrap();
    assert_eq!(report["mode"], "concurrency");
    assert_eq!(report["max_concurrency"], 8, "{stdout}");
    assert_eq!(report["target_value"], 4.0);
    assert_eq!(report["per"], "instance");
    assert_eq!(
        report["predefined_metric"],
        "SageMakerVariantConcurrentRequestsPerModelHighResolution"
    );
    assert_eq!(
        report["slo"]["ttft_p99_ms"]["from"],
        "[capacity] ttft_p99_ms"
    );
    let tried: Vec<u64> = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["result"]["concurrency"].as_u64().unwrap())
        .collect();
    assert_eq!(tried, vec![1, 2, 4, 8, 16, 12, 10, 9]);
    let step8 = &report["steps"][3]["result"];
    assert_eq!(step8["ttft_p99_ms"], 203.007);
    let broke = report["steps"][4]["verdict"].as_str().unwrap();
    assert!(broke.starts_with("broke: TTFT p99 "), "{broke}");
    assert!(
        stdout.contains("TARGET_VALUE     MAX_CONCURRENCY × SAFETY_FACTOR = 8 × 0.5 = 4\n"),
        "{stdout}"
    );
    assert!(stdout.contains("--resource-id endpoint/<endpoint-name>/variant/AllTraffic"));
    // Each step line names the SLO it held against, and the ETA.
    assert!(
        stderr.contains("step 4 of at most 11: 8 in flight for 25s (5s settle + 20s measured)"),
        "{stderr}"
    );
    assert!(stderr.contains("held: p99 ≤ 10000.0 ms, TTFT p99 ≤ 1000.0 ms, success ≥ 99.900 %"));
    // No step waited for the profile's 10-minute observer tail.
    let journal = std::fs::read_to_string(dir.join("step-04-8-in-flight/journal.jsonl")).unwrap();
    let end: serde_json::Value = serde_json::from_str(journal.lines().last().unwrap()).unwrap();
    let t = end["t"].as_f64().unwrap();
    assert!((25.0..30.0).contains(&t), "{end}");
    let policy: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("scaling-policy.json")).unwrap()).unwrap();
    assert_eq!(policy["TargetValue"], 4.0);
}

#[test]
fn concurrency_for_an_inference_component_recommends_concurrent_requests_per_copy() {
    let tmp = tempfile::tempdir().unwrap();
    let profile = llm_profile(tmp.path());
    let dir = tmp.path().join("cap");
    let (stdout, _) = capacity(
        &[
            "-q",
            "--concurrency",
            "--inference-component",
            "chat-ic",
            "--ttft-p99-ms",
            "250",
        ],
        &profile,
        &dir,
    );
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("capacity.json")).unwrap()).unwrap();
    assert_eq!(report["max_concurrency"], 8, "{stdout}");
    assert_eq!(report["per"], "copy");
    assert_eq!(report["slo"]["ttft_p99_ms"]["from"], "--ttft-p99-ms");
    assert!(stdout.contains(
        "\"PredefinedMetricType\": \"SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution\""
    ));
    assert!(stdout.contains("--resource-id inference-component/chat-ic"));
    assert!(stdout.contains("--scalable-dimension sagemaker:inference-component:DesiredCopyCount"));
}

#[test]
fn concurrency_against_a_local_server_finds_its_workers() {
    // 4 workers × 100 ms. Up to 4 in flight nothing waits (p99 ≈ 100
    // ms); from 5 on some wait a whole service time (≈ 200 ms) and break
    // the 150 ms p99 (50 ms of margin either side for a busy machine).
    // Bounded: at most 8 in flight on 127.0.0.1, 6 steps of 3 s.
    let addr = support::start_in_thread(Behaviour::Workers {
        workers: 4,
        service: Duration::from_millis(100),
    });
    let tmp = tempfile::tempdir().unwrap();
    let profile = tmp.path().join("cap.toml");
    std::fs::write(
        &profile,
        format!(
            "name = \"cap\"\n[target]\nkind = \"http\"\nurl = \"http://{addr}\"\n\
             [load]\nphases = [{{ duration = \"1s\", rate = 1 }}]\n\
             [capacity]\nstart_concurrency = 1\nmax_concurrency = 8\ngrowth = 2\nfine_steps = 2\n\
             settle = \"1s\"\nstep = \"2s\"\n"
        ),
    )
    .unwrap();
    let dir = tmp.path().join("cap");
    let (stdout, _) = capacity(&["-q", "--concurrency", "--p99-ms", "150"], &profile, &dir);
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("capacity.json")).unwrap()).unwrap();
    assert_eq!(report["max_concurrency"], 4, "{stdout}");
    assert_eq!(report["slo"]["p99_ms"]["from"], "--p99-ms");
    // A closed loop of 4 on 4 workers × 100 ms: about 40 requests/s; the
    // 2 s window can also catch the 4 completions at its edge (+2/s), as
    // it did once (41.09/s).
    let step4 = &report["steps"][2]["result"];
    assert_eq!(step4["concurrency"], 4);
    let achieved = step4["achieved_per_s"].as_f64().unwrap();
    assert!((34.0..=42.0).contains(&achieved), "{achieved}\n{stdout}");
}
