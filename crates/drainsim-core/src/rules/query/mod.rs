//! The cluster query language of ListContainerInstances' `filter` and `memberOf` placement
//! constraints (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/cluster-query-language.html>):
//! `parse` reads an expression into a tree (`ast`), refusing with the column and what was expected;
//! `values` reads dates, versions and patterns; `eval` decides whether one container instance
//! satisfies it, reading the instance through [`InstanceFacts`]. The choices the documentation
//! leaves open are listed in docs/ecs-choices.md §8. Inside the folder, `parse` and `eval` use
//! `ast` and `values`; nothing here knows an engine table.

mod ast;
mod eval;
mod parse;
mod values;

#[cfg(test)]
mod tests;

pub(crate) use eval::InstanceFacts;
pub(crate) use values::version_key;

use std::fmt;

/// Longest expression, in characters: a `memberOf` "expression can have a maximum length of 2000
/// characters" (<https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_PlacementConstraint.html>).
/// drainsim applies it to every expression, a task definition's constraint and ListContainerInstances'
/// `filter` too, whose pages give no limit.
pub const MAX_QUERY_CHARS: usize = 2_000;
/// Deepest nesting of parentheses and `not`s.
pub const MAX_QUERY_DEPTH: usize = 64;

/// Characters of an expression an error message quotes ([`quoted`]).
const QUOTED_CHARS: usize = 80;

/// An expression as an error message quotes it: whole up to 80 characters, else its first 80 and
/// how long it is (a file may hold an expression of any length; the parser refuses one past
/// [`MAX_QUERY_CHARS`], and a message should not repeat it all).
pub fn quoted(text: &str) -> String {
    let length = text.chars().count();
    if length <= QUOTED_CHARS {
        format!("'{text}'")
    } else {
        format!("'{}…' ({length} characters)", text.chars().take(QUOTED_CHARS).collect::<String>())
    }
}

/// A parsed cluster query language expression, ready to be evaluated. Its `Display` is the
/// canonical text: every value quoted, operators as symbols, `and`/`or`/`not` as words, and
/// parentheses only where they are needed; parsing it gives the same expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    expr: ast::Expr,
}

impl Query {
    /// Parses an expression (the console form `memberOf(expression)` too). Refuses one longer than
    /// [`MAX_QUERY_CHARS`] or nested deeper than [`MAX_QUERY_DEPTH`].
    pub fn parse(text: &str) -> Result<Query, QueryError> {
        parse::parse(text).map(|expr| Query { expr })
    }

    /// The test that an instance's capacity provider is `name`: not an expression of ECS's
    /// language (its text, `capacityProviderName == "name"`, does not parse), but what the engine
    /// adds to a task's `memberOf` list for the provider its strategy chose
    /// (docs/ecs-choices.md § "Capacity provider strategies").
    pub(crate) fn capacity_provider_is(name: &str) -> Query {
        let value = ast::Value { text: name.to_string(), typed: ast::Typed::Text };
        let test = ast::Test::Compare { op: ast::CompareOp::Eq, value };
        Query { expr: ast::Expr::Condition(ast::Condition { subject: ast::Subject::CapacityProvider, test }) }
    }

    /// Whether the instance described by `facts` satisfies the expression.
    pub(crate) fn matches(&self, facts: &dyn InstanceFacts) -> bool {
        eval::evaluate(&self.expr, facts)
    }

    /// Whether the expression tests `task:group` (so its answer changes as tasks come and go).
    pub(crate) fn uses_task_group(&self) -> bool {
        self.tests(&ast::Subject::TaskGroup)
    }

    /// Whether the expression tests `runningTasksCount` (so its answer changes as tasks start and
    /// stop).
    pub(crate) fn uses_running_tasks_count(&self) -> bool {
        self.tests(&ast::Subject::RunningTasksCount)
    }

    /// The attribute the expression requires to hold one of a few values, and those values:
    /// `attribute:A == 'v'` or `attribute:A in ['v', …]`, alone, as an operand of an `and` (the
    /// first operand that requires values), or joined by `or` with such tests of the same
    /// attribute (the union of their values). None otherwise, and when a value is empty (an
    /// attribute without a value reads as the empty text). Only an instance whose value of `A` is one of
    /// them satisfies the expression, so the placement index files the instances that may
    /// satisfy a list of expressions by that value instead of asking every instance.
    pub(crate) fn required_values(&self) -> Option<(&str, Vec<&str>)> {
        self.required(|subject| match subject {
            ast::Subject::Attribute(name) => Some(name.as_str()),
            _ => None,
        })
    }

    /// The task groups the expression requires an instance to run a task of: `task:group ==
    /// 'g'` or `task:group in ['g', …]`, alone, in an `and` or joined by `or`, as
    /// [`Query::required_values`] reads an attribute's. Only an instance running a
    /// task of one of them satisfies the expression.
    pub(crate) fn required_task_groups(&self) -> Option<Vec<&str>> {
        self.required(|subject| matches!(subject, ast::Subject::TaskGroup).then_some(())).map(|((), groups)| groups)
    }

    /// What the expression requires of the subject `subject` picks, when it requires that
    /// subject to equal one of a few non-empty texts: what the subject picked and those texts. A
    /// condition requires so with `==` or `in`; an `and`, what its first operand that requires
    /// anything requires; an `or`, the union of its operands' texts when every operand requires
    /// texts of the same subject (`attribute:A == 'a' or attribute:A in ['b', 'c']` requires `A`
    /// to be `a`, `b` or `c`); a `not`, nothing.
    fn required<'a, S: PartialEq>(&'a self, subject: impl Fn(&'a ast::Subject) -> Option<S>) -> Option<(S, Vec<&'a str>)> {
        fn of_expr<'a, S: PartialEq>(
            e: &'a ast::Expr,
            subject: &dyn Fn(&'a ast::Subject) -> Option<S>,
        ) -> Option<(S, Vec<&'a str>)> {
            match e {
                ast::Expr::Condition(c) => {
                    let picked = subject(&c.subject)?;
                    let values: Vec<&ast::Value> = match &c.test {
                        ast::Test::Compare { op: ast::CompareOp::Eq, value } => vec![value],
                        ast::Test::In { negated: false, values } => values.iter().collect(),
                        _ => return None,
                    };
                    let texts = values.iter().all(|v| v.typed == ast::Typed::Text && !v.text.is_empty());
                    texts.then(|| (picked, values.iter().map(|v| v.text.as_str()).collect()))
                }
                ast::Expr::And(list) => list.iter().find_map(|e| of_expr(e, subject)),
                ast::Expr::Or(list) => {
                    let mut operands = list.iter().map(|e| of_expr(e, subject));
                    let (picked, mut texts) = operands.next()??;
                    for operand in operands {
                        let (other, more) = operand?;
                        if other != picked {
                            return None;
                        }
                        for text in more {
                            if !texts.contains(&text) {
                                texts.push(text);
                            }
                        }
                    }
                    Some((picked, texts))
                }
                ast::Expr::Not(_) => None,
            }
        }
        of_expr(&self.expr, &subject)
    }

    /// The attribute names the expression reads (`attribute:<name>`), in the order written, each
    /// once.
    pub fn attributes_read(&self) -> Vec<&str> {
        fn walk<'a>(e: &'a ast::Expr, out: &mut Vec<&'a str>) {
            match e {
                ast::Expr::Condition(c) => {
                    if let ast::Subject::Attribute(name) = &c.subject {
                        if !out.contains(&name.as_str()) {
                            out.push(name);
                        }
                    }
                }
                ast::Expr::Not(inner) => walk(inner, out),
                ast::Expr::And(list) | ast::Expr::Or(list) => list.iter().for_each(|e| walk(e, out)),
            }
        }
        let mut out = Vec::new();
        walk(&self.expr, &mut out);
        out
    }

    fn tests(&self, subject: &ast::Subject) -> bool {
        fn walk(e: &ast::Expr, subject: &ast::Subject) -> bool {
            match e {
                ast::Expr::Condition(c) => c.subject == *subject,
                ast::Expr::Not(inner) => walk(inner, subject),
                ast::Expr::And(list) | ast::Expr::Or(list) => list.iter().any(|e| walk(e, subject)),
            }
        }
        walk(&self.expr, subject)
    }
}

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.expr.fmt(f)
    }
}

/// Why an expression was refused: where (a 1-based column, in characters), what was expected and,
/// for a syntax error, what was found there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    column: usize,
    expected: String,
    found: Option<String>,
}

impl QueryError {
    pub(crate) fn new(column: usize, message: String) -> Self {
        QueryError { column, expected: message, found: None }
    }
    pub(crate) fn found(column: usize, expected: String, found: String) -> Self {
        QueryError { column, expected, found: Some(found) }
    }
    /// The 1-based column (in characters) the error is at.
    pub fn column(&self) -> usize {
        self.column
    }
}

impl fmt::Display for QueryError {
    /// `expected an operator after 'attribute:stack' at column 17, found 'prod'`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at column {}", self.expected, self.column)?;
        if let Some(found) = &self.found {
            write!(f, ", found {found}")?;
        }
        Ok(())
    }
}

impl std::error::Error for QueryError {}
