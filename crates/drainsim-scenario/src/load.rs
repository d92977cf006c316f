//! Loading a scenario: RON parsing with file:line:column errors, then the checks RON cannot make
//! (sizes, unique names, time order, references), each reported at the place in the file it is about.

use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;

use drainsim_core::api::Request;
use ron::extensions::Extensions;

use crate::format::{Action, Expectation, Scenario, MAX_INSTANCES, MAX_TASKS};

/// An invalid scenario: where, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    /// The file name, as given.
    pub file: String,
    /// 1-based line of the offending text.
    pub line: usize,
    /// 1-based column (in characters) of the offending text.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {}", self.file, self.line, self.column, self.message)
    }
}

impl std::error::Error for ScenarioError {}

/// A parsed and checked scenario with its source.
#[derive(Debug, Clone)]
pub struct LoadedScenario {
    /// The file name errors are reported under.
    pub file: String,
    /// The scenario's text (errors found after parsing are located in it).
    pub source: String,
    /// The parsed scenario.
    pub scenario: Scenario,
}

impl LoadedScenario {
    /// An error at the first occurrence of `needle` in the source (or at 1:1).
    pub fn error_at(&self, needle: &str, message: impl Into<String>) -> ScenarioError {
        let (line, column) = locate(&self.source, needle, 0).unwrap_or((1, 1));
        ScenarioError { file: self.file.clone(), line, column, message: message.into() }
    }

    /// The logical names of every instance the scenario declares, in declaration order.
    pub fn instance_names(&self) -> Vec<String> {
        expand_instance_names(&self.scenario)
    }
}

/// The source with comments blanked out (same length and line structure), so that searching for a
/// token never lands inside a comment.
fn without_comments(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut in_string = false;
    let mut chars = source.chars().peekable();
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if c == '\\' {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if c == '/' && chars.peek() == Some(&'/') {
            out.push(' ');
            for n in chars.by_ref() {
                if n == '\n' {
                    out.push('\n');
                    break;
                }
                out.push(if n.is_ascii() { ' ' } else { n });
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// 1-based line and column of the `nth` occurrence of `needle` outside comments; a needle that
/// starts with a letter only matches at a word start (`count` does not match in `accountDefaults`).
pub fn locate(source: &str, needle: &str, nth: usize) -> Option<(usize, usize)> {
    let code = without_comments(source);
    let word = needle.starts_with(|c: char| c.is_ascii_alphabetic());
    let (offset, _) = code
        .match_indices(needle)
        .filter(|(i, _)| !word || !code[..*i].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_'))
        .nth(nth)?;
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Some((line, column))
}

/// RON reports some errors at the blank before the offending token; point at the token itself.
fn skip_blanks(source: &str, line: usize, column: usize) -> (usize, usize) {
    let Some(text) = source.lines().nth(line.saturating_sub(1)) else { return (line, column) };
    let skipped = text.chars().skip(column.saturating_sub(1)).take_while(|c| *c == ' ' || *c == '\t').count();
    if column.saturating_sub(1) + skipped < text.chars().count() {
        (line, column + skipped)
    } else {
        (line, column)
    }
}

/// 1-based line and column of the first `needle` after the first `anchor` (outside comments).
pub fn locate_after(source: &str, anchor: &str, needle: &str) -> Option<(usize, usize)> {
    let code = without_comments(source);
    let start = code.find(anchor)?;
    let offset = start + code[start..].find(needle)?;
    let before = &source[..offset];
    Some((before.matches('\n').count() + 1, before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1))
}

/// The names of a group's instances: `web` for a group of one, `web-1` … `web-N` otherwise.
pub fn group_member_names(name: &str, count: u32) -> Vec<String> {
    if count == 1 {
        vec![name.to_string()]
    } else {
        (1..=count).map(|n| format!("{name}-{n}")).collect()
    }
}

fn expand_instance_names(s: &Scenario) -> Vec<String> {
    s.instances.iter().flat_map(|g| group_member_names(&g.name, g.count)).collect()
}

/// The RON options scenarios are read with: `Some(..)` may be left out.
pub fn ron_options() -> ron::Options {
    ron::Options::default().with_default_extension(Extensions::IMPLICIT_SOME)
}

/// Parses and checks a scenario from text; `file` names it in errors.
pub fn load_str(file: &str, source: &str) -> Result<LoadedScenario, ScenarioError> {
    let scenario: Scenario = ron_options().from_str(source).map_err(|e| {
        let (line, column) = skip_blanks(source, e.span.start.line, e.span.start.col);
        ScenarioError { file: file.to_string(), line, column, message: e.code.to_string() }
    })?;
    let loaded = LoadedScenario { file: file.to_string(), source: source.to_string(), scenario };
    check(&loaded)?;
    Ok(loaded)
}

/// Reads, parses and checks a scenario file.
pub fn load_file(path: &Path) -> Result<LoadedScenario, ScenarioError> {
    let file = path.display().to_string();
    let source = std::fs::read_to_string(path).map_err(|e| ScenarioError {
        file: file.clone(),
        line: 1,
        column: 1,
        message: format!("cannot read the file: {e}"),
    })?;
    load_str(&file, &source)
}

fn check(l: &LoadedScenario) -> Result<(), ScenarioError> {
    let s = &l.scenario;
    if s.name.trim().is_empty() {
        return Err(l.error_at("name", "the scenario needs a non-empty name"));
    }
    // Sizes.
    let mut total: u64 = 0;
    for (n, g) in s.instances.iter().enumerate() {
        total += g.count as u64;
        if total > MAX_INSTANCES {
            let _ = n;
            let (line, column) = locate_after(&l.source, &format!("\"{}\"", g.name), "count:")
                .or_else(|| locate(&l.source, &format!("\"{}\"", g.name), 0))
                .unwrap_or((1, 1));
            return Err(ScenarioError {
                file: l.file.clone(),
                line,
                column,
                message: format!(
                    "the scenario declares more than {MAX_INSTANCES} instances (group '{}' brings it to {total})",
                    g.name
                ),
            });
        }
        if g.cpu < 0 || g.memory <= 0 || g.cpu > 10_000_000 || g.memory > 100_000_000 {
            return Err(l.error_at(
                &format!("\"{}\"", g.name),
                format!("instance group '{}': cpu must be 0..10000000 and memory 1..100000000", g.name),
            ));
        }
    }
    // Standalone tasks count too (RunTask steps).
    let mut tasks: u64 = s
        .steps
        .iter()
        .map(|st| match &st.action {
            Action::Ecs(Request::RunTask(r)) => r.count.unwrap_or(1).max(0) as u64,
            _ => 0,
        })
        .sum();
    for (n, sv) in s.services.iter().filter(|sv| sv.desired_count.is_some()).enumerate() {
        tasks += sv.desired_count.unwrap_or(0).max(0) as u64;
        if tasks > MAX_TASKS {
            let (line, column) = locate(&l.source, "desiredCount", n).unwrap_or((1, 1));
            return Err(ScenarioError {
                file: l.file.clone(),
                line,
                column,
                message: format!(
                    "the scenario asks for {tasks} tasks (service '{}' crosses the limit); at most {MAX_TASKS} are supported",
                    sv.service_name
                ),
            });
        }
    }
    // Unique instance names.
    let mut names = BTreeSet::new();
    for n in expand_instance_names(s) {
        if !names.insert(n.clone()) {
            return Err(l.error_at(
                &format!("\"{}\"", n.rsplit_once('-').map_or(n.as_str(), |(g, _)| g)),
                format!("instance name '{n}' is declared twice"),
            ));
        }
    }
    for step in &s.steps {
        if let Action::Ecs(Request::RegisterContainerInstance(r)) = &step.action {
            names.insert(r.instance_identity.name.clone());
        }
    }
    let groups: BTreeSet<String> = s.instances.iter().map(|g| g.name.clone()).collect();
    let mut services: BTreeSet<String> = s.services.iter().map(|sv| sv.service_name.clone()).collect();
    for step in &s.steps {
        if let Action::Ecs(Request::CreateService(r)) = &step.action {
            services.insert(r.service_name.clone());
        }
    }
    // Step times never go back.
    let mut last = 0u64;
    for (n, step) in s.steps.iter().enumerate() {
        if let Some(at) = step.at_ms {
            if at < last {
                let nth = s.steps[..n].iter().filter(|st| st.at_ms.is_some()).count();
                let (line, column) = locate(&l.source, "atMs", nth).unwrap_or((1, 1));
                return Err(ScenarioError {
                    file: l.file.clone(),
                    line,
                    column,
                    message: format!("step atMs {at} is earlier than the step before it ({last}); steps run in time order"),
                });
            }
            last = at;
        }
        match &step.action {
            Action::DrainInstances(p) | Action::ActivateInstances(p) => {
                if p.wave_size.is_some_and(|w| w == 0 || w > 10) {
                    let nth = s.steps[..n]
                        .iter()
                        .filter(|st| matches!(&st.action, Action::DrainInstances(q) | Action::ActivateInstances(q) if q.wave_size.is_some()))
                        .count();
                    let (line, column) = locate(&l.source, "waveSize", nth).unwrap_or((1, 1));
                    return Err(ScenarioError {
                        file: l.file.clone(),
                        line,
                        column,
                        message: "waveSize must be 1 to 10 (UpdateContainerInstancesState takes at most 10 instances)".into(),
                    });
                }
                check_selection(l, n, &p.instances, p.filter.as_deref(), p.status.is_some())?;
                check_instance_refs(l, &p.instances, &names, &groups)?;
            }
            Action::WaitForDrain(w) => {
                check_selection(l, n, &w.instances, w.filter.as_deref(), w.status.is_some())?;
                check_instance_refs(l, &w.instances, &names, &groups)?
            }
            Action::DeregisterInstances(p) => {
                check_selection(l, n, &p.instances, p.filter.as_deref(), p.status.is_some())?;
                check_instance_refs(l, &p.instances, &names, &groups)?
            }
            Action::StopTasksOn(p) => check_instance_refs(l, std::slice::from_ref(&p.instance), &names, &groups)?,
            Action::Check(list) => {
                for e in list {
                    check_expectation(l, e, &names, &services)?;
                }
            }
            _ => {}
        }
    }
    for e in &s.expectations {
        check_expectation(l, e, &names, &services)?;
    }
    if let Some(f) = &s.faults {
        for (field, value) in [
            ("trunkProvisioningFailurePerMille", f.trunk_provisioning_failure_per_mille),
            ("taskStartFailurePerMille", f.task_start_failure_per_mille),
        ] {
            if value > 1000 {
                return Err(l.error_at(field, format!("{field} is {value}; fault rates are per mille, 0 to 1000")));
            }
        }
        for n in &f.trunk_failures {
            if !names.contains(n) {
                return Err(l.error_at(&format!("\"{n}\""), format!("unknown instance '{n}'")));
            }
        }
    }
    Ok(())
}

/// A plan step selects its instances by `instances` or by `filter`, not both; a filter must
/// parse (reported at the filter's text, with the expression's own column), and `status` goes with
/// a filter.
fn check_selection(
    l: &LoadedScenario,
    step: usize,
    instances: &[String],
    filter: Option<&str>,
    has_status: bool,
) -> Result<(), ScenarioError> {
    match filter {
        None if has_status => {
            let (line, column) = locate(&l.source, "do:", step).unwrap_or((1, 1));
            let message = "`status` selects instances together with a `filter` only".to_string();
            Err(ScenarioError { file: l.file.clone(), line, column, message })
        }
        None => Ok(()),
        Some(f) => {
            let at = format!("{f:?}");
            if !instances.is_empty() {
                return Err(l.error_at(&at, "give `instances` or a `filter`, not both"));
            }
            drainsim_core::query::Query::parse(f)
                .map(|_| ())
                .map_err(|e| l.error_at(&at, format!("filter '{f}' is not a valid cluster query: {e}")))
        }
    }
}

fn check_instance_refs(
    l: &LoadedScenario,
    refs: &[String],
    names: &BTreeSet<String>,
    groups: &BTreeSet<String>,
) -> Result<(), ScenarioError> {
    for r in refs {
        if !names.contains(r) && !groups.contains(r) {
            return Err(l.error_at(&format!("\"{r}\""), format!("unknown instance or instance group '{r}'")));
        }
    }
    Ok(())
}

fn check_expectation(
    l: &LoadedScenario,
    e: &Expectation,
    names: &BTreeSet<String>,
    services: &BTreeSet<String>,
) -> Result<(), ScenarioError> {
    use Expectation::*;
    let inst = |n: &String| -> Result<(), ScenarioError> {
        if names.contains(n) {
            Ok(())
        } else {
            Err(l.error_at(&format!("\"{n}\""), format!("unknown instance '{n}' in an expectation")))
        }
    };
    let svc = |n: &String| -> Result<(), ScenarioError> {
        if services.contains(n) {
            Ok(())
        } else {
            Err(l.error_at(&format!("\"{n}\""), format!("unknown service '{n}' in an expectation")))
        }
    };
    match e {
        InstanceStatus(i, _)
        | InstanceStatusReasonContains(i, _)
        | InstanceVersion(i, _)
        | InstanceRunningTasks(i, _)
        | InstancePendingTasks(i, _)
        | AgentConnected(i, _)
        | AgentUpdateStatus(i, _)
        | AgentVersion(i, _)
        | Describable(i, _)
        | TaskEniLimit(i, _)
        | TaskEnisInUse(i, _)
        | Trunked(i, _)
        | HasAttribute(i, _, _)
        | DrainCompletedBy(i, _)
        | DrainCompletedWithin(i, _)
        | DrainNotCompletedBy(i, _)
        | NoRunningBeforeDrainCompleted(i) => inst(i),
        ListedInstances(_, _, list) => list.iter().try_for_each(inst),
        ServiceDesiredCount(s, _)
        | ServiceRunningCount(s, _)
        | ServiceHealthyCount(s, _)
        | ServicePendingCount(s, _)
        | MinHealthyObserved(s, _)
        | MaxTasksObserved(s, _)
        | PlacementFailures(s, _, _)
        | AgentWaits(s, _, _)
        | ServiceEventSeen(s, _)
        | ServiceEventNotSeen(s, _)
        | Stalled(s, _)
        | NoStalls(s)
        | FloorBreaches(s, _)
        | FloorBreachCause(s, _)
        | TasksMovedMoreThanOnce(s, _)
        | SteadyState(s, _) => svc(s),
        Named(_, inner) => check_expectation(l, inner, names, services),
        EffectiveSetting(..) | AllDrainsCompletedBy(_) | StopReason(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbled_input_reports_line_and_column() {
        let e = load_str("x.ron", "Scenario(\n  name: \"a\",\n  seed: \"one\",\n)").unwrap_err();
        assert_eq!((e.line, e.column), (3, 9), "{e}");
        let e = load_str("x.ron", "Scenario(\n  name: \"a\",\n  colour: 1,\n)").unwrap_err();
        assert_eq!(e.line, 3, "{e}");
        assert!(e.message.contains("colour"), "{e}");
    }

    #[test]
    fn huge_count_is_refused_at_its_place() {
        let src = "Scenario(name: \"a\", instances: [(name: \"web\", instanceType: \"c5.large\", cpu: 1, memory: 1,\n count: 1000000000000)])";
        let e = load_str("x.ron", src).unwrap_err();
        assert_eq!(e.line, 2, "{e}");
        assert!(e.message.contains("1000000000000"), "{e}");
    }

    #[test]
    fn locate_counts_lines_and_columns_from_one() {
        assert_eq!(locate("ab\ncd\"x\"", "\"x\"", 0), Some((2, 3)));
    }
}
