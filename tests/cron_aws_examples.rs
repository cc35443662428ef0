//! AWS's own documented schedule expressions, through the simulator's
//! parser (`scaletrace::profile::sim::schedule`): each example parses, or,
//! where the parser deliberately leaves a feature out (`L`, `W`, `#`), is
//! rejected with a message that says so; a few also check the next fire
//! times against what the documentation says they mean.
//!
//! Sources (the examples are copied from these pages as written there):
//! - Application Auto Scaling, PutScheduledAction `Schedule` (the `at`,
//!   `rate` and `cron` forms; rate units `minute | minutes | hour | hours |
//!   day | days`):
//!   <https://docs.aws.amazon.com/autoscaling/application/APIReference/API_PutScheduledAction.html>
//! - Application Auto Scaling, "Schedule recurring scaling actions using
//!   cron expressions" (`30 6 ? * MON *`, and its table of examples):
//!   <https://docs.aws.amazon.com/autoscaling/application/userguide/scheduled-scaling-using-cron-expressions.html>
//! - Application Auto Scaling, "Example scheduled actions"
//!   (`at(2021-03-31T22:00:00)`, 10:30 PM UTC on the same day):
//!   <https://docs.aws.amazon.com/autoscaling/application/userguide/examples-scheduled-actions.html>
//! - Amazon EventBridge, "Cron expressions reference", which the
//!   Application Auto Scaling guide points to for the syntax (fields,
//!   wildcards, limits and the table of examples):
//!   <https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cron-expressions.html>
//!   and <https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html>

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use scaletrace::profile::sim::schedule::{Cron, Schedule};

fn cron(expr: &str) -> Cron {
    match Schedule::parse(expr) {
        Ok(Schedule::Cron { cron, .. }) => cron,
        other => panic!("{expr}: expected a cron schedule, got {other:?}"),
    }
}

/// The parser's message for an expression it rejects.
fn rejected(expr: &str) -> String {
    match Schedule::parse(expr) {
        Ok(s) => panic!("{expr}: expected an error, parsed as {s:?}"),
        Err(e) => e.to_string(),
    }
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

/// The first `n` minutes at or after `from` that `cron` fires in (the
/// parser exposes `matches`, so this walks minute by minute, up to two
/// years).
fn next_fires(cron: &Cron, from: DateTime<Utc>, n: usize) -> Vec<DateTime<Utc>> {
    let mut out = Vec::new();
    let mut t = from;
    let end = from + chrono::Duration::days(2 * 366);
    while out.len() < n && t < end {
        if cron.matches(t) {
            out.push(t);
        }
        t += chrono::Duration::minutes(1);
    }
    out
}

/// The EventBridge reference's table of examples (the Application Auto
/// Scaling guide repeats its first rows), and the guide's own example.
/// `0/30 20-2 ? * MON-FRI *` from the same table is in its own test below.
const DOCUMENTED: [&str; 8] = [
    "cron(0 10 * * ? *)",
    "cron(15 12 * * ? *)",
    "cron(0 18 ? * MON-FRI *)",
    "cron(0 8 1 * ? *)",
    "cron(0/15 * * * ? *)",
    "cron(0/10 * ? * MON-FRI *)",
    "cron(0/5 8-17 ? * MON-FRI *)",
    "cron(30 6 ? * MON *)",
];

#[test]
fn every_documented_cron_example_parses() {
    for expr in DOCUMENTED {
        let parsed = Schedule::parse(expr).unwrap_or_else(|e| panic!("{expr}: {e}"));
        let Schedule::Cron { expression, .. } = parsed else {
            panic!("{expr}: not a cron schedule");
        };
        // What the journal and reports show is the expression as written.
        assert_eq!(format!("cron({expression})"), expr);
    }
}

#[test]
fn daily_examples_fire_once_a_day_at_their_time() {
    // "Run at 10:00 am (UTC+0) every day".
    let c = cron("cron(0 10 * * ? *)");
    assert_eq!(
        next_fires(&c, utc(2026, 11, 23, 10, 1), 2),
        [utc(2026, 11, 24, 10, 0), utc(2026, 11, 25, 10, 0)]
    );
    // "Run at 12:15 pm (UTC+0) every day".
    let c = cron("cron(15 12 * * ? *)");
    assert_eq!(
        next_fires(&c, utc(2026, 11, 23, 0, 0), 2),
        [utc(2026, 11, 23, 12, 15), utc(2026, 11, 24, 12, 15)]
    );
}

#[test]
fn weekday_examples_skip_the_weekend() {
    // "Run at 6:00 pm (UTC+0) every Monday through Friday"; 2026-11-27 is a
    // Friday.
    let c = cron("cron(0 18 ? * MON-FRI *)");
    assert_eq!(
        next_fires(&c, utc(2026, 11, 27, 12, 0), 3),
        [
            utc(2026, 11, 27, 18, 0),
            utc(2026, 11, 30, 18, 0),
            utc(2026, 12, 1, 18, 0)
        ]
    );
    // "every Monday at 6:30 AM"; 2026-11-23 is a Monday.
    let c = cron("cron(30 6 ? * MON *)");
    assert_eq!(
        next_fires(&c, utc(2026, 11, 23, 7, 0), 2),
        [utc(2026, 11, 30, 6, 30), utc(2026, 12, 7, 6, 30)]
    );
    // "Run every 5 minutes Monday through Friday between 8:00 am and
    // 5:55 pm (UTC+0)": the last one on Friday is 17:55, the next 08:00 on
    // Monday.
    let c = cron("cron(0/5 8-17 ? * MON-FRI *)");
    assert_eq!(
        next_fires(&c, utc(2026, 11, 27, 17, 51), 3),
        [
            utc(2026, 11, 27, 17, 55),
            utc(2026, 11, 30, 8, 0),
            utc(2026, 11, 30, 8, 5)
        ]
    );
    // "Run every 10 minutes Monday through Friday": nothing on Saturday.
    let c = cron("cron(0/10 * ? * MON-FRI *)");
    assert_eq!(
        next_fires(&c, utc(2026, 11, 27, 23, 55), 2),
        [utc(2026, 11, 30, 0, 0), utc(2026, 11, 30, 0, 10)]
    );
}

#[test]
fn monthly_and_every_quarter_hour_examples() {
    // "Run at 8:00 am (UTC+0) every 1st day of the month".
    let c = cron("cron(0 8 1 * ? *)");
    assert_eq!(
        next_fires(&c, utc(2026, 11, 23, 0, 0), 3),
        [
            utc(2026, 12, 1, 8, 0),
            utc(2027, 1, 1, 8, 0),
            utc(2027, 2, 1, 8, 0)
        ]
    );
    // "Run every 15 minutes".
    let c = cron("cron(0/15 * * * ? *)");
    assert_eq!(
        next_fires(&c, utc(2026, 11, 23, 9, 7), 4),
        [
            utc(2026, 11, 23, 9, 15),
            utc(2026, 11, 23, 9, 30),
            utc(2026, 11, 23, 9, 45),
            utc(2026, 11, 23, 10, 0)
        ]
    );
}

/// The wildcards section's own examples, each in a full expression.
#[test]
fn wildcard_examples_mean_what_the_reference_says() {
    // "In the Month field, JAN,FEB,MAR includes January, February, and
    // March."
    let c = cron("cron(0 0 1 JAN,FEB,MAR ? *)");
    assert_eq!(
        next_fires(&c, utc(2026, 11, 23, 0, 0), 4),
        [
            utc(2027, 1, 1, 0, 0),
            utc(2027, 2, 1, 0, 0),
            utc(2027, 3, 1, 0, 0),
            utc(2028, 1, 1, 0, 0)
        ]
    );
    // "In the Day field, 1-15 includes days 1 through 15 of the specified
    // month."
    let c = cron("cron(0 0 1-15 * ? *)");
    assert!(c.matches(utc(2026, 12, 15, 0, 0)));
    assert!(!c.matches(utc(2026, 12, 16, 0, 0)));
    // "In the Minutes field, you could enter 1/10 to specify every tenth
    // minute, starting from the first minute of the hour (for example, the
    // 11th, 21st, and 31st minute, and so on)."
    let c = cron("cron(1/10 * * * ? *)");
    assert_eq!(
        next_fires(&c, utc(2026, 11, 23, 9, 2), 3),
        [
            utc(2026, 11, 23, 9, 11),
            utc(2026, 11, 23, 9, 21),
            utc(2026, 11, 23, 9, 31)
        ]
    );
    // "Day-of-week 1-7 or SUN-SAT": 1 is Sunday (2026-11-29).
    let c = cron("cron(0 0 ? * 1 *)");
    assert!(c.matches(utc(2026, 11, 29, 0, 0)));
    assert_eq!(c, cron("cron(0 0 ? * SUN *)"));
    // "Year 1970-2199".
    let c = cron("cron(0 0 1 1 ? 2199)");
    assert!(c.matches(utc(2199, 1, 1, 0, 0)));
    assert!(rejected("cron(0 0 1 1 ? 2200)").contains("outside 1970-2199"));
}

/// "You can't use * in both the Day-of-month and Day-of-week fields. If you
/// use it in one, you must use ? in the other."
#[test]
fn day_of_month_and_day_of_week_together_are_rejected() {
    for expr in ["cron(0 10 * * * *)", "cron(0 18 1 * MON-FRI *)"] {
        let e = rejected(expr);
        assert!(e.contains("'?' for the other"), "{expr}: {e}");
    }
}

/// "Cron expressions have six required fields".
#[test]
fn five_fields_are_rejected() {
    let e = rejected("cron(0 10 * * ?)");
    assert!(e.contains("cron needs 6 fields"), "{e}");
}

/// `L`, `W` and `#` are documented by AWS but left out of the simulator on
/// purpose (its module header says so); the message must name them.
#[test]
fn last_weekday_and_nth_examples_are_rejected_as_unsupported() {
    for expr in [
        // "The L wildcard in the Day-of-month or Day-of-week fields
        // specifies the last day of the month or week."
        "cron(0 8 L * ? *)",
        "cron(0 8 ? * L *)",
        // "In the Day-of-month field, 3W specifies the weekday closest to
        // the third day of the month."
        "cron(0 8 3W * ? *)",
        // "3#2 is the second Tuesday of the month".
        "cron(0 8 ? * 3#2 *)",
        // "\"3#1,6#3\" is not valid because it is interpreted as two
        // expressions" (AWS rejects it too).
        "cron(0 8 ? * 3#1,6#3 *)",
    ] {
        let e = rejected(expr);
        assert!(
            e.contains("L, W and # are not supported by the simulator"),
            "{expr}: {e}"
        );
    }
}

/// From the EventBridge table: "Run every 30 minutes Monday through Friday
/// between 10:00 pm on the starting day to 2:00 am on the following day
/// (UTC)". The hours field `20-2` is a range that wraps past midnight.
#[test]
fn wrapping_hour_range_example_parses() {
    let c = cron("cron(0/30 20-2 ? * MON-FRI *)");
    // Monday 2026-11-23: 20:00 to 23:30, then 00:00 to 02:30 on Tuesday.
    assert!(c.matches(utc(2026, 11, 23, 20, 0)));
    assert!(c.matches(utc(2026, 11, 23, 23, 30)));
    assert!(c.matches(utc(2026, 11, 24, 0, 0)));
    assert!(c.matches(utc(2026, 11, 24, 2, 30)));
    assert!(!c.matches(utc(2026, 11, 23, 19, 30)));
    assert!(!c.matches(utc(2026, 11, 24, 3, 0)));
    assert!(!c.matches(utc(2026, 11, 23, 12, 0)));
    // Saturday 2026-11-28 01:00 is outside MON-FRI.
    assert!(!c.matches(utc(2026, 11, 28, 1, 0)));
}

/// The other cyclic fields wrap the same way (a step counts across the
/// wrap); a day of the month does not, since months differ in length.
#[test]
fn ranges_wrap_in_cyclic_fields_only() {
    // FRI-MON: Friday, Saturday, Sunday, Monday (2026-11-27 is a Friday).
    let c = cron("cron(0 9 ? * FRI-MON *)");
    for day in [27, 28, 29, 30] {
        assert!(c.matches(utc(2026, 11, day, 9, 0)), "2026-11-{day}");
    }
    assert!(!c.matches(utc(2026, 12, 1, 9, 0)), "Tuesday");
    // Hours 20-2 every 3 hours: 20, 23 and 2.
    let c = cron("cron(0 20-2/3 * * ? *)");
    let hours: Vec<u32> = (0..24)
        .filter(|h| c.matches(utc(2026, 11, 23, *h, 0)))
        .collect();
    assert_eq!(hours, [2, 20, 23]);
    // NOV-FEB runs over the new year.
    let c = cron("cron(0 0 1 NOV-FEB ? *)");
    assert!(c.matches(utc(2027, 1, 1, 0, 0)));
    assert!(!c.matches(utc(2026, 3, 1, 0, 0)));
    let e = rejected("cron(0 9 5-1 * ? *)");
    assert!(e.contains("range runs backwards"), "{e}");
}

/// PutScheduledAction: "At expressions - at(yyyy-mm-ddThh:mm:ss)", with the
/// user guide's one-time scale-out (10:00 PM UTC on March 31, 2021) and
/// scale-in (10:30 PM the same day).
#[test]
fn at_examples_parse_to_their_utc_time() {
    let day = NaiveDate::from_ymd_opt(2021, 3, 31).unwrap();
    for (expr, h, m) in [
        ("at(2021-03-31T22:00:00)", 22, 0),
        ("at(2021-03-31T22:30:00)", 22, 30),
    ] {
        assert_eq!(
            Schedule::parse(expr).unwrap(),
            Schedule::AtUtc {
                at: day.and_hms_opt(h, m, 0).unwrap()
            },
            "{expr}"
        );
    }
    let e = rejected("at(2021-03-31 22:00)");
    assert!(e.contains("at(yyyy-mm-ddThh:mm:ss)"), "{e}");
}

/// PutScheduledAction: "For rate expressions, value is a positive integer
/// and unit is minute | minutes | hour | hours | day | days."
#[test]
fn rate_examples_take_every_documented_unit() {
    for (expr, every_s) in [
        ("rate(1 minute)", 60.0),
        ("rate(5 minutes)", 300.0),
        ("rate(1 hour)", 3600.0),
        ("rate(5 hours)", 18_000.0),
        ("rate(1 day)", 86_400.0),
        ("rate(7 days)", 604_800.0),
    ] {
        assert_eq!(
            Schedule::parse(expr).unwrap(),
            Schedule::Rate { every_s },
            "{expr}"
        );
    }
    for expr in ["rate(0 minutes)", "rate(-5 minutes)", "rate(1.5 hours)"] {
        assert!(rejected(expr).contains("positive whole number"), "{expr}");
    }
    assert!(rejected("rate(2 weeks)").contains("unknown unit"));
}
