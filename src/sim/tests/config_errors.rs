//! Configuration errors name the field path and the line.
use super::*;

fn err(sim_toml: &str) -> crate::profile::ProfileError {
    let src = format!(
        "[target]\nkind = \"sim\"\n[load]\nphases = [{{ duration = \"1s\", rate = 1 }}]\n{sim_toml}"
    );
    Profile::parse(Path::new("t.toml"), &src).unwrap_err()
}

#[test]
fn bad_p99_names_the_field_and_line() {
    let e = err(
        "[sim.instance]\nservice_time = { distribution = \"lognormal\", mean = \"50ms\", p99 = \"10ms\" }\n",
    );
    assert_eq!(e.field, "sim.instance.service_time.p99", "{e}");
    assert_eq!(e.line, 6, "{e}");
    assert!(e.message.contains("greater than the mean"), "{e}");
}

#[test]
fn unknown_key_names_the_section() {
    let e = err("[sim.instance]\nworkers = 4\n");
    assert!(e.field.starts_with("sim.instance"), "{e}");
    assert!(e.message.contains("workers"), "{e}");
    assert_eq!(e.line, 6, "{e}");
}

#[test]
fn real_time_min_capacity_zero_is_refused() {
    let e = err("[sim.scalable_target]\nMinCapacity = 0\nMaxCapacity = 2\n");
    assert_eq!(e.field, "sim.scalable_target.MinCapacity", "{e}");
    assert_eq!(e.line, 6, "{e}");
    assert!(e.message.contains("async"), "{e}");
}

#[test]
fn policy_errors_name_the_aws_field() {
    let e = err(
        "[sim.scalable_target]\nMinCapacity = 1\nMaxCapacity = 2\n[[sim.policies]]\n\
         TargetTrackingScalingPolicyConfiguration = { TargetValue = -1.0, PredefinedMetricSpecification = { PredefinedMetricType = \"SageMakerVariantInvocationsPerInstance\" } }\n",
    );
    assert_eq!(
        e.field, "sim.policies[0].TargetTrackingScalingPolicyConfiguration.TargetValue",
        "{e}"
    );
    assert_eq!(e.line, 9, "{e}");
    let e = err(
        "[sim.scalable_target]\nMinCapacity = 1\nMaxCapacity = 2\n[[sim.policies]]\nPolicyName = \"s\"\n\
         StepScalingPolicyConfiguration = { AdjustmentType = \"ChangeInCapacity\", StepAdjustments = [{ MetricIntervalLowerBound = 0, ScalingAdjustment = 1 }] }\n",
    );
    assert_eq!(e.field, "sim.policies[0].Alarm", "{e}");
    let e = err(
        "[sim.scalable_target]\nMinCapacity = 1\nMaxCapacity = 2\n[[sim.scheduled_actions]]\n\
         Schedule = \"every(5m)\"\nScalableTargetAction = { MinCapacity = 2 }\n",
    );
    assert_eq!(e.field, "sim.scheduled_actions[0].Schedule", "{e}");
    assert_eq!(e.line, 9, "{e}");
}

#[test]
fn policy_json_file_is_read_relative_to_the_profile() {
    let dir = tempfile::tempdir().unwrap();
    let profile = |file: &str| {
        format!(
            "[target]\nkind = \"sim\"\n[load]\nphases = [{{ duration = \"1s\", rate = 1 }}]\n\
             [sim.scalable_target]\nMinCapacity = 1\nMaxCapacity = 3\n[[sim.policies]]\n\
             TargetTrackingScalingPolicyConfigurationFile = \"file://{file}\"\n"
        )
    };
    std::fs::write(
        dir.path().join("policy.json"),
        r#"{"TargetValue": 1500.0, "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"}, "ScaleInCooldown": 600, "ScaleOutCooldown": 60}"#,
    )
    .unwrap();
    std::fs::write(dir.path().join("bad.json"), "{\"TargetValue\": }").unwrap();
    let path = dir.path().join("p.toml");
    std::fs::write(&path, profile("policy.json")).unwrap();
    let sim = Profile::load(&path).unwrap().into_sim().unwrap();
    let scaling = sim.scaling.unwrap();
    let crate::sim::policy::PolicyKind::TargetTracking(t) = &scaling.policies[0].kind else {
        panic!()
    };
    assert_eq!(
        scaling.policies[0].name,
        crate::sim::policy::BUILT_IN_POLICY_NAME
    );
    assert_eq!(
        (
            t.target_value,
            t.scale_in_cooldown_s,
            t.scale_out_cooldown_s
        ),
        (1500.0, 600.0, 60.0)
    );
    std::fs::write(&path, profile("bad.json")).unwrap();
    let e = Profile::load(&path).unwrap_err();
    assert_eq!(
        e.field, "sim.policies[0].TargetTrackingScalingPolicyConfigurationFile",
        "{e}"
    );
    assert!(e.message.contains("bad.json"), "{e}");
    assert_eq!(e.line, 9, "{e}");
}

#[test]
fn a_bad_distribution_says_what_is_expected() {
    let e = err("[sim.instance]\nlaunch_time = \"soon\"\n");
    assert_eq!(e.field, "sim.instance.launch_time", "{e}");
    assert!(e.message.contains("invalid duration"), "{e}");
    let e = err(
        "[sim.instance]\nlaunch_time = { distribution = \"normal\", mean = \"5m\", sd = \"1m\" }\n",
    );
    assert!(e.message.contains("sd"), "{e}");
    let e = err("[sim.instance]\nlaunch_time = { distribution = \"gamma\", mean = \"5m\" }\n");
    assert_eq!(e.field, "sim.instance.launch_time.distribution", "{e}");
}
