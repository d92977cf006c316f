//! Loading a scenario: RON (or JSON) parsing with file:line:column errors, then the checks the parser cannot make
//! (sizes, unique names, time order, references), each reported at the place in the file it is about.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

use crate::input::position;
use drainsim_core::api::Request;
use ron::extensions::Extensions;

use crate::format::{
    Action, AutoScalingGroupSpec, Expectation, InstanceGroup, PinnedFaultKind, PinnedFaultSpec, Scenario, StepExpect,
    INSTANCE_REFRESH_STATUSES, MAX_GROUP_SIZE, MAX_INSTANCES, MAX_TASKS, MAX_TIME_MS, MAX_WAVE_SIZE,
    SCALE_IN_PROTECTED_INSTANCES, TERMINATING_TRANSITION,
};

/// An invalid scenario: where, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    /// The file name, as given.
    pub file: String,
    /// 1-based line of the offending text; 0 for an error in a command-line flag or a file that
    /// cannot be read (no position).
    pub line: usize,
    /// 1-based column (in characters) of the offending text.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            // No position: an error in a command-line flag ([`ScenarioError::flag`]) or a file that
            // cannot be read, whose message names it.
            return f.write_str(&self.message);
        }
        write!(f, "{}:{}:{}: {}", self.file, self.line, self.column, self.message)
    }
}

impl ScenarioError {
    /// An error in a command-line flag and its value (`--depth 0`): it has no line or column
    /// (`file` is the flag), and its message, `FLAG: what is wrong`, is all that is printed.
    pub fn flag(flag: &str, message: impl std::fmt::Display) -> Self {
        ScenarioError { file: flag.into(), line: 0, column: 0, message: format!("{flag}: {message}") }
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
        self.error_at_position(locate(&self.source, needle, 0), message)
    }

    /// An error at `position` (line and column) in the source, else at 1:1.
    pub(crate) fn error_at_position(&self, position: Option<(usize, usize)>, message: impl Into<String>) -> ScenarioError {
        let (line, column) = position.unwrap_or((1, 1));
        ScenarioError { file: self.file.clone(), line, column, message: message.into() }
    }

    /// An error at the string literal `value` after the `nth` `anchor` (the step or list that holds
    /// it: an earlier one may spell the same string legally), else at its first occurrence.
    pub(crate) fn error_at_literal(&self, anchor: (&str, usize), value: &str, message: impl Into<String>) -> ScenarioError {
        match locate_in_literal(&self.source, anchor, value, 0, 0) {
            Some(position) => self.error_at_position(Some(position), message),
            None => self.error_at(&format!("\"{value}\""), message),
        }
    }

    /// An error at the first `needle` after the first `anchor` in the source (a field of the item
    /// `anchor` names), else at 1:1.
    pub(crate) fn error_after(&self, anchor: &str, needle: &str, message: impl Into<String>) -> ScenarioError {
        self.error_at_position(locate_after(&self.source, anchor, needle), message)
    }

    /// The logical names of every instance the scenario declares, in declaration order.
    pub fn instance_names(&self) -> Vec<String> {
        expand_instance_names(&self.scenario)
    }
}

/// The source scanned once: its comments (`//` and `/* */`, which nest in RON) blanked to spaces
/// (same byte length and lines, so offsets agree), and every string literal (plain or raw) with
/// the byte offset of its opening quote (or `r`) and its value with escapes decoded.
struct Scanned {
    /// The source is JSON ([`is_json`]): its keys and variant names are string literals.
    json: bool,
    code: String,
    /// (offset, length in bytes, value) of each string literal.
    strings: Vec<(usize, usize, String)>,
    /// The byte ranges of the comments (`code` keeps their non-ASCII characters, so that offsets
    /// match the source's).
    comments: Vec<std::ops::Range<usize>>,
}

fn scan(source: &str) -> Scanned {
    let bytes = source.as_bytes();
    let mut code = String::with_capacity(source.len());
    let mut strings = Vec::new();
    let mut comments = Vec::new();
    // Blanks `source[from..to]` into `code`: ASCII becomes a space, newlines and other characters stay.
    let blank = |code: &mut String, text: &str| {
        for c in text.chars() {
            code.push(if c == '\n' || !c.is_ascii() { c } else { ' ' });
        }
    };
    let mut i = 0;
    while i < bytes.len() {
        let rest = &source[i..];
        if rest.starts_with("//") {
            let end = rest.find('\n').map_or(source.len(), |n| i + n);
            blank(&mut code, &source[i..end]);
            comments.push(i..end);
            i = end;
        } else if rest.starts_with("/*") {
            let mut depth = 0usize;
            let mut j = i;
            while j < bytes.len() {
                if source[j..].starts_with("/*") {
                    depth += 1;
                    j += 2;
                } else if source[j..].starts_with("*/") {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += source[j..].chars().next().map_or(1, char::len_utf8);
                }
            }
            blank(&mut code, &source[i..j]);
            comments.push(i..j);
            i = j;
        } else if let Some((len, value)) = string_literal(source, i) {
            code.push_str(&source[i..i + len]);
            strings.push((i, len, value));
            i += len;
        } else {
            let c = rest.chars().next().expect("not at the end");
            code.push(c);
            i += c.len_utf8();
        }
    }
    Scanned { json: is_json(source), code, strings, comments }
}

/// The string literal starting at byte `at` (`"…"`, or raw `r"…"`, `r#"…"#`), if one does: its
/// length in bytes and its value (escapes decoded as RON decodes them). An unterminated literal
/// runs to the end.
fn string_literal(source: &str, at: usize) -> Option<(usize, String)> {
    string_literal_spelled(source, at, None)
}

/// [`string_literal`], also pushing to `offsets`, for each character of the value, the byte offset
/// (from `at`) where its spelling starts (an escape's backslash), and last the offset of the
/// closing quote (or of the end, for an unterminated literal).
fn string_literal_spelled(source: &str, at: usize, mut offsets: Option<&mut Vec<usize>>) -> Option<(usize, String)> {
    let rest = &source[at..];
    let preceded_by_word = source[..at].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_');
    if let Some(raw) = rest.strip_prefix('r').filter(|_| !preceded_by_word) {
        let hashes = raw.len() - raw.trim_start_matches('#').len();
        let body = raw[hashes..].strip_prefix('"')?;
        let close = format!("\"{}", "#".repeat(hashes));
        let end = body.find(&close).unwrap_or(body.len());
        let len = 1 + hashes + 1 + end + if end < body.len() { close.len() } else { 0 };
        if let Some(o) = offsets.as_mut() {
            o.extend(body[..end].char_indices().map(|(k, _)| 1 + hashes + 1 + k));
            o.push(1 + hashes + 1 + end);
        }
        return Some((len, body[..end].to_string()));
    }
    let body = rest.strip_prefix('"')?;
    let mut value = String::new();
    let mut chars = body.char_indices().peekable();
    while let Some((k, c)) = chars.next() {
        let decoded = value.len();
        match c {
            '"' => {
                if let Some(o) = offsets.as_mut() {
                    o.push(1 + k);
                }
                return Some((1 + k + 1, value));
            }
            '\\' => match chars.next().map(|(_, e)| e) {
                Some('n') => value.push('\n'),
                Some('r') => value.push('\r'),
                Some('t') => value.push('\t'),
                Some('b') => value.push('\u{8}'),
                Some('f') => value.push('\u{c}'),
                Some('0') => value.push('\0'),
                // RON's `\u{1F600}`.
                Some('u') if chars.peek().is_some_and(|(_, h)| *h == '{') => {
                    let hex: String =
                        chars.by_ref().map(|(_, h)| h).skip_while(|h| *h == '{').take_while(|h| *h != '}').collect();
                    value.extend(u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32));
                }
                // JSON's `\u00e9`, a character outside the basic plane as a pair (`\ud83d\ude00`).
                Some('u') => {
                    let unit = |chars: &mut std::iter::Peekable<std::str::CharIndices>| {
                        let hex: String = chars.by_ref().take(4).map(|(_, h)| h).collect();
                        u32::from_str_radix(&hex, 16).ok()
                    };
                    let first = unit(&mut chars);
                    let code = match first {
                        Some(high @ 0xD800..=0xDBFF)
                            if body[chars.peek().map_or(body.len(), |(j, _)| *j)..].starts_with("\\u") =>
                        {
                            chars.next();
                            chars.next();
                            unit(&mut chars).map(|low| 0x10000 + ((high - 0xD800) << 10) + (low.wrapping_sub(0xDC00) & 0x3FF))
                        }
                        other => other,
                    };
                    value.extend(code.and_then(char::from_u32));
                }
                Some('x') => {
                    let hex: String = chars.by_ref().take(2).map(|(_, h)| h).collect();
                    value.extend(u8::from_str_radix(&hex, 16).ok().map(char::from));
                }
                Some(other) => value.push(other),
                None => {}
            },
            _ => value.push(c),
        }
        if let Some(o) = offsets.as_mut() {
            o.extend(value[decoded..].chars().map(|_| 1 + k));
        }
    }
    if let Some(o) = offsets.as_mut() {
        o.push(rest.len());
    }
    Some((rest.len(), value))
}

/// Why a string is refused, if it is: it holds a control character other than tab, line feed
/// and carriage return. drainsim prints names and descriptions as they are, and a terminal acts on
/// such a character: an escape sequence in an instance name would recolour or rewrite the output
/// around it, a bell ring. The names ECS and Auto Scaling check refuse them too
/// (`AutoScalingGroupName` takes tab, line feed and carriage return and no other control
/// character: <https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_CreateAutoScalingGroup.html>),
/// so the rule is the same for every string of a scenario and of an imported document. The
/// refusal quotes the string (escaped, at most 60 characters) and names the character.
pub(crate) fn control_character_refusal(value: &str) -> Option<String> {
    let c = value.chars().find(|c| is_refused_control(*c))?;
    let shown = value.chars().take(60).collect::<String>().escape_debug().to_string();
    let ellipsis = if value.chars().count() > 60 { "…" } else { "" };
    Some(format!(
        "\"{shown}{ellipsis}\" holds the control character U+{:04X}; a string may hold tab, line feed and carriage \
         return but no other control character (drainsim prints it to a terminal)",
        c as u32
    ))
}

fn is_refused_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// The first string of the scenario that [`control_character_refusal`] refuses, if one is
/// there: the byte offset where the refused character is spelled (`\u{1b}`, or the character
/// itself) and the refusal.
fn control_character(source: &str) -> Option<(usize, String)> {
    // A string holds one only if the source does, or spells one with an escape: a source with
    // neither (almost every scenario) needs no scan of its strings.
    let bytes = source.as_bytes();
    let raw_control = |k: usize| match bytes[k] {
        b'\t' | b'\n' | b'\r' => false,
        b if b < 0x20 || b == 0x7f => true,
        // U+0080..U+009F in UTF-8.
        0xc2 => bytes.get(k + 1).is_some_and(|b| (0x80..=0x9f).contains(b)),
        _ => false,
    };
    if !(0..bytes.len()).any(|k| bytes[k] == b'\\' || raw_control(k)) {
        return None;
    }
    let scanned = scan(source);
    let (at, refusal) = scanned.strings.iter().find_map(|(at, _, value)| Some((*at, control_character_refusal(value)?)))?;
    let mut offsets = Vec::new();
    let (_, value) = string_literal_spelled(source, at, Some(&mut offsets)).expect("a string literal starts here");
    let k = value.chars().position(is_refused_control).expect("refused for it");
    Some((at + offsets.get(k).copied().unwrap_or(0), format!("the string {refusal}")))
}

/// The byte offsets where `needle` occurs as code, after byte `from`: a quoted needle (`"web"`)
/// matches the string literals whose value it is (however the file spells them: escapes, raw
/// strings); any other needle matches text outside comments and strings, and one that starts with
/// a letter only at a word start (`count` does not match in `accountDefaults`).
///
/// In JSON a field or variant name is a string literal, so there a name needle (`serviceName`, or
/// `services:` for the key alone) matches the string literals of that value (`"services":`).
fn occurrences(scanned: &Scanned, needle: &str, from: usize) -> Vec<usize> {
    if let Some(value) = needle.strip_prefix('"').and_then(|n| n.strip_suffix('"')).filter(|_| needle.len() >= 2) {
        return scanned.strings.iter().filter(|(at, _, v)| *at >= from && v == value).map(|(at, _, _)| *at).collect();
    }
    if scanned.json {
        let (name, key) = needle.strip_suffix(':').map_or((needle, false), |n| (n, true));
        if name.starts_with(|c: char| c.is_ascii_alphabetic()) && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return scanned
                .strings
                .iter()
                .filter(|(at, len, v)| {
                    *at >= from && v == name && (!key || scanned.code[at + len..].trim_start().starts_with(':'))
                })
                .map(|(at, _, _)| *at)
                .collect();
        }
    }
    let code = &scanned.code;
    // The strings are in offset order: the one that could hold `at` is the last starting before it.
    let in_string = |at: usize| {
        let k = scanned.strings.partition_point(|(start, _, _)| *start < at);
        k > 0 && scanned.strings[k - 1].0 + scanned.strings[k - 1].1 > at
    };
    let word = needle.starts_with(|c: char| c.is_ascii_alphabetic());
    code.match_indices(needle)
        .map(|(i, _)| i)
        .filter(|i| *i >= from)
        .filter(|i| !word || !code[..*i].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_'))
        .filter(|i| !in_string(*i))
        .collect()
}

/// 1-based line and column of the `nth` occurrence of `needle` outside comments (see
/// `occurrences`: a quoted needle is a string literal of that value).
pub fn locate(source: &str, needle: &str, nth: usize) -> Option<(usize, usize)> {
    let scanned = scan(source);
    occurrences(&scanned, needle, 0).get(nth).map(|at| position(source, *at))
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

/// 1-based line and column of the `nth` `needle` after the first `anchor` (both outside comments;
/// see `occurrences`).
pub fn locate_after(source: &str, anchor: &str, needle: &str) -> Option<(usize, usize)> {
    locate_nth_after(source, anchor, needle, 0)
}

/// 1-based line and column of the first `needle` on or after 1-based `line` (a field of the item
/// that starts on that line).
fn locate_from_line(source: &str, line: usize, needle: &str) -> Option<(usize, usize)> {
    let offset: usize = source.lines().take(line.saturating_sub(1)).map(|t| t.len() + 1).sum();
    locate(source.get(offset..)?, needle, 0).map(|(dl, dc)| (line + dl - 1, dc))
}

/// 1-based line and column of the first `needle` after the `nth` `item` after the first
/// `anchor` (all outside comments; see `occurrences`): a value inside the nth item of a list.
fn locate_in_item(source: &str, anchor: &str, item: &str, nth: usize, needle: &str) -> Option<(usize, usize)> {
    let scanned = scan(source);
    let start = *occurrences(&scanned, anchor, 0).first()?;
    let item_at = *occurrences(&scanned, item, start).get(nth)?;
    occurrences(&scanned, needle, item_at).first().map(|at| position(source, *at))
}

/// Where the `nth` step `action` of the file spells `field`'s `value`: the string literal after the
/// field (an instance ID of `InstanceIds` is not the same string as the step's
/// `AutoScalingGroupName`), else the field itself (a value spelled with escapes), else 1:1.
fn step_field_position(source: &str, action: &str, nth: usize, field: &str, value: Option<&str>) -> (usize, usize) {
    let scanned = scan(source);
    let field_at = occurrences(&scanned, "steps", 0)
        .first()
        .and_then(|start| occurrences(&scanned, action, *start).get(nth).copied())
        .and_then(|step_at| occurrences(&scanned, field, step_at).first().copied());
    let value_at = field_at.zip(value).and_then(|(at, v)| occurrences(&scanned, &format!("\"{v}\""), at).first().copied());
    value_at.or(field_at).map_or((1, 1), |at| position(source, at))
}

/// Where the `nth` item after `anchor` (each item found by its `item` key: `serviceName` in
/// `services:`) spells its field `field` (`field:` in RON, `"field":` in JSON): only within that
/// item's own brackets, so a field the item leaves out is not found in a neighbour.
pub fn locate_field_in_item(source: &str, anchor: &str, item: &str, nth: usize, field: &str) -> Option<(usize, usize)> {
    let scanned = scan(source);
    // The scenario's own section (`services:` of the outermost brackets), not a step's field of
    // the name (`DescribeServices((services: [...]))`) written before it.
    let top_level =
        |at: &usize| enclosing_brackets(&scanned, *at).is_some_and(|(open, _)| enclosing_brackets(&scanned, open).is_none());
    let start = occurrences(&scanned, anchor, 0).into_iter().find(top_level)?;
    let at = *occurrences(&scanned, item, start).get(nth)?;
    let (open, close) = enclosing_brackets(&scanned, at)?;
    occurrences(&scanned, field, open).into_iter().find(|f| *f < close).map(|f| position(source, f))
}

/// The byte offsets of the brackets (`(`, `[` or `{` and its match) that enclose byte `at`,
/// outside comments and strings.
fn enclosing_brackets(scanned: &Scanned, at: usize) -> Option<(usize, usize)> {
    let in_string = |i: usize| {
        let k = scanned.strings.partition_point(|(start, _, _)| *start <= i);
        k > 0 && scanned.strings[k - 1].0 + scanned.strings[k - 1].1 > i
    };
    let bytes = scanned.code.as_bytes();
    let mut depth = 0usize;
    let mut open = None;
    for i in (0..at).rev().filter(|i| !in_string(*i)) {
        match bytes[i] {
            b')' | b']' | b'}' => depth += 1,
            b'(' | b'[' | b'{' if depth == 0 => {
                open = Some(i);
                break;
            }
            b'(' | b'[' | b'{' => depth -= 1,
            _ => {}
        }
    }
    let mut depth = 0usize;
    for i in (at..bytes.len()).filter(|i| !in_string(*i)) {
        match bytes[i] {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' if depth == 0 => return open.map(|o| (o, i)),
            b')' | b']' | b'}' => depth -= 1,
            _ => {}
        }
    }
    None
}

/// [`locate_after`] for the `nth` occurrence after the anchor.
pub fn locate_nth_after(source: &str, anchor: &str, needle: &str, nth: usize) -> Option<(usize, usize)> {
    let scanned = scan(source);
    let start = *occurrences(&scanned, anchor, 0).first()?;
    occurrences(&scanned, needle, start).get(nth).map(|at| position(source, *at))
}

/// 1-based line and column of the `value` that follows the `nth` `key` after the first `anchor`
/// (the value of the nth item's field, e.g. the second service's `serviceName`), all outside
/// comments (see `occurrences`).
pub fn locate_nth_value(source: &str, anchor: &str, key: &str, nth: usize, value: &str) -> Option<(usize, usize)> {
    let scanned = scan(source);
    let start = *occurrences(&scanned, anchor, 0).first()?;
    let key_at = *occurrences(&scanned, key, start).get(nth)?;
    occurrences(&scanned, value, key_at).first().map(|at| position(source, *at))
}

/// 1-based line and column of character `column` (1-based, in characters; one past the last is
/// the closing quote, 0 the opening one) of the `nth` string literal `value` after the
/// `anchor_nth` `anchor` (outside comments; see `occurrences`): where in the file a position
/// inside a value is, however the file spells the value (escapes such as `\"` or `\\`, raw
/// strings). An error in a cluster query language expression points at the character its column
/// names.
pub fn locate_in_literal(
    source: &str,
    (anchor, anchor_nth): (&str, usize),
    value: &str,
    nth: usize,
    column: usize,
) -> Option<(usize, usize)> {
    let scanned = scan(source);
    let start = *occurrences(&scanned, anchor, 0).get(anchor_nth)?;
    let at = *occurrences(&scanned, &format!("\"{value}\""), start).get(nth)?;
    let mut offsets = Vec::new();
    string_literal_spelled(source, at, Some(&mut offsets))?;
    let offset = match column {
        0 => 0,
        n => *offsets.get(n - 1).or(offsets.last())?,
    };
    Some(position(source, at + offset))
}

/// 1-based line and column of the first string literal `value` that is the value of a field
/// `key` (the string literal right after the key, outside comments): `serviceName: "web"` and not
/// a task definition's `family: "web"`.
pub fn locate_field_value(source: &str, key: &str, value: &str) -> Option<(usize, usize)> {
    let scanned = scan(source);
    occurrences(&scanned, key, 0).into_iter().find_map(|k| {
        let next = scanned.strings.partition_point(|(start, _, _)| *start <= k);
        scanned.strings.get(next).filter(|(_, _, v)| v == value).map(|(at, _, _)| position(source, *at))
    })
}

/// The names of a group's instances: `web` for a group of one, `web-1` … `web-N` otherwise.
pub fn group_member_names(name: &str, count: u32) -> Vec<String> {
    (0..count).map(|k| group_member_name(name, count, k)).collect()
}

/// The logical name of member `k` (from 0) of a group of `count`: the group's name when it has one
/// member, else `name-1`, `name-2`, ….
pub fn group_member_name(name: &str, count: u32, k: u32) -> String {
    if count == 1 {
        name.to_string()
    } else {
        format!("{name}-{}", k + 1)
    }
}

/// The instances the `instances` groups register at time 0, by name: the group each is declared
/// in and the instance's Availability Zone.
pub(crate) fn instances_at_time_zero(s: &Scenario) -> BTreeMap<String, (&InstanceGroup, String)> {
    let mut by_name = BTreeMap::new();
    for g in s.instances.iter().filter(|g| g.at_time_zero()) {
        for k in 0..g.count {
            by_name.insert(group_member_name(&g.name, g.count, k), (g, g.zone_of(k)));
        }
    }
    by_name
}

fn expand_instance_names(s: &Scenario) -> Vec<String> {
    s.instances.iter().flat_map(|g| group_member_names(&g.name, g.count)).collect()
}

/// The RON options scenarios are read with: `Some(..)` may be left out.
pub fn ron_options() -> ron::Options {
    ron::Options::default().with_default_extension(Extensions::IMPLICIT_SOME)
}

/// ` (did you mean 'X'?)` when a known word is close to `word` — at most a third of its letters
/// (at least one) inserted, deleted, replaced or swapped, the closest one —, else nothing.
pub fn did_you_mean<'a>(word: &str, known: impl Iterator<Item = &'a str>) -> String {
    let w = word.to_lowercase();
    let allowed = (w.chars().count() / 3).max(1);
    known
        .filter(|k| *k != word)
        .map(|k| (strsim::damerau_levenshtein(&w, &k.to_lowercase()), k))
        .filter(|(d, _)| *d <= allowed)
        .min_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)))
        .map_or(String::new(), |(_, k)| format!(" (did you mean '{k}'?)"))
}

/// The built-in attributes ECS gives a real instance whose values drainsim cannot know (a scenario
/// gives them in an instance group's `attributes`; an Auto Scaling group gives `ecs.ami-id`).
const UNKNOWABLE_ATTRIBUTES: [&str; 4] = ["ecs.ami-id", "ecs.os-family", "ecs.vpc-id", "ecs.subnet-id"];

/// What a loaded scenario may be warned of without being refused: an instance type drainsim does
/// not know (new types exist; its awsvpc tasks need `taskEniLimit`), with the closest known one;
/// a service's placement strategy rules that drainsim does not apply, as created or as an
/// UpdateService step replaces them ([`drainsim_core::placement_rules_applied`]); a `memberOf` expression reading a built-in
/// attribute drainsim cannot know that no instance is given; a capacity provider with managed
/// scaling, used by a strategy, whose group starts at its MaxSize; a task definition reserving
/// more GPUs than any instance registers. `--strict` makes these errors.
pub fn warnings(l: &LoadedScenario) -> Vec<ScenarioError> {
    let known: std::collections::BTreeSet<&str> = drainsim_core::known_instance_types().collect();
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for g in &l.scenario.instances {
        let t = g.instance_type.as_str();
        // A group that gives its own taskEniLimit has what the table would give it: nothing to
        // warn of (a real type the table lacks, m7i say, is most often why it gives one).
        if known.contains(t) || g.task_eni_limit.is_some() || !seen.insert(t) {
            continue;
        }
        // Only a type of the same family is suggested (a misspelled size): a family the table has
        // no row for is most often a real one (m7i, say), not a misspelling of a neighbour.
        let family = |t: &str| t.split('.').next().unwrap_or_default().to_string();
        let hint = did_you_mean(t, known.iter().copied().filter(|k| family(k) == family(t)));
        out.push(l.error_at(
            &format!("\"{t}\""),
            format!("instance type '{t}' is not in drainsim's task ENI table{hint}; its awsvpc tasks need a taskEniLimit"),
        ));
    }
    // memberOf expressions that read an attribute ECS gives every real instance but drainsim cannot
    // know, which no instance of the scenario has: they match nothing (docs/scenario-format.md,
    // instance groups' `attributes`).
    let given: BTreeSet<&str> = l
        .scenario
        .instances
        .iter()
        .flat_map(|g| g.attributes.keys().map(String::as_str))
        .chain(l.scenario.auto_scaling_groups.iter().flat_map(|g| g.attributes.keys().map(String::as_str)))
        .chain((!l.scenario.auto_scaling_groups.is_empty()).then_some("ecs.ami-id"))
        .collect();
    let service_rules = l.scenario.services.iter().flat_map(|s| s.placement_constraints.iter().map(|c| &c.expression));
    let step_rules = l.scenario.steps.iter().flat_map(|step| match &step.action {
        Action::Ecs(Request::CreateService(r)) => r.placement_constraints.iter().map(|c| &c.expression).collect(),
        Action::Ecs(Request::UpdateService(r)) => r.placement_constraints.iter().flatten().map(|c| &c.expression).collect(),
        Action::Ecs(Request::RunTask(r)) => r.placement_constraints.iter().map(|c| &c.expression).collect(),
        _ => Vec::new(),
    });
    let definition_rules = l.scenario.task_definitions.iter().flat_map(|d| d.placement_constraints.iter().map(|c| &c.expression));
    let mut warned = BTreeSet::new();
    for expression in service_rules.chain(step_rules).chain(definition_rules).flatten() {
        let Ok(query) = drainsim_core::query::Query::parse(expression) else { continue };
        for attribute in query.attributes_read() {
            if UNKNOWABLE_ATTRIBUTES.contains(&attribute) && !given.contains(attribute) && warned.insert(attribute.to_string()) {
                out.push(l.error_at(
                    &format!("\"{expression}\""),
                    format!(
                        "memberOf '{expression}' reads {attribute}, which no instance has: ECS sets it on a real instance, drainsim cannot know its value, so give it in the instance groups' attributes (docs/scenario-format.md)"
                    ),
                ));
            }
        }
    }
    // A capacity provider with managed scaling, used by a strategy (a service's, one a step
    // creates or updates, or a cluster's default), whose group is already at its MaxSize: managed
    // scaling can add no instance, so a task of that strategy without room waits PROVISIONING for
    // good (a common cause of tasks stuck PROVISIONING in ECS).
    let s = &l.scenario;
    let strategies = s
        .services
        .iter()
        .map(|r| &r.capacity_provider_strategy)
        .chain(s.steps.iter().filter_map(|step| match &step.action {
            Action::Ecs(Request::CreateService(r)) => Some(&r.capacity_provider_strategy),
            Action::Ecs(Request::UpdateService(r)) => r.capacity_provider_strategy.as_ref(),
            _ => None,
        }))
        .chain(s.cluster_capacity_providers.iter().map(|p| &p.default_capacity_provider_strategy));
    let used: BTreeSet<&str> = strategies.flatten().map(|i| i.capacity_provider.as_str()).collect();
    for (k, c) in s.capacity_providers.iter().enumerate().filter(|(_, c)| used.contains(c.name.as_str())) {
        let p = &c.auto_scaling_group_provider;
        let Some(g) = l.scenario.auto_scaling_groups.iter().find(|g| g.auto_scaling_group_name == p.group_name()) else {
            continue;
        };
        if p.managed_scaling_enabled() && g.desired_capacity >= g.max_size {
            let (line, column) =
                locate_nth_value(&l.source, "capacityProviders", "name", k, &format!("\"{}\"", c.name)).unwrap_or((1, 1));
            out.push(ScenarioError {
                file: l.file.clone(),
                line,
                column,
                message: format!(
                    "capacity provider '{}' has managed scaling ENABLED, but its Auto Scaling group '{}' starts at its MaxSize ({}): managed scaling can add no instance, so a task of its strategy without room waits PROVISIONING until the run ends (docs/ecs-choices.md, Managed scaling)",
                    c.name, g.auto_scaling_group_name, g.max_size
                ),
            });
        }
    }
    // Services of the setup and those a step creates, with their rules, each at its
    // `serviceName`; and the rules an UpdateService step gives a service, at the step. The place
    // is found only for a list that is warned of (finding it reads the file).
    enum Place<'a> {
        Name(&'a str),
        Update(usize),
    }
    let setup =
        l.scenario.services.iter().map(|s| (s.service_name.as_str(), &s.placement_strategy, Place::Name(&s.service_name)));
    let mut updates = 0;
    let steps = l.scenario.steps.iter().filter_map(|step| match &step.action {
        Action::Ecs(Request::CreateService(r)) => {
            Some((r.service_name.as_str(), &r.placement_strategy, Place::Name(&r.service_name)))
        }
        Action::Ecs(Request::UpdateService(r)) => {
            updates += 1;
            r.placement_strategy.as_ref().map(|rules| (r.service.as_str(), rules, Place::Update(updates - 1)))
        }
        _ => None,
    });
    // Steps that name instance-group instances the step cannot reach: one that names no cluster
    // (ECS then takes `default`) while its instances are in another, and one at a fixed time
    // before an instance it names registers (ECS answers MISSING, and the step passes doing
    // nothing to it). A group's name stands for its members.
    let groups: BTreeMap<&str, &InstanceGroup> = l.scenario.instances.iter().map(|g| (g.name.as_str(), g)).collect();
    // An instance named in a step (a group of one's name, or `GROUP-K` of a bigger group), or a
    // bigger group's name (its members): each with its cluster and registration time.
    let of = |name: &str| -> Vec<(String, &str, i64)> {
        fn at(g: &InstanceGroup) -> (&str, i64) {
            (g.cluster.as_deref().unwrap_or("default"), g.register_at_ms)
        }
        if let Some(g) = groups.get(name) {
            let (cluster, registers) = at(g);
            return group_member_names(&g.name, g.count).into_iter().map(|n| (n, cluster, registers)).collect();
        }
        let member_of = name.rsplit_once('-').and_then(|(group, k)| {
            let g = groups.get(group)?;
            k.parse::<u32>().ok().filter(|k| g.count > 1 && (1..=g.count).contains(k)).map(|_| *g)
        });
        member_of.map_or(Vec::new(), |g| {
            let (cluster, registers) = at(g);
            vec![(name.to_string(), cluster, registers)]
        })
    };
    for (n, step) in l.scenario.steps.iter().enumerate() {
        let (cluster, named, what): (Option<&str>, &[String], &str) = match &step.action {
            Action::DrainInstances(p) if p.filter.is_none() => (p.cluster.as_deref(), &p.instances, "drains"),
            Action::ActivateInstances(p) if p.filter.is_none() => (p.cluster.as_deref(), &p.instances, "activates"),
            Action::DeregisterInstances(p) if p.filter.is_none() => (p.cluster.as_deref(), &p.instances, "deregisters"),
            _ => continue,
        };
        let resolved: Vec<(String, &str, i64)> = named.iter().flat_map(|i| of(i)).collect();
        let Some((first, its_cluster, _)) = resolved.first() else { continue };
        if cluster.is_none() && *its_cluster != "default" && resolved.iter().all(|(_, c, _)| c == its_cluster) {
            out.push(l.error_at_position(
                locate(&l.source, "do:", n),
                format!(
                    "the step {what} {first} of cluster '{its_cluster}' but names no cluster, so ECS takes the `default` \
                     cluster, which does not hold it: give `cluster: \"{its_cluster}\"`"
                ),
            ));
        }
        if let Some(at) = step.at_ms {
            if let Some((late, _, registers)) = resolved.iter().find(|(_, _, r)| *r > 0 && (*r as u64) > at) {
                out.push(l.error_at_position(
                    locate(&l.source, "do:", n),
                    format!(
                        "the step at {} {what} {late}, which registers at {}: ECS does not know it yet, so the call \
                         answers MISSING for it and the step does nothing to it",
                        drainsim_core::time::format_sim_time(at),
                        drainsim_core::time::format_sim_time(*registers as u64)
                    ),
                ));
            }
        }
    }
    // A group that starts DRAINING at time 0 opens its cluster's drain window before a service
    // that has not deployed yet (its runningTasks short of its desired count) is steady: that
    // service's first deployment then counts as a floor breach of the drain (preExistingDeficit,
    // docs/draining.md "Observations"). One warning per group, naming the first such service.
    for g in l.scenario.instances.iter().filter(|g| g.status.as_deref() == Some("DRAINING") && g.at_time_zero()) {
        let cluster = g.cluster.as_deref().unwrap_or("default");
        let deploying = l.scenario.services.iter().find_map(|sv| {
            let desired = u64::try_from(sv.desired_count?).ok().filter(|d| *d > 0)?;
            if sv.cluster.as_deref().unwrap_or("default") != cluster {
                return None;
            }
            let running: u64 = l
                .scenario
                .running_tasks
                .iter()
                .filter(|r| r.service.as_deref() == Some(sv.service_name.as_str()))
                .map(|r| u64::from(r.count))
                .sum();
            (running < desired).then_some((sv.service_name.as_str(), running, desired))
        });
        if let Some((service, running, desired)) = deploying {
            out.push(l.error_after(
                &format!("\"{}\"", g.name),
                "\"DRAINING\"",
                format!(
                    "instance group '{}' starts DRAINING at time 0, before service '{service}' has deployed (its runningTasks \
                     give {running} of its {desired} tasks): its first deployment's shortfall counts as a floor breach of the \
                     drain (preExistingDeficit); give its tasks as runningTasks, or drain the group with a DrainInstances \
                     step once the services are steady",
                    g.name
                ),
            ));
        }
    }
    // A task definition whose containers reserve more GPUs than any instance registers: a group
    // of GPU instances given without its `gpus` (the most likely cause) leaves its tasks unplaced.
    // A step's `platformDevices` count as RegisterContainerInstance counts them; a list it refuses
    // registers nothing.
    let registered_by_steps = l.scenario.steps.iter().filter_map(|step| match &step.action {
        Action::Ecs(Request::RegisterContainerInstance(r)) => drainsim_core::platform_device_gpus(&r.platform_devices).ok(),
        _ => None,
    });
    let most_gpus = l
        .scenario
        .instances
        .iter()
        .map(|g| g.gpus)
        .chain(l.scenario.auto_scaling_groups.iter().map(|g| g.gpus))
        .chain(registered_by_steps)
        .max();
    for td in &l.scenario.task_definitions {
        // A definition RegisterTaskDefinition refuses is refused when the scenario sets up.
        let Ok(reserved) = drainsim_core::task_definition_gpus(&td.container_definitions) else { continue };
        if reserved > 0 && most_gpus.is_none_or(|most| reserved > most) {
            let (line, column) = locate_field_value(&l.source, "family", &td.family).unwrap_or((1, 1));
            out.push(ScenarioError {
                file: l.file.clone(),
                line,
                column,
                message: format!(
                    "task definition '{}' reserves {reserved} GPU{}, but no instance group, Auto Scaling group or RegisterContainerInstance step registers that many (`gpus`, {} at most): its tasks cannot be placed (RESOURCE:GPU)",
                    td.family,
                    if reserved == 1 { "" } else { "s" },
                    most_gpus.unwrap_or(0)
                ),
            });
        }
    }
    for (service, rules, place) in setup.chain(steps) {
        // An invalid list is refused when the service is created; only a valid one is warned of.
        let Ok(applied) = drainsim_core::placement_rules_applied(rules) else { continue };
        if applied < rules.len() {
            let rule = |r: &drainsim_core::api::PlacementStrategy| match &r.field {
                Some(f) => format!("{} {f}", r.strategy_type),
                None => r.strategy_type.clone(),
            };
            let ignored: Vec<String> = rules[applied..].iter().map(rule).collect();
            let (line, column) = match place {
                Place::Name(name) => locate_field_value(&l.source, "serviceName", name),
                Place::Update(nth) => locate(&l.source, "UpdateService", nth),
            }
            .unwrap_or((1, 1));
            out.push(ScenarioError {
                file: l.file.clone(),
                line,
                column,
                message: format!(
                    "service '{service}': drainsim does not apply placementStrategy rule {} and after ({}): it breaks the ties of '{}' by its own rule, where ECS picks among the tied instances by '{}', so placements may differ (docs/ecs-choices.md, Placement strategies and tie-breaks)",
                    applied + 1,
                    ignored.join(", "),
                    rule(&rules[applied - 1]),
                    rule(&rules[applied]),
                ),
            });
        }
    }
    // A service behind a Classic Load Balancer whose container port has a dynamic host port: "Classic
    // Load Balancers currently require a fixed relationship between the load balancer port and
    // the container instance port", so at most one task of the service per instance
    // (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/load-balancer-types.html).
    // drainsim places it as any dynamic port, several to an instance: a drain can then look easier
    // than it is. (ECS's response to such a service is not documented, so it is not refused.)
    for svc in &l.scenario.services {
        for lb in svc.load_balancers.iter().filter(|lb| lb.load_balancer_name.is_some()) {
            let td = l.scenario.task_definitions.iter().rev().find(|t| {
                let family = svc.task_definition.split(':').next().unwrap_or_default();
                t.family == family
            });
            let (Some(td), Some(name), Some(port)) = (td, lb.container_name.as_deref(), lb.container_port) else { continue };
            let dynamic = td.network_mode.as_deref().is_none_or(|m| m == "bridge")
                && td
                    .container_definitions
                    .iter()
                    .filter(|c| c.name == name)
                    .flat_map(|c| &c.port_mappings)
                    .any(|pm| pm.container_port == Some(port) && pm.host_port.is_none_or(|h| h == 0));
            if dynamic {
                out.push(l.error_at(
                    &format!("\"{}\"", svc.service_name),
                    format!(
                        "service '{}': its Classic Load Balancer forwards to a fixed instance port, but container port {port} has a dynamic host port: ECS needs a static hostPort behind a Classic Load Balancer (one task per instance); drainsim places its tasks as any dynamic port's, several to an instance",
                        svc.service_name
                    ),
                ));
            }
        }
    }
    out
}

/// Parses and checks a scenario from text; `file` names it in errors.
pub fn load_str(file: &str, source: &str) -> Result<LoadedScenario, ScenarioError> {
    load_string(file, source.to_string())
}

/// [`load_str`] of a text the loaded scenario keeps (a file's text, or a scenario written by
/// `compare --set`, is not copied).
pub(crate) fn load_string(file: &str, source: String) -> Result<LoadedScenario, ScenarioError> {
    load_string_keeping_text(file, source).map_err(|(e, _)| e)
}

/// [`load_string`], giving the text back with an error (for a caller whose text is in no file, to
/// quote the line the error is at).
pub(crate) fn load_string_keeping_text(file: &str, mut source: String) -> Result<LoadedScenario, (ScenarioError, String)> {
    // A byte order mark (some editors write one) is not part of the text: columns are counted
    // without it, as the editor shows them.
    if source.starts_with('\u{feff}') {
        source.drain(..'\u{feff}'.len_utf8());
    }
    let scenario = match parse(file, &source) {
        Ok(s) => s,
        Err(e) => return Err((e, source)),
    };
    let loaded = LoadedScenario { file: file.to_string(), source, scenario };
    match check(&loaded) {
        Ok(()) => Ok(loaded),
        Err(e) => Err((e, loaded.source)),
    }
}

/// Whether a scenario text is JSON: its first character that is not white space is `{` (a RON
/// scenario starts with `Scenario(`, `(`, a comment or an attribute, never with `{`).
pub fn is_json(source: &str) -> bool {
    source.trim_start().starts_with('{')
}

/// A JSON file that does not read as a scenario because it is something else a user has at hand:
/// the output of an AWS CLI command (`drainsim import` reads those) or a report of drainsim's own,
/// said as such at its start rather than as its first field a scenario does not have. None for
/// anything else (read only when the scenario did not parse).
fn not_a_scenario(file: &str, source: &str) -> Option<ScenarioError> {
    let top: serde_json::Map<String, serde_json::Value> = serde_json::from_str(source).ok()?;
    let error = |message: String| Some(ScenarioError { file: file.to_string(), line: 1, column: 1, message });
    if ["reportVersion", "sweepVersion", "compareVersion", "totalDrainMs"].iter().any(|k| top.contains_key(*k)) {
        return error("a drainsim report (of run, sweep, compare or explain --json), not a scenario".to_string());
    }
    if ["statesVisited", "distinctStates"].iter().all(|k| top.contains_key(*k)) {
        return error(
            "a drainsim explore report (explore --json), not a scenario: a counterexample's scenario is the file \
             explore writes under --out (target/counterexamples by default)"
                .to_string(),
        );
    }
    // Every scenario has a `name`; no AWS CLI output has one at its top.
    if top.contains_key("name") {
        return None;
    }
    let (_, command) = crate::input::CLI_OUTPUTS.iter().find(|(key, _)| top.contains_key(*key))?;
    error(format!(
        "the output of the AWS CLI's {command}, not a scenario: `drainsim import DIR -o cluster.ron` writes a scenario \
         from a directory of such outputs (docs/import.md)"
    ))
}

/// Parses a scenario, RON or JSON ([`is_json`]): the same fields, read by the same derived
/// `Deserialize` (docs/scenario-format.md, "JSON").
fn parse(file: &str, source: &str) -> Result<Scenario, ScenarioError> {
    if is_json(source) {
        return serde_json::from_str(source)
            .map_err(|e| not_a_scenario(file, source).unwrap_or_else(|| json_error(file, source, &e)));
    }
    ron_options().from_str(source).map_err(|e| {
        let (line, mut column) = skip_blanks(source, e.span.start.line, e.span.start.col);
        let trailing = e.code == ron::Error::TrailingCharacters;
        // The library's own advice on its recursion limit speaks to Rust programmers.
        let message = match e.code {
            ron::Error::ExceededRecursionLimit => "values nested too deeply".to_string(),
            ron::Error::IntegerOutOfBounds => {
                let (at, message) = out_of_range(source, line, column);
                column = at;
                message
            }
            ron::Error::NoSuchStructField { expected, found, .. } => unknown_name("field", &found, expected),
            ron::Error::NoSuchEnumVariant { expected, found, .. } => unknown_name("variant", &found, expected),
            ron::Error::MissingStructField { field, .. } => format!("missing field `{field}`"),
            ron::Error::DuplicateStructField { field, .. } => format!("duplicate field `{field}`"),
            ron::Error::ExpectedNamedStructLike("Scenario") if source.trim().is_empty() => {
                "the file is empty: a scenario is `Scenario(…)` (docs/scenario-format.md)".to_string()
            }
            ron::Error::ExpectedNamedStructLike("Scenario") => "expected `Scenario(`".to_string(),
            ron::Error::ExpectedNamedStructLike(_) => "expected `(`, opening a structure of fields".to_string(),
            ron::Error::ExpectedDifferentStructName { expected: "Scenario", found } => {
                // The name as the file spells it where the error points: `Foo(` when a `(`
                // follows it, `hello` alone.
                let at = source
                    .lines()
                    .nth(line.saturating_sub(1))
                    .map_or("", |l| l.char_indices().nth(column.saturating_sub(1)).map_or("", |(i, _)| &l[i..]));
                let paren =
                    if at.strip_prefix(found.as_str()).is_some_and(|rest| rest.trim_start().starts_with('(')) { "(" } else { "" };
                format!("expected `Scenario(`, found `{found}{paren}`")
            }
            ron::Error::ExpectedDifferentStructName { found, .. } => {
                format!("unexpected name `{found}` before `(`: the structure of fields here takes no name")
            }
            // A bare number where the format takes a name: most often a comparison written
            // without its variant (`FloorBreaches("web", 0)`).
            ron::Error::SuggestRawIdentifier(found) if found.parse::<f64>().is_ok() => format!(
                "expected a name or a value, found `{found}` (a comparison is written `Eq({found})`, `AtLeast({found})`, \
                 `AtMost({found})` or `Null`)"
            ),
            ron::Error::SuggestRawIdentifier(found) => format!("expected a name or a value, found `{found}`"),
            // A value of the wrong kind: said with the field it was written for (`cpu: "256"`,
            // where a container's `cpu` is a number and a task definition's a string).
            code @ (ron::Error::ExpectedInteger
            | ron::Error::ExpectedFloat
            | ron::Error::ExpectedBoolean
            | ron::Error::ExpectedString
            | ron::Error::ExpectedArray
            | ron::Error::ExpectedMap) => {
                let message = sentence_start(without_type_names(&code.to_string()));
                match field_before(source, line, column) {
                    Some(field) => format!("{message} for `{field}`"),
                    None => message,
                }
            }
            code => sentence_start(without_type_names(&code.to_string())),
        };
        // A file cut short: RON reports what it expected at the end of the text, or inside a
        // comment that ends the file without a line break (`// only a comment`): nothing but
        // blanks and comments follows.
        let comments = scan(source).comments;
        let at = byte_offset(source, line, column);
        let in_comment = comments.iter().any(|c| c.contains(&at));
        let blank_outside_comments = |from: usize| {
            let mut i = from;
            let mut blank = true;
            for c in comments.iter().filter(|c| c.end > from) {
                blank &= source[i..c.start.max(i)].trim().is_empty();
                i = i.max(c.end);
            }
            blank && source[i.min(source.len())..].trim().is_empty()
        };
        let rest_blank = blank_outside_comments(at);
        let code_is_blank = blank_outside_comments(0);
        // A file cut inside a name, within the scenario's parentheses: RON reads the part as a
        // whole name (`unknown field `Availabili``), but nothing follows it.
        let name_end = at
            + source
                .get(at..)
                .map_or(0, |rest| rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len()));
        let cut_in_name =
            name_end > at && !trailing && !in_comment && source[..at].contains('(') && blank_outside_comments(name_end);
        // A decimal where a whole number goes (`desiredCount: 12.5`): RON stops at the point
        // (`expected comma`); the number is named, from its first digit.
        // A plain decimal only: not `1_000.5`, `0x10.5`, `1.5e3` or `1.2.3`, which RON's message
        // describes as well as any.
        let digits_before = source[..at].bytes().rev().take_while(u8::is_ascii_digit).count();
        let word_byte = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'.';
        let decimal = digits_before > 0
            && source[at..].starts_with('.')
            && source[at + 1..].starts_with(|c: char| c.is_ascii_digit())
            && !source[..at - digits_before].bytes().next_back().is_some_and(word_byte)
            && !source[at + 1..].bytes().find(|b| !b.is_ascii_digit()).is_some_and(word_byte);
        let (mut line, mut column) = (line, column);
        let message = if decimal {
            let start = at - digits_before - usize::from(source[..at - digits_before].ends_with('-'));
            let end = at + 1 + source[at + 1..].bytes().take_while(u8::is_ascii_digit).count();
            column -= at - start;
            format!("expected a whole number, found `{}`", &source[start..end])
        } else if cut_in_name {
            format!("the file ends before the scenario does, inside the name `{}`", &source[at..name_end])
        } else if rest_blank && !code_is_blank && !trailing {
            format!("the file ends before the scenario does: {message}")
        } else if rest_blank && !trailing && !source.trim().is_empty() {
            "the file has no scenario: only comments".to_string()
        } else {
            message
        };
        if rest_blank && in_comment {
            // Said at the end of the file, not inside the comment.
            line = source.lines().count().max(1);
            column = source.lines().last().map_or(0, |t| t.chars().count()) + 1;
        }
        ScenarioError { file: file.to_string(), line, column, message }
    })
}

/// The byte offset of 1-based `line` and `column` (in characters) in `source`, or its end.
fn byte_offset(source: &str, line: usize, column: usize) -> usize {
    let mut offset = 0;
    for (n, text) in source.split_inclusive('\n').enumerate() {
        if n + 1 == line {
            return offset + text.char_indices().nth(column.saturating_sub(1)).map_or(text.len(), |(i, _)| i);
        }
        offset += text.len();
    }
    source.len()
}

/// The field whose value starts at `line` and `column` (`cpu` for `cpu: "256"`), if a field name
/// and a colon come right before it.
fn field_before(source: &str, line: usize, column: usize) -> Option<String> {
    let text = source.lines().nth(line.checked_sub(1)?)?;
    let at = text.char_indices().nth(column.saturating_sub(1)).map_or(text.len(), |(i, _)| i);
    let before = text[..at].trim_end().strip_suffix(':')?.trim_end();
    let start = before.trim_end_matches(|c: char| c.is_ascii_alphanumeric() || c == '_').len();
    Some(before[start..].to_string()).filter(|name| !name.is_empty())
}

/// A name the format does not have where it was written — a field, or a variant (a step's action,
/// an expectation, a fault) — in one wording for RON and JSON, without the Rust type it was read
/// into: the name, the closest one the format has there ([`did_you_mean`]) and every one it has.
fn unknown_name(kind: &str, found: &str, expected: &[&str]) -> String {
    let mut closest = did_you_mean(found, expected.iter().copied());
    // A name cut short (`TerminateInstance` for `TerminateInstanceInAutoScalingGroup`): the one
    // name it begins, if only one.
    let lower = found.to_lowercase();
    let begun: Vec<&&str> = expected.iter().filter(|e| lower.len() >= 4 && e.to_lowercase().starts_with(&lower)).collect();
    if let ([only], true) = (begun.as_slice(), closest.is_empty()) {
        closest = format!(" (did you mean '{only}'?)");
    }
    let allowed = match expected {
        [] => format!("no {kind} is allowed here"),
        [one] => format!("expected `{one}`"),
        _ => format!("expected one of {}", expected.iter().map(|e| format!("`{e}`")).collect::<Vec<_>>().join(", ")),
    };
    format!("unknown {kind} `{found}`{closest}; {allowed}")
}

/// serde_json's refusal of an unknown field or variant (``unknown field `x`, expected one of `a`,
/// `b` ``, ``… expected `a` or `b` ``, ``… there are no fields``) in [`unknown_name`]'s words;
/// any other message as it is.
fn with_closest_name(message: String) -> String {
    for kind in ["field", "variant"] {
        let Some(rest) = message.strip_prefix(&format!("unknown {kind} `")) else { continue };
        let Some((found, rest)) = rest.split_once('`') else { break };
        // The names the message lists are every other piece between backquotes.
        let expected: Vec<&str> = rest.split('`').skip(1).step_by(2).collect();
        return unknown_name(kind, found, &expected);
    }
    message
}

/// RON's "Integer is out of bounds" (a number outside its field's type: `seed: -1`), at its
/// `line` and `column` (RON points past a minus sign): the column of the number's first
/// character, and a message with the number and what it was written for — the field (`seed`),
/// else the variant whose argument it is (`AtLeast(-1)`). RON does not say which type it wanted;
/// the scenario format gives each field's range.
fn out_of_range(source: &str, line: usize, column: usize) -> (usize, String) {
    let Some(text) = source.lines().nth(line.saturating_sub(1)) else {
        return (column, "a number is out of range".to_string());
    };
    let mut at = text.char_indices().nth(column.saturating_sub(1)).map_or(text.len(), |(i, _)| i);
    let mut column = column;
    if at > 0 && matches!(text.as_bytes()[at - 1], b'-' | b'+') {
        at -= 1;
        column -= 1;
    }
    let number: String = text[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || "+-_.".contains(*c)).collect();
    let number = if number.is_empty() { "the number".to_string() } else { number };
    let line_start: usize = source.split_inclusive('\n').take(line.saturating_sub(1)).map(str::len).sum();
    let before = source[..line_start + at].trim_end();
    let ident = |rest: &str| -> Option<String> {
        let rest = rest.trim_end();
        let start = rest.trim_end_matches(|c: char| c.is_ascii_alphanumeric() || c == '_').len();
        Some(rest[start..].to_string()).filter(|name| !name.is_empty())
    };
    let of = before.strip_suffix(':').or_else(|| before.strip_suffix('(')).and_then(ident).or_else(|| {
        // A later argument of a variant (`DrainCompletedWithin("old", 18446744073709551616)`):
        // the name before the `(` the argument list opens.
        let args = before.strip_suffix(',')?;
        let mut depth = 0usize;
        for (i, c) in args.char_indices().rev() {
            match c {
                ')' | ']' => depth += 1,
                '(' | '[' if depth > 0 => depth -= 1,
                '(' => return ident(&args[..i]),
                '[' => return None,
                _ => {}
            }
        }
        None
    });
    let mut message = match of {
        Some(name) => format!("{number} is out of range for `{name}`"),
        None => format!("{number} is out of range here"),
    };
    message.push_str(never_negative(&number));
    (column, message)
}

/// What to add to "N is out of range" when N is a small negative number: no signed field refuses
/// one (each holds at least an `i8`), so the field takes no negative number at all.
pub(crate) fn never_negative(number: &str) -> &'static str {
    if number.replace('_', "").parse::<i64>().is_ok_and(|n| (-128..0).contains(&n)) {
        ": it is never negative"
    } else {
        ""
    }
}

/// serde's message without Rust's type names: `expected u32` becomes `expected a whole number
/// from 0 to 4294967295` (the range the field takes), `expected u64` `expected a whole number, 0
/// or more`, `expected struct …` `expected a structure of fields`.
pub(crate) fn plain_serde_message(text: &str) -> String {
    let ranges = [
        ("i8", format!("a whole number from {} to {}", i8::MIN, i8::MAX)),
        ("i16", format!("a whole number from {} to {}", i16::MIN, i16::MAX)),
        ("i32", format!("a whole number from {} to {}", i32::MIN, i32::MAX)),
        // A number past i64's range was a whole number too: the range says why it is refused.
        ("i64", format!("a whole number from {} to {}", i64::MIN, i64::MAX)),
        ("u8", format!("a whole number from 0 to {}", u8::MAX)),
        ("u16", format!("a whole number from 0 to {}", u16::MAX)),
        ("u32", format!("a whole number from 0 to {}", u32::MAX)),
        ("u64", "a whole number, 0 or more".to_string()),
        ("usize", "a whole number, 0 or more".to_string()),
    ];
    // Text, or a number with a fraction or an exponent, where a 64-bit number belongs: its range
    // (19 digits each way) says nothing about why it is refused
    // (`--set web.deploymentConfiguration.maximumPercent=abc`, `--set web.desiredCount=1e30`).
    let text_given = text.contains("invalid type: string") || text.contains("invalid type: floating point");
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("expected ") {
        let (before, after) = rest.split_at(at + "expected ".len());
        let word_len = after.find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(after.len());
        let (word, tail) = after.split_at(word_len);
        out.push_str(before);
        match ranges.iter().find(|(name, _)| *name == word) {
            Some(_) if text_given && word == "i64" => out.push_str("a whole number"),
            Some((_, words)) => out.push_str(words),
            None => out.push_str(word),
        }
        rest = tail;
    }
    out.push_str(rest);
    // serde's name for a JSON number with a fraction or an exponent (`1e10` reads as one).
    let out = out.replace("invalid type: floating point `", "invalid type: a number written with a fraction or an exponent, `");
    without_type_names(&out)
}

/// A serde or RON message with the Rust types it names in the scenario format's words: a struct
/// (`struct InstanceGroup`, ``struct `WaitSpec` ``) is `a structure of fields`, a variant of an
/// enum (`tuple variant Expectation::InstanceStatus`) is the variant's name as the format writes
/// it, an enum (`enum Comparison`) `a name`.
pub(crate) fn without_type_names(text: &str) -> String {
    // Longest first: `struct ` is also the end of `tuple struct ` and the start of `struct variant `.
    /// A kind of Rust type as serde and RON name it, and its words given the type's path.
    type Kind = (&'static str, fn(&str) -> String);
    let kinds: [Kind; 7] = [
        ("tuple variant ", |path| format!("a list of values for `{}`", last_segment(path))),
        ("struct variant ", |path| format!("the fields of `{}`", last_segment(path))),
        ("newtype variant ", |path| format!("the value of `{}`", last_segment(path))),
        ("unit variant ", |path| format!("`{}`", last_segment(path))),
        ("tuple struct ", |_| "a list of values".to_string()),
        ("struct ", |_| "a structure of fields".to_string()),
        ("enum ", |_| "a name".to_string()),
    ];
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    'scan: while !rest.is_empty() {
        for (kind, words) in &kinds {
            let at_word = out.is_empty() || out.ends_with(|c: char| !c.is_ascii_alphanumeric() && c != '_');
            let Some(after) = rest.strip_prefix(kind).filter(|_| at_word) else { continue };
            let quoted = after.starts_with('`');
            let body = after.trim_start_matches('`');
            let len = body.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':')).unwrap_or(body.len());
            let path = &body[..len];
            // A Rust type's name begins with a capital (`struct fields` is English).
            if !path.starts_with(|c: char| c.is_ascii_uppercase()) {
                continue;
            }
            out.push_str(&words(path));
            rest = &body[len..];
            if quoted {
                rest = rest.strip_prefix('`').unwrap_or(rest);
            }
            // A struct read from a list counts its fields as elements (`struct SweepReport with
            // 14 elements`): fields are named in the format, not counted.
            if *kind == "struct " {
                let counted = rest.strip_prefix(" with ").map(|r| r.trim_start_matches(|c: char| c.is_ascii_digit()));
                if let Some(after) = counted.and_then(|r| r.strip_prefix(" elements").or_else(|| r.strip_prefix(" element"))) {
                    rest = after;
                }
            }
            continue 'scan;
        }
        let mut chars = rest.chars();
        out.extend(chars.next());
        rest = chars.as_str();
    }
    out
}

/// RON's messages begin with a capital (`Expected comma`); drainsim's, after the place, do not.
fn sentence_start(message: String) -> String {
    let mut chars = message.chars();
    match (chars.next(), chars.next()) {
        (Some(first), Some(second)) if first.is_ascii_uppercase() && second.is_ascii_lowercase() => {
            first.to_ascii_lowercase().to_string() + &message[1..]
        }
        _ => message,
    }
}

/// The last segment of a path (`InstanceStatus` of `Expectation::InstanceStatus`).
fn last_segment(path: &str) -> &str {
    path.rsplit("::").next().unwrap_or(path)
}

/// A JSON parse error at the place it is about. serde_json's message ends with the position, which
/// the error carries apart, and the position counts bytes (a scenario error's column counts
/// characters); an unknown field or variant, and a value of the wrong type, are reported after
/// them, so the error points at the name's quote or the value's start instead.
fn json_error(file: &str, source: &str, e: &serde_json::Error) -> ScenarioError {
    let text = e.to_string();
    let message = plain_serde_message(text.rsplit_once(" at line ").map_or(text.as_str(), |(m, _)| m));
    let line_start: usize = source.split_inclusive('\n').take(e.line().saturating_sub(1)).map(str::len).sum();
    let line = source[line_start..].lines().next().unwrap_or_default();
    let reported = char_boundary(line, e.column());
    let named = ["unknown field `", "unknown variant `"]
        .iter()
        .find_map(|p| message.strip_prefix(p))
        .and_then(|rest| rest.split_once('`'))
        .and_then(|(name, _)| line[..reported].rfind(&format!("\"{name}\"")));
    // A number past every float (`1e400`) is refused as the parser reads it, not as a value of
    // its field; it is said as one too big for its field all the same.
    let past_every_float = message == "number out of range";
    let value = (e.classify() == serde_json::error::Category::Data || past_every_float).then(|| token_start(line, reported));
    let at = named.or(value).unwrap_or_else(|| char_boundary(line, e.column().saturating_sub(1)));
    let message = match value {
        Some(start) => json_out_of_range(&source[..line_start + start], &line[start..], &message).unwrap_or(message),
        None => message,
    };
    let (line, column) = position(source, line_start + at);
    ScenarioError { file: file.to_string(), line, column, message: with_closest_name(message) }
}

/// serde_json's refusal of a whole number too big for its field (``invalid value: integer
/// `18446744073709551615`, expected a whole number``), or past every whole number, which JSON
/// reads as a fraction (``invalid type: floating point `1.8446744073709552e+19` ``): the number as
/// written, out of range for the field it was written for (``"memory": `` in `before`), as RON's
/// is said ([`out_of_range`]). None for any other message.
fn json_out_of_range(before: &str, token: &str, message: &str) -> Option<String> {
    let past_every_float = message == "number out of range";
    let number: String = if past_every_float {
        token.chars().take_while(|c| c.is_ascii_alphanumeric() || "+-.".contains(*c)).collect()
    } else {
        token.chars().take_while(|c| c.is_ascii_digit() || *c == '-' || *c == '+').collect()
    };
    let whole = !number.is_empty() && !token[number.len()..].starts_with(['.', 'e', 'E']);
    let expected = message.split_once(", expected ").map(|(_, e)| e);
    let too_big = message.starts_with("invalid value: integer `")
        || message.starts_with("invalid type: a number written with a fraction or an exponent, `");
    if !(whole && too_big || past_every_float && !number.is_empty()) {
        return None;
    }
    let field = before.trim_end().strip_suffix(':').map(str::trim_end).and_then(|b| b.strip_suffix('"'));
    let field = field.and_then(|b| b.rfind('"').map(|q| &b[q + 1..]));
    let of = field.map_or_else(|| "here".to_string(), |f| format!("for `{f}`"));
    Some(match expected {
        Some(range) => format!("{number} is out of range {of}: expected {range}"),
        None => format!("{number} is out of range {of}"),
    })
}

/// Where the JSON token that ends at byte `end` of a line starts: a string's opening quote, or the
/// first character of a number or literal (`end` itself after anything else).
fn token_start(line: &str, end: usize) -> usize {
    let before = &line[..end];
    if let Some(body) = before.strip_suffix('"') {
        // The opening quote: the last `"` not escaped by an odd run of backslashes.
        let mut at = body.len();
        while let Some(q) = body[..at].rfind('"') {
            let backslashes = body[..q].len() - body[..q].trim_end_matches('\\').len();
            if backslashes % 2 == 0 {
                return q;
            }
            at = q;
        }
        return end;
    }
    before.trim_end_matches(|c: char| c.is_ascii_alphanumeric() || "+-.".contains(c)).len()
}

/// The largest character boundary of `line` at or before byte `at`.
fn char_boundary(line: &str, at: usize) -> usize {
    let mut end = at.min(line.len());
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    end
}

/// Reads, parses and checks a scenario file.
pub fn load_file(path: &Path) -> Result<LoadedScenario, ScenarioError> {
    let file = path.display().to_string();
    // A file that cannot be read has no place in it to point at: no line or column.
    let bytes = crate::input::read_bounded(path, crate::input::MAX_SCENARIO_BYTES).map_err(|e| ScenarioError {
        file: file.clone(),
        line: 0,
        column: 0,
        message: format!("{file}: cannot read the file: {e}"),
    })?;
    let source = String::from_utf8(bytes).map_err(|e| {
        let (line, column, byte) = crate::input::first_byte_not_utf8(&e);
        ScenarioError { file: file.clone(), line, column, message: format!("the file is not valid UTF-8 (byte 0x{byte:02X})") }
    })?;
    load_string(&file, source)
}

fn check(l: &LoadedScenario) -> Result<(), ScenarioError> {
    let s = &l.scenario;
    if let Some((at, message)) = control_character(&l.source) {
        return Err(l.error_at_position(Some(position(&l.source, at)), message));
    }
    if s.name.trim().is_empty() {
        return Err(l.error_at("name", "the scenario needs a non-empty name"));
    }
    if let Some(message) = s.latest_agent_version.as_deref().and_then(drainsim_core::latest_agent_version_refusal) {
        let (line, column) = locate(&l.source, "latestAgentVersion", 0).unwrap_or((1, 1));
        return Err(ScenarioError { file: l.file.clone(), line, column, message });
    }
    // They go into every ARN: an account ID is 12 digits, a Region lowercase words and a number
    // joined by hyphens (us-east-1, us-gov-west-1).
    if let Some(refusal) = s.account_id.as_deref().and_then(drainsim_core::account_id_refusal) {
        return Err(l.error_at("accountId", refusal));
    }
    if s.subnet_zones.len() > drainsim_core::MAX_SUBNET_ZONES {
        return Err(l.error_at(
            "subnetZones",
            format!("subnetZones lists {} subnets; at most {}", s.subnet_zones.len(), drainsim_core::MAX_SUBNET_ZONES),
        ));
    }
    if let Some((subnet, refusal)) =
        s.subnet_zones.iter().find_map(|(subnet, zone)| drainsim_core::subnet_zone_refusal(subnet, zone).map(|r| (subnet, r)))
    {
        let (line, column) = locate_in_literal(&l.source, ("subnetZones", 0), subnet, 0, 0)
            .or_else(|| locate(&l.source, "subnetZones", 0))
            .unwrap_or((1, 1));
        return Err(ScenarioError { file: l.file.clone(), line, column, message: refusal });
    }
    if let Some(refusal) = s.region.as_deref().and_then(drainsim_core::region_refusal) {
        return Err(l.error_at("region", refusal));
    }
    // Sizes.
    let mut total: u64 = 0;
    for (n, g) in s.instances.iter().enumerate() {
        total += g.count as u64;
        if total > MAX_INSTANCES {
            let _ = n;
            let at = locate_after(&l.source, &format!("\"{}\"", g.name), "count:")
                .or_else(|| locate(&l.source, &format!("\"{}\"", g.name), 0));
            return Err(l.error_at_position(
                at,
                format!("the scenario declares more than {MAX_INSTANCES} instances (group '{}' brings it to {total})", g.name),
            ));
        }
        if let Some((field, why)) = registered_size_refusal(g.cpu, g.memory, g.gpus) {
            let name = format!("\"{}\"", g.name);
            let at = locate_after(&l.source, &name, field).or_else(|| locate(&l.source, &name, 0));
            return Err(l.error_at_position(at, format!("instance group '{}': {why}", g.name)));
        }
        // An instance registered before the run may have been launched again since it registered
        // (EC2 stopped and started it: a new `LaunchTime`) and kept its container instance: it
        // launched at time 0 at the latest.
        if let Some(launched) = g.launched_at_ms.filter(|t| *t > g.register_at_ms.max(0)) {
            let when = if g.register_at_ms < 0 { "time 0".to_string() } else { format!("its registerAtMs {}", g.register_at_ms) };
            return Err(l.error_after(
                &format!("\"{}\"", g.name),
                "launchedAtMs:",
                format!(
                    "instance group '{}': launchedAtMs {launched} is after {when}: EC2 launches an instance before it \
                     registers",
                    g.name
                ),
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
    // CreateService and UpdateService steps count too, each service at the largest desiredCount
    // it is ever given (a bound, not the peak: a service scaled down before another scales up
    // counts both): without them one step could ask a service for 1,000,000 tasks beside others.
    let mut largest: BTreeMap<&str, u64> =
        s.services.iter().map(|sv| (sv.service_name.as_str(), sv.desired_count.unwrap_or(0).max(0) as u64)).collect();
    let (mut creates, mut updates) = (0usize, 0usize);
    for st in &s.steps {
        let (name, desired, action, nth) = match &st.action {
            Action::Ecs(Request::CreateService(r)) => {
                creates += 1;
                (r.service_name.as_str(), r.desired_count, "CreateService", creates - 1)
            }
            Action::Ecs(Request::UpdateService(r)) => {
                updates += 1;
                (r.service.rsplit('/').next().unwrap_or(&r.service), r.desired_count, "UpdateService", updates - 1)
            }
            _ => continue,
        };
        let Some(desired) = desired.map(|d| d.max(0) as u64) else { continue };
        let was = largest.entry(name).or_insert(0);
        if desired > *was {
            tasks = tasks.saturating_add(desired - *was);
            *was = desired;
        }
        if tasks > MAX_TASKS {
            let (line, column) = step_field_position(&l.source, action, nth, "desiredCount", None);
            return Err(ScenarioError {
                file: l.file.clone(),
                line,
                column,
                message: format!(
                    "the scenario asks for up to {tasks} tasks, each service counted at the largest desiredCount it is \
                     given (this {action} of '{name}' crosses the limit); at most {MAX_TASKS} are supported"
                ),
            });
        }
    }
    // Unique names: no two instances share a logical name, and the name of a group of several
    // instances is no instance's name (a drain plan names groups and instances alike, so
    // `DrainInstances(["new"])` must mean one thing). Reported at the later declaration.
    let mut names = BTreeSet::new();
    let mut groups_of_several = BTreeSet::new();
    for (k, g) in s.instances.iter().enumerate() {
        let at_this_group = |message: String| {
            let earlier = s.instances[..k].iter().filter(|h| h.name == g.name).count();
            let needle = format!("\"{}\"", g.name);
            let (line, column) = locate_nth_after(&l.source, "instances", &needle, earlier)
                .or_else(|| locate(&l.source, &needle, 0))
                .unwrap_or((1, 1));
            ScenarioError { file: l.file.clone(), line, column, message }
        };
        let members = group_member_names(&g.name, g.count);
        if let Some(n) = members.iter().find(|n| names.contains(*n) || groups_of_several.contains(*n)) {
            return Err(at_this_group(if names.contains(n) {
                format!("instance name '{n}' is declared twice")
            } else {
                format!("instance name '{n}' is already the name of an instance group; drain plans could not tell them apart")
            }));
        }
        if g.count > 1 && names.contains(&g.name) {
            return Err(at_this_group(format!(
                "instance group '{}' has the name of an instance declared before it; drain plans could not tell them apart",
                g.name
            )));
        }
        names.extend(members);
        if g.count > 1 {
            groups_of_several.insert(g.name.clone());
        }
    }
    check_auto_scaling(l, &mut names, &groups_of_several)?;
    if let Some(x) = &s.explore {
        if let Some(message) = crate::format::too_big_to_explore(s) {
            return Err(l.error_at("explore", message));
        }
        if x.max_faults > crate::format::MAX_EXPLORE_FAULTS {
            return Err(l.error_at(
                "maxFaults",
                format!(
                    "explore.maxFaults is {}; at most {} faults per path are supported",
                    x.max_faults,
                    crate::format::MAX_EXPLORE_FAULTS
                ),
            ));
        }
        if !(1..=drainsim_core::MAX_JITTER_VALUES).contains(&x.jitter_values) {
            return Err(l.error_at(
                "jitterValues",
                format!("explore.jitterValues is {}; it must be 1, 2 or {}", x.jitter_values, drainsim_core::MAX_JITTER_VALUES),
            ));
        }
        if x.choices.len() > crate::format::MAX_PINNED_CHOICES {
            return Err(l.error_at(
                "choices",
                format!(
                    "explore.choices has {} entries; at most {} are supported",
                    x.choices.len(),
                    crate::format::MAX_PINNED_CHOICES
                ),
            ));
        }
    }
    // The instances registered at time 0, before the first event (pinned faults need them).
    let at_time_zero: BTreeSet<String> = s
        .instances
        .iter()
        .filter(|g| g.at_time_zero())
        .flat_map(|g| group_member_names(&g.name, g.count))
        .chain(s.auto_scaling_groups.iter().flat_map(AutoScalingGroupSpec::initial_member_names))
        .collect();
    for step in &s.steps {
        if let Action::Ecs(Request::RegisterContainerInstance(r)) = &step.action {
            let n = &r.instance_identity.name;
            if groups_of_several.contains(n) {
                return Err(l.error_at(
                    &format!("\"{n}\""),
                    format!(
                        "instance name '{n}' is already the name of an instance group; drain plans could not tell them apart"
                    ),
                ));
            }
            names.insert(n.clone());
        }
    }
    let groups: BTreeSet<String> = s.instances.iter().map(|g| g.name.clone()).collect();
    // The services the scenario declares or creates in a step, by name. One cluster per service
    // name: ECS allows a name in several clusters, but expectations, `--set`, `explain` and the
    // reports name a service by its name alone, so two clusters' services of one name would be
    // read as one. Reported at the later declaration.
    let created = s.steps.iter().filter_map(|step| match &step.action {
        Action::Ecs(Request::CreateService(r)) => Some(r),
        _ => None,
    });
    // A service of the setup is created before any step registers a task definition: the family
    // it names (`web`, `web:3`, or an ARN's) must be one of `taskDefinitions`. ECS's own refusal
    // ("Unable to describe task definition") says less: which field, and the closest family.
    let families: BTreeSet<&str> = s.task_definitions.iter().map(|t| t.family.as_str()).collect();
    for (k, r) in s.services.iter().enumerate() {
        let reference = r.task_definition.as_str();
        let family = reference.rsplit('/').next().unwrap_or(reference);
        let family = family.split(':').next().unwrap_or(family);
        if !reference.is_empty() && !families.contains(family) {
            let hint = did_you_mean(family, families.iter().copied());
            return Err(l.error_at_literal(
                ("serviceName", k),
                reference,
                format!("service '{}' runs task definition '{reference}', which is not in taskDefinitions{hint}", r.service_name),
            ));
        }
    }
    let mut services: BTreeSet<String> = BTreeSet::new();
    let mut cluster_of: BTreeMap<&str, &str> = BTreeMap::new();
    for (n, r) in s.services.iter().chain(created).enumerate() {
        services.insert(r.service_name.clone());
        let cluster = r.cluster.as_deref().unwrap_or("default");
        match cluster_of.get(r.service_name.as_str()) {
            Some(other) if *other != cluster => {
                // The nth `serviceName` of the file (services come before steps).
                let needle = format!("\"{}\"", r.service_name);
                let at = locate_nth_value(&l.source, "serviceName", "serviceName", n, &needle)
                    .or_else(|| locate(&l.source, &needle, 0));
                return Err(l.error_at_position(
                    at,
                    format!(
                        "service '{}' is in clusters '{other}' and '{cluster}'; drainsim names a service by its name alone \
                         (expectations, --set, the reports), so a service name may be used in one cluster only",
                        r.service_name
                    ),
                ));
            }
            Some(_) => {}
            None => {
                cluster_of.insert(&r.service_name, cluster);
            }
        }
    }
    for g in &s.instances {
        match g.status.as_deref() {
            None | Some("ACTIVE") => {}
            Some("DRAINING") if g.at_time_zero() => {}
            Some(other) => {
                return Err(l.error_at(
                    &format!("\"{other}\""),
                    format!(
                        "instance group '{}' status '{other}': a group starts ACTIVE or, registered at time 0, DRAINING",
                        g.name
                    ),
                ))
            }
        }
        if g.count > 1 && (g.ec2_instance_id.is_some() || g.container_instance_id.is_some()) {
            return Err(l.error_at(
                &format!("\"{}\"", g.name),
                format!(
                    "instance group '{}' has {} instances; ec2InstanceId and containerInstanceId name one instance",
                    g.name, g.count
                ),
            ));
        }
    }
    let at_zero: BTreeSet<String> =
        s.instances.iter().filter(|g| g.at_time_zero()).flat_map(|g| group_member_names(&g.name, g.count)).collect();
    let mut adopted: u64 = 0;
    for rt in &s.running_tasks {
        if !at_zero.contains(&rt.instance) {
            return Err(l.error_at(
                &format!("\"{}\"", rt.instance),
                format!("unknown instance '{}' in runningTasks (it must be registered at time 0)", rt.instance),
            ));
        }
        if let Some(sv) = &rt.service {
            if !s.services.iter().any(|x| &x.service_name == sv) {
                return Err(
                    l.error_at(&format!("\"{sv}\""), format!("unknown service '{sv}' in runningTasks (it must be in services)"))
                );
            }
        }
        if rt.count == 0 || rt.count > 10_000 {
            return Err(l.error_at(
                &format!("\"{}\"", rt.instance),
                format!("runningTasks count {} is out of range: 1 to 10000", rt.count),
            ));
        }
        adopted += u64::from(rt.count);
        if adopted > MAX_TASKS {
            return Err(l.error_at(&format!("\"{}\"", rt.instance), format!("runningTasks list more than {MAX_TASKS} tasks")));
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
                check_instance_refs(l, n, &p.instances, &names, &groups)?;
            }
            Action::WaitForDrain(w) => {
                check_selection(l, n, &w.instances, w.filter.as_deref(), w.status.is_some())?;
                check_instance_refs(l, n, &w.instances, &names, &groups)?
            }
            Action::DeregisterInstances(p) => {
                check_selection(l, n, &p.instances, p.filter.as_deref(), p.status.is_some())?;
                check_instance_refs(l, n, &p.instances, &names, &groups)?
            }
            Action::StopTasksOn(p) => check_instance_refs(l, n, std::slice::from_ref(&p.instance), &names, &groups)?,
            Action::RolloutInstances(p) => {
                let nth = s.steps[..n].iter().filter(|st| matches!(st.action, Action::RolloutInstances(_))).count();
                let at = |field: &str| {
                    let (line, column) = locate(&l.source, "RolloutInstances", nth)
                        .and_then(|(line, _)| locate_from_line(&l.source, line, field))
                        .or_else(|| locate(&l.source, "RolloutInstances", nth))
                        .unwrap_or((1, 1));
                    (line, column)
                };
                let refuse = |field: &str, message: String| {
                    let (line, column) = at(field);
                    Err(ScenarioError { file: l.file.clone(), line, column, message })
                };
                match (p.wave_size, p.wave_percent) {
                    (Some(_), Some(_)) => {
                        return refuse("wavePercent", "give `waveSize` or `wavePercent`, not both".into());
                    }
                    (None, None) => {
                        return refuse(
                            "RolloutInstances",
                            "RolloutInstances needs `waveSize` (instances per wave) or `wavePercent` (percent of the selection per wave)"
                                .into(),
                        );
                    }
                    (Some(w), None) if w == 0 || w > MAX_WAVE_SIZE => {
                        return refuse("waveSize", format!("waveSize {w} is out of range: 1 to {MAX_WAVE_SIZE} instances"));
                    }
                    (None, Some(pc)) if pc == 0 || pc > 100 => {
                        return refuse("wavePercent", format!("wavePercent {pc} is out of range: 1 to 100"));
                    }
                    _ => {}
                }
                if p.instances.is_empty() && p.filter.is_none() {
                    return refuse("RolloutInstances", "RolloutInstances needs `instances` or a `filter`".into());
                }
                check_selection(l, n, &p.instances, p.filter.as_deref(), p.status.is_some())?;
                check_instance_refs(l, n, &p.instances, &names, &groups)?;
            }
            Action::Check(list) => {
                for (k, e) in list.iter().enumerate() {
                    let place = format!("expectation {} of step {}'s Check", k + 1, n + 1);
                    check_expectation(l, e, &names, &services, &place, ("do:", n))?;
                }
            }
            // A service no scenario service or step creates is a typo, unless the step expects
            // ECS's error (a scenario may show ServiceNotFoundException on purpose): refused here,
            // so that `check` finds it, not the run.
            Action::Ecs(Request::UpdateService(drainsim_core::api::UpdateServiceRequest { service, .. }))
            | Action::Ecs(Request::DeleteService(drainsim_core::api::DeleteServiceRequest { service, .. })) => {
                let name = service.rsplit('/').next().unwrap_or(service);
                let expects_error = matches!(step.expect, Some(StepExpect::Error(_) | StepExpect::ErrorContaining(..)));
                if !services.contains(name) && !expects_error {
                    let hint = did_you_mean(name, services.iter().map(String::as_str));
                    return Err(l.error_at_literal(
                        ("do:", n),
                        service,
                        format!(
                            "unknown service '{name}' in step {}: no service of `services` or a CreateService step has it{hint} (a step that means ECS's ServiceNotFoundException says expect: Error(\"ServiceNotFoundException\"))",
                            n + 1
                        ),
                    ));
                }
            }
            _ => {}
        }
    }
    for (k, e) in s.expectations.iter().enumerate() {
        check_expectation(l, e, &names, &services, &format!("expectation {} of `expectations`", k + 1), ("expectations", 0))?;
    }
    if let Some(f) = &s.faults {
        for (field, value) in [
            ("trunkProvisioningFailurePerMille", f.trunk_provisioning_failure_per_mille),
            ("taskStartFailurePerMille", f.task_start_failure_per_mille),
            ("spotInterruptionPerMillePerHour", f.spot_interruption_per_mille_per_hour),
            ("spotRebalanceRecommendationPerMillePerHour", f.spot_rebalance_recommendation_per_mille_per_hour),
        ] {
            if value > 1000 {
                return Err(l.error_at(field, format!("{field} is {value}; fault rates are per mille, 0 to 1000")));
            }
        }
        if f.spot_rebalance_recommendation_lead_ms > 0 && f.spot_interruption_per_mille_per_hour == 0 {
            return Err(l.error_at(
                "spotRebalanceRecommendationLeadMs",
                "spotRebalanceRecommendationLeadMs without spotInterruptionPerMillePerHour: it is how long a drawn \
                 interruption's rebalance recommendation comes before its notice (pin SpotRebalanceRecommendation for \
                 one of your own)"
                    .to_string(),
            ));
        }
        if let Some(x) = &f.failing_health_checks {
            if let Err(e) = drainsim_core::query::Query::parse(x) {
                let (line, column) = locate_in_literal(&l.source, ("failingHealthChecks", 0), x, 0, e.column())
                    .or_else(|| locate(&l.source, "failingHealthChecks", 0))
                    .unwrap_or((1, 1));
                let message = format!("failingHealthChecks {} is not a valid cluster query: {e}", quoted_query(x));
                return Err(ScenarioError { file: l.file.clone(), line, column, message });
            }
        }
        for n in &f.trunk_failures {
            if !names.contains(n) {
                let needle = format!("\"{n}\"");
                let (line, column) = locate_after(&l.source, "trunkFailures", &needle).unwrap_or((1, 1));
                return Err(ScenarioError { file: l.file.clone(), line, column, message: format!("unknown instance '{n}'") });
            }
        }
        // The Spot Instances' names, gathered once, when a Spot interruption is pinned.
        let mut spot_names: Option<BTreeSet<String>> = None;
        for (k, p) in f.pinned.iter().enumerate() {
            if let PinnedFaultKind::HealthChecksFail(x) = &p.fault {
                let nth = f.pinned[..k].iter().filter(|q| q.fault == p.fault).count();
                if let Err(e) = drainsim_core::query::Query::parse(x) {
                    let (line, column) = locate_in_literal(&l.source, ("pinned", 0), x, nth, e.column())
                        .or_else(|| locate(&l.source, "HealthChecksFail", 0))
                        .unwrap_or((1, 1));
                    let message = format!("HealthChecksFail {} is not a valid cluster query: {e}", quoted_query(x));
                    return Err(ScenarioError { file: l.file.clone(), line, column, message });
                }
            }
            let Some(n) = p.fault.instance() else { continue };
            // Where the fault names its instance: looked up only to report a refusal (a scan of
            // the text per fault made a thousand pinned faults cost half a second to load).
            let refuse = |message: String| {
                let needle = format!("\"{n}\"");
                let earlier = f.pinned[..k].iter().filter(|q| pinned_instance(q) == Some(n)).count();
                let (line, column) = locate_nth_after(&l.source, "pinned", &needle, earlier).unwrap_or((1, 1));
                Err(ScenarioError { file: l.file.clone(), line, column, message })
            };
            let spot_fault = match &p.fault {
                PinnedFaultKind::SpotInterruption(_, behavior) => {
                    if drainsim_core::SpotInterruptionBehavior::parse(behavior).is_none() {
                        return refuse(format!(
                            "SpotInterruption behaviour '{behavior}' must be terminate or hibernate (stop is not modelled)"
                        ));
                    }
                    Some("SpotInterruption")
                }
                PinnedFaultKind::SpotRebalanceRecommendation(_) => Some("SpotRebalanceRecommendation"),
                _ => None,
            };
            if let Some(fault) = spot_fault {
                let spot = spot_names
                    .get_or_insert_with(|| {
                        s.instances
                            .iter()
                            .filter(|g| g.spot.is_some())
                            .flat_map(|g| group_member_names(&g.name, g.count))
                            .chain(
                                s.auto_scaling_groups
                                    .iter()
                                    .filter(|g| g.spot.is_some())
                                    .flat_map(|g| g.initial_members().into_iter().filter(|m| m.spot.is_some()).map(|m| m.name)),
                            )
                            .collect()
                    })
                    .contains(n);
                if at_time_zero.contains(n) && !spot {
                    return refuse(format!(
                        "{fault} on '{n}', which is not a Spot Instance (its group has no `spot`, or launches it On-Demand)"
                    ));
                }
            }
            if at_time_zero.contains(n) {
                continue;
            }
            return refuse(pinned_fault_refusal(s, n));
        }
    }
    Ok(())
}

/// A cluster query as an error message quotes it (the engine's rule, which its own refusals use).
pub(crate) use drainsim_core::query::quoted as quoted_query;

/// The instance a pinned fault names, if it names one.
fn pinned_instance(p: &PinnedFaultSpec) -> Option<&String> {
    p.fault.instance()
}

/// Why a pinned fault's instance is refused: pinned faults are set up before the first event, on
/// instances registered at time 0.
pub(crate) fn pinned_fault_refusal(s: &Scenario, name: &str) -> String {
    match s.instances.iter().find(|g| group_member_names(&g.name, g.count).iter().any(|m| m == name)) {
        Some(g) => format!(
            "instance '{name}' in a pinned fault registers at {} ms; a pinned fault's instance must be registered at time 0",
            g.register_at_ms
        ),
        None => format!("unknown instance '{name}' in a pinned fault (it must be registered at time 0)"),
    }
}

/// Why Auto Scaling refuses a launch template's name, if it does: `LaunchTemplateName` is 3 to 128
/// letters, digits and `( ) . - / _` (Length Constraints and Pattern,
/// <https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_LaunchTemplateSpecification.html>).
/// So a name never holds `:`, which is what lets `imageIds` key another template's versions
/// `LaunchTemplateName:Version` without ambiguity.
/// Why a group's `TerminationPolicies` are refused, if they are: more than
/// [`MAX_TERMINATION_POLICIES`](crate::format::MAX_TERMINATION_POLICIES), a custom policy (a
/// Lambda function, not modelled), a name that is no termination policy, or `Default` not last
/// ("If you use the Default policy, it must be the last policy in the list",
/// <https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-termination-policies.html>).
/// `load` refuses such a group; `import` leaves such a list out.
pub(crate) fn termination_policies_refusal(policies: &[String]) -> Option<String> {
    if policies.len() > crate::format::MAX_TERMINATION_POLICIES {
        return Some(format!("{} TerminationPolicies; at most {}", policies.len(), crate::format::MAX_TERMINATION_POLICIES));
    }
    for (n, policy) in policies.iter().enumerate() {
        if policy.starts_with("arn:") {
            return Some(format!(
                "TerminationPolicies: custom termination policies (a Lambda function, {policy}) are not modelled"
            ));
        }
        if crate::format::TerminationPolicy::parse(policy).is_none() {
            let hint = did_you_mean(policy, crate::format::TerminationPolicy::ALL.iter().map(|(p, _)| *p));
            return Some(format!("TerminationPolicies: '{policy}' is not a termination policy{hint}"));
        }
        if policy == "Default" && n + 1 != policies.len() {
            return Some("TerminationPolicies: Default must be the last policy in the list".to_string());
        }
    }
    None
}

/// Why an `InstanceMaintenancePolicy` is refused, if it is: "Value range is 0 to 100", "100 to
/// 200", and "the difference between them cannot be greater than 100"
/// (<https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_InstanceMaintenancePolicy.html>).
/// `load` refuses such a group; `import` leaves such a policy out.
pub(crate) fn instance_maintenance_policy_refusal(min: u32, max: u32) -> Option<String> {
    (min > 100 || !(100..=200).contains(&max) || max.saturating_sub(min) > 100).then(|| {
        format!(
            "InstanceMaintenancePolicy MinHealthyPercentage {min} / MaxHealthyPercentage {max}: the minimum is 0 to \
             100, the maximum 100 to 200, at most 100 apart"
        )
    })
}

/// Why Auto Scaling refuses a `MaxInstanceLifetime` of `seconds`, if it does: "the value must be
/// either 0 or a number equal to or greater than 86,400 seconds (1 day)"
/// (<https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_CreateAutoScalingGroup.html>).
/// `load` refuses such a group; `import` leaves it out.
pub(crate) fn max_instance_lifetime_refusal(seconds: u32) -> Option<String> {
    (seconds != 0 && seconds < 86_400)
        .then(|| format!("MaxInstanceLifetime {seconds}: it is 0 (none) or at least 86400 seconds (one day)"))
}

pub(crate) fn launch_template_name_refusal(name: &str) -> Option<String> {
    let length = name.chars().count();
    if !(3..=128).contains(&length) {
        return Some(format!("LaunchTemplateName '{name}' has {length} characters; it takes 3 to 128"));
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || "().-/_".contains(c);
    name.chars()
        .find(|c| !allowed(*c))
        .map(|c| format!("LaunchTemplateName '{name}' holds '{c}'; it takes letters, digits and ( ) . - / _ only"))
}

/// The `Instances` of Auto Scaling group `k` of the scenario: as many as its `DesiredCapacity`,
/// each an instance of the scenario's `instances` registered at time 0 (in `declared`) in the
/// group's cluster, with the capacity provider the group's members register with (or none), and a
/// member of no other group (`adopted`: instance → group); `protectedInstances` names the group's own
/// members only, so it goes with `ProtectedFromScaleIn` instead. Each refused at the instance.
fn check_adopted_instances(
    l: &LoadedScenario,
    k: usize,
    declared: &BTreeMap<String, (&InstanceGroup, String)>,
    adopted: &mut BTreeMap<String, String>,
) -> Result<(), ScenarioError> {
    let s = &l.scenario;
    let g = &s.auto_scaling_groups[k];
    let name = &g.auto_scaling_group_name;
    let group_needle = format!("\"{name}\"");
    let earlier = s.auto_scaling_groups[..k].iter().filter(|h| &h.auto_scaling_group_name == name).count();
    let at = |needle: &str, message: String| {
        let (line, column) = locate_in_item(&l.source, "autoScalingGroups", &group_needle, earlier, needle)
            .or_else(|| locate_nth_after(&l.source, "autoScalingGroups", &group_needle, earlier))
            .unwrap_or((1, 1));
        ScenarioError { file: l.file.clone(), line, column, message }
    };
    if g.instances.len() != g.desired_capacity as usize {
        return Err(at(
            "Instances",
            format!(
                "Auto Scaling group '{name}': DesiredCapacity {} but {} Instances; a group that names its instances holds \
                 exactly them at time 0",
                g.desired_capacity,
                g.instances.len()
            ),
        ));
    }
    if !g.protected_instances.is_empty() {
        return Err(at(
            "protectedInstances",
            format!(
                "Auto Scaling group '{name}': protectedInstances names the group's own instances; with Instances, mark \
                 a protected one ProtectedFromScaleIn: true"
            ),
        ));
    }
    let cluster = g.cluster.as_deref().unwrap_or("default");
    let provider = s.asg_capacity_provider_name(g);
    for i in &g.instances {
        let id = &i.instance_id;
        let needle = format!("\"{id}\"");
        let Some((group, _)) = declared.get(id) else {
            let hint = did_you_mean(id, declared.keys().map(String::as_str));
            return Err(at(
                &needle,
                format!(
                    "Auto Scaling group '{name}': instance '{id}' is not an instance of `instances` registered at time \
                     0{hint}"
                ),
            ));
        };
        if let Some(other) = adopted.insert(id.clone(), name.clone()) {
            let whose = if &other == name { "twice".to_string() } else { format!("already a member of '{other}'") };
            return Err(at(&needle, format!("Auto Scaling group '{name}': instance '{id}' is {whose}")));
        }
        let its_cluster = group.cluster.as_deref().unwrap_or("default");
        if its_cluster != cluster {
            return Err(at(
                &needle,
                format!(
                    "Auto Scaling group '{name}' registers in cluster '{cluster}'; its instance '{id}' is in '{its_cluster}'"
                ),
            ));
        }
        // An instance without a provider is one that registered before its group's provider was
        // associated with the cluster: ECS does not give it one afterwards (docs/ecs-choices.md).
        if group.capacity_provider_name.is_some() && group.capacity_provider_name.as_deref() != provider {
            let said = |p: Option<&str>| p.map_or("no capacity provider".to_string(), |p| format!("capacity provider '{p}'"));
            return Err(at(
                &needle,
                format!(
                    "Auto Scaling group '{name}': its instance '{id}' registers with {}, but the group's instances \
                     register with {} (its provider in capacityProviders, when its cluster has it)",
                    said(group.capacity_provider_name.as_deref()),
                    said(provider)
                ),
            ));
        }
        if let Some(t) = &i.launch_template {
            if let Some(refusal) = launch_template_name_refusal(&t.launch_template_name) {
                return Err(at(&needle, format!("Auto Scaling group '{name}': instance '{id}': {refusal}")));
            }
        }
    }
    Ok(())
}

/// What an instance registers, out of range: the field (as `cpu:`, `memory:` or `gpus:`, to
/// point at) and why. One rule for an instance group's instances and an Auto Scaling group's.
fn registered_size_refusal(cpu: i64, memory: i64, gpus: u32) -> Option<(&'static str, String)> {
    if !(0..=10_000_000).contains(&cpu) {
        Some(("cpu:", format!("cpu {cpu} is out of range: 0 to 10000000")))
    } else if !(1..=100_000_000).contains(&memory) {
        Some(("memory:", format!("memory {memory} is out of range: 1 to 100000000 MiB")))
    } else if gpus as usize > drainsim_core::MAX_GPUS_PER_INSTANCE {
        Some(("gpus:", format!("gpus {gpus} is out of range: 0 to {}", drainsim_core::MAX_GPUS_PER_INSTANCE)))
    } else {
        None
    }
}

/// Auto Scaling groups and StartInstanceRefresh steps: sizes, versions, hooks and percentages
/// within the API's ranges, each refused at its member; the names of the instances a group may
/// launch (its `DesiredCapacity` at time 0 and as many per refresh of it) join `names`.
fn check_auto_scaling(
    l: &LoadedScenario,
    names: &mut BTreeSet<String>,
    groups_of_several: &BTreeSet<String>,
) -> Result<(), ScenarioError> {
    let s = &l.scenario;
    // The instances of `instances` by name (built when a group adopts some), and the groups that
    // adopted each so far.
    let mut declared = None;
    let mut adopted: BTreeMap<String, String> = BTreeMap::new();
    // The instances the scenario may hold at once: its instance groups', and each Auto Scaling
    // group's up to its MaxSize (those it adopts from `instances` are counted there already).
    let mut total: u64 = s.instances.iter().map(|g| u64::from(g.count)).sum();
    for (k, g) in s.auto_scaling_groups.iter().enumerate() {
        let name = &g.auto_scaling_group_name;
        let needle = format!("\"{name}\"");
        let at = |message: String| {
            let earlier = s.auto_scaling_groups[..k].iter().filter(|h| &h.auto_scaling_group_name == name).count();
            let (line, column) = locate_nth_after(&l.source, "autoScalingGroups", &needle, earlier)
                .or_else(|| locate(&l.source, &needle, 0))
                .unwrap_or((1, 1));
            ScenarioError { file: l.file.clone(), line, column, message }
        };
        // AutoScalingGroupName: 1 to 255 characters (the model's XmlStringMaxLen255).
        let name_length = name.chars().count();
        if !(1..=255).contains(&name_length) {
            return Err(at(format!("AutoScalingGroupName '{name}' has {name_length} characters; it takes 1 to 255")));
        }
        if s.auto_scaling_groups[..k].iter().any(|h| &h.auto_scaling_group_name == name) {
            return Err(at(format!("Auto Scaling group '{name}' is declared twice")));
        }
        if g.max_size > MAX_GROUP_SIZE {
            return Err(at(format!("Auto Scaling group '{name}': MaxSize {} is above {MAX_GROUP_SIZE}", g.max_size)));
        }
        total = total.saturating_add(u64::from(g.max_size).saturating_sub(g.instances.len() as u64));
        if total > MAX_INSTANCES {
            return Err(at(format!(
                "the scenario may hold more than {MAX_INSTANCES} instances (Auto Scaling group '{name}', counted at its \
                 MaxSize {}, brings it to {total})",
                g.max_size
            )));
        }
        if let Some((field, why)) = registered_size_refusal(g.cpu, g.memory, g.gpus) {
            // At the field: the first after the group's name (its own; `cpu` and `memory` are
            // required), else at the group.
            let mut e = at(format!("Auto Scaling group '{name}': {why}"));
            if let Some(position) = locate_from_line(&l.source, e.line, field) {
                (e.line, e.column) = position;
            }
            return Err(e);
        }
        if !(g.min_size <= g.desired_capacity && g.desired_capacity <= g.max_size) {
            return Err(at(format!(
                "Auto Scaling group '{name}': DesiredCapacity {} must be within MinSize {} and MaxSize {}",
                g.desired_capacity, g.min_size, g.max_size
            )));
        }
        if let Some(refusal) = launch_template_name_refusal(&g.launch_template.launch_template_name) {
            // At the name, which may be lines below the group's own.
            let mut e = at(format!("Auto Scaling group '{name}': {refusal}"));
            if let Some(position) = locate_from_line(&l.source, e.line, "LaunchTemplateName") {
                (e.line, e.column) = position;
            }
            return Err(e);
        }
        if g.attributes.contains_key("ecs.ami-id") {
            return Err(at(format!(
                "Auto Scaling group '{name}': attributes gives ecs.ami-id; an instance registers the AMI of its launch \
                 template version (imageIds)"
            )));
        }
        let custom = g.attributes.keys().filter(|k| !k.starts_with("ecs.")).count();
        if custom > 10 {
            return Err(at(format!(
                "Auto Scaling group '{name}': {custom} custom attributes; RegisterContainerInstance takes at most 10"
            )));
        }
        if let Some(refusal) = termination_policies_refusal(&g.termination_policies) {
            return Err(at(format!("Auto Scaling group '{name}': {refusal}")));
        }
        if let Some(refusal) = g.max_instance_lifetime.and_then(max_instance_lifetime_refusal) {
            return Err(l.error_after(
                &format!("\"{name}\""),
                "MaxInstanceLifetime:",
                format!("Auto Scaling group '{name}': {refusal}"),
            ));
        }
        if let Some(m) = &g.instance_maintenance_policy {
            if let Some(refusal) = instance_maintenance_policy_refusal(m.min_healthy_percentage, m.max_healthy_percentage) {
                return Err(at(format!("Auto Scaling group '{name}': {refusal}")));
            }
        }
        if g.capacity_rebalance && g.spot.is_none() {
            return Err(at(format!(
                "Auto Scaling group '{name}': CapacityRebalance without spot; Capacity Rebalancing replaces Spot \
                 Instances, and a group without spot launches On-Demand Instances only"
            )));
        }
        if let Some(d) = &g.instances_distribution {
            if g.spot.is_none() {
                return Err(at(format!(
                    "Auto Scaling group '{name}': InstancesDistribution without spot; a group without spot launches \
                     On-Demand Instances only"
                )));
            }
            if d.on_demand_percentage_above_base_capacity > 100 {
                return Err(at(format!(
                    "Auto Scaling group '{name}': OnDemandPercentageAboveBaseCapacity {} is out of range: 0 to 100",
                    d.on_demand_percentage_above_base_capacity
                )));
            }
        }
        if g.image_id(&g.launch_template).is_none() {
            return Err(at(format!(
                "Auto Scaling group '{name}': launch template Version '{}' has no AMI in imageIds",
                g.launch_template.version
            )));
        }
        // A hook's error points at its field (after the group's name), else at the group.
        let at_field = |field: &str, message: String| match locate_after(&l.source, &needle, field) {
            Some((line, column)) => ScenarioError { file: l.file.clone(), line, column, message },
            None => at(message),
        };
        for h in &g.lifecycle_hooks {
            if let Some((field, why)) = h.refusal() {
                return Err(at_field(field, format!("Auto Scaling group '{name}': {why}")));
            }
            if h.lifecycle_transition != TERMINATING_TRANSITION {
                return Err(at_field(
                    "LifecycleTransition",
                    format!(
                        "Auto Scaling group '{name}': lifecycle hook '{}' has LifecycleTransition '{}'; drainsim models {TERMINATING_TRANSITION} only",
                        h.lifecycle_hook_name, h.lifecycle_transition
                    ),
                ));
            }
        }
        if g.adopts_instances() {
            check_adopted_instances(l, k, declared.get_or_insert_with(|| instances_at_time_zero(s)), &mut adopted)?;
        }
        let initial: Vec<String> = (1..=g.desired_capacity).map(|n| g.member_name(n)).collect();
        if let Some(p) = g.protected_instances.iter().find(|p| !initial.contains(p)) {
            return Err(at(format!(
                "Auto Scaling group '{name}': protected instance '{p}' is not one of its instances at time 0 ({}-1 to {}-{})",
                name, name, g.desired_capacity
            )));
        }
        if g.lifecycle_hooks.len() > 1 {
            return Err(at(format!("Auto Scaling group '{name}': drainsim models one termination lifecycle hook per group")));
        }
        let refreshes = s
            .steps
            .iter()
            .filter(|st| matches!(&st.action, Action::StartInstanceRefresh(r) if &r.auto_scaling_group_name == name))
            .count() as u32;
        // SetDesiredCapacity steps launch at most their capacity each.
        let resized: u32 = s
            .steps
            .iter()
            .filter_map(|st| match &st.action {
                Action::SetDesiredCapacity(r) if &r.auto_scaling_group_name == name => Some(r.desired_capacity.min(g.max_size)),
                _ => None,
            })
            .fold(0u32, u32::saturating_add);
        // A TerminateInstanceInAutoScalingGroup step that keeps the capacity launches one.
        let replaced = s
            .steps
            .iter()
            .filter(|st| {
                matches!(&st.action, Action::TerminateInstanceInAutoScalingGroup(r)
                    if !r.should_decrement_desired_capacity && g.may_hold(&r.instance_id))
            })
            .count();
        let replaced = u32::try_from(replaced).unwrap_or(u32::MAX);
        // Managed scaling, and a Spot group's replacements, launch as the run goes: the names of a
        // group's full MaxSize more are known (and checked against the scenario's own).
        let managed = s.capacity_providers.iter().any(|c| {
            c.auto_scaling_group_provider.group_name() == name && c.auto_scaling_group_provider.managed_scaling_enabled()
        });
        let scaled = if managed || g.spot.is_some() { g.max_size } else { 0 };
        // A group with a maximum instance lifetime replaces its members once per lifetime (and its
        // members of time 0 once more) within the run's end time: their names too, at most as
        // many as the scenario's most instances.
        let end_ms = s.end_time_or_default_ms();
        let renewed = g.max_instance_lifetime_ms().map_or(0, |lifetime_ms| {
            let rounds = u32::try_from(end_ms / lifetime_ms).unwrap_or(u32::MAX).saturating_add(1);
            g.desired_capacity.saturating_mul(rounds).min(MAX_INSTANCES as u32)
        });
        // Its own members of time 0 take the first numbers; adopted ones take none.
        let own = if g.adopts_instances() { 0 } else { 1 };
        let launches = g
            .desired_capacity
            .saturating_mul(refreshes.saturating_add(own))
            .saturating_add(resized)
            .saturating_add(replaced)
            .saturating_add(scaled)
            .saturating_add(renewed);
        for n in 1..=launches {
            let member = g.member_name(n);
            if names.contains(&member) || groups_of_several.contains(&member) {
                return Err(at(format!(
                    "Auto Scaling group '{name}' launches an instance named '{member}', which the scenario already declares"
                )));
            }
            names.insert(member);
        }
    }
    for (n, step) in s.steps.iter().enumerate() {
        // A step's failures are ECS's answer, which spells a constraint's reason as a sentence:
        // drainsim's own code for it (what `PlacementFailures` counts by) never matches.
        if let Some(StepExpect::Failures(failures)) = &step.expect {
            for (_, reason) in failures {
                if let Some(r) = drainsim_core::PlacementFailureReason::ALL
                    .iter()
                    .find(|r| r.as_str() == reason && r.failure_reason() != reason)
                {
                    return Err(l.error_at(
                        &format!("\"{reason}\""),
                        format!(
                            "a failure's reason is ECS's: '{}' for {reason} (drainsim's code for it, which PlacementFailures counts by)",
                            r.failure_reason()
                        ),
                    ));
                }
            }
        }
        if let Some(StepExpect::InstanceRefreshStatus(status)) = &step.expect {
            if !INSTANCE_REFRESH_STATUSES.contains(&status.as_str()) {
                let hint = did_you_mean(status, INSTANCE_REFRESH_STATUSES.iter().copied());
                return Err(l.error_at(&format!("\"{status}\""), format!("'{status}' is not an instance refresh Status{hint}")));
            }
            if !matches!(step.action, Action::StartInstanceRefresh(_)) {
                return Err(l.error_at("InstanceRefreshStatus", "InstanceRefreshStatus judges a StartInstanceRefresh step only"));
            }
        }
        let Action::StartInstanceRefresh(r) = &step.action else { continue };
        let nth = s.steps[..n].iter().filter(|st| matches!(st.action, Action::StartInstanceRefresh(_))).count();
        let refuse = |field: &str, message: String| {
            let (line, column) = locate(&l.source, "StartInstanceRefresh", nth)
                .and_then(|(line, _)| locate_from_line(&l.source, line, field))
                .or_else(|| locate(&l.source, "StartInstanceRefresh", nth))
                .unwrap_or((1, 1));
            Err(ScenarioError { file: l.file.clone(), line, column, message })
        };
        let Some(g) = s.auto_scaling_groups.iter().find(|g| g.auto_scaling_group_name == r.auto_scaling_group_name) else {
            let known = s.auto_scaling_groups.iter().map(|g| g.auto_scaling_group_name.as_str());
            let hint = did_you_mean(&r.auto_scaling_group_name, known);
            return refuse("AutoScalingGroupName", format!("unknown Auto Scaling group '{}'{hint}", r.auto_scaling_group_name));
        };
        if let Some(d) = &r.desired_configuration {
            let t = &d.launch_template;
            if let Some(refusal) = launch_template_name_refusal(&t.launch_template_name) {
                return refuse("LaunchTemplateName", refusal);
            }
            if g.image_id(t).is_none() {
                // Another template's versions are keyed with its name.
                let message = if t.launch_template_name == g.launch_template.launch_template_name {
                    format!(
                        "launch template Version '{}' has no AMI in Auto Scaling group '{}' imageIds",
                        t.version, g.auto_scaling_group_name
                    )
                } else {
                    format!(
                        "launch template '{}' Version '{}' has no AMI in Auto Scaling group '{}' imageIds (key \"{}:{}\")",
                        t.launch_template_name, t.version, g.auto_scaling_group_name, t.launch_template_name, t.version
                    )
                };
                return refuse("Version", message);
            }
        }
        let p = &r.preferences;
        if let Some(min) = p.min_healthy_percentage.filter(|m| *m > 100) {
            return refuse("MinHealthyPercentage", format!("MinHealthyPercentage {min} is out of range: 0 to 100"));
        }
        if let Some(max) = p.max_healthy_percentage.filter(|m| !(100..=200).contains(m)) {
            return refuse("MaxHealthyPercentage", format!("MaxHealthyPercentage {max} is out of range: 100 to 200"));
        }
        // "If you specify MaxHealthyPercentage, you must also specify MinHealthyPercentage"
        // (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_RefreshPreferences.html).
        if p.max_healthy_percentage.is_some() && p.min_healthy_percentage.is_none() {
            return refuse(
                "MaxHealthyPercentage",
                "MaxHealthyPercentage without MinHealthyPercentage: if you specify MaxHealthyPercentage, you must also specify MinHealthyPercentage".into(),
            );
        }
        // The percentages the refresh keeps, the group's instance maintenance policy filling in
        // what its preferences leave out.
        let (min, max) = g.refresh_healthy_percentages(p);
        if max.saturating_sub(min) > 100 {
            // At the percentage the step gives (the other came from the policy), else the step.
            let field = match (p.max_healthy_percentage, p.min_healthy_percentage) {
                (Some(_), _) => "MaxHealthyPercentage",
                (None, Some(_)) => "MinHealthyPercentage",
                (None, None) => "StartInstanceRefresh",
            };
            // Where each percentage came from: the preferences, else the group's policy (the
            // defaults, 90 and 100, are never more than 100 apart).
            let source = |given: Option<u32>| {
                if given.is_some() {
                    String::new()
                } else {
                    format!(" (from Auto Scaling group '{}' InstanceMaintenancePolicy)", g.auto_scaling_group_name)
                }
            };
            return refuse(
                field,
                format!(
                    "MaxHealthyPercentage {max}{} and MinHealthyPercentage {min}{} are more than 100 apart",
                    source(p.max_healthy_percentage),
                    source(p.min_healthy_percentage)
                ),
            );
        }
        if let Some(mode) = p.scale_in_protected_instances.as_deref().filter(|m| !SCALE_IN_PROTECTED_INSTANCES.contains(m)) {
            let hint = did_you_mean(mode, SCALE_IN_PROTECTED_INSTANCES.iter().copied());
            return refuse(
                "ScaleInProtectedInstances",
                format!("ScaleInProtectedInstances '{mode}' must be Refresh, Ignore or Wait{hint}"),
            );
        }
        if let Some(list) = &p.checkpoint_percentages {
            if list.iter().any(|c| *c == 0 || *c > 100) || list.windows(2).any(|w| w[0] >= w[1]) {
                return refuse("CheckpointPercentages", "CheckpointPercentages must be 1 to 100 each, in ascending order".into());
            }
        }
        if let Some(delay) = p.checkpoint_delay {
            // An empty list is no checkpoint: a delay has nothing to wait at.
            if p.checkpoint_percentages.as_ref().is_none_or(Vec::is_empty) {
                return refuse("CheckpointDelay", "CheckpointDelay needs CheckpointPercentages (at least one)".into());
            }
            if delay > 172_800 {
                return refuse("CheckpointDelay", format!("CheckpointDelay {delay} is out of range: 0 to 172800 seconds"));
            }
        }
        if let Some(w) = p.instance_warmup.filter(|w| u64::from(*w) * 1000 > MAX_TIME_MS) {
            return refuse("InstanceWarmup", format!("InstanceWarmup {w} seconds is beyond the end of simulated time"));
        }
    }
    for (n, step) in s.steps.iter().enumerate() {
        let Action::SetDesiredCapacity(r) = &step.action else { continue };
        let nth = s.steps[..n].iter().filter(|st| matches!(st.action, Action::SetDesiredCapacity(_))).count();
        let (line, column) = locate(&l.source, "SetDesiredCapacity", nth).unwrap_or((1, 1));
        let refuse = |message: String| Err(ScenarioError { file: l.file.clone(), line, column, message });
        let Some(g) = s.auto_scaling_groups.iter().find(|g| g.auto_scaling_group_name == r.auto_scaling_group_name) else {
            let known = s.auto_scaling_groups.iter().map(|g| g.auto_scaling_group_name.as_str());
            let hint = did_you_mean(&r.auto_scaling_group_name, known);
            return refuse(format!("SetDesiredCapacity: unknown Auto Scaling group '{}'{hint}", r.auto_scaling_group_name));
        };
        // Auto Scaling's ValidationError wording.
        if r.desired_capacity < g.min_size {
            return refuse(format!(
                "New SetDesiredCapacity value {} is below min value {} for the AutoScalingGroup.",
                r.desired_capacity, g.min_size
            ));
        }
        if r.desired_capacity > g.max_size {
            return refuse(format!(
                "New SetDesiredCapacity value {} is above max value {} for the AutoScalingGroup.",
                r.desired_capacity, g.max_size
            ));
        }
    }
    for (n, step) in s.steps.iter().enumerate() {
        let Action::TerminateInstanceInAutoScalingGroup(r) = &step.action else { continue };
        if s.auto_scaling_groups.iter().any(|g| g.may_hold(&r.instance_id)) {
            continue;
        }
        let nth = s.steps[..n].iter().filter(|st| matches!(st.action, Action::TerminateInstanceInAutoScalingGroup(_))).count();
        let (line, column) =
            step_field_position(&l.source, "TerminateInstanceInAutoScalingGroup", nth, "InstanceId", Some(&r.instance_id));
        let known: Vec<String> = s
            .auto_scaling_groups
            .iter()
            .flat_map(|g| {
                let adopted = g.instances.iter().map(|i| i.instance_id.clone());
                (1..=g.desired_capacity.min(1000)).map(|k| g.member_name(k)).chain(adopted).collect::<Vec<_>>()
            })
            .collect();
        let hint = did_you_mean(&r.instance_id, known.iter().map(String::as_str));
        return Err(ScenarioError {
            file: l.file.clone(),
            line,
            column,
            message: format!(
                "TerminateInstanceInAutoScalingGroup: '{}' is no instance of any Auto Scaling group of the scenario{hint}",
                r.instance_id
            ),
        });
    }
    for (n, step) in s.steps.iter().enumerate() {
        let Action::SetInstanceProtection(r) = &step.action else { continue };
        let nth = s.steps[..n].iter().filter(|st| matches!(st.action, Action::SetInstanceProtection(_))).count();
        let refuse = |value: Option<&str>, field: &str, message: String| {
            let (line, column) = step_field_position(&l.source, "SetInstanceProtection", nth, field, value);
            Err(ScenarioError { file: l.file.clone(), line, column, message: format!("SetInstanceProtection: {message}") })
        };
        let Some(g) = s.auto_scaling_groups.iter().find(|g| g.auto_scaling_group_name == r.auto_scaling_group_name) else {
            let known = s.auto_scaling_groups.iter().map(|g| g.auto_scaling_group_name.as_str());
            let hint = did_you_mean(&r.auto_scaling_group_name, known);
            let name = &r.auto_scaling_group_name;
            return refuse(Some(name), "AutoScalingGroupName", format!("unknown Auto Scaling group '{name}'{hint}"));
        };
        let count = r.instance_ids.len();
        if count == 0 || count > crate::format::MAX_PROTECTION_INSTANCE_IDS {
            let max = crate::format::MAX_PROTECTION_INSTANCE_IDS;
            return refuse(None, "InstanceIds", format!("InstanceIds lists {count} instances; 1 to {max} may be given"));
        }
        if let Some(id) = r.instance_ids.iter().find(|id| !g.may_hold(id)) {
            let name = &g.auto_scaling_group_name;
            return refuse(Some(id), "InstanceIds", format!("'{id}' is no instance of Auto Scaling group '{name}'"));
        }
    }
    check_capacity_providers(l)
}

/// Capacity providers: CreateCapacityProvider's own checks
/// ([`drainsim_core::validate_capacity_provider`]: the name, `ENABLED`/`DISABLED`
/// values as the ECS API spells them, managed scaling's ranges, managed termination protection only
/// with managed scaling ENABLED), then the scenario's: unique names, each naming a group of
/// `autoScalingGroups` that no other provider names.
fn check_capacity_providers(l: &LoadedScenario) -> Result<(), ScenarioError> {
    let s = &l.scenario;
    for (k, c) in s.capacity_providers.iter().enumerate() {
        // At this provider's own `name` in `capacityProviders`: the same string earlier in the file
        // (an Auto Scaling group named like its provider, the usual spelling) is not this place.
        let (line, column) = locate_nth_value(&l.source, "capacityProviders", "name", k, &format!("\"{}\"", c.name))
            .or_else(|| locate(&l.source, &format!("\"{}\"", c.name), 0))
            .unwrap_or((1, 1));
        let refuse = |message: String| {
            Err(ScenarioError {
                file: l.file.clone(),
                line,
                column,
                message: format!("capacity provider '{}': {message}", c.name),
            })
        };
        if let Err(e) = drainsim_core::validate_capacity_provider(c) {
            return refuse(e.message);
        }
        if s.capacity_providers[..k].iter().any(|o| o.name == c.name) {
            return refuse("declared twice".into());
        }
        let group = c.auto_scaling_group_provider.group_name();
        if !s.auto_scaling_groups.iter().any(|g| g.auto_scaling_group_name == group) {
            let hint = did_you_mean(group, s.auto_scaling_groups.iter().map(|g| g.auto_scaling_group_name.as_str()));
            return refuse(format!("autoScalingGroupArn names no Auto Scaling group of the scenario ('{group}'){hint}"));
        }
        if s.capacity_providers[..k].iter().any(|o| o.auto_scaling_group_provider.group_name() == group) {
            return refuse(format!("Auto Scaling group '{group}' already has a capacity provider"));
        }
        // "Managed termination protection can only be enabled if the Auto Scaling group also has
        // instance protection from scale in enabled" (CreateCapacityProvider's
        // `managedTerminationProtection`).
        let protects_new =
            s.auto_scaling_groups.iter().any(|g| g.auto_scaling_group_name == group && g.new_instances_protected_from_scale_in);
        if c.auto_scaling_group_provider.managed_termination_protection_enabled() && !protects_new {
            return refuse(format!(
                "managedTerminationProtection ENABLED needs instance protection from scale in on Auto Scaling group '{group}' (NewInstancesProtectedFromScaleIn: true)"
            ));
        }
    }
    Ok(())
}

/// A plan step selects its instances by `instances` or by `filter`, not both; a filter must
/// parse (reported at the character of the step's `filter` the expression's own column names),
/// and `status` goes with a filter.
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
        // A step that selects nothing does nothing: a mistake, not a plan.
        None if instances.is_empty() => {
            let (line, column) = locate(&l.source, "do:", step).unwrap_or((1, 1));
            let message = "the step selects no instance: give `instances` or a `filter`".to_string();
            Err(ScenarioError { file: l.file.clone(), line, column, message })
        }
        None => Ok(()),
        Some(f) => {
            // The filter's own literal, in this step, at `column` of its value (0: its opening quote).
            let at = |column: usize, message: String| {
                let (line, column) = locate_in_literal(&l.source, ("do:", step), f, 0, column)
                    .or_else(|| locate(&l.source, &format!("\"{f}\""), 0))
                    .unwrap_or((1, 1));
                ScenarioError { file: l.file.clone(), line, column, message }
            };
            if !instances.is_empty() {
                return Err(at(0, "give `instances` or a `filter`, not both".to_string()));
            }
            drainsim_core::query::Query::parse(f)
                .map(|_| ())
                .map_err(|e| at(e.column(), format!("filter {} is not a valid cluster query: {e}", quoted_query(f))))
        }
    }
}

/// The names step `step` (from 0) refers to are instances or groups of the scenario; an unknown one
/// is reported at its literal in that step (an earlier step may spell the same name legally: a
/// TerminateInstanceInAutoScalingGroup may name any `GROUP-N`), else at its first occurrence.
fn check_instance_refs(
    l: &LoadedScenario,
    step: usize,
    refs: &[String],
    names: &BTreeSet<String>,
    groups: &BTreeSet<String>,
) -> Result<(), ScenarioError> {
    for r in refs {
        if !names.contains(r) && !groups.contains(r) {
            let hint = did_you_mean(r, names.iter().chain(groups.iter()).map(String::as_str));
            return Err(l.error_at_literal(("do:", step), r, format!("unknown instance or instance group '{r}'{hint}")));
        }
    }
    Ok(())
}

/// Checks expectation `e`, which `place` names in errors ("expectation 2 of `expectations`": the
/// position alone says nothing when `compare --set` rewrote the scenario). A refused value is
/// reported at its literal after `anchor` (the `nth` occurrence of the text that opens the list
/// or step holding it: an earlier step may spell the same name legally), else at its first one.
fn check_expectation(
    l: &LoadedScenario,
    e: &Expectation,
    names: &BTreeSet<String>,
    services: &BTreeSet<String>,
    place: &str,
    anchor: (&str, usize),
) -> Result<(), ScenarioError> {
    use Expectation::*;
    let refuse = |value: &str, message: String| l.error_at_literal(anchor, value, message);
    let inst = |n: &String| -> Result<(), ScenarioError> {
        if names.contains(n) {
            Ok(())
        } else {
            let hint = did_you_mean(n, names.iter().map(String::as_str));
            Err(refuse(n, format!("unknown instance '{n}' in {place}{hint}")))
        }
    };
    let svc = |n: &String| -> Result<(), ScenarioError> {
        if services.contains(n) {
            Ok(())
        } else {
            let hint = did_you_mean(n, services.iter().map(String::as_str));
            Err(refuse(n, format!("unknown service '{n}' in {place}{hint}")))
        }
    };
    // A value ECS spells one of a few ways is checked here, so `check` refuses a misspelling.
    let one_of = |what: &str, value: &str, known: &[&str]| -> Result<(), ScenarioError> {
        if known.contains(&value) {
            return Ok(());
        }
        let hint = did_you_mean(value, known.iter().copied());
        let hint = if hint.is_empty() { format!(" (one of {})", known.join(", ")) } else { hint };
        Err(refuse(value, format!("unknown {what} '{value}'{hint}")))
    };
    let placement: Vec<&str> = drainsim_core::PlacementFailureReason::ALL.iter().map(|r| r.as_str()).collect();
    match e {
        InstanceStatus(_, status) => {
            let known: Vec<&str> = drainsim_core::InstanceStatus::ALL.iter().map(|x| x.as_str()).collect();
            one_of("instance status", status, &known)?;
        }
        AgentUpdateStatus(_, Some(status)) => {
            let known: Vec<&str> = drainsim_core::AgentUpdateStatus::ALL.iter().map(|x| x.as_str()).collect();
            one_of("agentUpdateStatus", status, &known)?;
        }
        PlacementFailures(_, reason, _) => one_of("placement failure reason", reason, &placement)?,
        Stalled(_, reason) => {
            let known: Vec<&str> = ["deploymentConfiguration", "TaskFailedToStart", "PROVISIONING"]
                .into_iter()
                .chain(placement.iter().copied())
                .collect();
            one_of("stall reason", reason, &known)?;
        }
        FloorBreachCause(_, cause) => {
            let known: Vec<&str> = drainsim_core::BreachCause::ALL.iter().map(|x| x.as_str()).collect();
            one_of("floor breach cause", cause, &known)?;
        }
        AgentWaits(_, cause, _) => {
            let known: Vec<&str> = drainsim_core::AgentWaitCause::ALL.iter().map(|x| x.as_str()).collect();
            one_of("agent wait cause", cause, &known)?;
        }
        // ListContainerInstances' status filter: every instance status but INACTIVE, as the
        // request checks it (engine/instances.rs); a misspelling is refused here, not at the end
        // of the run as a failed expectation.
        ListedInstances(_, Some(status), _) => {
            let known: Vec<&str> =
                drainsim_core::InstanceStatus::ALL.iter().map(|x| x.as_str()).filter(|s| *s != "INACTIVE").collect();
            one_of("ListContainerInstances status", status, &known)?;
        }
        _ => {}
    }
    match e {
        InstanceStatus(i, _)
        | InstanceStatusReasonContains(i, _)
        | InstanceVersion(i, _)
        | InstanceRunningTasks(i, _)
        | InstancePendingTasks(i, _)
        | OrphanedTasks(i, _)
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
        | DrainEndedBy(i, _)
        | DrainNotEndedBy(i, _)
        | NoRunningBeforeDrainCompleted(i) => inst(i),
        ListedInstances(_, _, list) => list.iter().try_for_each(inst),
        ServiceDesiredCount(s, _)
        | ServiceRunningCount(s, _)
        | ServiceHealthyCount(s, _)
        | ServicePendingCount(s, _)
        | MinHealthyObserved(s, _)
        | MaxTasksObserved(s, _)
        | FloorAtMinHealthyObserved(s, _)
        | CeilingAtMaxTasksObserved(s, _)
        | DeepestDipBelowFloor(s, _)
        | PlacementFailures(s, _, _)
        | AgentWaits(s, _, _)
        | ServiceEventSeen(s, _)
        | ServiceEventNotSeen(s, _)
        | Stalled(s, _)
        | NoStalls(s)
        | FloorBreaches(s, _)
        | FloorBreachCause(s, _)
        | TasksMovedMoreThanOnce(s, _)
        | UnhealthyTasks(s, _)
        | AzRebalancingMoves(s, _)
        | SteadyState(s, _) => svc(s),
        Named(_, inner) => check_expectation(l, inner, names, services, place, anchor),
        StopReason(reason) => {
            let known: Vec<&str> = drainsim_core::StopReason::ALL.iter().map(|r| r.as_str()).collect();
            one_of("stop reason", reason, &known)
        }
        EffectiveSetting(..) | AllDrainsCompletedBy(_) | TasksOrphaned(_) => Ok(()),
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

    /// What RON and serde say of a value of the wrong shape is said in the format's words, without
    /// the Rust types it is read into (`InstanceGroup`, `Expectation::InstanceStatus`), and a file
    /// cut short or empty says so.
    #[test]
    fn a_value_of_the_wrong_shape_is_named_without_rust_types() {
        let cases = [
            ("x.ron", r#"Scenario(name: "x", instances: ["a"])"#, (1, 33), "expected `(`, opening a structure of fields"),
            (
                "x.ron",
                r#"Scenario(name: "x", expectations: [InstanceStatus("a")])"#,
                (1, 54),
                "expected a list of values for `InstanceStatus` with 2 elements but found one element instead",
            ),
            (
                "x.json",
                r#"{"name": "x", "expectations": [{"InstanceRunningTasks": "a"}]}"#,
                (1, 57),
                r#"invalid type: string "a", expected a list of values for `InstanceRunningTasks`"#,
            ),
            (
                "x.ron",
                r#"Scenario(name: "x", clusters: ["c"], instances: [Foo(name: "a", cluster: "c")])"#,
                (1, 50),
                "unexpected name `Foo` before `(`: the structure of fields here takes no name",
            ),
            ("x.ron", r#"Foo(name: "x")"#, (1, 1), "expected `Scenario(`, found `Foo(`"),
            ("x.ron", "hello", (1, 1), "expected `Scenario(`, found `hello`"),
            (
                "x.ron",
                r#"Scenario(name: "x", expectations: [ServiceRunningCount("a", 3)])"#,
                (1, 61),
                "expected a name or a value, found `3` (a comparison is written `Eq(3)`, `AtLeast(3)`, `AtMost(3)` or `Null`)",
            ),
            // A value of the wrong kind names its field.
            (
                "x.ron",
                r#"Scenario(name: "x", taskDefinitions: [(family: "f", containerDefinitions: [(name: "c", cpu: "256", memory: 512)])])"#,
                (1, 93),
                "expected integer for `cpu`",
            ),
            ("x.ron", "", (1, 1), "the file is empty: a scenario is `Scenario(…)`"),
            ("x.ron", "Scenario(name: \"x\", instances: [\n", (1, 33), "the file ends before the scenario does: "),
            // A comment that ends the file without a line break: at the end, not inside it.
            ("x.ron", "// only a comment", (1, 18), "the file has no scenario: only comments"),
            ("x.ron", "Scenario(name: \"x\", // cut here", (1, 32), "the file ends before the scenario does: "),
            // A decimal where a whole number goes: the number, not `expected comma` at its point.
            (
                "x.ron",
                r#"Scenario(name: "x", services: [(cluster: "c", serviceName: "s", taskDefinition: "t", desiredCount: 12.5)])"#,
                (1, 100),
                "expected a whole number, found `12.5`",
            ),
            // Not a plain decimal: RON's own message (a reviewer's `found `000.5`` of `1_000.5`).
            (
                "x.ron",
                r#"Scenario(name: "x", services: [(cluster: "c", serviceName: "s", taskDefinition: "t", desiredCount: 1_000.5)])"#,
                (1, 105),
                "expected comma",
            ),
            // Cut inside a name (a helper's file read `unknown field `Availabili` (did you mean …)`).
            (
                "x.ron",
                "Scenario(name: \"x\", descri",
                (1, 21),
                "the file ends before the scenario does, inside the name `descri`",
            ),
            // … whatever the comment's characters.
            ("x.ron", "// a scenario — to be written", (1, 30), "the file has no scenario: only comments"),
            ("x.ron", "Scenario(name: \"x\", // cut — here", (1, 34), "the file ends before the scenario does: "),
        ];
        for (file, text, at, message) in cases {
            let e = load_str(file, text).expect_err(text);
            assert_eq!((e.line, e.column), at, "{text}: {e}");
            assert!(e.message.starts_with(message), "{text}: {e}");
        }
        // Numbers out of range name what they were written for, in RON and JSON alike.
        let out_of_range = [
            (
                "x.ron",
                r#"Scenario(name: "x", expectations: [DrainCompletedWithin("old", 18446744073709551616)])"#,
                (1, 64),
                "18446744073709551616 is out of range for `DrainCompletedWithin`",
            ),
            (
                "x.json",
                r#"{"name": "x", "endTimeMs": 18446744073709551616}"#,
                (1, 28),
                "18446744073709551616 is out of range for `endTimeMs`",
            ),
            ("x.ron", r#"Scenario(name: "x", seed: -1)"#, (1, 27), "-1 is out of range for `seed`: it is never negative"),
            (
                "x.json",
                r#"{"name": "x", "seed": -1}"#,
                (1, 23),
                "-1 is out of range for `seed`: expected a whole number, 0 or more",
            ),
            (
                "x.json",
                r#"{"name": "x", "endTimeMs": 1e10}"#,
                (1, 28),
                "invalid type: a number written with a fraction or an exponent, `10000000000.0`, expected a whole number, 0 or more",
            ),
            // Past every float: refused by the parser, said as the others.
            ("x.json", r#"{"name": "x", "endTimeMs": 1e400}"#, (1, 28), "1e400 is out of range for `endTimeMs`"),
            ("x.json", "{\"name\": \"x\",\n \"maxEvents\": -2.5E+999 }", (2, 15), "-2.5E+999 is out of range for `maxEvents`"),
        ];
        for (file, text, at, message) in out_of_range {
            let e = load_str(file, text).expect_err(text);
            assert_eq!((e.line, e.column), at, "{text}: {e}");
            assert!(e.message.starts_with(message), "{text}: {e}");
        }
        // Words are left alone: only a capitalised name after the kind is a type.
        assert_eq!(
            without_type_names("a struct field, struct X and enum `Y`"),
            "a struct field, a structure of fields and a name"
        );
        assert_eq!(
            without_type_names("invalid length 0, expected struct SweepReport with 14 elements at line 1"),
            "invalid length 0, expected a structure of fields at line 1"
        );
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

    #[test]
    fn string_literals_decode_ron_and_json_escapes() {
        let value = |text: &str| string_literal(text, 0);
        assert_eq!(value(r#""w\u{e9}b" x"#), Some((10, "wéb".to_string())));
        assert_eq!(value(r#""w\u00e9b" x"#), Some((10, "wéb".to_string())));
        assert_eq!(value(r#""\ud83d\ude00!""#), Some((15, "\u{1F600}!".to_string())));
        assert_eq!(value(r#""a\/b\tc""#), Some((9, "a/b\tc".to_string())));
    }

    /// A column inside a value is found in the file however the value is spelled: escapes take
    /// several characters of the file for one of the value, raw strings none, and the step's own
    /// literal is the one after its anchor.
    #[test]
    fn a_column_inside_a_value_is_found_in_the_file() {
        let ron = "(steps: [(do: A(\"x == y\")),\n (do: B(\"x == \\\"y\\\" \\\\z\")), (do: C(r#\"a\"b\"#))])";
        // The first step's `x == y`: column 6 is `y`, one past the end is the closing quote.
        assert_eq!(locate_in_literal(ron, ("do:", 0), "x == y", 0, 6), Some((1, 23)));
        assert_eq!(locate_in_literal(ron, ("do:", 0), "x == y", 0, 7), Some((1, 24)));
        assert_eq!(locate_in_literal(ron, ("do:", 0), "x == y", 0, 0), Some((1, 17)));
        // `x == "y" \z`: the quote is spelled `\"`, the backslash `\\`.
        let value = "x == \"y\" \\z";
        assert_eq!(locate_in_literal(ron, ("do:", 1), value, 0, 6), Some((2, 15)));
        assert_eq!(locate_in_literal(ron, ("do:", 1), value, 0, 7), Some((2, 17)));
        assert_eq!(locate_in_literal(ron, ("do:", 1), value, 0, 10), Some((2, 21)));
        assert_eq!(locate_in_literal(ron, ("do:", 1), value, 0, 11), Some((2, 23)));
        // A raw string spells its value as it is.
        assert_eq!(locate_in_literal(ron, ("do:", 2), "a\"b", 0, 3), Some((2, 41)));
        // Not after that step's anchor: not found.
        assert_eq!(locate_in_literal(ron, ("do:", 1), "x == y", 0, 1), None);
    }

    #[test]
    fn odd_json_is_refused_with_a_position() {
        let deep = format!("{{\"name\": \"a\", \"steps\": {}", "[".repeat(100_000));
        for (text, says) in [
            ("{}", "missing field `name`"),
            ("{", "EOF while parsing an object"),
            ("{\"name\": \"a\", \"name\": \"b\"}", "duplicate field `name`"),
            ("{\"name\": \"a\"} trailing", "trailing characters"),
            (deep.as_str(), "invalid type: sequence"),
        ] {
            let e = load_str("odd.json", text).expect_err(text);
            assert!(e.message.contains(says), "{text:.40}: {e}");
            assert!(e.line >= 1 && e.column >= 1, "{e}");
        }
    }

    #[test]
    fn a_byte_order_mark_is_skipped_in_ron_and_json() {
        for text in ["\u{feff}Scenario(name: \"a\")", "\u{feff}{\"name\": \"a\"}"] {
            let loaded = load_str("bom", text).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(loaded.scenario.name, "a");
            assert!(!loaded.source.starts_with('\u{feff}'));
        }
        let e = load_str("bom.json", "\u{feff}{\"name\": 1}").unwrap_err();
        assert_eq!((e.line, e.column), (1, 10), "{e}");
    }

    #[test]
    fn a_json_token_is_found_from_its_end() {
        let line = r#"  "seed": "o\"ne", "n": -1.5e3, "b": true}"#;
        let end_of = |token: &str| line.find(token).expect("in the line") + token.len();
        assert_eq!(token_start(line, end_of(r#""o\"ne""#)), line.find(r#""o\"ne""#).unwrap());
        assert_eq!(token_start(line, end_of("-1.5e3")), line.find("-1.5e3").unwrap());
        assert_eq!(token_start(line, end_of("true")), line.find("true").unwrap());
        assert_eq!(token_start(line, line.len()), line.len(), "after a brace the position stays");
    }

    #[test]
    fn in_json_a_name_needle_finds_the_key() {
        let json = "{\n  \"services\": [{\"serviceName\": \"services\"}]\n}";
        assert_eq!(locate(json, "services:", 0), Some((2, 3)));
        assert_eq!(locate(json, "serviceName", 0), Some((2, 17)));
        assert_eq!(locate_field_value(json, "serviceName", "services"), Some((2, 32)));
        let ron = "(taskDefinitions: [(family: \"web\")],\n services: [(serviceName: /* the one */ \"web\")])";
        assert_eq!(locate_field_value(ron, "serviceName", "web"), Some((2, 41)));
        assert_eq!(locate_field_value(ron, "family", "api"), None);
        // A name needle also matches a string value of that name (only with the colon it is a key).
        assert_eq!(locate(json, "services", 1), Some((2, 32)));
        assert_eq!(locate(json, "services:", 1), None);
        // In RON, names are code, and strings never match them.
        assert_eq!(locate("(services: [(serviceName: \"services\")])", "services", 1), None);
    }
}
