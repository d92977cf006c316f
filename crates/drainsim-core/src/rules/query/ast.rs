//! The tree of a cluster query language expression, and its canonical text (`Display`): every
//! value quoted, operators in symbol form, `and`/`or`/`not` as words, parentheses only where the
//! tree needs them, so that parsing the canonical text gives the same tree.

use std::fmt;

/// What a condition tests (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/cluster-query-language.html>).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Subject {
    AgentConnected,
    AgentVersion,
    Ec2InstanceId,
    RegisteredAt,
    RunningTasksCount,
    TaskGroup,
    /// `attribute:<name>`.
    Attribute(String),
    /// The instance's capacity provider: not a subject of ECS's language (the parser never makes
    /// one), but the test the engine adds to a task's `memberOf` list for the provider its
    /// strategy chose, so that the placement index narrows to that provider's instances as it
    /// does for any expression ([`super::Query::capacity_provider_is`]).
    CapacityProvider,
}

impl Subject {
    /// The subjects whose names are fixed words, as written.
    pub(crate) const NAMED: [(&'static str, Subject); 6] = [
        ("agentConnected", Subject::AgentConnected),
        ("agentVersion", Subject::AgentVersion),
        ("ec2InstanceId", Subject::Ec2InstanceId),
        ("registeredAt", Subject::RegisteredAt),
        ("runningTasksCount", Subject::RunningTasksCount),
        ("task:group", Subject::TaskGroup),
    ];
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::Attribute(name) => write!(f, "attribute:{name}"),
            Subject::CapacityProvider => f.write_str("capacityProviderName"),
            named => {
                let (text, _) = Subject::NAMED.iter().find(|(_, s)| s == named).expect("every other subject is named");
                f.write_str(text)
            }
        }
    }
}

/// The operators that compare the subject with one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CompareOp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

impl CompareOp {
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            CompareOp::Eq => "==",
            CompareOp::Ne => "!=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
        }
    }
    /// Whether the operator orders (rather than only tells equal from different).
    pub(crate) fn orders(self) -> bool {
        !matches!(self, CompareOp::Eq | CompareOp::Ne)
    }
}

/// A value as written, with the typed form its subject reads it as (checked when parsed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Value {
    pub text: String,
    pub typed: Typed,
}

/// How a value is compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Typed {
    /// Compared as text (string equality; ordering as described in `eval`).
    Text,
    /// An agent version, its numeric parts without trailing zeros (`1.14.0` is `[1, 14]`).
    Version(Vec<u64>),
    /// A moment: Unix milliseconds, and the precision it was written at (a day or a second).
    Time { unix_ms: i64, precision_ms: i64 },
    /// A task count.
    Count(u64),
    /// `true` or `false` (agentConnected).
    Bool(bool),
}

/// A regular expression as written, and its compiled whole-value form.
#[derive(Debug, Clone)]
pub(crate) struct Pattern {
    pub text: String,
    pub regex: super::values::CompiledPattern,
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}
impl Eq for Pattern {}

/// What a condition checks of its subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Test {
    /// `exists` (`negated`: `!exists` / `not_exists`).
    Exists { negated: bool },
    /// `==`, `!=`, `>`, `>=`, `<`, `<=` and their word forms.
    Compare { op: CompareOp, value: Value },
    /// `=~` / `matches` (`negated`: `!~` / `not_matches`).
    Matches { negated: bool, pattern: Pattern },
    /// `in` (`negated`: `!in` / `not_in`) with a list of at least one value.
    In { negated: bool, values: Vec<Value> },
}

/// One `subject operator [argument]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Condition {
    pub subject: Subject,
    pub test: Test,
}

/// An expression. `And` and `Or` hold at least two operands; a parenthesised `and` inside an
/// `and` stays a nested node, so the tree keeps the grouping that was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Expr {
    Condition(Condition),
    Not(Box<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
}

/// A value in canonical text: single quotes, or double quotes when it holds a single quote (the
/// parser accepts no value holding both).
pub(crate) struct Quoted<'a>(pub &'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.contains('\'') {
            write!(f, "\"{}\"", self.0)
        } else {
            write!(f, "'{}'", self.0)
        }
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ", self.subject)?;
        match &self.test {
            Test::Exists { negated } => f.write_str(if *negated { "!exists" } else { "exists" }),
            Test::Compare { op, value } => write!(f, "{} {}", op.symbol(), Quoted(&value.text)),
            Test::Matches { negated, pattern } => {
                write!(f, "{} {}", if *negated { "!~" } else { "=~" }, Quoted(&pattern.text))
            }
            Test::In { negated, values } => {
                f.write_str(if *negated { "!in [" } else { "in [" })?;
                for (n, v) in values.iter().enumerate() {
                    if n > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{}", Quoted(&v.text))?;
                }
                f.write_str("]")
            }
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let operands = |f: &mut fmt::Formatter<'_>, list: &[Expr], word: &str, needs_parens: fn(&Expr) -> bool| {
            for (n, e) in list.iter().enumerate() {
                if n > 0 {
                    write!(f, " {word} ")?;
                }
                if needs_parens(e) {
                    write!(f, "({e})")?;
                } else {
                    write!(f, "{e}")?;
                }
            }
            Ok(())
        };
        match self {
            Expr::Condition(c) => write!(f, "{c}"),
            Expr::Not(inner) => write!(f, "not ({inner})"),
            Expr::And(list) => operands(f, list, "and", |e| matches!(e, Expr::And(_) | Expr::Or(_))),
            Expr::Or(list) => operands(f, list, "or", |e| matches!(e, Expr::Or(_))),
        }
    }
}
