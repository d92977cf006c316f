//! Bad input of any kind gets a clear error, never a panic: random mutations of real scenario files
//! (bytes deleted, duplicated or replaced, numbers blown up) either load and run, or are refused
//! with a file:line:column error. The same holds for their JSON forms.

#[path = "common/mutation.rs"]
mod mutation;

use drainsim_scenario::{load_str, run, RunOptions};
use mutation::{apply, Mutation};
use proptest::prelude::*;

const SOURCES: [&str; 3] = [
    include_str!("../scenarios/demo.ron"),
    include_str!("../scenarios/drain/seed-min50-max100.ron"),
    include_str!("../scenarios/eni/c5large-trunking.ron"),
];

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1usize..40).prop_map(|(at, len)| Mutation::Delete { at, len }),
        (any::<usize>(), 1usize..40).prop_map(|(at, len)| Mutation::Duplicate { at, len }),
        (any::<usize>(), prop::sample::select(b"(){}[],:\"0-9aZ \n/".to_vec()))
            .prop_map(|(at, byte)| Mutation::Replace { at, byte }),
        (
            any::<usize>(),
            prop::sample::select(vec!["0", "1", "18446744073709551615", "99999999999", "-1", "4294967296", "1e9", "0.5"])
        )
            .prop_map(|(nth, value)| Mutation::Number { nth, value }),
    ]
}

/// The RON sources, then their JSON forms (docs/scenario-format.md, "JSON").
fn sources() -> &'static [String] {
    static ALL: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    ALL.get_or_init(|| {
        let ron = SOURCES.iter().map(|s| s.to_string());
        let json = SOURCES.iter().map(|s| {
            let loaded = load_str("source.ron", s).expect("a source loads");
            serde_json::to_string_pretty(&loaded.scenario).expect("a scenario is JSON")
        });
        ron.chain(json).collect()
    })
}

/// The text with the mutations' bytes read back as UTF-8 (a broken sequence becomes U+FFFD).
fn apply_text(src: &str, m: &Mutation) -> String {
    String::from_utf8_lossy(&apply(src.as_bytes(), m)).into_owned()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(300)
    ))]

    #[test]
    fn mutated_scenarios_are_refused_with_a_position_or_run(source in 0usize..2 * SOURCES.len(), mutations in prop::collection::vec(mutation(), 1..4)) {
        let mut text = sources()[source].clone();
        for m in &mutations {
            text = apply_text(&text, m);
        }
        let name = if source < SOURCES.len() { "mutated.ron" } else { "mutated.json" };
        match load_str(name, &text) {
            Err(e) => {
                prop_assert!(e.line >= 1 && e.column >= 1, "{e}");
                prop_assert!(e.line <= text.lines().count() + 1, "{e}: line beyond the file");
                prop_assert!(!e.message.is_empty());
            }
            Ok(mut loaded) => {
                // Keep runs short: the point is no panic, not the outcome.
                let end = loaded.scenario.end_time_ms.unwrap_or(u64::MAX).min(6 * 3_600_000);
                loaded.scenario.end_time_ms = Some(end);
                loaded.scenario.max_events = Some(loaded.scenario.max_events.unwrap_or(u64::MAX).min(200_000));
                if let Err(e) = run(&loaded, &RunOptions { check_invariants_every_event: true, ..Default::default() }) {
                    prop_assert!(e.line >= 1 && e.column >= 1, "{e}");
                }
            }
        }
    }
}

/// Values nested past the parsers' limits are refused at their place, in words for the user (the
/// RON library's own message advises Rust programmers on its options).
#[test]
fn deeply_nested_values_are_refused_in_plain_words() {
    let ron =
        format!("Scenario(name: \"x\", expectations: [{}StopReason(\"quiet\"){}])", "Named(\"a\", ".repeat(300), ")".repeat(300));
    let e = load_str("deep.ron", &ron).expect_err("too deep");
    assert_eq!((e.line, e.message.as_str()), (1, "values nested too deeply"), "{e}");
    assert!(e.column > 1, "{e}");
    let json = format!(
        "{{\"name\": \"x\", \"expectations\": [{}{{\"StopReason\": \"quiet\"}}{}]}}",
        "{\"Named\": [\"a\", ".repeat(300),
        "]}".repeat(300)
    );
    let e = load_str("deep.json", &json).expect_err("too deep");
    assert!(e.message.contains("recursion limit exceeded") || e.message.contains("nested"), "{e}");
    assert!(!e.message.contains("serde_stacker"), "{e}");
}
