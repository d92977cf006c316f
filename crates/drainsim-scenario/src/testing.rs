//! Scenario files as tests: what `cargo test` checks of every file under this repository's
//! `scenarios/`, for a library user's own files.
//!
//! ```no_run
//! // tests/plans.rs of a crate that depends on drainsim-scenario
//! #[test]
//! fn drain_the_old_amis() {
//!     if let Err(why) = drainsim_scenario::testing::check_scenario_file("scenarios/drain-old-amis.ron".as_ref()) {
//!         panic!("{why}");
//!     }
//! }
//!
//! #[test]
//! fn a_drain_of_an_unknown_instance_is_refused() {
//!     // The file's first line: `// expect-error: 12:30 not an instance`
//!     drainsim_scenario::testing::check_invalid_scenario_file("scenarios/invalid/unknown-instance.ron".as_ref())
//!         .unwrap_or_else(|why| panic!("{why}"));
//! }
//! ```

use std::path::Path;

use crate::runner::{check_determinism, run};
use crate::{load_file, timeline, RunOptions};

/// Checks a scenario file as this repository's tests check each of theirs: it loads, runs with the
/// engine's invariants checked after every event, meets every expectation, runs again to the same
/// trace digest (with the checks off), and prints the same JSON report twice. On failure, the
/// reason: the timeline up to the first failed expectation, every verdict, and the command that
/// reproduces the run.
pub fn check_scenario_file(path: &Path) -> Result<(), String> {
    let shown = path.display();
    // The error names the file, its line and column.
    let loaded = load_file(path).map_err(|e| e.to_string())?;
    let opts = RunOptions { keep_records: true, check_invariants_every_event: true, ..Default::default() };
    let outcome = run(&loaded, &opts).map_err(|e| format!("{shown}: {e}"))?;
    if !outcome.passed() {
        let fail_at = outcome.first_failure_at_ms().unwrap_or(u64::MAX);
        let mut msg = format!("scenario {shown} failed.\n\ntimeline up to the first failure:\n");
        for r in outcome.engine.trace().records().iter().filter(|r| r.time_ms <= fail_at) {
            msg.push_str(&format!("  {}\n", timeline::render_record(&outcome.engine, r).to_line()));
        }
        msg.push_str("\nexpectations:\n");
        for x in &outcome.expectations {
            msg.push_str(&format!("  {} {} ({})\n", if x.passed { "PASS" } else { "FAIL" }, x.name, x.detail));
        }
        if let Some(v) = &outcome.invariant_violation {
            msg.push_str(&format!("  FAIL invariant: {v}\n"));
        }
        let file = crate::sweep::shell_word(&shown.to_string());
        msg.push_str(&format!("\nreproduce with: drainsim run {file} --seed {}\n", outcome.seed));
        return Err(msg);
    }
    let digest = check_determinism(&loaded, &RunOptions::default()).map_err(|e| format!("{shown} is not deterministic: {e}"))?;
    if Some(digest) != outcome.engine.trace().digest() {
        return Err(format!("{shown}: checking invariants changed the trace"));
    }
    let report = |o: &crate::RunOutcome| serde_json::to_string(&crate::report::build(o)).expect("a report serialises");
    let again = run(&loaded, &opts).map_err(|e| format!("{shown}: the second run: {e}"))?;
    if report(&outcome) != report(&again) {
        return Err(format!("{shown}: two runs printed different reports"));
    }
    Ok(())
}

/// Checks that a scenario file is refused where its first line says, `// expect-error: LINE:COLUMN
/// TEXT`: loading it, or setting it up, fails at that line and column, with a message containing
/// `TEXT`, naming the file.
pub fn check_invalid_scenario_file(path: &Path) -> Result<(), String> {
    let shown = path.display();
    let source = std::fs::read_to_string(path).map_err(|e| format!("{shown}: cannot read it: {e}"))?;
    let header = source
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("// expect-error: "))
        .ok_or_else(|| format!("{shown}: the first line must be `// expect-error: LINE:COLUMN text`"))?;
    let (pos, text) = header.split_once(' ').unwrap_or((header, ""));
    let (line, column) =
        pos.split_once(':').ok_or_else(|| format!("{shown}: `{pos}` is not LINE:COLUMN in the first line's expect-error"))?;
    let err = match load_file(path) {
        Ok(l) => match run(&l, &RunOptions::default()) {
            Err(e) => e,
            Ok(_) => return Err(format!("{shown} was accepted but must be refused")),
        },
        Err(e) => e,
    };
    if (err.line.to_string(), err.column.to_string()) != (line.to_string(), column.to_string()) {
        return Err(format!("{shown}: refused at {}:{}, not at {line}:{column}: {err}", err.line, err.column));
    }
    if !err.message.contains(text) {
        return Err(format!("{shown}: message `{}` does not contain `{text}`", err.message));
    }
    if !err.to_string().starts_with(&path.display().to_string()) {
        return Err(format!("{shown}: the error must name the file: {err}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file of `text` in the system's temporary directory, removed when dropped.
    struct TempFile(std::path::PathBuf);
    impl TempFile {
        fn new(name: &str, text: &str) -> TempFile {
            let path = std::env::temp_dir().join(format!("drainsim-testing-{}-{name}", std::process::id()));
            std::fs::write(&path, text).expect("writable temp dir");
            TempFile(path)
        }
    }
    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    const DEMO: &str = include_str!("demo.ron");

    #[test]
    fn a_passing_file_passes_and_a_failing_one_says_why_and_how_to_reproduce() {
        let good = TempFile::new("good.ron", DEMO);
        assert_eq!(check_scenario_file(&good.0), Ok(()));
        // The demo's expectations with one that cannot hold.
        let failing = DEMO.replacen("expectations: [", "expectations: [\n        ServiceRunningCount(\"web\", Eq(99)),", 1);
        assert_ne!(failing, DEMO, "the demo has expectations");
        let bad = TempFile::new("bad.ron", &failing);
        let why = check_scenario_file(&bad.0).expect_err("fails");
        assert!(why.contains("FAIL web runningCount = 99"), "{why}");
        assert!(why.contains(&format!("reproduce with: drainsim run {} --seed", bad.0.display())), "{why}");
    }

    #[test]
    fn an_invalid_file_must_be_refused_where_its_first_line_says() {
        let refused = "// expect-error: 2:1 expected\nnot a scenario\n";
        let file = TempFile::new("refused.ron", refused);
        assert_eq!(check_invalid_scenario_file(&file.0), Ok(()));
        let elsewhere = TempFile::new("elsewhere.ron", &refused.replace("2:1", "3:7"));
        let why = check_invalid_scenario_file(&elsewhere.0).expect_err("another place");
        assert!(why.contains("refused at 2:1, not at 3:7"), "{why}");
        let accepted = TempFile::new("accepted.ron", &format!("// expect-error: 1:1 x\n{DEMO}"));
        assert!(check_invalid_scenario_file(&accepted.0).expect_err("accepted").contains("was accepted but must be refused"));
        let no_header = TempFile::new("no-header.ron", DEMO);
        assert!(check_invalid_scenario_file(&no_header.0).expect_err("no header").contains("the first line must be"));
    }
}
