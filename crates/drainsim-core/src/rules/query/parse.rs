//! A recursive-descent parser of the cluster query language
//! (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/cluster-query-language.html>).
//!
//! ```text
//! query     = [ "memberOf" "(" ] or_expr [ ")" ]        (the console's memberOf(...) form)
//! or_expr   = and_expr { ("||" | "or") and_expr }
//! and_expr  = unary { ("&&" | "and") unary }
//! unary     = ("!" | "not") unary | "(" or_expr ")" | condition
//! condition = subject ( ("exists" | "!exists" | "not_exists")
//!                     | compare value | ("=~" | "matches" | "!~" | "not_matches") value
//!                     | ("in" | "!in" | "not_in") "[" value { "," value } "]" )
//! value     = bare | "'" text "'" | '"' text '"'
//! ```
//!
//! `not` binds tighter than `and`, and `and` tighter than `or`. Keywords (operators in word form,
//! `and`, `or`, `not`) are read in any case; subjects are spelled as documented. A bare value runs
//! to the next whitespace, parenthesis, bracket, comma, quote, `&&` or `||`. A quoted value runs to
//! the next quote of the same kind (there is no escape). Each operator takes only the subjects the
//! documentation lists it for, and each value is checked against its subject when parsed, so an
//! expression that parses can always be evaluated.

use super::ast::*;
use super::values::{compile_pattern, parse_date, version_key, DATE_FORMS, PATTERN_BUDGET_BYTES};
use super::{QueryError, MAX_QUERY_CHARS, MAX_QUERY_DEPTH};

/// Operators by spelling: symbols first, longest first, then words (which must end at a word
/// boundary). The unary and list operators come before their prefixes (`!exists` before `!=`...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Compare(CompareOp),
    Matches { negated: bool },
    In { negated: bool },
    Exists { negated: bool },
}

const SYMBOL_OPS: [(&str, Op); 10] = [
    ("!exists", Op::Exists { negated: true }),
    ("!in", Op::In { negated: true }),
    ("==", Op::Compare(CompareOp::Eq)),
    ("!=", Op::Compare(CompareOp::Ne)),
    (">=", Op::Compare(CompareOp::Ge)),
    ("<=", Op::Compare(CompareOp::Le)),
    ("=~", Op::Matches { negated: false }),
    ("!~", Op::Matches { negated: true }),
    (">", Op::Compare(CompareOp::Gt)),
    ("<", Op::Compare(CompareOp::Lt)),
];

const WORD_OPS: [(&str, Op); 12] = [
    ("exists", Op::Exists { negated: false }),
    ("in", Op::In { negated: false }),
    ("equals", Op::Compare(CompareOp::Eq)),
    ("not_equals", Op::Compare(CompareOp::Ne)),
    ("greater_than_equal", Op::Compare(CompareOp::Ge)),
    ("greater_than", Op::Compare(CompareOp::Gt)),
    ("less_than_equal", Op::Compare(CompareOp::Le)),
    ("less_than", Op::Compare(CompareOp::Lt)),
    ("matches", Op::Matches { negated: false }),
    ("not_matches", Op::Matches { negated: true }),
    ("not_exists", Op::Exists { negated: true }),
    ("not_in", Op::In { negated: true }),
];

/// The operators each subject takes, as the documentation's table lists them (`attribute:` and
/// `task:group` are not restricted there; drainsim refuses ordering a task group, which is a name).
fn allowed(subject: &Subject, op: Op) -> Result<(), &'static str> {
    let ordering = matches!(op, Op::Compare(c) if c.orders());
    match subject {
        Subject::AgentConnected | Subject::Ec2InstanceId if ordering || matches!(op, Op::Exists { .. }) => {
            Err("==, !=, in, !in, =~ and !~")
        }
        Subject::AgentVersion | Subject::RegisteredAt | Subject::RunningTasksCount if !matches!(op, Op::Compare(_)) => {
            Err("==, !=, >, >=, < and <=")
        }
        Subject::TaskGroup if ordering => Err("==, !=, in, !in, =~, !~, exists and !exists"),
        _ => Ok(()),
    }
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn is_attribute_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | '-' | '\\')
}

/// Longest attribute name (<https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Attribute.html>).
const MAX_ATTRIBUTE_NAME_CHARS: usize = 128;

struct Parser<'a> {
    text: &'a str,
    /// Byte offset of the next character.
    at: usize,
    depth: usize,
    /// Compiled bytes the expression's `=~` patterns may still take ([`PATTERN_BUDGET_BYTES`] in all).
    pattern_budget_bytes: usize,
}

/// Parses an expression into its tree.
pub(crate) fn parse(text: &str) -> Result<Expr, QueryError> {
    let chars = text.chars().count();
    if chars > MAX_QUERY_CHARS {
        return Err(QueryError::new(
            MAX_QUERY_CHARS + 1,
            format!("the expression is {chars} characters long; at most {MAX_QUERY_CHARS} are allowed"),
        ));
    }
    let mut p = Parser { text, at: 0, depth: 0, pattern_budget_bytes: PATTERN_BUDGET_BYTES };
    p.skip_ws();
    let console_form = {
        let rest = p.rest();
        rest.starts_with("memberOf") && rest["memberOf".len()..].trim_start().starts_with('(')
    };
    let expr = if console_form {
        p.at += "memberOf".len();
        p.skip_ws();
        p.at += 1;
        let e = p.or_expr()?;
        p.skip_ws();
        if !p.eat(")") {
            return Err(p.error("expected ')' closing memberOf("));
        }
        e
    } else {
        p.or_expr()?
    };
    p.skip_ws();
    if p.at < text.len() {
        return Err(p.error(if console_form {
            "expected the end of the expression after memberOf(...)"
        } else {
            "expected 'and', 'or' or the end of the expression"
        }));
    }
    Ok(expr)
}

impl<'a> Parser<'a> {
    fn rest(&self) -> &'a str {
        &self.text[self.at..]
    }

    fn column(&self) -> usize {
        self.text[..self.at].chars().count() + 1
    }

    /// An error at the current position, naming what was found there.
    fn error(&self, expected: &str) -> QueryError {
        let found = match self.rest().chars().next() {
            None => "the end of the expression".to_string(),
            Some(c) if c.is_whitespace() => "whitespace".to_string(),
            Some(_) => {
                let word: String = self.rest().chars().take_while(|c| !c.is_whitespace()).take(20).collect();
                format!("'{word}'")
            }
        };
        QueryError::found(self.column(), expected.to_string(), found)
    }

    /// The error for a bare pattern cut at a '(' or '[' (at `start`): it must be quoted.
    fn unquoted_pattern(&self, start: usize) -> QueryError {
        let word: String = self.text[start..].chars().take_while(|c| !c.is_whitespace()).take(40).collect();
        let column = self.text[..start].chars().count() + 1;
        QueryError::found(
            column,
            "a pattern with '(' or '[' in it must be quoted, '...' or \"...\"".to_string(),
            format!("'{word}'"),
        )
    }

    fn skip_ws(&mut self) {
        let rest = self.rest();
        self.at += rest.len() - rest.trim_start().len();
    }

    fn eat(&mut self, s: &str) -> bool {
        if self.rest().starts_with(s) {
            self.at += s.len();
            true
        } else {
            false
        }
    }

    /// A keyword or operator in any case; one that ends in a letter (`and`, `!exists`) must end at
    /// a word boundary.
    fn eat_word(&mut self, word: &str) -> bool {
        let rest = self.rest();
        let matched = rest.len() >= word.len()
            && rest.is_char_boundary(word.len())
            && rest[..word.len()].eq_ignore_ascii_case(word)
            && !(word.ends_with(is_word_char) && rest[word.len()..].starts_with(is_word_char));
        if matched {
            self.at += word.len();
        }
        matched
    }

    /// One level deeper, for a `(` or `not` that starts at byte `start`.
    fn enter(&mut self, start: usize) -> Result<(), QueryError> {
        self.depth += 1;
        if self.depth > MAX_QUERY_DEPTH {
            let column = self.text[..start].chars().count() + 1;
            return Err(QueryError::new(column, format!("the expression is nested deeper than {MAX_QUERY_DEPTH} levels")));
        }
        Ok(())
    }

    /// `or_expr`; a lone operand is returned as it is (no list is allocated for it).
    fn or_expr(&mut self) -> Result<Expr, QueryError> {
        let first = self.and_expr()?;
        if !self.eat_or() {
            return Ok(first);
        }
        let mut list = vec![first, self.and_expr()?];
        while self.eat_or() {
            list.push(self.and_expr()?);
        }
        Ok(Expr::Or(list))
    }

    /// `and_expr`; a lone operand is returned as it is.
    fn and_expr(&mut self) -> Result<Expr, QueryError> {
        let first = self.unary()?;
        if !self.eat_and() {
            return Ok(first);
        }
        let mut list = vec![first, self.unary()?];
        while self.eat_and() {
            list.push(self.unary()?);
        }
        Ok(Expr::And(list))
    }

    fn eat_or(&mut self) -> bool {
        self.skip_ws();
        self.eat("||") || self.eat_word("or")
    }

    fn eat_and(&mut self) -> bool {
        self.skip_ws();
        self.eat("&&") || self.eat_word("and")
    }

    fn unary(&mut self) -> Result<Expr, QueryError> {
        self.skip_ws();
        let start = self.at;
        if self.eat_word("not") || self.eat("!") {
            self.enter(start)?;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner)));
        }
        if self.eat("(") {
            self.enter(start)?;
            let inner = self.or_expr()?;
            self.skip_ws();
            if !self.eat(")") {
                return Err(self.error("expected ')' or a Boolean operator (and, or, &&, ||)"));
            }
            self.depth -= 1;
            return Ok(inner);
        }
        self.condition().map(Expr::Condition)
    }

    fn subject(&mut self) -> Result<Subject, QueryError> {
        for (text, subject) in Subject::NAMED.iter() {
            if self.rest().starts_with(text) && !self.rest()[text.len()..].starts_with(is_word_char) {
                self.at += text.len();
                return Ok(subject.clone());
            }
        }
        if self.eat("attribute:") {
            let name: String = self.rest().chars().take_while(|c| is_attribute_name_char(*c)).collect();
            if name.is_empty() {
                return Err(self.error("expected an attribute name after 'attribute:'"));
            }
            if name.len() > MAX_ATTRIBUTE_NAME_CHARS {
                return Err(self.error(&format!("an attribute name has at most {MAX_ATTRIBUTE_NAME_CHARS} characters")));
            }
            self.at += name.len();
            return Ok(Subject::Attribute(name));
        }
        Err(self.error(
            "expected a subject (agentConnected, agentVersion, attribute:<name>, ec2InstanceId, registeredAt, runningTasksCount or task:group), 'not' or '('",
        ))
    }

    fn operator(&mut self, subject: &Subject) -> Result<Op, QueryError> {
        self.skip_ws();
        let start = self.at;
        let op = match SYMBOL_OPS.iter().chain(WORD_OPS.iter()).find(|(s, _)| self.eat_word(s)) {
            Some((_, op)) => *op,
            // A single `=` is no operator of the language: equality is `==`.
            None if self.rest().starts_with('=') => {
                return Err(self.error(&format!("expected an operator after '{subject}' (equality is '==')")))
            }
            None => return Err(self.error(&format!("expected an operator after '{subject}'"))),
        };
        if let Err(valid) = allowed(subject, op) {
            let written = &self.text[start..self.at];
            self.at = start;
            return Err(self.error(&format!("{subject} takes the operators {valid}, not '{written}'")));
        }
        Ok(op)
    }

    fn condition(&mut self) -> Result<Condition, QueryError> {
        let subject = self.subject()?;
        let test = match self.operator(&subject)? {
            Op::Exists { negated } => Test::Exists { negated },
            Op::Compare(op) => {
                let value = self.value(&subject, Some(op))?;
                Test::Compare { op, value }
            }
            Op::Matches { negated } => {
                self.skip_ws();
                let start = self.at;
                let quoted = self.rest().starts_with(['\'', '"']);
                // A bare value ends at a bracket or parenthesis (they group the expression), so a
                // pattern with a character class or a group must be quoted: say so where it is cut.
                let cut_at_bracket = |p: &Self| !quoted && p.rest().starts_with(['(', '[']);
                if cut_at_bracket(self) {
                    return Err(self.unquoted_pattern(start));
                }
                let text = self.raw_value()?;
                if cut_at_bracket(self) {
                    return Err(self.unquoted_pattern(start));
                }
                let (regex, bytes) = compile_pattern(&text, self.pattern_budget_bytes).map_err(|why| {
                    let column = self.text[..start].chars().count() + 1;
                    QueryError::new(column, format!("the pattern '{text}' is {why}"))
                })?;
                self.pattern_budget_bytes -= bytes;
                Test::Matches { negated, pattern: Pattern { text, regex } }
            }
            Op::In { negated } => {
                self.skip_ws();
                if !self.eat("[") {
                    return Err(self.error("expected '[' starting the list after 'in'"));
                }
                let mut values = vec![self.value(&subject, None)?];
                loop {
                    self.skip_ws();
                    if self.eat("]") {
                        break;
                    }
                    if !self.eat(",") {
                        return Err(self.error("expected ',' or ']' in the list"));
                    }
                    values.push(self.value(&subject, None)?);
                }
                Test::In { negated, values }
            }
        };
        Ok(Condition { subject, test })
    }

    /// A value as written: bare, '...' or "...".
    fn raw_value(&mut self) -> Result<String, QueryError> {
        self.skip_ws();
        for quote in ['\'', '"'] {
            if self.rest().starts_with(quote) {
                let body = &self.rest()[1..];
                let Some(end) = body.find(quote) else {
                    return Err(self.error(&format!("expected a closing {quote} for the value")));
                };
                let text = body[..end].to_string();
                self.at += end + 2;
                return Ok(text);
            }
        }
        let rest = self.rest();
        let mut len = 0;
        for (n, c) in rest.char_indices() {
            if c.is_whitespace()
                || matches!(c, '(' | ')' | '[' | ']' | ',' | '\'' | '"')
                || rest[n..].starts_with("&&")
                || rest[n..].starts_with("||")
            {
                break;
            }
            len = n + c.len_utf8();
        }
        if len == 0 {
            return Err(self.error("expected a value"));
        }
        self.at += len;
        Ok(rest[..len].to_string())
    }

    /// A value, read as its subject reads it (`op` is None inside a list).
    fn value(&mut self, subject: &Subject, op: Option<CompareOp>) -> Result<Value, QueryError> {
        self.skip_ws();
        let start = self.at;
        let text = self.raw_value()?;
        let bad = |p: &Self, what: String| {
            let column = p.text[..start].chars().count() + 1;
            QueryError::found(column, what, format!("'{text}'"))
        };
        let typed = match subject {
            Subject::AgentVersion => Typed::Version(
                version_key(&text).ok_or_else(|| bad(self, "expected an agent version such as 1.14.5".to_string()))?,
            ),
            Subject::RegisteredAt => {
                let (unix_ms, precision_ms) =
                    parse_date(&text).ok_or_else(|| bad(self, format!("expected a date ({DATE_FORMS})")))?;
                Typed::Time { unix_ms, precision_ms }
            }
            Subject::RunningTasksCount => Typed::Count(
                (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| text.parse().ok())
                    .flatten()
                    .ok_or_else(|| bad(self, "expected a number of tasks".to_string()))?,
            ),
            Subject::AgentConnected => match text.as_str() {
                "true" => Typed::Bool(true),
                "false" => Typed::Bool(false),
                _ => return Err(bad(self, "expected true or false".to_string())),
            },
            Subject::Ec2InstanceId | Subject::TaskGroup | Subject::Attribute(_) | Subject::CapacityProvider => {
                debug_assert!(op.is_none_or(|o| !o.orders()) || matches!(subject, Subject::Attribute(_)));
                Typed::Text
            }
        };
        Ok(Value { text, typed })
    }
}
