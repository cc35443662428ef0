//! The example manifests of `examples/sharded/` are checked, not just
//! shipped: the Kubernetes Indexed Job against the Kubernetes schemas
//! (PyPI `kubernetes-validate`, which `scripts/test` installs), the AWS
//! Batch array job against the `SubmitJob` request shape of the AWS SDK
//! (botocore's Batch service model, installed with moto), and the IAM
//! policies for shape, for every action being one the service has, and
//! through IAM's own syntax check (moto's `CreatePolicy`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn sharded() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sharded")
}

fn read_json(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn kubernetes_validate(file: &Path) -> std::process::Output {
    Command::new("kubernetes-validate")
        .arg("--strict")
        .arg(file)
        .output()
        .unwrap_or_else(|e| {
            panic!("kubernetes-validate: {e}; ./scripts/test installs it (pip install kubernetes-validate)")
        })
}

#[test]
fn the_kubernetes_manifests_validate_against_the_schemas() {
    let mut checked = 0;
    for e in std::fs::read_dir(sharded()).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "yaml" || x == "yml") {
            let out = kubernetes_validate(&p);
            assert!(
                out.status.success(),
                "{}:\n{}{}",
                p.display(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            checked += 1;
        }
    }
    assert!(checked >= 1);
    // The validator does catch a mistake: a misspelt field, in strict mode.
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.yaml");
    let text = std::fs::read_to_string(sharded().join("k8s-indexed-job.yaml")).unwrap();
    std::fs::write(&bad, text.replace("parallelism:", "paralelism:")).unwrap();
    assert!(!kubernetes_validate(&bad).status.success());
}

#[test]
fn the_indexed_job_runs_every_shard_from_one_start_instant() {
    let text = std::fs::read_to_string(sharded().join("k8s-indexed-job.yaml")).unwrap();
    for needed in [
        "completionMode: Indexed",
        "completions: 4",
        "parallelism: 4",
        "--shard auto/4",
        "--start-at +2m",
        "name: SCALETRACE_START_REF",
        "export AWS_ROLE_ARN=\"$SCALETRACE_OBSERVER_ROLE_ARN\"",
    ] {
        assert!(text.contains(needed), "{needed}");
    }
}

/// botocore's service model (its `service-2.json`), through Python:
/// botocore ships the models compressed and knows how to read them.
fn botocore_model(service: &str) -> Value {
    let out = Command::new("python3")
        .args([
            "-c",
            "import json, sys, botocore.loaders; \
             print(json.dumps(botocore.loaders.Loader().load_service_model(sys.argv[1], 'service-2')))",
            service,
        ])
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "botocore (installed with moto by ./scripts/test): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn note(errors: &mut Vec<String>, path: &str, name: &str, what: &str) {
    errors.push(format!("{path}: {what} (shape {name})"));
}

/// Checks `value` against the model's shape `name`: every required member
/// present, no member the shape lacks, and each member of its type (and in
/// its enum, within its bounds). Problems go into `errors` with their path.
fn check_shape(model: &Value, name: &str, value: &Value, path: &str, errors: &mut Vec<String>) {
    let shape = &model["shapes"][name];
    match shape["type"].as_str().unwrap_or("?") {
        "structure" => {
            let Some(obj) = value.as_object() else {
                return note(errors, path, name, "not an object");
            };
            let members = shape["members"].as_object().unwrap();
            for r in shape["required"].as_array().into_iter().flatten() {
                if !obj.contains_key(r.as_str().unwrap()) {
                    note(errors, path, name, &format!("required member {r} missing"));
                }
            }
            for (k, v) in obj {
                match members.get(k) {
                    None => note(errors, path, name, &format!("no member {k:?}")),
                    Some(m) => check_shape(
                        model,
                        m["shape"].as_str().unwrap(),
                        v,
                        &format!("{path}.{k}"),
                        errors,
                    ),
                }
            }
        }
        "list" => {
            let Some(items) = value.as_array() else {
                return note(errors, path, name, "not a list");
            };
            let member = shape["member"]["shape"].as_str().unwrap();
            for (i, v) in items.iter().enumerate() {
                check_shape(model, member, v, &format!("{path}[{i}]"), errors);
            }
        }
        "map" => {
            let Some(obj) = value.as_object() else {
                return note(errors, path, name, "not a map");
            };
            let v_shape = shape["value"]["shape"].as_str().unwrap();
            for (k, v) in obj {
                check_shape(model, v_shape, v, &format!("{path}.{k}"), errors);
            }
        }
        "string" => match value.as_str() {
            None => note(errors, path, name, "not a string"),
            Some(s) => {
                if let Some(allowed) = shape["enum"].as_array()
                    && !allowed.iter().any(|a| a == s)
                {
                    note(
                        errors,
                        path,
                        name,
                        &format!("{s:?} is not one of {allowed:?}"),
                    );
                }
            }
        },
        "integer" | "long" => match value.as_i64() {
            None => note(errors, path, name, "not an integer"),
            Some(n) => {
                if shape["min"].as_i64().is_some_and(|min| n < min)
                    || shape["max"].as_i64().is_some_and(|max| n > max)
                {
                    note(errors, path, name, &format!("{n} out of bounds"));
                }
            }
        },
        "boolean" => {
            if !value.is_boolean() {
                note(errors, path, name, "not a boolean")
            }
        }
        "double" | "float" => {
            if !value.is_number() {
                note(errors, path, name, "not a number")
            }
        }
        other => note(errors, path, name, &format!("unchecked shape type {other}")),
    }
}

#[test]
fn the_batch_array_job_is_a_submit_job_request() {
    let model = botocore_model("batch");
    let input = model["operations"]["SubmitJob"]["input"]["shape"]
        .as_str()
        .unwrap()
        .to_string();
    let job = read_json(&sharded().join("aws-batch-array-job.json"));
    let mut errors = Vec::new();
    check_shape(
        &model,
        &input,
        &job,
        "aws-batch-array-job.json",
        &mut errors,
    );
    assert!(errors.is_empty(), "{errors:#?}");
    // "The array size can be between 2 and 10,000" (the model says so in
    // words only).
    let size = job["arrayProperties"]["size"].as_i64().unwrap();
    assert!((2..=10_000).contains(&size));
    let command = job["containerOverrides"]["command"][2].as_str().unwrap();
    assert!(
        command.contains(&format!("--shard auto/{size}")),
        "{command}"
    );
    assert!(command.contains("--start-at +"), "{command}");
    let env: Vec<&str> = job["containerOverrides"]["environment"]
        .as_array()
        .unwrap()
        .iter()
        .map(|kv| kv["name"].as_str().unwrap())
        .collect();
    assert!(env.contains(&"SCALETRACE_START_REF"), "{env:?}");
    // Batch reserves names starting AWS_BATCH for its own variables.
    assert!(!env.iter().any(|n| n.starts_with("AWS_BATCH")), "{env:?}");

    // The check does catch mistakes.
    let mut bad = job.clone();
    bad.as_object_mut().unwrap().remove("jobQueue");
    bad["arrayProperties"]["size"] = Value::from("4");
    bad["containerOverrides"]["enviroment"] = Value::Array(vec![]);
    let mut errors = Vec::new();
    check_shape(&model, &input, &bad, "bad", &mut errors);
    let errors = errors.join("\n");
    for expected in [
        "required member \"jobQueue\" missing",
        "bad.arrayProperties.size: not an integer",
        "no member \"enviroment\"",
    ] {
        assert!(errors.contains(expected), "{expected}: {errors}");
    }
}

/// The IAM policies: the issue's per-action list, split between the load
/// role (every shard) and the observer's (shard 0).
const LOAD: &[&str] = &[
    "sagemaker:InvokeEndpoint",
    "sagemaker:InvokeEndpointAsync",
    // The SageMaker targets wait for InService before sending.
    "sagemaker:DescribeEndpoint",
    "s3:GetObject",
    "s3:PutObject",
];
const OBSERVER_ONLY: &[&str] = &[
    "sagemaker:DescribeEndpointConfig",
    "cloudwatch:GetMetricData",
    "cloudwatch:DescribeAlarms",
    "cloudwatch:DescribeAlarmHistory",
    "application-autoscaling:DescribeScalableTargets",
    "application-autoscaling:DescribeScalingPolicies",
    "application-autoscaling:DescribeScalingActivities",
];

/// Each statement's shape; returns the policy's actions.
fn policy_actions(p: &Path) -> BTreeSet<String> {
    let doc = read_json(p);
    let name = p.display();
    assert_eq!(doc["Version"], "2012-10-17", "{name}");
    let statements = doc["Statement"].as_array().expect("Statement list");
    let mut actions = BTreeSet::new();
    for s in statements {
        let keys: BTreeSet<&str> = s.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            BTreeSet::from(["Sid", "Effect", "Action", "Resource"]),
            "{name}"
        );
        assert_eq!(s["Effect"], "Allow", "{name}");
        let sid = s["Sid"].as_str().unwrap();
        assert!(
            sid.chars().all(|c| c.is_ascii_alphanumeric()),
            "{name}: Sid {sid}"
        );
        let resources: Vec<&Value> = match &s["Resource"] {
            Value::Array(r) => r.iter().collect(),
            r => vec![r],
        };
        for r in resources {
            let r = r.as_str().unwrap();
            assert!(r == "*" || r.starts_with("arn:aws:"), "{name}: {r}");
        }
        for a in s["Action"].as_array().expect("Action list") {
            let a = a.as_str().unwrap();
            // Per action: no wildcards.
            assert!(!a.contains('*'), "{name}: {a}");
            assert!(actions.insert(a.to_string()), "{name}: {a} twice");
        }
    }
    actions
}

#[test]
fn the_iam_policies_are_least_privilege_per_action() {
    let iam = sharded().join("iam");
    let load = policy_actions(&iam.join("load-policy.json"));
    let observer = policy_actions(&iam.join("observer-policy.json"));
    let assume = policy_actions(&iam.join("batch-assume-observer-policy.json"));
    let set = |xs: &[&[&str]]| -> BTreeSet<String> {
        xs.iter()
            .flat_map(|x| x.iter())
            .map(|s| s.to_string())
            .collect()
    };
    assert_eq!(load, set(&[LOAD]));
    assert_eq!(observer, set(&[LOAD, OBSERVER_ONLY]));
    assert_eq!(assume, set(&[&["sts:AssumeRole"]]));

    // Each action is an operation of its service (IAM action names are
    // the API operation names; SageMaker's runtime operations share the
    // `sagemaker:` prefix).
    let services = |prefix: &str| -> &'static [&'static str] {
        match prefix {
            "sagemaker" => &["sagemaker", "sagemaker-runtime"],
            "cloudwatch" => &["cloudwatch"],
            "application-autoscaling" => &["application-autoscaling"],
            "s3" => &["s3"],
            "sts" => &["sts"],
            other => panic!("no service model for {other}"),
        }
    };
    let mut operations: std::collections::BTreeMap<&str, BTreeSet<String>> = Default::default();
    for action in load.iter().chain(&observer).chain(&assume) {
        let (prefix, op) = action.split_once(':').unwrap();
        let known = services(prefix).iter().any(|svc| {
            operations
                .entry(svc)
                .or_insert_with(|| {
                    botocore_model(svc)["operations"]
                        .as_object()
                        .unwrap()
                        .keys()
                        .cloned()
                        .collect()
                })
                .contains(op)
        });
        assert!(known, "{action} is no operation of {:?}", services(prefix));
    }
}

/// IAM's own syntax check, as moto (installed by ./scripts/test) runs it
/// for `CreatePolicy`: in-process (`mock_aws`), through boto3.
const CREATE_POLICIES: &str = r#"
import json, sys, boto3
from moto import mock_aws
with mock_aws():
    iam = boto3.client("iam", region_name="us-east-1")
    for path in sys.argv[1:]:
        name = path.rsplit("/", 1)[-1].removesuffix(".json")
        try:
            iam.create_policy(PolicyName=name, PolicyDocument=open(path).read())
            print(name, "created")
        except Exception as e:
            print(name, "refused:", e)
"#;

#[test]
fn iam_accepts_the_policy_documents() {
    let iam = sharded().join("iam");
    let tmp = tempfile::tempdir().unwrap();
    // The check does catch a mistake: a misspelt Effect.
    let bad = tmp.path().join("misspelt.json");
    let text = std::fs::read_to_string(iam.join("load-policy.json")).unwrap();
    std::fs::write(&bad, text.replacen("\"Allow\"", "\"Alow\"", 1)).unwrap();
    let out = Command::new("python3")
        .args(["-c", CREATE_POLICIES])
        .arg(iam.join("load-policy.json"))
        .arg(iam.join("observer-policy.json"))
        .arg(iam.join("batch-assume-observer-policy.json"))
        .arg(&bad)
        .output()
        .expect("python3");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "moto and boto3 (./scripts/test installs them): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for name in [
        "load-policy",
        "observer-policy",
        "batch-assume-observer-policy",
    ] {
        assert!(stdout.contains(&format!("{name} created")), "{stdout}");
    }
    assert!(
        stdout.contains("misspelt refused:") && stdout.contains("MalformedPolicyDocument"),
        "{stdout}"
    );
}
