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
