//! Reading the AWS CLI's JSON with the path of every value at hand: a field drainsim needs and cannot
//! find, or finds with the wrong type, is an error naming the file and the JSON path
//! (`$.containerInstances[3].registeredResources`); every field it does not read is noted, by the
//! path pattern (`$.containerInstances[].attachments`), for the import summary.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::{Map, Value};

/// An import error: the file, the JSON path in it, and what is wrong there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    /// The file (as given on the command line).
    pub file: String,
    /// The JSON path (`$` for the whole document).
    pub path: String,
    /// What is wrong.
    pub message: String,
    /// What the import had read, left out and noted when it was refused, for a refusal that comes
    /// after the whole capture was read (the setup of what it would write failed); none otherwise.
    pub summary: Option<Box<super::ImportSummary>>,
}

impl ImportError {
    /// An error at command-line flag `flag` (no JSON path).
    pub fn flag(flag: &str, message: impl Into<String>) -> Self {
        ImportError { file: flag.into(), path: String::new(), message: message.into(), summary: None }
    }

    /// An error of file `file` as a whole (it cannot be read, or its bytes are not text): no
    /// JSON path, as for a flag.
    pub fn whole_file(file: impl Into<String>, message: impl Into<String>) -> Self {
        ImportError { file: file.into(), path: String::new(), message: message.into(), summary: None }
    }

    /// An error at `path` of `file`.
    pub fn new(file: impl Into<String>, path: impl Into<String>, message: impl Into<String>) -> Self {
        ImportError { file: file.into(), path: path.into(), message: message.into(), summary: None }
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            // A command-line flag, or a file as a whole, has no JSON path.
            return write!(f, "{}: {}", self.file, self.message);
        }
        write!(f, "{}: {}: {}", self.file, self.path, self.message)
    }
}

impl std::error::Error for ImportError {}

/// What the reader noted while reading every document: the fields it did not read, by path pattern
/// (`describe-tasks $.tasks[].containers`), with how often each occurred.
#[derive(Debug, Default)]
pub(crate) struct Notes {
    pub(crate) skipped: RefCell<BTreeMap<String, u64>>,
}

/// One JSON object being read, with its path and the keys read so far.
pub(crate) struct Obj<'a> {
    map: &'a Map<String, Value>,
    path: String,
    file: &'a str,
    /// The document kind and the path with indices left out, for the summary.
    pattern: String,
    notes: &'a Notes,
    read: RefCell<BTreeSet<&'a str>>,
}

impl<'a> Obj<'a> {
    /// The document's top level, which must be an object.
    pub(crate) fn root(value: &'a Value, file: &'a str, kind: &str, notes: &'a Notes) -> Result<Self, ImportError> {
        let map = value
            .as_object()
            .ok_or_else(|| ImportError::new(file, "$", format!("expected a JSON object, found {}", found(value))))?;
        Ok(Obj { map, path: "$".into(), file, pattern: format!("{kind} $"), notes, read: RefCell::new(BTreeSet::new()) })
    }

    /// An error at this object's path (or at one of its fields).
    pub(crate) fn error(&self, field: Option<&str>, message: impl Into<String>) -> ImportError {
        let path = match field {
            Some(f) => format!("{}.{f}", self.path),
            None => self.path.clone(),
        };
        ImportError::new(self.file, path, message)
    }

    /// The path of this object.
    pub(crate) fn path(&self) -> &str {
        &self.path
    }

    fn get(&self, key: &'a str) -> Option<&'a Value> {
        let (k, v) = self.map.get_key_value(key)?;
        self.read.borrow_mut().insert(k.as_str());
        (!v.is_null()).then_some(v)
    }

    /// Marks keys as read without reading them (fields drainsim knows it does not need, such as
    /// the ones a check of the document's kind looked at).
    pub(crate) fn touch(&self, keys: &[&'a str]) {
        for k in keys {
            let _ = self.get(k);
        }
    }

    fn wrong(&self, key: &str, want: &str, v: &Value) -> ImportError {
        self.error(Some(key), format!("expected {want}, found {}", found(v)))
    }

    /// A required string.
    pub(crate) fn str(&self, key: &'a str) -> Result<&'a str, ImportError> {
        self.opt_str(key)?.ok_or_else(|| self.error(Some(key), "missing (drainsim needs it)"))
    }

    /// An optional string.
    pub(crate) fn opt_str(&self, key: &'a str) -> Result<Option<&'a str>, ImportError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => match crate::load::control_character_refusal(s) {
                Some(refusal) => Err(self.error(Some(key), refusal)),
                None => Ok(Some(s)),
            },
            Some(v) => Err(self.wrong(key, "a string", v)),
        }
    }

    /// An optional integer (a JSON number without a fraction) within `range`.
    pub(crate) fn opt_int(&self, key: &'a str, range: std::ops::RangeInclusive<i64>) -> Result<Option<i64>, ImportError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) => {
                let n = n.as_i64().ok_or_else(|| match n.as_f64() {
                    // A whole number past an i64 (JSON reads it as a u64, or as a float past a u64).
                    Some(f) if n.is_u64() || (f.fract() == 0.0 && f.abs() >= 9.2e18) => {
                        self.error(Some(key), format!("{n} is out of range ({} to {})", range.start(), range.end()))
                    }
                    _ => self.error(Some(key), format!("expected an integer, found {n}, which is not written as one")),
                })?;
                if !range.contains(&n) {
                    return Err(self.error(Some(key), format!("{n} is out of range ({} to {})", range.start(), range.end())));
                }
                Ok(Some(n))
            }
            Some(v) => Err(self.wrong(key, "an integer", v)),
        }
    }

    /// A required integer within `range`.
    pub(crate) fn int(&self, key: &'a str, range: std::ops::RangeInclusive<i64>) -> Result<i64, ImportError> {
        self.opt_int(key, range)?.ok_or_else(|| self.error(Some(key), "missing (drainsim needs it)"))
    }

    /// An optional boolean.
    pub(crate) fn opt_bool(&self, key: &'a str) -> Result<Option<bool>, ImportError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(v) => Err(self.wrong(key, "true or false", v)),
        }
    }

    /// An optional timestamp, in Unix milliseconds: the AWS CLI v2 prints ISO 8601
    /// (`2025-11-27T00:01:00.123456+00:00`), the JSON protocol epoch seconds (`1764201660.123`).
    /// A fraction of a second is kept to the millisecond (truncated), drainsim's unit of time.
    pub(crate) fn opt_time_ms(&self, key: &'a str) -> Result<Option<i64>, ImportError> {
        match self.get(key) {
            None => Ok(None),
            // Below 1e12 seconds, so the milliseconds fit an i64 exactly enough: an f64 holds
            // integers to 2^53 (9e15) exactly.
            Some(Value::Number(n)) => match n.as_f64() {
                Some(f) if f.is_finite() && f.abs() < 1e12 => Ok(Some((f * 1000.0).floor() as i64)),
                _ => Err(self.error(Some(key), format!("{n} is not a timestamp in Unix seconds"))),
            },
            Some(Value::String(s)) => parse_iso8601_ms(s)
                .map(Some)
                .ok_or_else(|| self.error(Some(key), format!("'{s}' is not an ISO 8601 timestamp (2025-11-27T00:01:00+00:00)"))),
            Some(v) => Err(self.wrong(key, "a timestamp", v)),
        }
    }

    /// An optional nested object.
    pub(crate) fn opt_obj(&self, key: &'a str) -> Result<Option<Obj<'a>>, ImportError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Object(map)) => {
                Ok(Some(self.child(map, format!("{}.{key}", self.path), format!("{}.{key}", self.pattern))))
            }
            Some(v) => Err(self.wrong(key, "an object", v)),
        }
    }

    /// An optional array's elements, each with its path (`[]` when absent).
    pub(crate) fn array(&self, key: &'a str) -> Result<Vec<Item<'a>>, ImportError> {
        match self.get(key) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => Ok(items
                .iter()
                .enumerate()
                .map(|(n, v)| Item {
                    value: v,
                    path: format!("{}.{key}[{n}]", self.path),
                    pattern: format!("{}.{key}[]", self.pattern),
                })
                .collect()),
            Some(v) => Err(self.wrong(key, "an array", v)),
        }
    }

    /// An array's elements as objects.
    pub(crate) fn objects(&self, key: &'a str) -> Result<Vec<Obj<'a>>, ImportError> {
        self.array(key)?.into_iter().map(|item| self.item_obj(item)).collect()
    }

    /// An array's elements as strings.
    pub(crate) fn strings(&self, key: &'a str) -> Result<Vec<&'a str>, ImportError> {
        self.array(key)?
            .into_iter()
            .map(|item| match item.value {
                Value::String(s) => match crate::load::control_character_refusal(s) {
                    Some(refusal) => Err(ImportError::new(self.file, item.path, refusal)),
                    None => Ok(s.as_str()),
                },
                v => Err(ImportError::new(self.file, item.path, format!("expected a string, found {}", found(v)))),
            })
            .collect()
    }

    /// One array element as an object.
    pub(crate) fn item_obj(&self, item: Item<'a>) -> Result<Obj<'a>, ImportError> {
        match item.value {
            Value::Object(map) => Ok(self.child(map, item.path, item.pattern)),
            // By its kind, as the streamed reader of a big array names it (it reads no value).
            v => Err(ImportError::new(self.file, item.path, format!("expected an object, found {}", type_name(v)))),
        }
    }

    fn child(&self, map: &'a Map<String, Value>, path: String, pattern: String) -> Obj<'a> {
        Obj { map, path, file: self.file, pattern, notes: self.notes, read: RefCell::new(BTreeSet::new()) }
    }

    /// Notes something of this object drainsim does not model, beside its unread keys: `what`
    /// names it in the summary (`… registeredResources[] (PORTS_UDP)`).
    pub(crate) fn skipped(&self, what: &str) {
        *self.notes.skipped.borrow_mut().entry(format!("{} ({what})", self.pattern)).or_insert(0) += 1;
    }

    /// Done with an object that is left out of the import (a note says so): none of its keys is
    /// listed as a field drainsim does not model.
    pub(crate) fn leave_out(self) {}

    /// Notes every key of this object that was not read as skipped.
    pub(crate) fn finish(self) {
        let read = self.read.borrow();
        let mut skipped = self.notes.skipped.borrow_mut();
        for k in self.map.keys() {
            if !read.contains(k.as_str()) {
                *skipped.entry(format!("{}.{k}", self.pattern)).or_insert(0) += 1;
            }
        }
    }
}

/// One input file's JSON, its big array (a describe-tasks output's `tasks`) left as the text of
/// each element, parsed as the reader reaches it and dropped after ([`Obj::for_each_object`]): a
/// `serde_json::Value` of a whole file costs 4 to 9 times its text (a map node per small object),
/// which at 16,000 instances was 340 MB for 65 MB of JSON.
pub(crate) struct Document<'t> {
    /// The top level, an empty array in the place of the streamed one.
    pub(crate) root: Value,
    /// The streamed array: its key and its elements' text.
    streamed: Option<(String, Vec<&'t serde_json::value::RawValue>)>,
}

impl<'t> Document<'t> {
    /// Parses `text`, leaving the first of `stream_keys` at the top level that holds an array as
    /// text. A file is refused for exactly what a parse into one `Value` refuses (the same
    /// messages, at the same places): the whole text is first checked by the same deserializer
    /// without building anything ([`Checked`]).
    pub(crate) fn parse(text: &'t str, stream_keys: &[&str]) -> Result<Document<'t>, serde_json::Error> {
        use serde_json::value::RawValue;
        serde_json::from_str::<Checked>(text)?;
        let Ok(top) = serde_json::from_str::<BTreeMap<String, &RawValue>>(text) else {
            // Not an object at the top: read whole (the reader refuses it).
            return Ok(Document { root: serde_json::from_str(text)?, streamed: None });
        };
        let key =
            top.iter().find(|(k, raw)| stream_keys.contains(&k.as_str()) && raw.get().starts_with('[')).map(|(k, _)| k.clone());
        let mut root = Map::new();
        let mut streamed = None;
        for (k, raw) in top {
            if key.as_ref() == Some(&k) {
                streamed = Some((k.clone(), serde_json::from_str::<Vec<&RawValue>>(raw.get())?));
                root.insert(k, Value::Array(Vec::new()));
            } else {
                root.insert(k, serde_json::from_str(raw.get())?);
            }
        }
        Ok(Document { root: Value::Object(root), streamed })
    }
}

/// Any JSON value, checked as a parse into a `Value` checks it (syntax, nesting depth, numbers in
/// range, string escapes: the deserializer does each, whatever it builds) and dropped.
struct Checked;

impl<'de> serde::Deserialize<'de> for Checked {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(CheckedVisitor)
    }
}

struct CheckedVisitor;

impl<'de> serde::de::Visitor<'de> for CheckedVisitor {
    type Value = Checked;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_str<E>(self, _: &str) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_unit<E>(self) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Checked, A::Error> {
        while seq.next_element::<Checked>()?.is_some() {}
        Ok(Checked)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Checked, A::Error> {
        while map.next_key::<Checked>()?.is_some() {
            map.next_value::<Checked>()?;
        }
        Ok(Checked)
    }
}

impl<'a> Obj<'a> {
    /// Each element of array `key` as an object, in order, handed to `read`: from `doc`'s streamed
    /// elements when it streamed this array (each parsed just before and dropped after), else as
    /// [`Self::objects`] gives them. As there, an element that is not an object is refused before
    /// any is read.
    pub(crate) fn for_each_object(
        &self,
        key: &'a str,
        doc: &Document<'_>,
        mut read: impl FnMut(Obj<'_>) -> Result<(), ImportError>,
    ) -> Result<(), ImportError> {
        let Some((_, elements)) = doc.streamed.as_ref().filter(|(k, _)| k == key) else {
            for obj in self.objects(key)? {
                read(obj)?;
            }
            return Ok(());
        };
        let _ = self.get(key);
        let path = |n: usize| format!("{}.{key}[{n}]", self.path);
        // The type of each element from its first character (the text of a value, checked).
        let refused = elements.iter().enumerate().find_map(|(n, raw)| {
            let found = match raw.get().as_bytes().first() {
                Some(b'{') => return None,
                Some(b'[') => "an array",
                Some(b'"') => "a string",
                Some(b't' | b'f') => "a boolean",
                Some(b'n') => "null",
                _ => "a number",
            };
            Some(ImportError::new(self.file, path(n), format!("expected an object, found {found}")))
        });
        if let Some(e) = refused {
            return Err(e);
        }
        let pattern = format!("{}.{key}[]", self.pattern);
        for (n, raw) in elements.iter().enumerate() {
            let value: Value = serde_json::from_str(raw.get()).expect("an element of a checked document parses");
            let Value::Object(map) = &value else { unreachable!("checked to be an object") };
            read(Obj {
                map,
                path: path(n),
                file: self.file,
                pattern: pattern.clone(),
                notes: self.notes,
                read: RefCell::new(BTreeSet::new()),
            })?;
        }
        Ok(())
    }
}

/// An array element with its path.
pub(crate) struct Item<'a> {
    pub(crate) value: &'a Value,
    pub(crate) path: String,
    pattern: String,
}

/// What a value of the wrong type is, for an error: a scalar as written (`the number 1.5`,
/// `the string "abc"`, truncated past 40 characters), else its kind (`an array`).
fn found(v: &Value) -> String {
    match v {
        Value::Number(n) => format!("the number {n}"),
        Value::Bool(b) => format!("{b}"),
        Value::String(s) if s.chars().count() > 40 => {
            format!("the string {}…", serde_json::Value::String(s.chars().take(40).collect()))
        }
        Value::String(_) => format!("the string {v}"),
        _ => type_name(v).to_string(),
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` as Unix milliseconds (the fraction's digits past
/// the millisecond dropped).
pub(crate) fn parse_iso8601_ms(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        (!t.is_empty() && t.bytes().all(|c| c.is_ascii_digit())).then(|| t.parse().ok()).flatten()
    };
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !(b[10] == b'T' || b[10] == b' ') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut rest = &s[19..];
    let mut millis = 0;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        // The first three digits, as milliseconds ("5" is 500 ms, "123456" is 123 ms).
        millis = frac
            .bytes()
            .take(digits.min(3))
            .chain(std::iter::repeat(b'0'))
            .take(3)
            .fold(0, |ms, d| ms * 10 + i64::from(d - b'0'));
        rest = &frac[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let hm = &rest[1..];
            if hm.len() != 5 || hm.as_bytes()[2] != b':' {
                return None;
            }
            let (h, m): (i64, i64) = (hm[..2].parse().ok()?, hm[3..].parse().ok()?);
            if h > 23 || m > 59 {
                return None;
            }
            sign * (h * 3600 + m * 60)
        }
    };
    let days = drainsim_core::time::days_from_civil(year, month, day);
    Some((days * 86_400 + hour * 3600 + minute * 60 + second - offset) * 1000 + millis)
}

/// Unix seconds as `YYYY-MM-DDTHH:MM:SSZ` (UTC): how the summary names a moment of the capture.
pub(crate) fn format_iso8601(t: i64) -> String {
    let (days, secs) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    // The civil date of a day count (days_from_civil's inverse; proleptic Gregorian).
    let z = days + 719_468;
    let (era, doe) = (z.div_euclid(146_097), z.rem_euclid(146_097));
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", secs / 3600, secs / 60 % 60, secs % 60)
}

#[cfg(test)]
mod tests {
    use super::{format_iso8601, parse_iso8601_ms, Document, Notes, Obj};
    use proptest::prelude::*;
    use serde_json::Value;

    /// What a reader read: each object's path and `name`, and the fields left unread.
    type Read = (Vec<(String, String)>, Vec<String>);

    /// Every object of `key` a reader is handed, with the fields it left unread, reading the
    /// document whole (`stream`: false) or streamed.
    fn read_all(text: &str, key: &'static str, stream: bool) -> Result<Read, String> {
        let keys: &[&str] = if stream { &[key] } else { &[] };
        let doc = Document::parse(text, keys).map_err(|e| e.to_string())?;
        let notes = Notes::default();
        let root = Obj::root(&doc.root, "f.json", "kind", &notes).map_err(|e| e.to_string())?;
        let mut seen = Vec::new();
        root.for_each_object(key, &doc, |o| {
            // Read one field, so that the others are noted unread.
            let name = o.opt_str("name")?.unwrap_or("").to_string();
            seen.push((o.path().to_string(), name));
            o.finish();
            Ok(())
        })
        .map_err(|e| e.to_string())?;
        root.finish();
        let skipped = notes.skipped.borrow().iter().map(|(k, n)| format!("{k} {n}")).collect();
        Ok((seen, skipped))
    }

    #[test]
    fn a_file_is_refused_as_a_whole_parse_refuses_it() {
        let deep = format!("{{\"tasks\": [{}{}]}}", "[".repeat(126), "]".repeat(126));
        let deeper = format!("{{\"tasks\": [{}{}]}}", "[".repeat(127), "]".repeat(127));
        for text in [
            "",
            "{",
            "{\"tasks\": [1,]}",
            "{\"tasks\": [{\"a\": 1e400}]}",
            "{\"tasks\": [{\"a\": \"\\ud800\"}]}",
            "{\"tasks\": []} x",
            "[1, 2]",
            "{\"tasks\": 5}",
            deep.as_str(),
            deeper.as_str(),
        ] {
            let whole = serde_json::from_str::<Value>(text).map(|_| ()).map_err(|e| e.to_string());
            let streamed = Document::parse(text, &["tasks"]).map(|_| ()).map_err(|e| e.to_string());
            assert_eq!(streamed, whole, "{text:.40}");
        }
    }

    #[test]
    fn an_element_not_an_object_is_refused_before_any_is_read() {
        for (text, found) in [
            ("{\"tasks\": [{\"name\": \"a\"}, 3, {\"name\": \"b\"}]}", "a number"),
            ("{\"tasks\": [{}, {}, null]}", "null"),
            ("{\"tasks\": [\"x\"]}", "a string"),
            ("{\"tasks\": [[]]}", "an array"),
            ("{\"tasks\": [ true ]}", "a boolean"),
        ] {
            let whole = read_all(text, "tasks", false);
            assert_eq!(read_all(text, "tasks", true), whole);
            assert!(whole.is_err_and(|e| e.ends_with(&format!("expected an object, found {found}"))), "{text}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// A streamed array is read as the whole document would be: the same objects, paths and
        /// fields left unread.
        #[test]
        fn a_streamed_array_reads_as_the_whole_document(
            tasks in prop::collection::vec((prop::option::of("[a-z]{0,3}"), any::<bool>(), 0u8..3), 0..8),
            other in any::<bool>(),
        ) {
            let items: Vec<String> = tasks
                .iter()
                .map(|(name, extra, nested)| {
                    let mut fields: Vec<String> = name.iter().map(|n| format!("\"name\": \"{n}\"")).collect();
                    if *extra {
                        fields.push("\"lastStatus\": \"RUNNING\"".into());
                    }
                    let depth = usize::from(*nested) + 1;
                    fields.push(format!("\"containers\": {}{}", "[".repeat(depth), "]".repeat(depth)));
                    format!("{{{}}}", fields.join(", "))
                })
                .collect();
            let text = format!(
                "{{{}\"tasks\": [\n  {}\n]}}",
                if other { "\"failures\": [], " } else { "" },
                items.join(",\n  ")
            );
            prop_assert_eq!(read_all(&text, "tasks", true), read_all(&text, "tasks", false));
        }
    }

    #[test]
    fn a_moment_prints_as_it_parses() {
        assert_eq!(format_iso8601(1_764_460_800), "2025-11-30T00:00:00Z");
        assert_eq!(format_iso8601(1_709_227_800), "2024-02-29T17:30:00Z");
        assert_eq!(format_iso8601(-1), "1969-12-31T23:59:59Z");
        for t in [0, 951_782_400, 1_764_202_500, 4_102_444_799] {
            assert_eq!(parse_iso8601_ms(&format_iso8601(t)), Some(t * 1000), "{t}");
        }
    }

    #[test]
    fn iso8601_as_the_cli_prints_it() {
        assert_eq!(parse_iso8601_ms("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_iso8601_ms("2025-11-30T00:00:00.000000+00:00"), Some(1_764_460_800_000));
        assert_eq!(parse_iso8601_ms("2025-11-30T01:00:00+01:00"), Some(1_764_460_800_000));
        assert_eq!(parse_iso8601_ms("2024-02-29T12:00:00-05:30"), Some(1_709_227_800_000));
        assert_eq!(parse_iso8601_ms("1969-12-31T23:59:59Z"), Some(-1000));
        // A fraction of a second, to the millisecond: the CLI prints microseconds.
        assert_eq!(parse_iso8601_ms("2025-11-30T00:00:00.123456+00:00"), Some(1_764_460_800_123));
        assert_eq!(parse_iso8601_ms("2025-11-30T00:00:00.5Z"), Some(1_764_460_800_500));
        assert_eq!(parse_iso8601_ms("2025-11-30T00:00:00.09Z"), Some(1_764_460_800_090));
        assert_eq!(parse_iso8601_ms("1969-12-31T23:59:59.250Z"), Some(-750));
        for bad in
            ["2025-13-01T00:00:00Z", "2025-11-30", "2025-11-30T00:00:00", "2025-11-30T00:00:00.+00:00", "x025-11-30T00:00:00Z"]
        {
            assert_eq!(parse_iso8601_ms(bad), None, "{bad}");
        }
    }
}
