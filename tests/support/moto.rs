//! A local AWS API server for the tests: `moto_server` (PyPI `moto[server]`,
//! installed by `scripts/test`) on a free 127.0.0.1 port, started per test,
//! stopped by its process id on drop. The real SDK clients talk to it with
//! static test credentials.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;

pub const REGION: &str = "us-east-1";

pub struct Moto {
    pub url: String,
    port: u16,
    child: Child,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Moto {
    /// Starts `moto_server` and waits (at most 60 s) until it answers.
    pub fn start() -> Moto {
        let port = free_port();
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server must be installed: python3 -m pip install 'moto[server]' (scripts/test does it)");
        let moto = Moto {
            url: format!("http://127.0.0.1:{port}"),
            port,
            child,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if moto.try_request("POST", "/moto-api/reset", "").is_ok() {
                return moto;
            }
            assert!(
                Instant::now() < deadline,
                "moto_server did not answer within 60 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn try_request(&self, method: &str, path: &str, body: &str) -> std::io::Result<String> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port))?;
        s.set_read_timeout(Some(Duration::from_secs(30)))?;
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.port,
            body.len()
        )?;
        let mut out = String::new();
        s.read_to_string(&mut out)?;
        let status = out.split_whitespace().nth(1).unwrap_or_default();
        if !status.starts_with('2') {
            return Err(std::io::Error::other(out));
        }
        Ok(out)
    }

    /// POSTs JSON to moto's own API (`/moto-api/...`).
    pub fn post(&self, path: &str, json: &serde_json::Value) {
        self.try_request("POST", path, &json.to_string())
            .unwrap_or_else(|e| panic!("POST {path}: {e}"));
    }

    /// Queues what InvokeEndpoint returns next.
    pub fn queue_endpoint_results(&self, bodies: &[&str]) {
        let results: Vec<_> = bodies
            .iter()
            .map(|b| serde_json::json!({"Body": b, "ContentType": "application/json", "InvokedProductionVariant": "AllTraffic", "CustomAttributes": ""}))
            .collect();
        self.post(
            "/moto-api/static/sagemaker/endpoint-results",
            &serde_json::json!({"results": results}),
        );
    }

    /// Queues what InvokeEndpointAsync produces next: `Ok(output)` or
    /// `Err(failure reason)`.
    pub fn queue_async_results(&self, results: &[Result<&str, &str>]) {
        let results: Vec<_> = results
            .iter()
            .map(|r| match r {
                Ok(d) => serde_json::json!({"data": d}),
                Err(d) => serde_json::json!({"is_failure": true, "data": d}),
            })
            .collect();
        self.post(
            "/moto-api/static/sagemaker/async-endpoint-results",
            &serde_json::json!({"results": results}),
        );
    }

    /// An SDK configuration for this server: static test credentials.
    pub async fn config(&self) -> SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"))
            .endpoint_url(&self.url)
            .load()
            .await
    }

    /// Environment for a `scaletrace` child process pointed at this server
    /// (nothing from the developer's own AWS setup leaks in).
    pub fn env(&self, home: &std::path::Path) -> Vec<(String, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID".into(), "testing".into()),
            ("AWS_SECRET_ACCESS_KEY".into(), "testing".into()),
            ("AWS_REGION".into(), REGION.into()),
            ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
            ("HOME".into(), home.display().to_string()),
        ]
    }
}

/// Creates a model `model_name` (a placeholder image and role: moto runs
/// no container).
pub async fn create_model(sm: &aws_sdk_sagemaker::Client, model_name: &str) {
    use aws_sdk_sagemaker::types::ContainerDefinition;
    sm.create_model()
        .model_name(model_name)
        .execution_role_arn("arn:aws:iam::123456789012:role/sagemaker")
        .primary_container(
            ContainerDefinition::builder()
                .image("123456789012.dkr.ecr.us-east-1.amazonaws.com/model:latest")
                .build(),
        )
        .send()
        .await
        .expect("CreateModel");
}

/// Creates model, endpoint config and endpoint `name` with `instances`
/// instances of variant AllTraffic; `async_output` makes it asynchronous.
pub async fn create_endpoint(
    config: &SdkConfig,
    name: &str,
    instances: i32,
    async_output: Option<&str>,
) {
    use aws_sdk_sagemaker::types::{
        AsyncInferenceConfig, AsyncInferenceOutputConfig, ProductionVariant,
        ProductionVariantInstanceType,
    };
    let sm = aws_sdk_sagemaker::Client::new(config);
    create_model(&sm, &format!("{name}-model")).await;
    let mut cfg = sm
        .create_endpoint_config()
        .endpoint_config_name(format!("{name}-config"))
        .production_variants(
            ProductionVariant::builder()
                .variant_name("AllTraffic")
                .model_name(format!("{name}-model"))
                .initial_instance_count(instances)
                .instance_type(ProductionVariantInstanceType::MlM5Large)
                .initial_variant_weight(1.0)
                .build(),
        );
    if let Some(out) = async_output {
        cfg = cfg.async_inference_config(
            AsyncInferenceConfig::builder()
                .output_config(
                    AsyncInferenceOutputConfig::builder()
                        .s3_output_path(out)
                        .build(),
                )
                .build(),
        );
    }
    cfg.send().await.expect("CreateEndpointConfig");
    sm.create_endpoint()
        .endpoint_name(name)
        .endpoint_config_name(format!("{name}-config"))
        .send()
        .await
        .expect("CreateEndpoint");
}

/// Registers the scalable target of `resource`
/// (`endpoint/<e>/variant/<v>`) with `min`..`max` instances.
pub async fn register_target(config: &SdkConfig, resource: &str, min: i32, max: i32) {
    use aws_sdk_applicationautoscaling::types::{ScalableDimension, ServiceNamespace};
    aws_sdk_applicationautoscaling::Client::new(config)
        .register_scalable_target()
        .service_namespace(ServiceNamespace::Sagemaker)
        .resource_id(resource)
        .scalable_dimension(ScalableDimension::SageMakerVariantDesiredInstanceCount)
        .min_capacity(min)
        .max_capacity(max)
        .send()
        .await
        .expect("RegisterScalableTarget");
}

/// Puts a target-tracking policy `name` on InvocationsPerInstance
/// (cooldowns: in 300 s, out 60 s) for `resource`; returns its ARN.
pub async fn put_invocations_policy(
    config: &SdkConfig,
    resource: &str,
    name: &str,
    target: f64,
) -> String {
    use aws_sdk_applicationautoscaling::types::{
        MetricType, PolicyType, PredefinedMetricSpecification, ScalableDimension, ServiceNamespace,
        TargetTrackingScalingPolicyConfiguration,
    };
    aws_sdk_applicationautoscaling::Client::new(config)
        .put_scaling_policy()
        .policy_name(name)
        .service_namespace(ServiceNamespace::Sagemaker)
        .resource_id(resource)
        .scalable_dimension(ScalableDimension::SageMakerVariantDesiredInstanceCount)
        .policy_type(PolicyType::TargetTrackingScaling)
        .target_tracking_scaling_policy_configuration(
            TargetTrackingScalingPolicyConfiguration::builder()
                .target_value(target)
                .predefined_metric_specification(
                    PredefinedMetricSpecification::builder()
                        .predefined_metric_type(MetricType::SageMakerVariantInvocationsPerInstance)
                        .build()
                        .unwrap(),
                )
                .scale_in_cooldown(300)
                .scale_out_cooldown(60)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("PutScalingPolicy")
        .policy_arn()
        .to_string()
}
