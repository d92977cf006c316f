//! Evaluating an expression over one container instance, whose facts are read through
//! [`InstanceFacts`] (so that these rules know no engine table).
//!
//! - `==` is string equality, except that `agentVersion` compares version-wise (`1.14` = `1.14.0`),
//!   `runningTasksCount` as a number and `registeredAt` at the precision the value is written at
//!   (a date: the same UTC day; a date and time: the same second).
//! - `>`, `>=`, `<`, `<=` order the same way; an attribute's value orders version-wise when both
//!   it and the value are dotted numbers (so `10 > 9`), else by its UTF-8 bytes.
//! - `=~` matches the whole value.
//! - A test needs its subject: `==`, `!=`, `in`, `!in`, `=~`, `!~` and the orderings are false when
//!   the instance lacks the attribute (or reports no agent version, or a version that is not dotted
//!   numbers); only `!exists` (and `not`) is true then. An attribute without a value has the empty
//!   string as its value.
//! - `task:group` has one value per task on the instance that is not STOPPED: a positive test holds
//!   when it holds for some task (`task:group == service:db`: the instance hosts a task of that
//!   group), a negated one when the instance hosts tasks and it holds for none of them; `exists`
//!   holds when the instance hosts any task.

use std::cmp::Ordering;

use super::ast::*;
use super::values::version_key;

/// What an expression can ask of a container instance.
pub(crate) trait InstanceFacts {
    /// `agentConnected`.
    fn agent_connected(&self) -> bool;
    /// `versionInfo.agentVersion` as a [`version_key`], if the agent reported one that is dotted
    /// numbers (an instance keeps it parsed: evaluating `agentVersion >= 1.60.0` over a big
    /// cluster then parses no version).
    fn agent_version_key(&self) -> Option<std::borrow::Cow<'_, [u64]>>;
    /// `ec2InstanceId`.
    fn ec2_instance_id(&self) -> std::borrow::Cow<'_, str>;
    /// `registeredAt` in Unix milliseconds.
    fn registered_at_unix_ms(&self) -> i64;
    /// `runningTasksCount`.
    fn running_tasks_count(&self) -> u64;
    /// An attribute: None if the instance lacks it, `Some(None)` if it has no value.
    fn attribute(&self, name: &str) -> Option<Option<&str>>;
    /// Whether `test` holds for the group of some task on the instance that is not STOPPED.
    fn any_task_group(&self, test: &mut dyn FnMut(&str) -> bool) -> bool;
    /// Whether the instance hosts a task that is not STOPPED.
    fn hosts_tasks(&self) -> bool;
    /// `capacityProviderName`, if it has one.
    fn capacity_provider(&self) -> Option<&str>;
}

/// Whether the instance satisfies the expression.
pub(crate) fn evaluate(expr: &Expr, facts: &dyn InstanceFacts) -> bool {
    match expr {
        Expr::Condition(c) => condition(c, facts),
        Expr::Not(inner) => !evaluate(inner, facts),
        Expr::And(list) => list.iter().all(|e| evaluate(e, facts)),
        Expr::Or(list) => list.iter().any(|e| evaluate(e, facts)),
    }
}

/// One value of a subject, as the instance has it.
#[derive(Clone, Copy)]
enum Fact<'a> {
    Text(&'a str),
    Version(&'a [u64]),
    TimeMs(i64),
    Count(u64),
    Bool(bool),
}

impl<'a> Fact<'a> {
    /// The text a pattern is matched against (the parser allows patterns only on subjects that
    /// have one).
    fn text(self) -> Option<&'a str> {
        match self {
            Fact::Text(s) => Some(s),
            Fact::Bool(b) => Some(if b { "true" } else { "false" }),
            Fact::Count(_) | Fact::Version(_) | Fact::TimeMs(_) => None,
        }
    }
}

/// How a fact compares with a value; None when they cannot be compared.
fn compare(fact: Fact<'_>, value: &Value) -> Option<Ordering> {
    match (fact, &value.typed) {
        (Fact::Version(v), Typed::Version(w)) => Some(v.cmp(w.as_slice())),
        (Fact::TimeMs(t), Typed::Time { unix_ms, precision_ms }) => {
            Some(t.div_euclid(*precision_ms).cmp(&unix_ms.div_euclid(*precision_ms)))
        }
        (Fact::Count(n), Typed::Count(m)) => Some(n.cmp(m)),
        (Fact::Bool(b), Typed::Bool(c)) => Some(b.cmp(c)),
        (Fact::Text(s), Typed::Text) => Some(match (version_key(s), version_key(&value.text)) {
            (Some(a), Some(b)) if !s.starts_with('v') && !value.text.starts_with('v') => a.cmp(&b).then(s.cmp(&value.text)),
            _ => s.as_bytes().cmp(value.text.as_bytes()),
        }),
        _ => None,
    }
}

/// Whether the positive form of a test holds for one value of the subject.
fn holds(test: &Test, fact: Fact<'_>) -> bool {
    match test {
        Test::Exists { .. } => true,
        Test::Compare { op, value } => {
            let equal = match (fact, &value.typed) {
                (Fact::Text(s), Typed::Text) => Some(s == value.text),
                _ => compare(fact, value).map(|o| o == Ordering::Equal),
            };
            match op {
                CompareOp::Eq | CompareOp::Ne => equal == Some(true),
                CompareOp::Gt => compare(fact, value) == Some(Ordering::Greater),
                CompareOp::Ge => matches!(compare(fact, value), Some(Ordering::Greater | Ordering::Equal)),
                CompareOp::Lt => compare(fact, value) == Some(Ordering::Less),
                CompareOp::Le => matches!(compare(fact, value), Some(Ordering::Less | Ordering::Equal)),
            }
        }
        Test::Matches { pattern, .. } => fact.text().is_some_and(|t| pattern.regex.is_match(t)),
        Test::In { values, .. } => values.iter().any(|v| match (fact, &v.typed) {
            (Fact::Text(s), Typed::Text) => s == v.text,
            _ => compare(fact, v) == Some(Ordering::Equal),
        }),
    }
}

/// Whether the test is a negated one (`!=`, `!exists`, `!in`, `!~`), true when the positive form
/// holds for no value of a subject the instance has.
fn negated(test: &Test) -> bool {
    match test {
        Test::Exists { negated } | Test::Matches { negated, .. } | Test::In { negated, .. } => *negated,
        Test::Compare { op, .. } => *op == CompareOp::Ne,
    }
}

/// A test of a subject with at most one value (`None`: the instance lacks it).
fn single(test: &Test, fact: Option<Fact<'_>>) -> bool {
    match (fact, test) {
        (None, Test::Exists { negated }) => *negated,
        (None, _) => false,
        (Some(f), t) => holds(t, f) != negated(t),
    }
}

fn condition(c: &Condition, facts: &dyn InstanceFacts) -> bool {
    match &c.subject {
        Subject::AgentConnected => single(&c.test, Some(Fact::Bool(facts.agent_connected()))),
        Subject::AgentVersion => {
            let key = facts.agent_version_key();
            single(&c.test, key.as_deref().map(Fact::Version))
        }
        Subject::Ec2InstanceId => single(&c.test, Some(Fact::Text(&facts.ec2_instance_id()))),
        Subject::RegisteredAt => single(&c.test, Some(Fact::TimeMs(facts.registered_at_unix_ms()))),
        Subject::RunningTasksCount => single(&c.test, Some(Fact::Count(facts.running_tasks_count()))),
        Subject::Attribute(name) => single(&c.test, facts.attribute(name).map(|v| Fact::Text(v.unwrap_or("")))),
        Subject::CapacityProvider => single(&c.test, facts.capacity_provider().map(Fact::Text)),
        Subject::TaskGroup => {
            if !facts.hosts_tasks() {
                return matches!(c.test, Test::Exists { negated: true });
            }
            if let Test::Exists { negated } = c.test {
                return !negated;
            }
            let any = facts.any_task_group(&mut |group| holds(&c.test, Fact::Text(group)));
            any != negated(&c.test)
        }
    }
}
