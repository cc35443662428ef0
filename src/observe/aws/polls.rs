//! The observer's per-poll reads that grow with the run: scaling
//! activities (new or changed) and the endpoint's CloudWatch metrics (new
//! or revised datapoints).

use aws_sdk_applicationautoscaling::types::ServiceNamespace;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat};
use chrono::{DateTime, Utc};

use super::{
    AwsObserver, BEFORE_START, METRIC_LOOKBACK, floor_to, not_scaled_reasons, to_aws, to_chrono,
};
use crate::clock::RunClock;
use crate::journal::record::{ActivityRecord, ActivityStatus, Record};
use crate::observe::aws_model::{desired_from_description, metric_record_for};

impl AwsObserver {
    pub(super) async fn poll_activities(&mut self, clock: &RunClock, out: &mut Vec<Record>) {
        let Some(scalable) = self.resource() else {
            return;
        };
        let resource = scalable.resource_id();
        self.pace().await;
        let res = self
            .c
            .autoscaling
            .describe_scaling_activities()
            .service_namespace(ServiceNamespace::Sagemaker)
            .resource_id(&resource)
            .scalable_dimension(scalable.scalable_dimension())
            .include_not_scaled_activities(true)
            .send()
            .await;
        let Some(o) = self.settle("DescribeScalingActivities", res, clock, out) else {
            return;
        };
        let since = clock.started_at - BEFORE_START;
        let t = clock.now_s();
        let mut list: Vec<_> = o.scaling_activities().iter().collect();
        list.sort_by_key(|a| a.start_time().secs());
        for a in list {
            let start = to_chrono(a.start_time());
            let status = ActivityStatus::from(a.status_code().as_str());
            let open = a.end_time().is_none();
            if start < since && !open {
                continue;
            }
            if self.activities.get(a.activity_id()) == Some(&status) {
                continue;
            }
            self.activities
                .insert(a.activity_id().to_string(), status.clone());
            out.push(Record::Activity(ActivityRecord {
                t,
                id: a.activity_id().to_string(),
                start: clock.offset_of_utc(start),
                end: a.end_time().map(|e| clock.offset_of_utc(to_chrono(e))),
                status,
                cause: a.cause().to_string(),
                description: a.description().to_string(),
                from: None,
                to: desired_from_description(a.description()),
                not_scaled: not_scaled_reasons(a),
            }));
        }
    }

    pub(super) async fn poll_metrics(&mut self, clock: &RunClock, out: &mut Vec<Record>) {
        let Some(resource) = self.resource() else {
            return;
        };
        if self.queries.is_empty() {
            return;
        }
        let now = Utc::now();
        let start = floor_to(
            (clock.started_at - BEFORE_START).max(now - METRIC_LOOKBACK),
            60,
        );
        let end = floor_to(now, 60) + chrono::Duration::minutes(1);
        let queries: Vec<MetricDataQuery> = self
            .queries
            .iter()
            .enumerate()
            .map(|(i, q)| {
                let mut metric = Metric::builder()
                    .namespace(&q.namespace)
                    .metric_name(&q.name);
                for (k, v) in q.dimensions_for(&resource) {
                    metric = metric.dimensions(Dimension::builder().name(k).value(v).build());
                }
                MetricDataQuery::builder()
                    .id(format!("m{i}"))
                    .metric_stat(
                        MetricStat::builder()
                            .metric(metric.build())
                            .period(q.period_s as i32)
                            .stat(&q.stat)
                            .build(),
                    )
                    .return_data(true)
                    .build()
            })
            .collect();
        let mut token: Option<String> = None;
        let t = clock.now_s();
        // A handful of pages at most: 30 minutes of 20 metrics is one.
        for _ in 0..5 {
            self.pace().await;
            let res = self
                .c
                .cloudwatch
                .get_metric_data()
                .set_metric_data_queries(Some(queries.clone()))
                .start_time(to_aws(start))
                .end_time(to_aws(end))
                .set_next_token(token.take())
                .send()
                .await;
            let Some(o) = self.settle("GetMetricData", res, clock, out) else {
                return;
            };
            for r in o.metric_data_results() {
                let Some(index) = r
                    .id()
                    .and_then(|id| id.strip_prefix('m'))
                    .and_then(|i| i.parse::<usize>().ok())
                else {
                    continue;
                };
                let Some(q) = self.queries.get(index) else {
                    continue;
                };
                let mut points: Vec<(DateTime<Utc>, f64)> = r
                    .timestamps()
                    .iter()
                    .map(to_chrono)
                    .zip(r.values().iter().copied())
                    .collect();
                points.sort_by_key(|p| p.0);
                for (at, value) in points {
                    if let Some(revision) = self.metrics.observe(index, at, value) {
                        out.push(Record::Metric(metric_record_for(
                            q,
                            &resource,
                            t,
                            clock.offset_of_utc(at),
                            value,
                            revision,
                        )));
                    }
                }
            }
            token = o.next_token().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
        self.metrics.forget_before(start);
    }
}
