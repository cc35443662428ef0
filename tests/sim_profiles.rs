//! Every profile in `profiles/` parses and validates.

use std::path::Path;

use scaletrace::profile::{Profile, TargetSpec};

#[test]
fn every_profile_parses() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let p = Profile::load(&path).unwrap_or_else(|e| panic!("{e}"));
            if matches!(p.target, TargetSpec::Sim(_)) {
                assert!(p.sim().is_some(), "{}", path.display());
            }
            seen += 1;
        }
    }
    assert!(seen >= 3, "found {seen} profiles");
}

#[test]
fn demo_uses_the_built_in_policy_name() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles/demo.toml");
    let p = Profile::load(&path).unwrap();
    let scaling = p.sim().unwrap().scaling.as_ref().unwrap();
    assert_eq!(
        scaling.policies[0].name,
        scaletrace::sim::policy::BUILT_IN_POLICY_NAME
    );
    assert_eq!(p.load.seed, 42);
}
