//! The observer and `inspect` read one resource's scaling setup the same
//! way, against moto with the real SDK clients: an endpoint whose two
//! variants each have a scalable target, a policy and a target-tracking
//! alarm (created by hand: moto creates none for SageMaker).

mod support;

use std::time::Duration;

use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, Statistic};
use scaletrace::clock::RunClock;
use scaletrace::journal::record::Record;
use scaletrace::observe::Observer;
use scaletrace::observe::aws::{AwsClients, AwsObserver, ObserveTarget};
use scaletrace::observe::aws_model::{BUILT_IN_POLICY, EndpointKind};
use support::moto::{self, Moto};

fn of<T>(records: &[Record], pick: impl Fn(&Record) -> Option<&T>) -> Vec<&T> {
    records.iter().filter_map(pick).collect()
}

/// An endpoint with two variants, `Blue` and `Blue-2`, each with its own
/// scalable target, target-tracking policy and high alarm. Target
/// tracking's alarm name prefix for `Blue` also starts `Blue-2`'s alarms:
/// the observer and `inspect` read one setup path that matches the exact
/// resource, so each sees only its own variant's target, policy and alarm.
#[tokio::test]
async fn two_variants_each_see_only_their_own_scaling_setup() {
    use aws_sdk_sagemaker::types::{ProductionVariant, ProductionVariantInstanceType};

    let moto = Moto::start();
    let config = moto.config().await;
    let sm = aws_sdk_sagemaker::Client::new(&config);
    moto::create_model(&sm, "two-model").await;
    let variant = |name: &str| {
        ProductionVariant::builder()
            .variant_name(name)
            .model_name("two-model")
            .initial_instance_count(1)
            .instance_type(ProductionVariantInstanceType::MlM5Large)
            .initial_variant_weight(0.5)
            .build()
    };
    sm.create_endpoint_config()
        .endpoint_config_name("two-config")
        .production_variants(variant("Blue"))
        .production_variants(variant("Blue-2"))
        .send()
        .await
        .expect("CreateEndpointConfig");
    sm.create_endpoint()
        .endpoint_name("two-ep")
        .endpoint_config_name("two-config")
        .send()
        .await
        .expect("CreateEndpoint");
    let cw = aws_sdk_cloudwatch::Client::new(&config);
    // Blue-2 first, so a first-of-the-list pick would find it.
    for (v, min, max, target) in [("Blue-2", 2, 8, 90.0), ("Blue", 1, 4, 70.0)] {
        let resource = format!("endpoint/two-ep/variant/{v}");
        moto::register_target(&config, &resource, min, max).await;
        moto::put_invocations_policy(&config, &resource, BUILT_IN_POLICY, target).await;
        cw.put_metric_alarm()
            .alarm_name(format!("TargetTracking-{resource}-AlarmHigh-{min}a2b"))
            .namespace("AWS/SageMaker")
            .metric_name("InvocationsPerInstance")
            .dimensions(
                Dimension::builder()
                    .name("EndpointName")
                    .value("two-ep")
                    .build(),
            )
            .dimensions(Dimension::builder().name("VariantName").value(v).build())
            .statistic(Statistic::Sum)
            .period(60)
            .evaluation_periods(3)
            .threshold(target)
            .comparison_operator(ComparisonOperator::GreaterThanThreshold)
            .send()
            .await
            .expect("PutMetricAlarm");
    }

    let clock = RunClock::start();
    for (v, bounds, target, alarm) in [
        (
            "Blue",
            (1, 4),
            70.0,
            "TargetTracking-endpoint/two-ep/variant/Blue-AlarmHigh-1a2b",
        ),
        (
            "Blue-2",
            (2, 8),
            90.0,
            "TargetTracking-endpoint/two-ep/variant/Blue-2-AlarmHigh-2a2b",
        ),
    ] {
        let mut obs = AwsObserver::new(
            AwsClients::new(&config),
            ObserveTarget {
                endpoint: "two-ep".into(),
                variant: Some(v.into()),
                kind: Some(EndpointKind::RealTime),
                interval: Duration::from_secs(1),
            },
        );
        let first = obs.poll(&clock).await;
        let targets = of(&first, |r| {
            if let Record::ScalableTarget(t) = r {
                Some(t)
            } else {
                None
            }
        });
        assert_eq!(targets.len(), 1, "{v}: {first:?}");
        assert_eq!((targets[0].min, targets[0].max), bounds, "{v}");
        assert_eq!(
            targets[0].resource_id,
            format!("endpoint/two-ep/variant/{v}")
        );
        let policies = of(&first, |r| {
            if let Record::Policy(p) = r {
                Some(p)
            } else {
                None
            }
        });
        assert_eq!(policies.len(), 1, "{v}: {first:?}");
        assert_eq!(policies[0].target_value, Some(target), "{v}");
        let configs: Vec<&str> = of(&first, |r| {
            if let Record::AlarmConfig(a) = r {
                Some(a)
            } else {
                None
            }
        })
        .iter()
        .map(|a| a.name.as_str())
        .collect();
        assert_eq!(configs, vec![alarm], "{v}: {first:?}");

        // `inspect` reads the same setup.
        let snap = scaletrace::policy_cli::snapshot::fetch(
            &AwsClients::new(&config),
            &config,
            "two-ep",
            Some(v),
            0,
        )
        .await
        .expect("inspect");
        assert_eq!(
            snap.scalable_target.map(|b| (b.min, b.max)),
            Some(bounds),
            "{v}"
        );
        assert_eq!(snap.policies.len(), 1, "{v}: {snap:?}");
        assert_eq!(snap.policies[0].target_value, Some(target), "{v}");
        let alarms: Vec<&str> = snap
            .policies
            .iter()
            .flat_map(|p| &p.alarms)
            .chain(&snap.other_alarms)
            .map(|a| a.name.as_str())
            .collect();
        assert_eq!(alarms, vec![alarm], "{v}: {snap:?}");
    }
}
