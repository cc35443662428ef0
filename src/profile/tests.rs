use super::*;

fn parse(src: &str) -> Result<Profile, ProfileError> {
    Profile::parse(Path::new("p.toml"), src)
}

const HTTP: &str = "[target]\nkind = \"http\"\nurl = \"http://127.0.0.1:9\"\n";

#[test]
fn minimal_http_profile_gets_sagemaker_defaults() {
    let p = parse(&format!(
        "{HTTP}[load]\nphases = [{{ duration = \"10s\", rate = 100 }}]\n"
    ))
    .unwrap();
    let TargetSpec::Http(h) = &p.target else {
        panic!()
    };
    assert_eq!(h.url, "http://127.0.0.1:9/invocations");
    assert_eq!(h.ping_url.as_deref(), Some("http://127.0.0.1:9/ping"));
    assert_eq!(h.method, "POST");
    assert_eq!(h.content_type, "application/json");
    assert_eq!(p.load.timeout, Duration::from_secs(60));
    assert_eq!(p.load.expected_requests(), 1000.0);
    assert_eq!(p.name, "p");
}

#[test]
fn rpm_is_per_minute() {
    let p = parse(&format!(
        "{HTTP}[load]\nphases = [{{ duration = \"1m\", rpm = 600 }}]\n"
    ))
    .unwrap();
    assert_eq!(p.load.phases[0].from_rate, 10.0);
}

#[test]
fn unknown_key_names_line_and_field() {
    let e = parse(&format!(
        "{HTTP}bogus = 1\n[load]\nphases = [{{ duration = \"1s\", rate = 1 }}]\n"
    ))
    .unwrap_err();
    assert_eq!(e.line, 4, "{e}");
    assert!(e.field.contains("target"), "{e}");
    assert!(e.message.contains("bogus"), "{e}");
}

#[test]
fn wrong_type_names_line_and_field() {
    let e = parse(&format!(
        "{HTTP}[load]\nmax_in_flight = \"lots\"\nphases = [{{ duration = \"1s\", rate = 1 }}]\n"
    ))
    .unwrap_err();
    assert_eq!(e.line, 5, "{e}");
    assert_eq!(e.field, "load.max_in_flight", "{e}");
}

#[test]
fn negative_rate_is_rejected_at_its_position() {
    let src = format!("{HTTP}[load]\n[[load.phases]]\nduration = \"1s\"\nrate = -5\n");
    let e = parse(&src).unwrap_err();
    assert_eq!((e.line, e.column), (7, 8), "{e}");
    assert_eq!(e.field, "load.phases[0].rate");
    assert!(
        e.to_string()
            .starts_with("p.toml:7:8: load.phases[0].rate:"),
        "{e}"
    );
}

#[test]
fn zero_duration_and_empty_phases_are_rejected() {
    let e = parse(&format!(
        "{HTTP}[load]\nphases = [{{ duration = \"0s\", rate = 1 }}]\n"
    ))
    .unwrap_err();
    assert_eq!(e.field, "load.phases[0].duration");
    let e = parse(&format!("{HTTP}[load]\nphases = []\n")).unwrap_err();
    assert_eq!(e.field, "load.phases");
}

#[test]
fn missing_url_is_named() {
    let e =
        parse("[target]\nkind = \"http\"\n[load]\nphases = [{ duration = \"1s\", rate = 1 }]\n")
            .unwrap_err();
    assert_eq!(e.field, "target.url");
    assert_eq!(e.line, 1);
}

#[test]
fn steps_spike_and_sine_expand() {
    let p = parse(&format!(
        "{HTTP}[load]\n[[load.phases]]\nsteps = {{ from = 10, to = 30, step = 10, every = \"1m\" }}\n\
         [[load.phases]]\nspike = {{ base = 5, peak = 50, before = \"10s\", hold = \"5s\", after = \"20s\" }}\n\
         [[load.phases]]\nsine = {{ mean = 50, amplitude = 50, period = \"60s\", duration = \"120s\", segments = 4 }}\n"
    ))
    .unwrap();
    let rates: Vec<f64> = p.load.phases.iter().map(|p| p.from_rate).collect();
    assert_eq!(&rates[..6], &[10.0, 20.0, 30.0, 5.0, 50.0, 5.0]);
    assert_eq!(p.load.phases.len(), 6 + 8);
    let sine = &p.load.phases[6..];
    assert!((sine[0].from_rate - 50.0).abs() < 1e-9);
    assert!((sine[0].to_rate - 100.0).abs() < 1e-9);
    assert!((sine[2].to_rate - 0.0).abs() < 1e-9);
    // A full sine period integrates to its mean.
    let total: f64 = sine.iter().map(Phase::expected_requests).sum();
    assert!((total - 50.0 * 120.0).abs() < 1e-6);
}

#[test]
fn overrides_replace_or_cut_the_plan() {
    let src = format!(
        "{HTTP}[load]\nphases = [{{ duration = \"10s\", from = 0, to = 100 }}, {{ duration = \"10s\", rate = 5 }}]\n"
    );
    let mut p = parse(&src).unwrap();
    p.override_load(None, Some(Duration::from_secs(5)));
    assert_eq!(p.load.phases.len(), 1);
    assert_eq!(p.load.phases[0].to_rate, 50.0);
    let mut p = parse(&src).unwrap();
    p.override_load(Some(7.0), None);
    assert_eq!(p.load.phases[0].duration, Duration::from_secs(20));
    assert_eq!(p.load.expected_requests(), 140.0);
}

#[test]
fn overrides_apply_as_types() {
    let mut p = parse(&format!(
        "{HTTP}[load]\nphases = [{{ duration = \"10s\", rate = 100 }}]\n"
    ))
    .unwrap();
    p.apply(&Overrides {
        url: Some("http://127.0.0.1:7/v1/predict".into()),
        rate: Some(5.0),
        duration: Some(Duration::from_secs(4)),
    })
    .unwrap();
    let TargetSpec::Http(h) = &p.target else {
        panic!()
    };
    assert_eq!(h.url, "http://127.0.0.1:7/v1/predict");
    assert_eq!(h.ping_url.as_deref(), Some("http://127.0.0.1:7/ping"));
    assert_eq!(p.load.expected_requests(), 20.0);
    // A URL with quotes or TOML syntax is just a (bad) URL, never TOML.
    let bad = p.apply(&Overrides {
        url: Some("\"\nkind = \"sim".into()),
        ..Overrides::default()
    });
    assert!(bad.unwrap_err().to_string().starts_with("--url: "));
    let bad = p.apply(&Overrides {
        rate: Some(f64::NAN),
        ..Overrides::default()
    });
    assert_eq!(
        bad.unwrap_err().to_string(),
        "--rate must be a rate from 0 to 10000000 requests/s (got NaN)"
    );
    let mut sim =
        parse("[target]\nkind = \"sim\"\n[load]\nphases = [{ duration = \"1s\", rate = 1 }]\n")
            .unwrap();
    let err = sim
        .apply(&Overrides {
            url: Some("http://127.0.0.1:7".into()),
            ..Overrides::default()
        })
        .unwrap_err()
        .to_string();
    assert_eq!(err, "--url needs a profile with [target] kind = \"http\"");
    let adhoc = Profile::for_url("http://127.0.0.1:8").unwrap();
    assert_eq!(adhoc.name, "adhoc");
    assert_eq!(adhoc.load.expected_requests(), 100.0);
}

/// `run.json` keeps the profile as `serde_json::to_value(&profile)` under
/// `profile`, and `report`, `merge` and the HTML report read it back: its
/// JSON must not change. The expected files are the `profile` key of the
/// `run.json` written by `scaletrace run` on these profiles before `[sim]`
/// moved into `TargetSpec::Sim`.
#[test]
fn run_json_profile_is_unchanged() {
    for name in ["sim", "http"] {
        let dir = Path::new("src/profile/testdata/run_json");
        let p = Profile::load(&dir.join(format!("{name}.toml"))).unwrap();
        let got = serde_json::to_string_pretty(&serde_json::to_value(&p).unwrap()).unwrap();
        let want = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(dir)
                .join(format!("{name}.run.json")),
        )
        .unwrap();
        assert_eq!(got, want.trim_end(), "{name}");
    }
}

/// Validation reads no file: the loader reads what `files::referenced`
/// lists, and `Profile::parse_with` takes the texts.
#[test]
fn policy_files_are_read_by_the_loader_not_the_parser() {
    let src = "[target]\nkind = \"sim\"\n[load]\nphases = [{ duration = \"1s\", rate = 1 }]\n\
               [sim.scalable_target]\nMinCapacity = 1\nMaxCapacity = 3\n[[sim.policies]]\n\
               TargetTrackingScalingPolicyConfigurationFile = \"file://tt.json\"\n";
    let file = Path::new("dir/p.toml");
    let ctx = Ctx {
        file,
        source: src,
        files: &Files::default(),
    };
    let refs = files::referenced(file, &parse_raw(&ctx).unwrap());
    assert_eq!(refs.len(), 1);
    assert_eq!(
        refs[0].field,
        "sim.policies[0].TargetTrackingScalingPolicyConfigurationFile"
    );
    assert_eq!(refs[0].path, Path::new("dir/tt.json"));
    assert!(src[refs[0].span.clone()].contains("file://tt.json"));
    // Given as text, the file is not read.
    let e = Profile::parse(file, src).unwrap_err();
    assert_eq!(e.field, refs[0].field, "{e}");
    assert_eq!(e.line, 9, "{e}");
    assert!(
        e.message.starts_with("cannot read dir/tt.json: not loaded"),
        "{e}"
    );
    let mut texts = Files::default();
    texts.insert(
        "dir/tt.json",
        r#"{"TargetValue": 700.0, "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"}}"#,
    );
    let p = Profile::parse_with(file, src, &texts).unwrap();
    let scaling = p.into_sim().unwrap().scaling.unwrap();
    let sim::policy::PolicyKind::TargetTracking(t) = &scaling.policies[0].kind else {
        panic!()
    };
    assert_eq!(t.target_value, 700.0);
}
